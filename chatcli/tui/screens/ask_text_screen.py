"""AskTextScreen: a one-line question (a new title, a model name); returns the answer or None."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class AskTextScreen(ModalScreen[str | None]):
    """Ask for one line of text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="ask-cancel"),
    ]

    def __init__(
        self,
        question: str,
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "Enter to confirm · Esc to cancel",
    ) -> None:
        super().__init__(classes="ask-text-screen")
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-dialog", classes="dialog"):
            yield Static(self.question, classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="ask-input")
            yield Static(self.hint, id="ask-hint")

    def on_mount(self) -> None:
        if self.app.is_headless:
            self.query_one(Input).cursor_blink = False  # stable screenshots and snapshots

    @on(Input.Submitted, "#ask-input")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(value or None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
