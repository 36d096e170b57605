"""User memory in words: where an entry came from, what a change did (CLI and TUI alike)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chatcli.session.records import MemoryRecord
from chatcli.session.times import parse_ts
from chatcli.session.user_memory import BY_WORDS, Entry

TITLE_CHARS = 28
"""A session's title is cut to this many characters where an entry says where it came from."""


def ago(ts: str, now: datetime) -> str:
    """`just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`, or the date."""
    when = parse_ts(ts)
    if when is None:
        return "at an unknown time"
    seconds = (now - when).total_seconds()
    for size, unit in ((86400 * 14, None), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            if unit is None:
                return f"on {when.astimezone(now.tzinfo).strftime('%Y-%m-%d')}"
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def by_words(by: str) -> str:
    """`by the model`, `by you`, … (an unknown `by` is named as it is)."""
    return BY_WORDS.get(by, f"by {by}")


def origin(record: MemoryRecord, titles: Mapping[str, str], now: datetime) -> str:
    """`from 'Trip to Lisbon', 2 days ago, by the model`."""
    parts: list[str] = []
    if record.session:
        title = titles.get(record.session) or record.session
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1].rstrip() + "…"
        parts.append(f"from {title!r}")
    parts.append(ago(record.ts, now))
    parts.append(by_words(record.by))
    return ", ".join(parts)


def change_words(record: MemoryRecord) -> str:
    """What one memory line did: `city = Lisbon`, `forgot city`, `undid #3 (city: unset)`."""
    said = []
    for change in record.changes:
        key = change.path.removeprefix("facts.")
        if change.new is None:
            said.append(f"{key}: unset" if record.undoes else f"forgot {key}")
        else:
            said.append(f"{key} = {_value(change.new)}")
    text = ", ".join(said) or "no change"
    return f"undid #{record.undoes} ({text})" if record.undoes else text


def entry_line(entry: Entry, titles: Mapping[str, str], now: datetime) -> str:
    """One line of `chatcli memory list`."""
    return f"{entry.key} = {_value(entry.value)}    ({origin(entry.record, titles, now)})"


def _value(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
