"""ChatApp: the Textual application. cli.py hands it a Workspace factory and runs it.

The first frame is a skeleton: the workspace (settings, store) is built and a
`--resume` session opened in a thread, then the chat screen replaces it. So
importing this module imports neither litellm nor pydantic nor the chat
screen; the model layer loads later still (`Workspace.warm_up()`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen

from chatcli.errors import ChatcliError
from chatcli.tui import bindings
from chatcli.tui.clock import Clock, system_clock
from chatcli.tui.commands import SLASH_COMMANDS
from chatcli.tui.marks import benchmarking
from chatcli.tui.ports import Workspace
from chatcli.tui.start import Start

if TYPE_CHECKING:
    from chatcli.session import Session
    from chatcli.tui.chat_screen import ChatScreen

PALETTE_EXTRAS: tuple[tuple[str, str, str], ...] = (
    ("Edit state", "Edit the session's state as JSON", "edit_state"),
    ("Toggle sessions sidebar", "Show or hide the list of sessions", "toggle_pane('sidebar')"),
    ("Toggle state pane", "Show or hide the live state", "toggle_pane('state')"),
    ("Toggle checkpoints pane", "Show or hide the checkpoints", "toggle_pane('checkpoints')"),
)


class ChatApp(App[None]):
    """chatcli's terminal UI, on a ready Workspace or on a factory that builds one.

    With a factory (what cli.py passes), the first frame is a skeleton while the
    factory runs in a thread, and a `--resume` session that cannot be opened
    ends the app: `failure` holds the error and the return code is 1. With a
    ready workspace (tests), the chat screen is there from the start and says
    so in a notification instead.
    """

    CSS_PATH = "app.tcss"
    TITLE = "chatcli"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.APP)

    class ModelChecked(Message):
        """The model layer was checked (and loaded) in the background."""

        def __init__(self, problem: str | None) -> None:
            super().__init__()
            self.problem = problem

    class WorkspaceBuilt(Message):
        """The factory built the workspace (and opened the `--resume` session)."""

        def __init__(self, workspace: Workspace, session: Session[Any] | None) -> None:
            super().__init__()
            self.workspace = workspace
            self.session = session

    class StartFailed(Message):
        """The workspace could not be built, or the `--resume` session opened."""

        def __init__(self, error: ChatcliError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        workspace: Workspace | Callable[[], Workspace],
        start: Start | None = None,
        *,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__()
        self.start = start or Start()
        self.clock = clock
        self.failure: ChatcliError | None = None
        """Why the app could not start (it exits with return code 1), or None."""
        self._chat: ChatScreen | None = None
        self._factory: Callable[[], Workspace] | None = None
        if callable(workspace):
            self._factory = workspace
        else:
            self._use_workspace(workspace, None)

    @property
    def chat(self) -> ChatScreen:
        """The chat screen (there once the workspace is)."""
        if self._chat is None:
            raise RuntimeError("the workspace is still being built")
        return self._chat

    def _use_workspace(self, workspace: Workspace, opened: Session[Any] | None) -> None:
        from chatcli.tui.chat_screen import ChatScreen

        self.workspace = workspace
        self._chat = ChatScreen(workspace, self.start, self.clock, opened=opened)
        self._keymap = self._normalize_keymap(dict(workspace.settings.keymap))

    def on_mount(self) -> None:
        if self._factory is None:
            self._show_chat(self.push_screen)
            return
        from chatcli.tui.skeleton import Skeleton

        self.push_screen(Skeleton())
        self._build_workspace(self._factory)

    @work(thread=True, group="start-up")
    def _build_workspace(self, factory: Callable[[], Workspace]) -> None:
        start = self.start
        try:
            workspace = factory()
            session = None
            if start.mode == "resume" and start.session_id:
                session = workspace.open_session(start.session_id)
                import textual.widgets._markdown  # noqa: F401  (its messages need it)
        except ChatcliError as exc:
            self.post_message(self.StartFailed(exc))
            return
        import chatcli.tui.chat_screen  # noqa: F401  (here, not on the UI thread)

        self.post_message(self.WorkspaceBuilt(workspace, session))

    def on_chat_app_workspace_built(self, event: WorkspaceBuilt) -> None:
        self._use_workspace(event.workspace, event.session)
        self.refresh_bindings()
        self._show_chat(self.switch_screen)

    def on_chat_app_start_failed(self, event: StartFailed) -> None:
        self.failure = event.error
        self.exit(return_code=1)

    def _show_chat(self, show: Callable[[Screen[Any]], object]) -> None:
        show(self.chat)
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
        from chatcli.tui.chat_screen import ChatScreen

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
