"""ChatApp: the Textual application. cli.py builds a Workspace and runs it.

Importing this module does not import litellm: the first paint never waits for
the model layer, which `Workspace.warm_up()` loads in a thread afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen

from chatcli.tui import bindings
from chatcli.tui.chat_screen import ChatScreen
from chatcli.tui.clock import Clock, system_clock
from chatcli.tui.commands import SLASH_COMMANDS
from chatcli.tui.marks import benchmarking
from chatcli.tui.ports import Workspace
from chatcli.tui.start import Start

PALETTE_EXTRAS: tuple[tuple[str, str, str], ...] = (
    ("Edit state", "Edit the session's state as JSON", "edit_state"),
    ("Toggle sessions sidebar", "Show or hide the list of sessions", "toggle_pane('sidebar')"),
    ("Toggle state pane", "Show or hide the live state", "toggle_pane('state')"),
    ("Toggle checkpoints pane", "Show or hide the checkpoints", "toggle_pane('checkpoints')"),
)


class ChatApp(App[None]):
    """chatcli's terminal UI."""

    CSS_PATH = "app.tcss"
    TITLE = "chatcli"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.APP)

    class ModelChecked(Message):
        """The model layer was checked (and loaded) in the background."""

        def __init__(self, problem: str | None) -> None:
            super().__init__()
            self.problem = problem

    def __init__(
        self, workspace: Workspace, start: Start | None = None, *, clock: Clock = system_clock
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.start = start or Start()
        self.clock = clock
        self.chat = ChatScreen(workspace, self.start, clock)
        self._keymap = self._normalize_keymap(dict(workspace.settings.keymap))

    def on_mount(self) -> None:
        self.push_screen(self.chat)
        if self.start.mode == "pick":
            from chatcli.tui.resume_picker import ResumePicker

            picker = ResumePicker(
                self.workspace.sessions, self.workspace.open_session, clock=self.clock
            )
            self.push_screen(picker, self._picked)

    def _picked(self, session_id: str | None) -> None:
        if session_id is not None:
            self.chat.open_session(session_id)

    def on_chat_screen_painted(self) -> None:
        """The chat screen is on the terminal: check that a model is configured."""
        self._check_model()

    def on_chat_screen_ready(self) -> None:
        """The session is on screen: load the model layer (litellm, ~2 s) in the background."""
        self._warm_up()

    @work(thread=True, exit_on_error=False, group="model-check")
    def _check_model(self) -> None:
        self.post_message(self.ModelChecked(self.workspace.model_problem()))

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        import textual.widgets._markdown  # noqa: F401  (the first reply needs it)

        self.workspace.warm_up()

    def on_chat_app_model_checked(self, event: ModelChecked) -> None:
        self.chat.model_problem = event.problem
        if event.problem and not benchmarking():
            from chatcli.tui.no_model import NoModelScreen

            self.push_screen(NoModelScreen(event.problem))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not isinstance(screen, ChatScreen):
            return
        for command in SLASH_COMMANDS:
            title = f"/{command.name} {command.args}".strip()
            yield SystemCommand(title, command.description, _runner(screen, command.action))
        for title, help_text, action in PALETTE_EXTRAS:
            yield SystemCommand(title, help_text, _runner(screen, action))


def _runner(screen: ChatScreen, action: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await screen.run_action(action)

    return run
