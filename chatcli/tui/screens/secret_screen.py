"""SecretScreen: the prompt holds something key-shaped; send it as typed, redacted, or edit.

Self-contained: the chat screen pushes it with the scan of the prompt and gets
back the text to send (as typed, or with each secret replaced by `[redacted]`),
or None to go back to the prompt with the text untouched. The dialog shows the
kinds found and the redacted text, never the secret itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chatcli.chat.secret_scan import Scan, scan

PREVIEW = 600
"""Characters of the redacted text shown."""


class SecretScreen(ModalScreen[str | None]):
    """Asks what to do with a prompt that holds secrets; returns the text to send, or None."""

    DEFAULT_CSS = """
    SecretScreen {
        align: center middle;
        background: $background 60%;
    }
    #secret-dialog {
        width: 76;
        max-width: 95%;
        height: auto;
        max-height: 80%;
        border: round $warning;
        background: $surface;
        padding: 0 1;
    }
    #secret-title {
        text-style: bold;
        color: $text-warning;
        margin-bottom: 1;
    }
    #secret-preview {
        height: auto;
        max-height: 12;
        margin: 1 0;
        background: $panel;
    }
    #secret-buttons {
        height: 1;
        align: right middle;
    }
    #secret-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "send_redacted",
            "Send redacted",
            id="secret-redact",
            tooltip="Send with [redacted]",
        ),
        Binding("a", "send_as_typed", "Send as typed", id="secret-send", tooltip="Send it all"),
        Binding(
            "escape,e", "edit", "Edit", id="secret-edit", tooltip="Back to the prompt, text intact"
        ),
    ]

    def __init__(self, found: Scan) -> None:
        super().__init__(classes="secret-screen")
        self.found = found

    def compose(self) -> ComposeResult:
        preview = self.found.redacted
        if len(preview) > PREVIEW:
            preview = preview[:PREVIEW] + "…"
        with Vertical(id="secret-dialog"):
            yield Static(
                f"This message seems to hold {self.found.describe()}",
                id="secret-title",
                markup=False,
            )
            yield Static(
                "Anything you send is saved in the session and sent to the model. "
                "Redacted, it goes as:",
                markup=False,
            )
            with VerticalScroll(id="secret-preview"):
                yield Static(preview, markup=False)
            with Horizontal(id="secret-buttons"):
                yield Button("Edit (e)", id="secret-edit-button", compact=True)
                yield Button("Send as typed (a)", id="secret-send-button", compact=True)
                yield Button(
                    "Send redacted (r)", id="secret-redact-button", variant="primary", compact=True
                )

    def on_mount(self) -> None:
        self.query_one("#secret-redact-button", Button).focus()

    @on(Button.Pressed, "#secret-redact-button")
    def action_send_redacted(self) -> None:
        self.dismiss(self.found.redacted)

    @on(Button.Pressed, "#secret-send-button")
    def action_send_as_typed(self) -> None:
        self.dismiss(self.found.text)

    @on(Button.Pressed, "#secret-edit-button")
    def action_edit(self) -> None:
        self.dismiss(None)


def ask_if_secret(app: App[Any], text: str, send: Callable[[str | None], None]) -> bool:
    """When `text` holds a secret, push a SecretScreen whose answer goes to `send`.

    Returns whether it did (the caller then sends nothing itself)."""
    found = scan(text)
    if found:
        app.push_screen(SecretScreen(found), send)
    return bool(found)
