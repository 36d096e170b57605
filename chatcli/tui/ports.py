"""What the TUI needs from the chat layer, as Protocols.

`chatcli.chat.engine.ChatEngine` and `chatcli.chat.workspace.Workspace` satisfy
these; tests hand in small fakes of the same shape. The types are imported for
the type checker only: the first paint needs neither pydantic nor the chat layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from chatcli.chat.events import TurnEvent
    from chatcli.config import Settings
    from chatcli.paths import Paths
    from chatcli.session import Session, SessionSummary, StateRecord


class Engine(Protocol):
    """Runs turns on one session."""

    session: Session[Any]
    model_name: str | None

    def send(self, text: str) -> AsyncIterator[TurnEvent]:
        """One turn: the events of chatcli.chat.events, in order."""
        ...

    async def edit_state(self, data: dict[str, Any]) -> StateRecord | None:
        """A user edit of the state; ChatcliError when it does not validate."""
        ...

    def set_model(self, name: str) -> None:
        """Use `name` from the next turn on (writes a meta line)."""
        ...


class Workspace(Protocol):
    """Settings, store and sessions, as built by cli.py."""

    settings: Settings
    paths: Paths

    def new_session(
        self, *, title: str = "", model: str | None = None, agent: str | None = None
    ) -> Session[Any]:
        """Create a session (this writes its file)."""
        ...

    def open_session(self, session_id: str) -> Session[Any]:
        """Load a stored session."""
        ...

    def most_recent(self) -> SessionSummary | None:
        """The session updated last, if any."""
        ...

    def sessions(self, search: str | None = None, limit: int | None = None) -> list[SessionSummary]:
        """Sessions newest first; `search` matches message content."""
        ...

    def engine_for(self, session: Session[Any]) -> Engine:
        """The chat engine for a session."""
        ...

    def model_note(self, model: str | None) -> str | None:
        """A caution to show while `model` is in use (the tiny offline model), or None."""
        ...

    def model_problem(self) -> str | None:
        """None, or how to configure a model when none is usable."""
        ...

    def export(self, session: Session[Any], fmt: str) -> str:
        """The session as `md`, `json` or `jsonl`."""
        ...

    def warm_up(self) -> None:
        """Import the model layer (slow); run in a thread after the first paint."""
        ...
