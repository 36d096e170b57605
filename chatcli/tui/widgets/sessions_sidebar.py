"""SessionsSidebar: every session on disk, newest first; type to search their content."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from chatcli.session import SessionSummary
from chatcli.tui.support.clock import Clock, system_clock
from chatcli.tui.support.marks import SESSIONS_LISTED, mark
from chatcli.tui.widgets.row_list import RowList
from chatcli.tui.widgets.session_rows import SessionRows

Lister = Callable[[str | None], list[SessionSummary]]
"""Lists sessions newest first, matching a search over their content (or all)."""


class SessionsSidebar(Vertical):
    """A filter box over a virtual list of sessions. Enter opens the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "screen.focus_prompt", "Back", id="sessions-back", show=False),
    ]

    class SessionChosen(Message):
        """The person chose a session to open."""

        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    class FirstListed(Message):
        """The first listing is on screen (the model layer may load now)."""

    class Listed(Message):
        """A listing (maybe filtered) arrived from the worker."""

        def __init__(self, search: str, summaries: list[SessionSummary]) -> None:
            super().__init__()
            self.search = search
            self.summaries = summaries

    def __init__(
        self,
        lister: Lister,
        *,
        clock: Clock = system_clock,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.lister = lister
        self.clock = clock
        self._debounce: Timer | None = None
        self._listed = False

    def compose(self) -> ComposeResult:
        yield Static("Sessions", classes="pane-title")
        yield Input(placeholder="Search…", id="session-search")
        yield SessionRows(clock=self.clock, id="session-rows")

    @property
    def rows(self) -> SessionRows:
        return self.query_one(SessionRows)

    @property
    def search(self) -> str:
        return self.query_one(Input).value.strip()

    def mark_current(self, session_id: str | None) -> None:
        """Mark the open session in the list."""
        if self.rows.current != session_id:
            self.rows.current = session_id
            self.rows.refresh()

    def reload(self) -> None:
        """List sessions again (after a turn, a rename, a new session…)."""
        self._list(self.search)

    @work(thread=True, exclusive=True, group="sidebar-list", exit_on_error=False)
    def _list(self, search: str) -> None:
        summaries = self.lister(search or None)
        self.post_message(self.Listed(search, summaries))

    @on(Listed)
    def _show(self, event: Listed) -> None:
        event.stop()
        if event.search != self.search:
            return  # a newer search is on its way
        rows = self.rows
        keep = rows.highlighted_summary.id if rows.highlighted_summary else rows.current
        rows.show(event.summaries, keep_id=keep)
        if not self._listed:
            self._listed = True
            self.call_after_refresh(mark, SESSIONS_LISTED, self.app)
            self.post_message(self.FirstListed())

    @on(Input.Changed, "#session-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.2, self.reload)

    @on(Input.Submitted, "#session-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.rows.focus()

    @on(RowList.Selected, "#session-rows")
    def _chosen(self, event: RowList.Selected) -> None:
        event.stop()
        summary = self.rows.highlighted_summary
        if summary is not None and not summary.problem:
            self.post_message(self.SessionChosen(summary.id))
        elif summary is not None:
            self.notify(summary.problem or "", title="Cannot open", severity="error")

    def on_key(self, event: events.Key) -> None:
        """Typing while the list has focus goes to the search box."""
        search = self.query_one(Input)
        if self.rows.has_focus and event.is_printable and event.character:
            event.stop()
            search.focus()
            search.insert_text_at_cursor(event.character)
