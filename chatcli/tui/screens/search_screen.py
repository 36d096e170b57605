"""SearchScreen (Ctrl+F, `/search`): find any message of any session as you type.

The search box has the focus; hits update as you type (a worker queries the
index off the event loop, a short debounce apart; the last word counts as a
prefix while you type). Up and Down move through the hits, Enter opens the
highlighted one: its session, scrolled to that message. A first build of the
index runs in a worker with a progress bar, while what is indexed so far can
already be searched.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static

from chatcli.errors import ChatcliError
from chatcli.store.search_index import Results, SearchIndex
from chatcli.tui.screens.chat_search import SearchPick
from chatcli.tui.support.clock import Clock, system_clock
from chatcli.tui.widgets.hit_rows import HitRows
from chatcli.tui.widgets.row_list import RowList

DEBOUNCE = 0.12
"""Seconds of quiet typing before the index is asked (each keystroke restarts it)."""
LIMIT = 100
HINT = 'Words match whole words (the last one as you type) · "a phrase" · word*'


class SearchScreen(Screen[SearchPick | None]):
    """Search every session; returns the chosen hit, or None (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Back", id="search-back"),
        Binding("enter", "open", "Open", id="search-open"),
        Binding("up", "move(-1)", "Up", id="search-up", show=False),
        Binding("down", "move(1)", "Down", id="search-down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="search-page-up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="search-page-down", show=False),
    ]

    class Found(Message):
        """The index answered a query."""

        def __init__(self, text: str, results: Results | None, problem: str = "") -> None:
            super().__init__()
            self.text = text
            self.results = results
            self.problem = problem

    class Indexing(Message):
        """How far the index's catch-up has got (bursts merge into one)."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SearchScreen.Indexing)

    class Indexed(Message):
        """The catch-up started when the screen opened is over."""

        def __init__(self, problem: str = "") -> None:
            super().__init__()
            self.problem = problem

    def __init__(self, index: SearchIndex, *, text: str = "", clock: Clock = system_clock) -> None:
        super().__init__()
        self.index = index
        self.initial = text
        self.clock = clock
        self._debounce: Timer | None = None
        self._shown_text: str | None = None
        """The query the list shows the hits of (None before the first answer)."""
        self._open_when_found = False

    def compose(self) -> ComposeResult:
        with Vertical(id="search"):
            yield Static("Search every session", classes="dialog-title")
            yield Input(
                value=self.initial,
                placeholder="Type to search every message · ↑↓ choose · Enter opens · Esc back",
                id="search-input",
            )
            yield ProgressBar(id="search-progress", show_eta=False)
            yield Static(HINT, id="search-status")
            yield HitRows(clock=self.clock, id="search-rows")
        yield Footer()

    def on_mount(self) -> None:
        search = self.query_one("#search-input", Input)
        if self.app.is_headless:
            search.cursor_blink = False  # stable screenshots and snapshots
        search.focus()
        self.query_one("#search-progress", ProgressBar).display = False
        self._catch_up()
        if self.text:
            self._query(self.text)

    @property
    def text(self) -> str:
        return self.query_one("#search-input", Input).value.strip()

    @property
    def rows(self) -> HitRows:
        return self.query_one(HitRows)

    # -- the index, off the event loop ------------------------------------------------

    @work(thread=True, group="search-index", exit_on_error=False)
    def _catch_up(self) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(self.Indexing(done, total))

        try:
            self.index.catch_up(progress)
        except ChatcliError as exc:
            self.post_message(self.Indexed(exc.sentence()))
            return
        self.post_message(self.Indexed())

    @work(thread=True, exclusive=True, group="search-query", exit_on_error=False)
    def _query(self, text: str) -> None:
        try:
            results = self.index.search(text, limit=LIMIT, prefix_last=True)
        except ChatcliError as exc:
            self.post_message(self.Found(text, None, exc.sentence()))
            return
        self.post_message(self.Found(text, results))

    @on(Indexing)
    def _indexing(self, event: Indexing) -> None:
        bar = self.query_one("#search-progress", ProgressBar)
        bar.update(total=event.total, progress=event.done)
        bar.display = event.done < event.total
        if bar.display:
            self._status(f"Indexing your sessions: {event.done} of {event.total}…")

    @on(Indexed)
    def _indexed(self, event: Indexed) -> None:
        self.query_one("#search-progress", ProgressBar).display = False
        if event.problem:
            self.notify(event.problem, title="Search", severity="error")
        if self.text:
            self._query(self.text)  # what was typed meanwhile saw only part of the index
        elif not event.problem:
            self._status(HINT)

    @on(Found)
    def _found(self, event: Found) -> None:
        if event.text != self.text:
            return  # a newer query is on its way
        if event.results is None:
            self._status(event.problem)
            return
        self._shown_text = event.text
        hits = event.results.hits
        self.rows.show(hits)
        count = (
            f"{len(hits)}{'+' if len(hits) == LIMIT else ''} match{'es' if len(hits) != 1 else ''}"
        )
        notes = event.results.notes
        self._status(" · ".join([count if event.text else HINT, *notes]))
        if self._open_when_found:
            self._open_when_found = False
            self.action_open()

    def _status(self, text: str) -> None:
        self.query_one("#search-status", Static).update(text)

    # -- typing and choosing -----------------------------------------------------------------

    @on(Input.Changed, "#search-input")
    def _changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        text = self.text
        if not text:
            self._shown_text = ""
            self.rows.show([])
            self._status(HINT)
            return
        self._debounce = self.set_timer(DEBOUNCE, lambda: self._query(text))

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the highlighted hit (once the hits of what was typed are shown)."""
        if self._shown_text != self.text:
            self._open_when_found = True  # Enter right after typing: wait for the hits
            return
        self._chosen()

    @on(RowList.Selected, "#search-rows")
    def _chosen(self) -> None:
        hit = self.rows.highlighted_hit
        if hit is not None:
            self.dismiss(SearchPick(hit.session, hit.seq, hit.active))

    def action_move(self, delta: int) -> None:
        self.rows.action_cursor(delta)

    def action_page(self, direction: int) -> None:
        self.rows.action_page(direction)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        """Typing while the list has focus goes to the search box."""
        search = self.query_one("#search-input", Input)
        if self.rows.has_focus and event.is_printable and event.character:
            event.stop()
            search.focus()
            search.insert_text_at_cursor(event.character)
