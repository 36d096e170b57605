"""Where a turn is, as one value: idle, sending, waiting, replying, in a tool, failed.

`TurnState.after(event)` is the whole state machine: a face feeds it each event
the engine yields and shows what it returns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from chatcli.chat.events import (
    MessageSaved,
    ReplyStarted,
    ToolCalled,
    ToolFinished,
    TurnEvent,
    TurnFailed,
)


class TurnPhase(Enum):
    """The steps of a turn, in order (FAILED can follow any running step)."""

    IDLE = "idle"
    """No turn is running."""
    SENDING = "sending"
    """The prompt is on its way to the log (nothing is saved yet)."""
    WAITING = "waiting"
    """The prompt is saved; the model has not started replying."""
    REPLYING = "replying"
    """The model is streaming its reply."""
    TOOL = "tool"
    """A tool the model called is running."""
    FAILED = "failed"
    """The model call failed; the turn is ending."""


@dataclass(frozen=True)
class TurnState:
    """The turn now: its phase and what goes with it."""

    phase: TurnPhase = TurnPhase.IDLE
    text: str = ""
    """What the person sent, as typed."""
    model: str | None = None
    """The model replying (REPLYING, TOOL)."""
    tool: str | None = None
    """The tool running (TOOL)."""
    error: str | None = None
    """Why it failed, in one sentence (FAILED)."""

    @classmethod
    def sending(cls, text: str) -> TurnState:
        """A turn that has just been sent."""
        return cls(TurnPhase.SENDING, text)

    @property
    def running(self) -> bool:
        """Whether a turn is under way (no other session action may start)."""
        return self.phase is not TurnPhase.IDLE

    @property
    def saved(self) -> bool:
        """Whether the person's message reached the log."""
        return self.phase not in (TurnPhase.IDLE, TurnPhase.SENDING)

    def after(self, event: TurnEvent) -> TurnState:
        """The state once `event` has happened."""
        phase = self.phase
        if isinstance(event, MessageSaved) and event.message.role == "user":
            if phase is TurnPhase.SENDING:
                return dataclasses.replace(self, phase=TurnPhase.WAITING)
        elif isinstance(event, ReplyStarted):
            return dataclasses.replace(self, phase=TurnPhase.REPLYING, model=event.model, tool=None)
        elif isinstance(event, ToolCalled):
            return dataclasses.replace(self, phase=TurnPhase.TOOL, tool=event.name)
        elif isinstance(event, ToolFinished):
            return dataclasses.replace(self, phase=TurnPhase.REPLYING, tool=None)
        elif isinstance(event, TurnFailed):
            return dataclasses.replace(self, phase=TurnPhase.FAILED, error=event.error.sentence())
        return self


@dataclass(frozen=True)
class TurnEnd:
    """What a face does once a turn is over."""

    give_back: str | None
    """Text to put back in the prompt: the turn failed, or never reached the log."""
    failure: str | None
    """A failure nobody has reported yet (the turn broke outside the model call)."""
    stopped: bool
    """The person stopped the reply."""
