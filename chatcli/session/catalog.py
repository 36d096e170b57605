"""Operations over all sessions in a store: list, search, prune."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from chatcli.errors import ChatcliError
from chatcli.session.replay import replay
from chatcli.session.store import Store
from chatcli.session.summary import SessionSummary
from chatcli.session.times import parse_ts

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def list_sessions(
    store: Store, *, search: str | None = None, limit: int | None = None
) -> list[SessionSummary]:
    """Sessions newest first; `search` matches titles and message content."""
    found = sorted(store.summaries(), key=lambda s: s.updated, reverse=True)
    if search:
        found = [s for s in found if matches(store, s, search)]
    return found[:limit] if limit is not None else found


def matches(store: Store, summary: SessionSummary, text: str) -> bool:
    """Whether a session's title or any message in its active view contains `text`."""
    needle = text.casefold()
    if needle in summary.title.casefold() or needle in summary.id.casefold():
        return True
    if summary.problem:
        return False
    records, _ = store.read(summary.id)
    return any(needle in m.content.casefold() for m in replay(records).messages())


def parse_duration(text: str) -> timedelta:
    """`30d`, `12h`, `2w`, `1d12h` → a timedelta; ChatcliError otherwise."""
    cleaned = text.strip().lower()
    parts = _DURATION.findall(cleaned)
    if not parts or _DURATION.sub("", cleaned).strip():
        raise ChatcliError(
            f"{text!r} is not a duration.", "Use a number and a unit: 45m, 12h, 30d or 2w."
        )
    return sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())


def stale_sessions(
    store: Store, older_than: timedelta, now: datetime | None = None
) -> list[SessionSummary]:
    """Sessions last updated before `now - older_than`, oldest first."""
    cutoff = (now or datetime.now(UTC)) - older_than
    old = [s for s in store.summaries() if (parse_ts(s.updated) or cutoff) < cutoff]
    return sorted(old, key=lambda s: s.updated)
