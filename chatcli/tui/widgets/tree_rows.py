"""TreeRows: a session's tree, folded to one line per branch, as a virtual list.

Each row is a linear run of messages (from one branch point to the next): its
guides, ● for the active branch (○ for the others), its first words, how many
messages it holds and when it started; forks appear as ⑂ rows. Only visible
rows are turned into text, so hundreds of branches cost what a screenful does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text

from chatcli.session.tree_rows import TreeRow
from chatcli.tui.support.clock import Clock, clock_time, system_clock
from chatcli.tui.widgets.row_list import RowList

ROLE_MARKS = {"user": "You", "assistant": "AI", "tool": "Tool", "system": "Sys"}


class TreeRows(RowList):
    """The folded tree, one row per branch (and per fork)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *RowList.COMPONENT_CLASSES,
        "tree-rows--active",
        "tree-rows--fork",
    }

    def __init__(self, *, clock: Clock = system_clock, id: str | None = None) -> None:
        super().__init__(row_height=1, empty_text="No messages yet.", id=id)
        self.clock = clock
        self.rows: Sequence[TreeRow] = ()

    def show(self, rows: Sequence[TreeRow], *, keep: int | None = None) -> None:
        """Show these rows, highlighting row `keep` (or the first)."""
        self.rows = rows
        self.set_row_count(len(rows), keep=keep)

    @property
    def highlighted_row(self) -> TreeRow | None:
        index = self.highlighted
        return self.rows[index] if index is not None and index < len(self.rows) else None

    def row_text(self, index: int, line: int, width: int) -> Text:
        row = self.rows[index]
        dim = self.dim_style()
        active = self.get_component_rich_style("tree-rows--active", partial=True)
        if row.fork is not None:
            title = f" {row.fork.title}" if row.fork.title else ""
            return Text.assemble(
                (row.prefix, dim),
                ("⑂ fork ", self.get_component_rich_style("tree-rows--fork", partial=True)),
                (row.fork.session, "bold"),
                (f"{title} · from #{row.run.last}", dim),
            )
        run = row.run
        count = f"{run.count} msg{'' if run.count == 1 else 's'}"
        return Text.assemble(
            (row.prefix, dim),
            ("● " if row.active else "○ ", active if row.active else dim),
            (f"{ROLE_MARKS.get(row.role, row.role)}: ", "bold"),
            (row.words, "bold" if row.active else ""),
            (f"  {count} · {clock_time(row.ts, self.clock())}", dim),
        )
