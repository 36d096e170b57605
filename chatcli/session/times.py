"""Log timestamps: parsing them, and how long ago one was, in a few characters."""

from __future__ import annotations

from datetime import datetime


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
