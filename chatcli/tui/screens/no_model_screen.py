"""NoModelScreen: how to configure a model, when none is usable."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class NoModelScreen(ModalScreen[None]):
    """The explanation from `Workspace.model_problem()`; sessions stay browsable."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss", "Close", id="no-model-close"),
    ]

    def __init__(self, explanation: str) -> None:
        super().__init__(classes="no-model-screen")
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        with Vertical(id="no-model-dialog", classes="dialog"):
            yield Static("No model is configured", classes="dialog-title")
            with VerticalScroll():
                yield Static(self.explanation, markup=False, id="no-model-text")
            yield Static("You can still browse, resume and export sessions.", classes="dialog-hint")
            yield Button("OK", id="no-model-ok", variant="primary", compact=True)

    def on_button_pressed(self) -> None:
        self.dismiss(None)
