"""HelpScreen (F1): every command once: its keys, what it does, its slash command, its id.

The columns run from most to least needed, so a narrow terminal cuts the id
(for remapping in config), never what a key does; the table scrolls sideways.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from chatcli.tui.commands.registry import COMMANDS, keys_for
from chatcli.tui.support.keys import key_display


class HelpScreen(ModalScreen[None]):
    """Keys (with the ids to remap them in config) and slash commands."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close", id="help-close"),
    ]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__(classes="help-screen")
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Keys and commands", classes="dialog-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                'Esc closes · remap a key by its id in config.toml: [keymap] checkpoint = "ctrl+k"',
                id="help-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "What it does", "Command", "Id")
        for command in COMMANDS:
            keys = key_display(keys_for(command.id, self.keymap)).split(", ")
            table.add_row(
                "\n".join(keys), command.help, command.usage, command.id, height=len(keys)
            )
        table.focus()
