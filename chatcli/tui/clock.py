"""An injectable clock, and the short ages and times the TUI shows.

Snapshot tests pass a frozen clock so "5m ago" renders the same every run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns "now" as an aware datetime; its tzinfo is the zone times are shown in."""


def system_clock() -> datetime:
    """The real time, in the local zone."""
    return datetime.now(UTC).astimezone()


def parse_ts(text: str) -> datetime | None:
    """A log timestamp (ISO 8601, `Z` for UTC) as an aware datetime, or None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def age(ts: str, now: datetime) -> str:
    """How long ago `ts` was, in a few characters: `now`, `5m`, `3h`, `2d`, `6w`, `2023-04-01`."""
    when = parse_ts(ts)
    if when is None:
        return "?"
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "now"
    minutes = seconds / 60
    if minutes < 60:
        return f"{int(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{int(hours)}h"
    days = hours / 24
    if days < 14:
        return f"{int(days)}d"
    if days < 120:
        return f"{int(days // 7)}w"
    return when.astimezone(now.tzinfo).strftime("%Y-%m-%d")


def clock_time(ts: str, now: datetime) -> str:
    """`14:03` today, `Mar 04 14:03` another day, in the clock's zone."""
    when = parse_ts(ts)
    if when is None:
        return "?"
    local = when.astimezone(now.tzinfo)
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%b %d %H:%M")
    return local.strftime("%Y-%m-%d")
