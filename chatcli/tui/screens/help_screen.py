"""HelpScreen (F1): every command once: its keys, what it does, its slash command, its id.

The columns run from most to least needed: the key, its slash command, what it
does (wrapped to the room left, so a narrow terminal never cuts it), then the
id for remapping in config: whole from 100 columns or so, cut on a narrower
terminal (the table scrolls sideways and the hint names the config key).
"""

from __future__ import annotations

import textwrap
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
        table.add_columns("Key", "Command", "What it does", "Id")
        rows = [
            (key_display(keys_for(c.id, self.keymap)).split(", "), c.usage, c.help, c.id)
            for c in COMMANDS
        ]
        key_width = max(len(key) for keys, *_ in rows for key in keys)
        usage_width = max(len(usage) for _, usage, _, _ in rows)
        id_width = max(len(command_id) for *_, command_id in rows)
        # The dialog's borders and padding, and two cells of padding per column.
        room = self.app.size.width - _DIALOG_CHROME - key_width - usage_width - 3 * _CELL_PAD
        with_ids = room - id_width - _CELL_PAD  # what is left when the ids fit too
        width = with_ids if with_ids >= _ROOMY_TEXT else max(_MIN_TEXT, room)
        for keys, usage, text, command_id in rows:
            lines = textwrap.wrap(text, width) or [""]
            table.add_row(
                "\n".join(keys),
                usage,
                "\n".join(lines),
                command_id,
                height=max(len(keys), len(lines)),
            )
        table.focus()


_DIALOG_CHROME = 14
"""Columns the dialog takes around its table: margins, border, padding, scrollbar."""

_CELL_PAD = 2
"""A DataTable cell's padding, left and right together."""

_MIN_TEXT = 20
"""Never wrap a description narrower than this."""

_ROOMY_TEXT = 30
"""With this much room for descriptions beside the ids, the ids are never cut."""
