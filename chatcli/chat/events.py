"""What a turn yields, in order, to whoever shows it (the TUI, `chatcli ask`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, TypeAlias

from chatcli.errors import ModelError
from chatcli.session.records import ChatMessage, CheckpointRecord, MemoryRecord, StateRecord


@dataclass(frozen=True)
class ReplyStarted:
    """The model was asked; `model` is the name sent to it."""

    model: str


@dataclass(frozen=True)
class ReplyDelta:
    """A piece of the reply's text, as it streamed in."""

    text: str


@dataclass(frozen=True)
class ToolCalled:
    """The model called a tool; it is about to run."""

    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolFinished:
    """A tool ran; `result` is what the model will read."""

    call_id: str
    name: str
    result: str
    ok: bool


@dataclass(frozen=True)
class StateChanged:
    """A tool (or the user) changed the state; the record says who and what."""

    record: StateRecord


@dataclass(frozen=True)
class MemoryWrite:
    """A change of user memory the model asked for: keep `key` = `value`, or forget it."""

    key: str
    value: str | None
    """None: forget `key`."""
    session: str
    message: int | None
    """The seq of the assistant message whose tool call asked for it."""

    def describe(self) -> str:
        """`city = Lisbon`, or `forget city`."""
        return f"forget {self.key}" if self.value is None else f"{self.key} = {self.value}"

    def command(self) -> str:
        """The `chatcli memory` command that makes this write by hand."""
        if self.value is None:
            return f"chatcli memory forget {shlex.quote(self.key)}"
        return f"chatcli memory set {shlex.quote(self.key)} {shlex.quote(self.value)}"


@dataclass(frozen=True)
class MemoryChanged:
    """The model changed user memory (what every session sees); the record says what."""

    record: MemoryRecord
    write: MemoryWrite


@dataclass(frozen=True)
class MemoryDeclined:
    """The model asked to change user memory and it was not done: the person said no
    (`asked`), or `memory_approval` is "ask" and this face cannot ask."""

    write: MemoryWrite
    asked: bool


@dataclass(frozen=True)
class MessageSaved:
    """A message was durably appended (user, assistant, tool; partial ones too)."""

    message: ChatMessage


@dataclass(frozen=True)
class BranchStarted:
    """A regeneration moved the view back to the user message `at`; the new reply follows."""

    at: int


@dataclass(frozen=True)
class CheckpointSaved:
    """The automatic end-of-turn checkpoint was written."""

    record: CheckpointRecord


@dataclass(frozen=True)
class TurnFailed:
    """The model call failed; the sentence is what to show. The turn ends after this."""

    error: ModelError


@dataclass(frozen=True)
class TurnFinished:
    """The turn is over (complete, failed or cancelled): totals for this turn."""

    status: str
    prompt_tokens: int
    completion_tokens: int
    cost: float | None


TurnEvent: TypeAlias = (
    ReplyStarted
    | ReplyDelta
    | ToolCalled
    | ToolFinished
    | StateChanged
    | MemoryChanged
    | MemoryDeclined
    | MessageSaved
    | BranchStarted
    | CheckpointSaved
    | TurnFailed
    | TurnFinished
)
