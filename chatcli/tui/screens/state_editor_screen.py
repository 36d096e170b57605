"""StateEditorScreen: edit the session's state as JSON; saved as a state line "by user"."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from chatcli.errors import ChatcliError
from chatcli.session import StateRecord

Save = Callable[[dict[str, Any]], Awaitable[StateRecord | None]]


class StateEditorScreen(ModalScreen[StateRecord | None]):
    """A JSON editor over the state; returns the state line written, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="state-cancel"),
        Binding("ctrl+s", "save", "Save", id="state-save", priority=True),
    ]

    def __init__(self, state: dict[str, Any], save: Save) -> None:
        super().__init__(classes="state-editor-screen")
        self.state = state
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="state-dialog", classes="dialog"):
            yield Static("Edit the state (JSON)", classes="dialog-title")
            yield TextArea(
                json.dumps(self.state, indent=2, ensure_ascii=False),
                id="state-json",
                show_line_numbers=True,
                tab_behavior="indent",
            )
            yield Static("", id="state-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Static("Ctrl+S save · Esc cancel", classes="dialog-hint")
                yield Button("Cancel", id="state-cancel-button", compact=True)
                yield Button("Save", id="state-save-button", variant="primary", compact=True)

    def on_mount(self) -> None:
        editor = self.query_one(TextArea)
        if self.app.is_headless:
            editor.cursor_blink = False
        editor.focus()

    def _error(self, text: str) -> None:
        error = self.query_one("#state-error", Static)
        error.update(text)
        error.set_class(bool(text), "-shown")

    @on(Button.Pressed, "#state-save-button")
    def action_save(self) -> None:
        raw = self.query_one(TextArea).text
        try:
            data = json.loads(raw)
        except ValueError as exc:
            self._error(f"Not valid JSON: {exc}.")
            return
        if not isinstance(data, dict):
            self._error("The state must be a JSON object ({…}).")
            return
        self._write(data)

    @work(exclusive=True, group="state-save", exit_on_error=False)
    async def _write(self, data: dict[str, Any]) -> None:
        try:
            record = await self.save(data)
        except ChatcliError as exc:
            self._error(exc.sentence())
            return
        self.dismiss(record)

    @on(Button.Pressed, "#state-cancel-button")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
