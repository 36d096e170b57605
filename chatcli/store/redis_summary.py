"""A session's summary as a Redis hash, and how an append changes it.

The hash holds the fields of `SessionSummary` (None values left out) and `len`,
the log length it describes; a listing trusts it only while `len` is current.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from chatcli.session.records import (
    BranchRecord,
    ChatMessage,
    MetaRecord,
    Record,
    RestoreRecord,
    SessionRecord,
)
from chatcli.session.summary import SessionSummary
from chatcli.session.times import parse_ts

Arg = str | int | float | bytes
"""One argument of a Redis command or script."""

_OPTIONAL = ("model", "agent", "parent")


def summary_fields(summary: SessionSummary) -> list[Arg]:
    """A summary as flat hash field/value pairs (None values are left out)."""
    fields: list[Arg] = ["title", summary.title, "created", summary.created]
    fields += ["updated", summary.updated, "messages", summary.messages]
    for name in _OPTIONAL:
        value = getattr(summary, name)
        if value is not None:
            fields += [name, value]
    return fields


def cached_summary(session_id: str, raw: dict[bytes, bytes], length: int) -> SessionSummary | None:
    """The cached summary if it describes a log of `length` lines, else None."""
    data = {k.decode(): v.decode() for k, v in raw.items()}
    try:
        if int(data.get("len", -1)) != length:
            return None
        return SessionSummary(
            id=session_id,
            title=data["title"],
            model=data.get("model"),
            agent=data.get("agent"),
            created=data["created"],
            updated=data["updated"],
            messages=int(data["messages"]),
            parent=data.get("parent"),
        )
    except (KeyError, ValueError):
        return None


def summary_patch(records: Sequence[Record]) -> tuple[int, list[Arg]]:
    """How appending `records` changes a summary: more messages and new meta fields.

    -1 when it cannot be known without a replay (a restore or a branch moves the view)."""
    delta = 0
    fields: dict[str, str] = {}
    for record in records:
        if isinstance(record, ChatMessage):
            delta += 1
        elif isinstance(record, MetaRecord):
            for name in ("title", "model", "agent"):
                value = getattr(record, name)
                if value is not None:
                    fields[name] = value
        elif isinstance(record, RestoreRecord | BranchRecord | SessionRecord):
            return -1, []
    return delta, [item for pair in fields.items() for item in pair]


def score(ts: str) -> float:
    """A record's timestamp as epoch seconds (now, if it cannot be read)."""
    when = parse_ts(ts)
    return when.timestamp() if when is not None else time.time()
