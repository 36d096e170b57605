"""SkeletonScreen: the first frame, while the workspace is built and the session opened.

It has the chat screen's outline (an empty conversation, the prompt's box and
the status line), so the real screen replaces it without a jump. It imports
nothing beyond Textual: the first paint waits for neither pydantic nor the store.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from chatcli.tui.support.marks import FIRST_PAINT, mark


class SkeletonScreen(Screen[None]):
    """The chat screen's outline, shown for the first few hundred milliseconds."""

    def compose(self) -> ComposeResult:
        yield Static(id="skeleton-conversation")
        yield Static(id="skeleton-prompt")
        yield Static(" starting…", id="skeleton-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.call_after_refresh(mark, FIRST_PAINT, self.app)
