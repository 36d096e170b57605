"""Every command of the chat window, defined once.

One `Command` feeds its key binding (with the id users remap in config:
`[keymap] checkpoint = "ctrl+k"`), its slash command, its command-palette
entry and its line in the F1 help. Ids are stable: they are what people put in
their keymap. No Textual here: `commands.bindings` turns the table into
Textual bindings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Where = Literal["chat", "prompt", "app", "memory"]
"""Who handles the key: the chat screen (by command id), the prompt, the app, or the
user-memory list ("Everywhere" in the state pane; by its action)."""


@dataclass(frozen=True)
class Command:
    """One thing a person can do, and every way to ask for it."""

    id: str
    """Stable id: the keymap key, and what the chat screen dispatches on."""
    keys: str
    """Default keys, comma-separated (`ctrl+j,shift+enter`)."""
    label: str
    """Short name in the footer (`Checkpoint`)."""
    tooltip: str
    """What the key does, in one line (footer tooltip, F1 help)."""
    description: str = ""
    """What the command does, for the palette and `/help` (the tooltip if empty)."""
    slash: str = ""
    """Name of its slash command (`checkpoint` for `/checkpoint`), if it has one."""
    args: str = ""
    """What the slash command takes (`[label]`, `TITLE`)."""
    palette: str = ""
    """Title in the command palette; slash commands use their usage. Empty: not listed."""
    show: bool = False
    """Shown in the footer."""
    where: Where = "chat"
    action: str = ""
    """The Textual action, for prompt and app keys (chat commands run by id)."""
    priority: bool = False

    @property
    def usage(self) -> str:
        """`/checkpoint [label]`, or "" when there is no slash command."""
        return f"/{self.slash} {self.args}".strip() if self.slash else ""

    @property
    def help(self) -> str:
        """The longer description (palette, slash-command help)."""
        return self.description or self.tooltip

    @property
    def palette_title(self) -> str:
        """How the command palette lists it ("" when it does not)."""
        return self.palette or self.usage


COMMANDS: tuple[Command, ...] = (
    # -- the prompt --
    Command("send", "enter", "Send", "Send the prompt", where="prompt", action="submit", show=True),
    Command(
        "newline",
        "ctrl+j,shift+enter,alt+enter",
        "New line",
        "Insert a line break in the prompt",
        where="prompt",
        action="newline",
    ),
    Command(
        "history-back",
        "up",
        "Earlier prompt",
        "On an empty prompt: recall earlier prompts",
        where="prompt",
        action="history_back",
    ),
    Command(
        "history-forward",
        "down",
        "Later prompt",
        "While recalling: go to a later prompt",
        where="prompt",
        action="history_forward",
    ),
    Command(
        "scroll-up",
        "pageup",
        "Page up",
        "Scroll the conversation up a page (earlier messages load at the top)",
        where="prompt",
        action="scroll_conversation(-1)",
    ),
    Command(
        "scroll-down",
        "pagedown",
        "Page down",
        "Scroll the conversation down a page",
        where="prompt",
        action="scroll_conversation(1)",
    ),
    # -- the chat screen --
    Command("cancel", "escape", "Stop", "Stop the reply (kept, marked interrupted)", show=True),
    Command(
        "checkpoint",
        "ctrl+s",
        "Checkpoint",
        "Save a checkpoint now",
        "Save a checkpoint of the conversation now",
        slash="checkpoint",
        args="[label]",
        show=True,
    ),
    Command(
        "restore",
        "ctrl+r",
        "Restore",
        "Pick a checkpoint to restore",
        "Pick a checkpoint to roll back (or forward) to",
        slash="restore",
        args="[N]",
        show=True,
    ),
    Command(
        "fork",
        "ctrl+o",
        "Fork",
        "Continue in a new session from here",
        "Continue in a new session that starts from here",
        slash="fork",
    ),
    Command("new", "ctrl+n", "New", "Start a new session", slash="new"),
    Command(
        "search",
        "ctrl+f",
        "Search",
        "Search every message of every session",
        "Find any message of any session and open it there",
        slash="search",
        args="[words]",
    ),
    Command("rename", "f2", "Rename", "Give this session a title", slash="rename", args="TITLE"),
    Command(
        "model",
        "f3",
        "Model",
        "Use another model",
        "Use another model from the next reply on",
        slash="model",
        args="NAME",
    ),
    Command(
        "export",
        "f4",
        "Export",
        "Write the conversation to a Markdown file",
        "Write the conversation to a file",
        slash="export",
        args="[md|json]",
    ),
    Command(
        "edit-state", "f5", "Edit state", "Edit the session's state as JSON", palette="Edit state"
    ),
    Command(
        "compact",
        "f6",
        "Compact",
        "Summarise older messages now",
        "Summarise all but the last turn, so requests take less of the model's context "
        "(the messages stay in the log; a restore from before undoes it)",
        slash="compact",
    ),
    Command(
        "tree",
        "f9",
        "Tree",
        "History as a tree: every branch; Enter switches",
        "See every branch and switch between them",
        slash="tree",
    ),
    Command(
        "regenerate",
        "alt+r",
        "Regenerate",
        "A new reply to your last message (the old one is kept)",
        "A new reply to your last message (new branch)",
        slash="regenerate",
    ),
    Command(
        "edit-message",
        "f10,alt+e",
        "Edit",
        "Edit the selected (or last) message of yours and send it again",
        "Edit a message of yours and send it again",
        slash="edit",
        args="[N]",
    ),
    Command(
        "select-message",
        "alt+up",
        "Select",
        "Select a message (then ↑↓, Enter edits yours, Esc back)",
        "Pick a message (↑↓; Enter edits one of yours)",
        palette="Select a message",
    ),
    Command(
        "branch-previous",
        "alt+left",
        "Prev version",
        "Show the previous version of a message",
        palette="Previous version of a message",
    ),
    Command(
        "branch-next",
        "alt+right",
        "Next version",
        "Show the next version of a message",
        palette="Next version of a message",
    ),
    Command(
        "toggle-sessions",
        "ctrl+b",
        "Sessions",
        "Show or hide the sessions sidebar",
        "Show or hide the list of sessions",
        palette="Toggle sessions sidebar",
        show=True,
    ),
    Command(
        "toggle-state",
        "ctrl+t",
        "State",
        "Show or hide the state pane",
        "Show or hide the live state",
        palette="Toggle state pane",
    ),
    Command(
        "toggle-checkpoints",
        "ctrl+g",
        "Checkpoints",
        "Show or hide the checkpoints pane",
        "Show or hide the checkpoints",
        palette="Toggle checkpoints pane",
    ),
    Command(
        "memory",
        "f8",
        "Memory",
        "Go to user memory (Everywhere)",
        "Go to user memory: what every session sees",
        slash="memory",
    ),
    Command("focus-prompt", "ctrl+l", "Prompt", "Put the cursor in the prompt"),
    Command(
        "help",
        "f1",
        "Help",
        "Keys and commands",
        "Show keys and commands",
        slash="help",
        show=True,
    ),
    # -- the user-memory list (Everywhere, in the state pane) --
    Command(
        "memory-edit",
        "e",
        "Edit",
        "In Everywhere: edit the entry (Enter too)",
        where="memory",
        action="edit",
    ),
    Command(
        "memory-forget",
        "d,delete",
        "Forget",
        "In Everywhere: forget the entry everywhere",
        where="memory",
        action="forget",
    ),
    Command(
        "memory-add",
        "a",
        "Add",
        "In Everywhere: remember a new key = value",
        where="memory",
        action="add",
    ),
    Command(
        "memory-undo",
        "u",
        "Undo",
        "In Everywhere: undo the last memory change",
        where="memory",
        action="undo",
    ),
    Command(
        "memory-open",
        "o",
        "Open its session",
        "In Everywhere: open the session it came from",
        where="memory",
        action="open_origin",
    ),
    # -- the app --
    Command(
        "quit",
        "ctrl+q",
        "Quit",
        "Quit chatcli",
        where="app",
        action="quit",
        show=True,
        priority=True,
    ),
    Command(
        "command-palette",
        "ctrl+p",
        "Commands",
        "Search every command",
        where="app",
        action="command_palette",
        priority=True,
    ),
)
"""Every command, in the order the help screen lists them."""

BY_ID = {c.id: c for c in COMMANDS}
BY_SLASH = {c.slash: c for c in COMMANDS if c.slash}


def commands_for(where: Where) -> list[Command]:
    """The commands one part of the window handles."""
    return [c for c in COMMANDS if c.where == where]


def keys_for(command_id: str, keymap: dict[str, str]) -> str:
    """The keys bound to a command after the person's keymap (`ctrl+r` or `ctrl+z,f9`)."""
    return keymap.get(command_id, BY_ID[command_id].keys).replace(" ", "")
