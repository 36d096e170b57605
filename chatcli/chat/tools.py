"""Tools the model can call: typed Python functions, as Genkit defines them.

    @tool
    def add_to_cart(item: str, quantity: int = 1) -> str:
        \"\"\"Add an item to the cart.\"\"\"
        session = current_session()
        ...

Arguments are validated with a pydantic model built from the signature; the
docstring is the description the model reads.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError, create_model

from chatcli.chat.user_scope import current_user_scope
from chatcli.session.context import current_session
from chatcli.session.state import Memory


@dataclass(frozen=True)
class Tool:
    """A function the model may call."""

    name: str
    description: str
    args: type[BaseModel]
    fn: Callable[..., Any]

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style tool definition litellm sends."""
        params = self.args.model_json_schema()
        params.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": params},
        }

    async def call(self, arguments: str) -> tuple[str, bool]:
        """Run with the model's JSON arguments; returns (result text, ok)."""
        try:
            args = self.args.model_validate_json(arguments or "{}")
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
            return f"error: bad arguments for {self.name}: {problems}", False
        kwargs = {name: getattr(args, name) for name in type(args).model_fields}
        if inspect.iscoroutinefunction(self.fn):
            result = await self.fn(**kwargs)
        else:
            result = await asyncio.to_thread(self.fn, **kwargs)
        if isinstance(result, Awaitable):
            result = await result
        return _as_text(result), True


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, ensure_ascii=False, default=str)


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Make a function a Tool; its signature is the argument schema."""

    def wrap(func: Callable[..., Any]) -> Tool:
        signature = inspect.signature(func)
        fields: dict[str, Any] = {}
        for param in signature.parameters.values():
            annotation = (
                param.annotation if param.annotation is not inspect.Parameter.empty else str
            )
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (annotation, default)
        tool_name = name or func.__name__
        args = create_model(f"{tool_name}_args", **fields)
        doc = inspect.getdoc(func) or tool_name
        return Tool(name=tool_name, description=doc, args=args, fn=func)

    return wrap(fn) if fn is not None else wrap


class Toolset:
    """The tools one agent offers, by name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools = {t.name: t for t in tools}
        self._schemas = [t.schema() for t in self._tools.values()]

    def __bool__(self) -> bool:
        return bool(self._tools)

    def get(self, name: str) -> Tool | None:
        """The tool called `name`, if there is one."""
        return self._tools.get(name)

    def schemas(self) -> list[dict[str, Any]]:
        """All tool definitions, for the model request (built once)."""
        return list(self._schemas)


Scope = Literal["session", "user"]


@tool
async def remember(key: str, value: str, scope: Scope = "session") -> str:
    """Remember a fact (e.g. key "name", value "Ada"); setting a kept key replaces its value.
    scope "session" (the default) keeps it for this conversation only: the task at hand,
    decisions, context. scope "user" keeps it for every future conversation with this
    person: durable facts about them (name, where they live, job, lasting preferences).
    Use "user" only for what they would want remembered next time; they may be asked first."""
    if scope == "user":
        return await current_user_scope().remember(key, value)
    session = current_session()
    await asyncio.to_thread(
        session.update_state,
        lambda m: m.model_copy(update={"facts": {**m.facts, key: value}}),
        "tool:remember",
    )
    return f"Remembered {key} = {value}."


@tool
async def forget(key: str, scope: Scope = "session") -> str:
    """Forget a remembered fact by its key: scope "session" (the default) for this
    conversation's memory, "user" for what is remembered for every conversation."""
    if scope == "user":
        return await current_user_scope().forget(key)
    session = current_session()
    if key not in session.state.facts:
        return f"Nothing was remembered under {key!r}."
    await asyncio.to_thread(
        session.update_state,
        lambda m: m.model_copy(update={"facts": {k: v for k, v in m.facts.items() if k != key}}),
        "tool:forget",
    )
    return f"Forgot {key}."


MEMORY_TOOLS = Toolset([remember, forget])
"""The built-in tools for the default `Memory` state, in both scopes."""

__all__ = ["MEMORY_TOOLS", "Memory", "Tool", "Toolset", "forget", "remember", "tool"]
