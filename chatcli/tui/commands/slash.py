"""Slash commands typed in the prompt: parsing `/name arg`, and `//` for a literal slash."""

from __future__ import annotations

from dataclasses import dataclass

from chatcli.errors import ChatcliError
from chatcli.tui.commands.registry import BY_SLASH, COMMANDS, Command


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


def completions(text: str) -> list[Command]:
    """The slash commands `text` could be the start of (`/re` → restore, rename).

    Only while the prompt holds one word starting with `/` (not `//`): once there is a
    space, the command is chosen and its argument is being typed.
    """
    if not text.startswith("/") or text.startswith("//") or any(c.isspace() for c in text):
        return []
    typed = text[1:].lower()
    slash = [c for c in COMMANDS if c.slash]
    starts = [c for c in slash if c.slash.startswith(typed)]
    inside = [c for c in slash if typed in c.slash and c not in starts]
    return starts + inside


def completed(command: Command) -> str:
    """What the prompt holds once `command` is picked: `/rename ` ready for its argument."""
    return f"/{command.slash} " if command.args else f"/{command.slash}"
