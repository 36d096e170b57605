"""Short text for narrow places: one line of a message, counts with their nouns."""

from __future__ import annotations

from chatcli.session.chain import last_user_message
from chatcli.session.replay import Node


def one_line(text: str, width: int = 80) -> str:
    """The first non-empty line of `text`, cut to `width` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


def plural(count: int, noun: str) -> str:
    """`1 message`, `3 messages`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def turn_preview(head: Node | None, width: int = 80) -> str:
    """One line about the turn a chain ends with: its user message."""
    prompt = last_user_message(head)
    return one_line(prompt.content, width) if prompt else "(empty conversation)"
