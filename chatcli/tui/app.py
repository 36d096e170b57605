"""ChatApp: the Textual application. cli.py hands it a Workspace factory and runs it.

The first frame is a skeleton: the workspace (settings, store) is built and a
`--resume` session opened in a thread, then the chat screen replaces it. So
importing this module imports neither litellm nor pydantic nor the chat
screen; the model layer loads later still (`Workspace.warm_up()`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen

from chatcli.errors import ChatcliError
from chatcli.tui.commands.bindings import bindings_for
from chatcli.tui.commands.registry import commands_for
from chatcli.tui.start import Start
from chatcli.tui.support.clock import Clock, system_clock

if TYPE_CHECKING:
    from chatcli.chat.workspace import Workspace
    from chatcli.session import Session
    from chatcli.tui.screens.chat_screen import ChatScreen


@dataclass(frozen=True)
class WorkspaceFactory:
    """Builds the workspace (settings, store, model client): what cli.py hands the app."""

    build: Callable[[], Workspace]


class ChatApp(App[None]):
    """chatcli's terminal UI, on a ready Workspace or on a WorkspaceFactory.

    With a factory (what cli.py passes), the first frame is a skeleton while the
    factory runs in a thread, and a `--resume` session that cannot be opened
    ends the app: `failure` holds the error and the return code is 1. With a
    ready workspace (tests), the chat screen is there from the start and says
    so in a notification instead.
    """

    CSS_PATH = "app.tcss"
    TITLE = "chatcli"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("app"))

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
        workspace: Workspace | WorkspaceFactory,
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
        self._factory: WorkspaceFactory | None = None
        if isinstance(workspace, WorkspaceFactory):
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
        from chatcli.tui.screens.chat_screen import ChatScreen

        self.workspace = workspace
        self._chat = ChatScreen(workspace, self.start, self.clock, opened=opened)
        self._keymap = self._normalize_keymap(dict(workspace.settings.keymap))

    def on_mount(self) -> None:
        if self._factory is None:
            self._show_chat(self.push_screen)
            return
        from chatcli.tui.screens.skeleton_screen import SkeletonScreen

        self.push_screen(SkeletonScreen())
        self._build_workspace(self._factory)

    @work(thread=True, group="start-up")
    def _build_workspace(self, factory: WorkspaceFactory) -> None:
        start = self.start
        try:
            workspace = factory.build()
            session = None
            if start.mode == "resume" and start.session_id:
                session = workspace.open_session(start.session_id)
                import textual.widgets._markdown  # noqa: F401  (its messages need it)
        except ChatcliError as exc:
            self.post_message(self.StartFailed(exc))
            return
        import chatcli.tui.screens.chat_screen  # noqa: F401  (here, not on the UI thread)

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
            from chatcli.tui.screens.resume_screen import ResumeScreen

            picker = ResumeScreen(
                self.workspace.sessions, self.workspace.open_session, clock=self.clock
            )
            self.push_screen(picker, self._picked)

    def _picked(self, session_id: str | None) -> None:
        if session_id is not None:
            self.chat.open_session(session_id)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        from chatcli.tui.screens.chat_screen import ChatScreen

        yield from super().get_system_commands(screen)
        if not isinstance(screen, ChatScreen):
            return
        for command in commands_for("chat"):
            if command.palette_title:
                run = partial(screen.run_command, command.id)
                yield SystemCommand(command.palette_title, command.help, run)
