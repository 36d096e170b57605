"""ResumeScreen (`chatcli --resume`): search sessions by content, preview, open one.

Typing searches (the search box has the focus); Up and Down move the highlight
through the matches; Enter opens the highlighted session; Esc starts a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from chatcli.errors import ChatcliError
from chatcli.session import Session, SessionSummary
from chatcli.session.chain import tail
from chatcli.session.times import age
from chatcli.tui.support.clock import Clock, system_clock
from chatcli.tui.support.text import one_line
from chatcli.tui.widgets.message_block import ROLE_LABELS
from chatcli.tui.widgets.row_list import RowList
from chatcli.tui.widgets.session_rows import SessionRows
from chatcli.tui.widgets.sessions_sidebar import Lister

Opener = Callable[[str], Session[Any]]
PREVIEW_MESSAGES = 8


def session_preview(session: Session[Any], now_text: str) -> Content:
    """The title, where it lives, and its last few messages."""
    view = session.view
    parts: list[str | tuple[str, str]] = [
        (session.title or session.id, "bold"),
        (f"\n{session.id} · {view.message_count} messages · updated {now_text}\n", "dim"),
        (f"{session.location}\n\n", "dim"),
    ]
    for message in tail(view.head, PREVIEW_MESSAGES):
        label = ROLE_LABELS.get(message.role, message.role)
        text = one_line(message.content, 300) or ("(tool calls)" if message.tool_calls else "")
        parts += [(f"{label}: ", "bold"), f"{text}\n"]
    if view.head is None:
        parts.append(("(no messages)", "dim"))
    return Content.assemble(*parts)


class ResumeScreen(Screen[str | None]):
    """Pick a session to resume; returns its id, or None for a new session."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "New session", id="resume-new"),
        Binding("enter", "open", "Open", id="resume-open"),
        Binding("up", "move(-1)", "Up", id="resume-up", show=False),
        Binding("down", "move(1)", "Down", id="resume-down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="resume-page-up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="resume-page-down", show=False),
    ]

    class Previewed(Message):
        """A session's preview was loaded."""

        def __init__(self, session_id: str, text: Content) -> None:
            super().__init__()
            self.session_id = session_id
            self.text = text

    class Listed(Message):
        """Sessions matching a search were listed."""

        def __init__(self, search: str, summaries: list[SessionSummary]) -> None:
            super().__init__()
            self.search = search
            self.summaries = summaries

    def __init__(self, lister: Lister, opener: Opener, *, clock: Clock = system_clock) -> None:
        super().__init__()
        self.lister = lister
        self.opener = opener
        self.clock = clock
        self._debounce: Timer | None = None
        self._listed_search: str | None = None
        """The search the list shows the matches of (None until the first listing)."""
        self._open_when_listed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="resume"):
            yield Static("Resume a session", classes="dialog-title")
            yield Input(
                placeholder="Type to search titles and messages · ↑↓ choose · Enter opens",
                id="resume-input",
            )
            with Horizontal(id="resume-body"):
                yield SessionRows(
                    clock=self.clock, id="resume-rows", empty_text="No sessions match."
                )
                with VerticalScroll(id="resume-preview-scroll"):
                    yield Static("", id="resume-preview")
        yield Footer()

    def on_mount(self) -> None:
        self._list("")
        search = self.query_one("#resume-input", Input)
        if self.app.is_headless:
            search.cursor_blink = False  # stable screenshots and snapshots
        search.focus()

    @property
    def search(self) -> str:
        return self.query_one("#resume-input", Input).value.strip()

    @work(thread=True, exclusive=True, group="resume-list", exit_on_error=False)
    def _list(self, search: str) -> None:
        self.post_message(self.Listed(search, self.lister(search or None)))

    @property
    def rows(self) -> SessionRows:
        return self.query_one(SessionRows)

    @on(Listed)
    def _listed(self, event: Listed) -> None:
        if event.search == self.search:
            self._listed_search = event.search
            self.rows.show(event.summaries)
            if not event.summaries:
                self.query_one("#resume-preview", Static).update("")
            if self._open_when_listed:
                self._open_when_listed = False
                self.action_open()

    @on(Input.Changed, "#resume-input")
    def _search_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.2, lambda: self._list(self.search))

    @on(Input.Submitted, "#resume-input")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the highlighted session (once the matches of what was typed are listed)."""
        if self._listed_search != self.search:
            self._open_when_listed = True  # Enter right after typing: wait for the matches
            return
        self._selected()

    def action_move(self, delta: int) -> None:
        self.rows.action_cursor(delta)

    def action_page(self, direction: int) -> None:
        self.rows.action_page(direction)

    def on_key(self, event: events.Key) -> None:
        """Typing while the list has focus goes to the search box."""
        search = self.query_one("#resume-input", Input)
        if self.rows.has_focus and event.is_printable and event.character:
            event.stop()
            search.focus()
            search.insert_text_at_cursor(event.character)

    @on(RowList.Highlighted, "#resume-rows")
    def _highlighted(self) -> None:
        summary = self.query_one(SessionRows).highlighted_summary
        if summary is not None:
            self._preview(summary)

    @work(thread=True, exclusive=True, group="resume-preview", exit_on_error=False)
    def _preview(self, summary: SessionSummary) -> None:
        when = age(summary.updated, self.clock()) if summary.updated else "?"
        try:
            text = session_preview(
                self.opener(summary.id), when if when in ("now", "?") else f"{when} ago"
            )
        except ChatcliError as exc:
            text = Content.styled(exc.sentence(), "$error")
        self.post_message(self.Previewed(summary.id, text))

    @on(Previewed)
    def _previewed(self, event: Previewed) -> None:
        current = self.query_one(SessionRows).highlighted_summary
        if current is not None and current.id == event.session_id:
            self.query_one("#resume-preview", Static).update(event.text)

    @on(RowList.Selected, "#resume-rows")
    def _selected(self) -> None:
        summary = self.query_one(SessionRows).highlighted_summary
        if summary is not None and not summary.problem:
            self.dismiss(summary.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
