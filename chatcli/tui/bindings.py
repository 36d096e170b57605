"""Every key binding, with an id users can remap in config (`keymap = {id = "keys"}`).

Kept in one table so the F1 help screen and the README list the same keys the
widgets use. Ids are stable: they are the names users put in their keymap.
"""

from __future__ import annotations

from textual.binding import Binding

APP: list[Binding] = [
    Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Quit chatcli", priority=True),
    Binding(
        "ctrl+p",
        "command_palette",
        "Commands",
        id="command-palette",
        tooltip="Search every command",
        show=False,
        priority=True,
    ),
]
"""App-wide keys."""

CHAT: list[Binding] = [
    Binding(
        "escape",
        "cancel_reply",
        "Stop",
        id="cancel",
        tooltip="Stop the reply (kept, marked interrupted)",
    ),
    Binding("ctrl+s", "checkpoint", "Checkpoint", id="checkpoint", tooltip="Save a checkpoint now"),
    Binding("ctrl+r", "restore", "Restore", id="restore", tooltip="Pick a checkpoint to restore"),
    Binding(
        "ctrl+o",
        "fork",
        "Fork",
        id="fork",
        tooltip="Continue in a new session from here",
        show=False,
    ),
    Binding("ctrl+n", "new_session", "New", id="new", tooltip="Start a new session", show=False),
    Binding("f2", "rename", "Rename", id="rename", tooltip="Give this session a title", show=False),
    Binding("f3", "model", "Model", id="model", tooltip="Use another model", show=False),
    Binding(
        "f4",
        "export",
        "Export",
        id="export",
        tooltip="Write the conversation to a Markdown file",
        show=False,
    ),
    Binding(
        "f5",
        "edit_state",
        "Edit state",
        id="edit-state",
        tooltip="Edit the session's state as JSON",
        show=False,
    ),
    Binding(
        "ctrl+b",
        "toggle_pane('sidebar')",
        "Sessions",
        id="toggle-sessions",
        tooltip="Show or hide the sessions sidebar",
    ),
    Binding(
        "ctrl+t",
        "toggle_pane('state')",
        "State",
        id="toggle-state",
        tooltip="Show or hide the state pane",
        show=False,
    ),
    Binding(
        "ctrl+g",
        "toggle_pane('checkpoints')",
        "Checkpoints",
        id="toggle-checkpoints",
        tooltip="Show or hide the checkpoints pane",
        show=False,
    ),
    Binding(
        "ctrl+l",
        "focus_prompt",
        "Prompt",
        id="focus-prompt",
        tooltip="Put the cursor in the prompt",
        show=False,
    ),
    Binding("f1", "help", "Help", id="help", tooltip="Keys and commands"),
]
"""Keys of the chat screen."""

PROMPT: list[Binding] = [
    Binding("enter", "submit", "Send", id="send", tooltip="Send the prompt"),
    Binding(
        "ctrl+j,shift+enter,alt+enter",
        "newline",
        "New line",
        id="newline",
        tooltip="Insert a line break in the prompt",
        show=False,
    ),
    Binding(
        "up",
        "history_back",
        "Earlier prompt",
        id="history-back",
        tooltip="On an empty prompt: recall earlier prompts",
        show=False,
    ),
    Binding(
        "down",
        "history_forward",
        "Later prompt",
        id="history-forward",
        tooltip="While recalling: go to a later prompt",
        show=False,
    ),
]
"""Keys of the prompt."""

ALL: list[Binding] = [*PROMPT, *CHAT, *APP]
"""Every binding, in the order the help screen lists them."""
