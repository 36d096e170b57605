"""One line per session for listings: what `chatcli sessions list` shows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from chatcli.session.replay import View


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A session at a glance."""

    id: str
    title: str
    model: str | None
    agent: str | None
    created: str
    updated: str
    messages: int
    parent: str | None = None
    problem: str | None = None
    """Why the log could not be read, when it could not."""

    @classmethod
    def unreadable(cls, session_id: str, problem: str) -> SessionSummary:
        """The summary of a log that cannot be replayed, saying why."""
        return cls(
            id=session_id,
            title="(unreadable)",
            model=None,
            agent=None,
            created="",
            updated="",
            messages=0,
            problem=problem,
        )

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (every field is a str, int or None)."""
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(SessionSummary))


def summarize(view: View) -> SessionSummary:
    """The summary of a replayed session."""
    header = view.header
    return SessionSummary(
        id=header.id,
        title=view.title,
        model=view.model,
        agent=view.agent,
        created=header.created,
        updated=view.updated,
        messages=view.message_count,
        parent=header.parent.session if header.parent else None,
    )
