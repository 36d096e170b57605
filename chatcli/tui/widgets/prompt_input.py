"""PromptInput: the multi-line prompt. Enter sends; Ctrl+J (or Shift+Enter) adds a line.

Up on an empty prompt walks back through earlier prompts; Down walks forward.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import TextArea

from chatcli.tui.commands.bindings import bindings_for


class PromptInput(TextArea):
    """Where the person types. Posts `Submitted` with the text on Enter."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("prompt"))

    class Submitted(Message):
        """The person pressed Enter on a prompt."""

        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id,
            classes=classes,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            compact=True,
            highlight_cursor_line=False,
        )
        self.placeholder = "Message…  (Enter sends, Ctrl+J new line, / for commands)"
        self.send_keys: frozenset[str] = frozenset({"enter"})
        """Keys that send (the `send` binding, after the keymap)."""
        self.prompts: list[str] = []
        self._recall: int | None = None
        self._draft = ""

    def on_mount(self) -> None:
        if self.app.is_headless:
            self.cursor_blink = False  # stable screenshots and snapshots

    # -- sending -------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        # Sending is handled here, in key order, rather than by a priority binding:
        # a priority binding runs before keys typed just ahead of it reach the text.
        if event.key in self.send_keys:
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        text = self.text
        if text.strip():
            self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        self.insert("\n")

    def remember(self, text: str) -> None:
        """Add a sent prompt to the history (Up recalls it)."""
        if text.strip() and (not self.prompts or self.prompts[-1] != text):
            self.prompts.append(text)
        self._recall = None

    def set_history(self, prompts: list[str]) -> None:
        """Earlier prompts of this session, oldest first."""
        self.prompts = list(prompts)
        self._recall = None

    # -- history -------------------------------------------------------------

    def action_history_back(self) -> None:
        browsing = self._recall is not None
        if not (browsing or not self.text) or not self.prompts:
            self.action_cursor_up()
            return
        if self._recall is None:
            self._draft = self.text
            self._recall = len(self.prompts)
        if self._recall > 0:
            self._recall -= 1
            self._show_recalled()

    def action_history_forward(self) -> None:
        if self._recall is None:
            self.action_cursor_down()
            return
        self._recall += 1
        if self._recall >= len(self.prompts):
            self._recall = None
            self.load_text(self._draft)
        else:
            self._show_recalled()
        self.move_cursor(self.document.end)

    def _show_recalled(self) -> None:
        assert self._recall is not None
        self.load_text(self.prompts[self._recall])
        self.move_cursor(self.document.end)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        if self._recall is not None and (
            not self.prompts or self.text != self.prompts[min(self._recall, len(self.prompts) - 1)]
        ):
            self._recall = None  # edited a recalled prompt: it is a new draft now
