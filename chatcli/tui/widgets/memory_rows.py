"""MemoryRows: user memory ("Everywhere") as a virtual list, two lines an entry.

Line 1: `key = value`. Lines 2 and 3: where it came from ("from 'Trip to Lisbon',
2 days ago, by the model"), wrapped to the pane's width. Its keys (edit, forget, add, undo, open the session it came
from) come from the command table (`commands.registry`, where = "memory"); each
posts `MemoryRows.Asked` for the screen to act on.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.message import Message

from chatcli.chat.memory_desk import Shown
from chatcli.tui.commands.bindings import bindings_for
from chatcli.tui.widgets.row_list import RowList


class MemoryRows(RowList):
    """What every session sees; Enter or e edits the highlighted entry."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("memory"))

    class Asked(Message):
        """The person asked to `action` ("edit", "forget", "add", "undo", "open") on `entry`."""

        def __init__(self, action: str, entry: Shown | None) -> None:
            super().__init__()
            self.action = action
            self.entry = entry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(row_height=3, empty_text="Nothing yet (a adds one).", id=id)
        self.entries: Sequence[Shown] = ()

    def show(self, entries: Sequence[Shown]) -> None:
        """Show these entries, keeping the highlighted key where it still is."""
        current = self.highlighted_entry
        self.entries = entries
        keep = next((i for i, e in enumerate(entries) if current and e.key == current.key), None)
        self.set_row_count(len(entries), keep=keep)

    @property
    def highlighted_entry(self) -> Shown | None:
        index = self.highlighted
        return self.entries[index] if index is not None and index < len(self.entries) else None

    def row_text(self, index: int, line: int, width: int) -> Text:
        entry = self.entries[index]
        if line == 0:
            return Text.assemble((f" {entry.key}", "bold"), " = ", (entry.value, "green"))
        wrapped = textwrap.wrap(entry.origin, max(8, width - 3), max_lines=2, placeholder=" …")
        said = wrapped[line - 1] if line - 1 < len(wrapped) else ""
        return Text(f"   {said}", style=self.dim_style())

    def _ask(self, action: str) -> None:
        self.post_message(self.Asked(action, self.highlighted_entry))

    def action_select(self) -> None:
        self._ask("edit")

    def action_edit(self) -> None:
        self._ask("edit")

    def action_forget(self) -> None:
        self._ask("forget")

    def action_add(self) -> None:
        self._ask("add")

    def action_undo(self) -> None:
        self._ask("undo")

    def action_open_origin(self) -> None:
        self._ask("open")
