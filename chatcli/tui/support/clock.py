"""An injectable clock, and the clock times the TUI shows.

Snapshot tests pass a frozen clock so "5m ago" renders the same every run.
Ages (`5m`, `3h`) come from `chatcli.session.times`, shared with the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chatcli.session.times import parse_ts

Clock = Callable[[], datetime]
"""Returns "now" as an aware datetime; its tzinfo is the zone times are shown in."""


def system_clock() -> datetime:
    """The real time, in the local zone."""
    return datetime.now(UTC).astimezone()


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
