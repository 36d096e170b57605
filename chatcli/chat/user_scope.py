"""The user scope as the memory tools reach it: user memory, `memory_approval`, a way to ask.

Every write the model makes to user memory is seen: it becomes a `MemoryChanged`
event (a toast in the window, a `note:` from `chatcli ask`), or, when it was
not allowed, a `MemoryDeclined` one. With `memory_approval = "ask"` the face's
`ask` callback decides first (the window's dialog); a face that cannot ask
(`chatcli ask`) passes none, and the write is declined.

Tools find the scope of the running turn with `current_user_scope()`, which the
engine sets around each tool call, as it does `current_session()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

from chatcli.chat.events import MemoryChanged, MemoryDeclined, MemoryWrite
from chatcli.errors import ChatcliError
from chatcli.session.context import current_session
from chatcli.session.session import Session
from chatcli.session.user_memory import UserMemory

Approval = Literal["auto", "ask"]


Ask = Callable[[MemoryWrite], Awaitable[bool]]
"""Asks the person whether a write may happen (True: yes)."""


class UserScope:
    """User memory for one face: the writes the model makes, gated by `approval`."""

    def __init__(
        self, memory: UserMemory[Any], approval: Approval = "auto", ask: Ask | None = None
    ) -> None:
        self.memory = memory
        self.approval: Approval = approval
        self.ask = ask
        self._outcomes: list[MemoryChanged | MemoryDeclined] = []

    def drain(self) -> list[MemoryChanged | MemoryDeclined]:
        """What the model's writes did since the last call (the engine yields these)."""
        out, self._outcomes = self._outcomes, []
        return out

    async def remember(self, key: str, value: str) -> str:
        """The `remember` tool, scope "user": keep a fact for every session."""
        return await self._write(MemoryWrite(key, value, *_origin(current_session())))

    async def forget(self, key: str) -> str:
        """The `forget` tool, scope "user"."""
        write = MemoryWrite(key, None, *_origin(current_session()))
        await asyncio.to_thread(self.memory.refresh)
        if key not in self.memory.state_dict.get("facts", {}):
            return f"Nothing is remembered for every session under {key!r}."
        return await self._write(write)

    async def _write(self, write: MemoryWrite) -> str:
        if self.approval == "ask":
            if self.ask is None:
                self._outcomes.append(MemoryDeclined(write, asked=False))
                return (
                    f"Not saved for every session ({write.describe()}): the user's setting "
                    "memory_approval is 'ask' and they could not be asked here. Tell them, "
                    "briefly, if it matters."
                )
            if not await self.ask(write):
                self._outcomes.append(MemoryDeclined(write, asked=True))
                return f"The user declined: not saved for every session ({write.describe()})."
        by = "tool:forget" if write.value is None else "tool:remember"
        provenance: dict[str, Any] = {"by": by, "session": write.session, "message": write.message}
        if write.value is None:
            record = await asyncio.to_thread(self.memory.forget, write.key, **provenance)
        else:
            record = await asyncio.to_thread(self.memory.set, write.key, write.value, **provenance)
        if record is None:
            return f"Already remembered for every session: {write.describe()}."
        self._outcomes.append(MemoryChanged(record, write))
        if write.value is None:
            return f"Forgot {write.key} for every session."
        return f"Remembered {write.describe()} for every session."


def _origin(session: Session[Any]) -> tuple[str, int | None]:
    """The session, and the seq of the assistant message whose tool calls are running."""
    node = session.view.head
    while node is not None:
        message = node.message
        if message.role == "assistant" and message.tool_calls:
            return session.id, message.seq
        node = node.parent
    return session.id, None


_CURRENT: ContextVar[UserScope | None] = ContextVar("chatcli_user_scope", default=None)


def current_user_scope() -> UserScope:
    """The user scope of the running turn; an error where there is none."""
    scope = _CURRENT.get()
    if scope is None:
        raise ChatcliError(
            "User memory is not available here.", "Use scope 'session' to remember this."
        )
    return scope


@contextmanager
def using_user_scope(scope: UserScope | None) -> Iterator[None]:
    """Make `scope` the current one for the code inside the block (None: leave none)."""
    token = _CURRENT.set(scope)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def memory_note(event: MemoryChanged | MemoryDeclined) -> str:
    """What a face without dialogs (`chatcli ask`) says of a write, in one sentence."""
    write = event.write
    if isinstance(event, MemoryChanged):
        did = "forgot" if write.value is None else "remembered"
        return (
            f"the model {did} {write.describe()} for every session "
            "('chatcli memory undo' reverts it)."
        )
    if event.asked:
        return f"you declined to let the model keep {write.describe()} for every session."
    return (
        f"the model asked to keep {write.describe()} for every session and was declined, "
        "because memory_approval is 'ask' and chatcli ask cannot ask; to allow it, set "
        'memory_approval = "auto" in config.toml (or CHATCLI_MEMORY_APPROVAL=auto), '
        f"or keep it yourself with: {write.command()}"
    )
