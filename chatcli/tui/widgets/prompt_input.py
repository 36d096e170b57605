"""PromptInput: the multi-line prompt. Enter sends; Ctrl+J (or Shift+Enter) adds a line.

Up on an empty prompt walks back through earlier prompts; Down walks forward.
PageUp and PageDown scroll the conversation above (`ScrollAsked`).
Typing `/` offers the slash commands that fit (`CompletionsChanged`): Up and
Down choose, Tab or Enter takes one, Esc closes the list.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import TextArea

from chatcli.tui.commands.bindings import bindings_for
from chatcli.tui.commands.registry import Command
from chatcli.tui.commands.slash import completed, completions


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

    class CompletionsChanged(Message):
        """The slash commands that fit what is typed changed (empty: none to offer)."""

        def __init__(self, prompt: PromptInput, commands: list[Command], pick: int) -> None:
            super().__init__()
            self.prompt = prompt
            self.commands = commands
            self.pick = pick

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
        self.completions: list[Command] = []
        """Slash commands offered for what is typed."""
        self.pick = 0
        self._closed_at: str | None = None
        """The text Esc closed the list at (it stays closed until the text changes)."""

    def on_mount(self) -> None:
        if self.app.is_headless:
            self.cursor_blink = False  # stable screenshots and snapshots

    # -- sending -------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        # Sending is handled here, in key order, rather than by a priority binding:
        # a priority binding runs before keys typed just ahead of it reach the text.
        if self.completions and self._completion_key(event.key):
            event.stop()
            event.prevent_default()
            return
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

    # -- slash completions ----------------------------------------------------

    def _completion_key(self, key: str) -> bool:
        """Handle a key while commands are offered; whether it was used."""
        if key in ("up", "down"):
            self.pick = (self.pick + (1 if key == "down" else -1)) % len(self.completions)
            self._offer()
        elif key == "tab":
            self._take(self.completions[self.pick])
        elif key == "escape":
            self._closed_at = self.text
            self._set_completions([])
        elif key in self.send_keys:
            typed = self.text.strip()[1:].lower()
            command = next((c for c in self.completions if c.slash == typed), None)
            if command is None:
                command = self.completions[self.pick]
                self._take(command)
                if command.args:
                    return True  # its argument comes next
            self._set_completions([])
            self.action_submit()
        else:
            return False
        return True

    def _take(self, command: Command) -> None:
        self.load_text(completed(command))
        self.move_cursor(self.document.end)

    def _set_completions(self, commands: list[Command]) -> None:
        if commands != self.completions:
            self.completions, self.pick = commands, 0
            self._offer()

    def _offer(self) -> None:
        self.post_message(self.CompletionsChanged(self, list(self.completions), self.pick))

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

    # -- the conversation above ------------------------------------------------

    class ScrollAsked(Message):
        """PageUp / PageDown in the prompt: scroll the conversation by `pages`."""

        def __init__(self, pages: int) -> None:
            super().__init__()
            self.pages = pages

    def action_scroll_conversation(self, pages: int) -> None:
        self.post_message(self.ScrollAsked(pages))

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
        text = self.text
        if text != self._closed_at:
            self._closed_at = None
            self._set_completions(completions(text))
        if self._recall is not None and (
            not self.prompts or self.text != self.prompts[min(self._recall, len(self.prompts) - 1)]
        ):
            self._recall = None  # edited a recalled prompt: it is a new draft now
