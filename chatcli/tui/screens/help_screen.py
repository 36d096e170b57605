"""HelpScreen (F1): every key binding with its id, and the slash commands."""

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
                'Remap a key in config.toml:  [keymap]  checkpoint = "ctrl+k"   ·   Esc closes',
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Id (for the keymap)", "What it does")
        for command in COMMANDS:
            keys = keys_for(command.id, self.keymap)
            table.add_row(key_display(keys), command.id, command.tooltip)
        for command in COMMANDS:
            if command.usage:
                table.add_row(command.usage, "(type in the prompt)", command.help)
        table.focus()
