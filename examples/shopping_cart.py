"""Genkit's shopping-cart example on chatcli's Session API: a typed state and two tools.

    python examples/shopping_cart.py -m openai/gpt-4o-mini "Add milk and eggs to my cart"
    python examples/shopping_cart.py --api-base http://127.0.0.1:8080/v1 -m openai/any "What's in my cart?"

The cart lives in the session's state (a `state` line per change), so it
survives restarts, and `chatcli sessions show cart` shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from pydantic import BaseModel, Field

from chatcli.chat import Agent, ChatEngine, Toolset, current_session, tool
from chatcli.chat.events import ReplyDelta, StateChanged, TurnFailed
from chatcli.llm import LiteLLMModel
from chatcli.paths import resolve_paths
from chatcli.session import Session
from chatcli.store import JsonlStore


class CartState(BaseModel):
    """What the shopper has put in the cart."""

    items: list[str] = Field(default_factory=list)


@tool(name="addToCart")
def add_to_cart(item: str) -> str:
    """Add one item to the shopping cart."""
    current_session().update_state(
        lambda cart: cart.model_copy(update={"items": [*cart.items, item]}), by="tool:addToCart"
    )
    return f"Added {item}."


@tool(name="getCart")
def get_cart() -> list[str]:
    """Return the items in the shopping cart."""
    cart: CartState = current_session().state
    return cart.items


CART_AGENT = Agent.parse(
    "cart",
    """---
description: A shopping assistant that keeps a cart.
---
You are a helpful shopping assistant. Use addToCart to add items and getCart to read the cart.
The cart holds:
{{#each @state.items}}
- {{this}}
{{else}}
(nothing yet)
{{/each}}
""",
    origin="examples/shopping_cart.py",
)


async def main(argv: list[str] | None = None) -> int:
    """Run one turn of the cart agent and print the reply and the cart."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt")
    parser.add_argument("-m", "--model", default=os.environ.get("CHATCLI_MODEL"))
    parser.add_argument("--api-base", default=os.environ.get("CHATCLI_API_BASE"))
    parser.add_argument("-s", "--session", default="cart", help="session id (default: cart)")
    args = parser.parse_args(argv)
    if not args.model:
        parser.error("name a model with -m (or set CHATCLI_MODEL)")

    store = JsonlStore(resolve_paths().sessions_dir)
    session = Session.get_or_create(
        store, args.session, state_type=CartState, title="Shopping cart"
    )
    model = LiteLLMModel(api_base=args.api_base, api_key=os.environ.get("CHATCLI_API_KEY"))
    engine = ChatEngine(
        session,
        model,
        model_name=args.model,
        agent=CART_AGENT,
        tools=Toolset([add_to_cart, get_cart]),
    )
    failed = False
    async for event in engine.send(args.prompt):
        if isinstance(event, ReplyDelta):
            print(event.text, end="", flush=True)
        elif isinstance(event, StateChanged):
            print(f"\n[cart] {event.record.state['items']}", file=sys.stderr)
        elif isinstance(event, TurnFailed):
            print(f"\nerror: {event.error.sentence()}", file=sys.stderr)
            failed = True
    print(f"\nCart: {', '.join(session.state.items) or '(empty)'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
