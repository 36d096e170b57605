"""Slash commands typed in the prompt: the table, and the parser.

Each command names a screen action, so `/checkpoint`, its key binding and its
command-palette entry all run the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatcli.errors import ChatcliError


@dataclass(frozen=True)
class SlashCommand:
    """One slash command: how it is typed and what it does."""

    name: str
    args: str
    description: str
    action: str
    """The ChatScreen action it runs (`checkpoint` runs `action_checkpoint`)."""


SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        "checkpoint", "[label]", "Save a checkpoint of the conversation now", "checkpoint"
    ),
    SlashCommand("restore", "", "Pick a checkpoint to roll back (or forward) to", "restore"),
    SlashCommand("fork", "", "Continue in a new session that starts from here", "fork"),
    SlashCommand("new", "", "Start a new session", "new_session"),
    SlashCommand("rename", "TITLE", "Give this session a title", "rename"),
    SlashCommand("model", "NAME", "Use another model from the next reply on", "model"),
    SlashCommand("export", "[md|json]", "Write the conversation to a file", "export"),
    SlashCommand("help", "", "Show keys and commands", "help"),
)

_BY_NAME = {c.name: c for c in SLASH_COMMANDS}


@dataclass(frozen=True)
class Invocation:
    """A parsed slash command and the text after it."""

    command: SlashCommand
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
    command = _BY_NAME.get(name.lower())
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
