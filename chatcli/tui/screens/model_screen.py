"""ModelScreen (F3, `/model`): type a model, or pick one of the models offered.

Recent models come first, then the ones litellm knows for the providers whose
keys are set (loaded in a worker: it imports litellm). Typing filters the list
and completes inline (→ accepts); Enter uses what is typed, Down moves into the
list, where Enter picks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

Suggest = Callable[[], Awaitable[list[tuple[str, str]]]]
"""Loads (model, why it is offered) pairs."""
SHOWN = 200
"""Most models listed at once (typing narrows them)."""


class ModelScreen(ModalScreen[str | None]):
    """Returns the model to use, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="model-cancel"),
        Binding("down", "into_list", "Suggestions", id="model-suggestions", show=False),
    ]

    class Suggested(Message):
        """The models to offer were loaded."""

        def __init__(self, models: list[tuple[str, str]]) -> None:
            super().__init__()
            self.models = models

    def __init__(self, current: str, suggest: Suggest) -> None:
        super().__init__(classes="model-screen")
        self.current = current
        self.suggest = suggest
        self.models: list[tuple[str, str]] = [(current, "now")] if current else []

    def compose(self) -> ComposeResult:
        with Vertical(id="model-dialog", classes="dialog"):
            yield Static("Model for the next replies", classes="dialog-title")
            yield Input(value=self.current, placeholder="provider/model", id="model-input")
            yield OptionList(id="model-options")
            yield Static(
                "Enter uses what is typed · ↓ picks from the list · → completes · Esc cancels",
                id="model-hint",
            )

    def on_mount(self) -> None:
        field = self.query_one(Input)
        if self.app.is_headless:
            field.cursor_blink = False
        field.focus()
        self._show()
        self._load()

    @work(exclusive=True, group="model-suggestions", exit_on_error=False)
    async def _load(self) -> None:
        self.post_message(self.Suggested(await self.suggest()))

    @on(Suggested)
    def _suggested(self, event: Suggested) -> None:
        self.models = event.models
        names = [name for name, _why in event.models]
        self.query_one(Input).suggester = SuggestFromList(names, case_sensitive=False)
        self._show()

    @property
    def matches(self) -> list[tuple[str, str]]:
        """The offered models that contain what is typed (all of them before typing)."""
        typed = self.query_one(Input).value.strip().lower()
        if typed == self.current.lower():
            typed = ""
        return [(m, why) for m, why in self.models if typed in m.lower()][:SHOWN]

    def _show(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(Content.assemble(name, (f"  {why}", "dim")), id=name)
            for name, why in self.matches
        )
        options.display = options.option_count > 0

    @on(Input.Changed, "#model-input")
    def _typed(self) -> None:
        self._show()

    @on(Input.Submitted, "#model-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_into_list(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.focus()
            options.highlighted = 0 if options.highlighted is None else options.highlighted

    @on(OptionList.OptionSelected, "#model-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
