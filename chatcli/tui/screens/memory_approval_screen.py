"""MemoryApprovalScreen: with `memory_approval = "ask"`, may the model keep this for every session?"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chatcli.chat.events import MemoryWrite


class MemoryApprovalScreen(ModalScreen[bool]):
    """Asks before the model changes user memory; True allows it, False (or Esc) does not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,a", "answer(True)", "Allow", id="memory-allow"),
        Binding("n,escape", "answer(False)", "Don't", id="memory-refuse"),
    ]

    def __init__(self, write: MemoryWrite) -> None:
        super().__init__(classes="memory-approval-screen")
        self.write = write

    def compose(self) -> ComposeResult:
        write = self.write
        doing = "forget" if write.value is None else "remember"
        what = write.key if write.value is None else f"{write.key} = {write.value}"
        with Vertical(id="memory-dialog", classes="dialog"):
            yield Static("Keep this for every session?", classes="dialog-title")
            yield Static(
                Content.assemble(
                    f"The model wants to {doing} ",
                    (what, "bold"),
                    " in your user memory, which every session sees.\n",
                    (
                        'memory_approval = "ask" in config.toml asks first; '
                        '"auto" lets it, showing each change.',
                        "dim",
                    ),
                ),
                id="memory-question",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Static("y allows · n or Esc does not", classes="dialog-hint")
                yield Button("Don't", id="memory-no", compact=True)
                yield Button("Allow", id="memory-yes", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#memory-yes", Button).focus()

    @on(Button.Pressed, "#memory-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#memory-no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, allow: bool) -> None:
        self.dismiss(allow)
