"""Slash commands typed in the prompt: parsing `/name arg`, and `//` for a literal slash."""

from __future__ import annotations

from dataclasses import dataclass

from chatcli.errors import ChatcliError
from chatcli.tui.commands.registry import BY_SLASH, Command


@dataclass(frozen=True)
class Invocation:
    """A parsed slash command and the text after it."""

    command: Command
    arg: str


def parse_slash(text: str) -> Invocation | None:
    """`/rename My title` → Invocation; None for ordinary text.

    A line starting with `//` is sent as text (minus one slash); an unknown
    command is a ChatcliError, so a typo is never sent to the model.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    name, _, arg = stripped[1:].partition(" ")
    command = BY_SLASH.get(name.lower())
    if command is None:
        raise ChatcliError(
            f"Unknown command /{name}.",
            "Type /help for the list (start with // to send a slash).",
        )
    return Invocation(command, arg.strip())


def unescape(text: str) -> str:
    """Text to send: a leading `//` becomes `/`."""
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("//") else text
