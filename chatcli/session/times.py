"""Log timestamps: parsing them, and how long ago one was, in a few characters."""

from __future__ import annotations

import re
from datetime import datetime

_YEAR = r"(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})"
_LEAP_YEAR = r"(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))"
)
TIMESTAMP = (
    rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
"""ISO 8601 with seconds and a zone, exactly the strings `datetime.fromisoformat`
reads as an aware time (checked in pydantic-core, so it costs nothing per line)."""

_TIMESTAMP = re.compile(TIMESTAMP)


def is_timestamp(text: str) -> bool:
    """Whether `text` is a timestamp a log line may carry (see TIMESTAMP)."""
    return _TIMESTAMP.fullmatch(text) is not None


def parse_ts(text: str) -> datetime | None:
    """A log timestamp (ISO 8601, `Z` for UTC) as an aware datetime; None if it is not one."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def age(ts: str, now: datetime) -> str:
    """How long before `now` `ts` was: `now`, `5m`, `3h`, `2d`, `6w`, or the date.

    `?` when `ts` is not a timestamp. `now` is aware; its zone is the one dates are shown in.
    """
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
    try:
        local = when.astimezone(now.tzinfo)
    except OverflowError:  # year 1 (or 9999) moved across a zone leaves the calendar
        local = when
    return local.strftime("%Y-%m-%d")
