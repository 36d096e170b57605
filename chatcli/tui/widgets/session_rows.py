"""SessionRows: sessions as a virtual list, two lines each (title; when, size, which).

Line 1: a fork mark at the front (so truncation never hides it) and the title,
or the id of a session whose log cannot be read. Line 2: when it was last
updated and how many messages it holds, plus the short id when another listed
session has the same title.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.text import Text

from chatcli.session import SessionSummary
from chatcli.tui.support.clock import Clock, clock_time, system_clock
from chatcli.tui.support.text import plural
from chatcli.tui.widgets.row_list import RowList

FORK_MARK = "⑂ "
SHORT_ID = 6
"""Characters of the id shown to tell apart sessions with the same title."""


class SessionRows(RowList):
    """Every session, newest first: the title, then how old it is and how long."""

    def __init__(
        self,
        *,
        clock: Clock = system_clock,
        empty_text: str = "No sessions yet.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(row_height=2, empty_text=empty_text, name=name, id=id, classes=classes)
        self.clock = clock
        self.summaries: Sequence[SessionSummary] = ()
        self.current: str | None = None
        """The id of the session that is open (marked in the list)."""
        self._same_title: set[str] = set()

    def show(self, summaries: Sequence[SessionSummary], *, keep_id: str | None = None) -> None:
        """Show these sessions; keep the highlight on `keep_id` when it is listed."""
        self.summaries = summaries
        titles = Counter(s.title for s in summaries)
        self._same_title = {t for t, n in titles.items() if n > 1}
        keep = None
        if keep_id is not None:
            keep = next((i for i, s in enumerate(summaries) if s.id == keep_id), None)
        self.set_row_count(len(summaries), keep=keep)

    @property
    def highlighted_summary(self) -> SessionSummary | None:
        """The session under the cursor."""
        index = self.highlighted
        return self.summaries[index] if index is not None and index < len(self.summaries) else None

    def row_text(self, index: int, line: int, width: int) -> Text:
        summary = self.summaries[index]
        current = summary.id == self.current
        if line == 0:
            mark = "● " if current else "  "
            if summary.problem:
                return Text.assemble(mark, ("✖ ", "bold red"), (summary.id, "bold"))
            fork = FORK_MARK if summary.parent else ""
            title = summary.title or summary.id
            return Text(f"{mark}{fork}{title}", style="bold" if current else "")
        if summary.problem:
            return Text("    unreadable · Enter says why", style=self.dim_style())
        parts = [
            clock_time(summary.updated, self.clock()) if summary.updated else "?",
            plural(summary.messages, "message"),
        ]
        if summary.title in self._same_title:
            parts.append(summary.id[-SHORT_ID:])
        return Text("    " + " · ".join(parts), style=self.dim_style())
