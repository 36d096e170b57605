"""SessionRows: sessions as a virtual list, two lines each (title; age and size)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from chatcli.session import SessionSummary
from chatcli.session.times import age
from chatcli.tui.support.clock import Clock, system_clock
from chatcli.tui.widgets.row_list import RowList


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

    def show(self, summaries: Sequence[SessionSummary], *, keep_id: str | None = None) -> None:
        """Show these sessions; keep the highlight on `keep_id` when it is listed."""
        self.summaries = summaries
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
        if line == 0:
            mark = "● " if summary.id == self.current else "  "
            title = summary.title or summary.id
            return Text(f"{mark}{title}", style="bold" if summary.id == self.current else "")
        now = self.clock()
        when = age(summary.updated, now) if summary.updated else "?"
        noun = "message" if summary.messages == 1 else "messages"
        detail = summary.problem or f"{when} · {summary.messages} {noun}"
        return Text(f"    {detail}", style=self.dim_style())
