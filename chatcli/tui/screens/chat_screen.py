"""ChatScreen: sessions sidebar, conversation, prompt, state and checkpoints panes.

The screen is the face of a `ChatController` (chatcli.chat.controller), which
holds the open session, its engine, the I/O lock and the turn. Keys, slash
commands and the command palette all run commands from one table
(`commands.registry`) through `run_command` (`ChatActions` holds what each
does; `ChatView` renders the panes and a turn). Workers call the controller and post what
happened; handlers render from the controller's state (`sync`), so a turn, a
restore, or lines another window wrote all show the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from chatcli.chat.controller import ChatController, Done, Followed, Starter
from chatcli.chat.events import ReplyDelta, TurnEvent
from chatcli.chat.workspace import Workspace
from chatcli.session import Session, SessionSummary
from chatcli.session.chain import user_prompts
from chatcli.tui.commands.bindings import bindings_for
from chatcli.tui.commands.registry import keys_for
from chatcli.tui.commands.slash import unescape
from chatcli.tui.screens.chat_actions import ChatActions
from chatcli.tui.screens.chat_search import HitOpened, show_hit
from chatcli.tui.screens.chat_view import ChatView, error_sentence
from chatcli.tui.start import Start
from chatcli.tui.support.clock import Clock
from chatcli.tui.support.delta_buffer import DeltaBuffer
from chatcli.tui.support.marks import FIRST_PAINT, READY, benchmarking, mark
from chatcli.tui.support.startup import Startup, preload_markdown
from chatcli.tui.widgets.checkpoints_pane import CheckpointsPane
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.memory_rows import MemoryRows
from chatcli.tui.widgets.model_note import ModelNote
from chatcli.tui.widgets.prompt_input import PromptInput
from chatcli.tui.widgets.sessions_sidebar import SessionsSidebar
from chatcli.tui.widgets.slash_menu import SlashMenu
from chatcli.tui.widgets.state_pane import StatePane
from chatcli.tui.widgets.status_bar import StatusBar

FOLLOW_SECONDS = 0.5
"""How often the log is checked for lines another window wrote."""
WARM_UP_AT_LATEST = 2.0
"""Seconds after the session shows before the model layer loads, if the sidebar is slower."""


class ChatScreen(Screen[None]):
    """The main screen: one open session (or a new one, saved on its first message)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("chat"))

    class TurnProgressed(Message):
        """The turn worker received an event from the chat engine."""

        def __init__(self, event: TurnEvent) -> None:
            super().__init__()
            self.event = event

    class ReplyGrew(Message):
        """More reply text is waiting in the buffer (bursts merge into one)."""

        def __init__(self, buffer: DeltaBuffer) -> None:
            super().__init__()
            self.buffer = buffer

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ChatScreen.ReplyGrew) and message.buffer is self.buffer

    class ActionDone(Message):
        """A session action (or opening a session) finished: render, and say its note."""

        def __init__(self, done: Done) -> None:
            super().__init__()
            self.done = done

    class ModelKnown(Message):
        """The answering model is known (default worked out, or engine built); `problem`
        says how to set one up when none works."""

        def __init__(self, problem: str | None = None) -> None:
            super().__init__()
            self.problem = problem

    class LogFollowed(Message):
        """Following the log found lines another window wrote (bursts merge)."""

        def __init__(self, followed: Followed) -> None:
            super().__init__()
            self.followed = followed

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ChatScreen.LogFollowed)

    def __init__(
        self,
        workspace: Workspace,
        start: Start,
        clock: Clock,
        *,
        opened: Session[Any] | None = None,
    ) -> None:
        """`opened`: the `--resume` session, when the app has already opened it."""
        super().__init__()
        self.workspace = workspace
        self.start = start
        self.clock = clock
        self.controller = ChatController(workspace, model=start.model, agent=start.agent)
        self.turn_worker: Worker[None] | None = None
        """The worker running the current (or last) turn."""
        self.actions = ChatActions(self, self.controller)
        self.view = ChatView(self, self.controller)
        self._opened = opened
        self._startup = Startup.OPENING

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.view.fit_panes(self.app.size.width)  # before the widgets mount: no restyle
        with Horizontal(id="main"):
            yield SessionsSidebar(self._list_sessions, clock=self.clock, id="sidebar")
            with Vertical(id="center"):
                yield Conversation(id="conversation")
                yield SlashMenu(id="slash-menu")
                yield PromptInput(id="prompt")
            with Vertical(id="side"):
                yield StatePane(clock=self.clock, id="state")
                yield CheckpointsPane(clock=self.clock, id="checkpoints")
        yield StatusBar(id="status")
        yield ModelNote(id="model-note")
        yield Footer(compact=True)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def conversation(self) -> Conversation:
        return self.query_one(Conversation)

    @property
    def sidebar(self) -> SessionsSidebar:
        return self.query_one(SessionsSidebar)

    def _list_sessions(self, search: str | None) -> list[SessionSummary]:
        return self.workspace.sessions(search)

    def _keys(self, command_id: str) -> str:
        return keys_for(command_id, dict(self.workspace.settings.keymap))

    def on_mount(self) -> None:
        self.conversation.restore_key = self._keys("restore").split(",")[0]
        self.prompt.send_keys = frozenset(self._keys("send").split(","))
        self.prompt.focus()
        self.update_status()
        self.set_interval(FOLLOW_SECONDS, self._follow_tick)
        self.call_after_refresh(self._painted)

    def on_resize(self, event: Resize) -> None:
        self.view.fit_panes(event.size.width)

    def toggle_pane(self, pane: str) -> None:
        """Show or hide one of the side panes; the choice is remembered, across runs too."""
        self.view.toggle_pane(pane)

    # -- start-up -------------------------------------------------------------------

    def _painted(self) -> None:
        """The first paint is on the terminal: check the model, open what was asked for."""
        mark(FIRST_PAINT, self.app)
        self._check_model()
        if self._opened is not None:
            self.controller.show(self._opened)
            self._opened = None
            self.post_message(self.ActionDone(Done(switched=True)))
        elif self.start.mode == "continue":
            self.open_latest()
        elif self.start.mode == "resume" and self.start.session_id:
            self.open_session(self.start.session_id)
        else:
            self._shown()

    def _shown(self) -> None:
        """The session is on screen (the start-up benchmark's second mark)."""
        if self._startup is not Startup.OPENING:
            return
        self._startup = Startup.SHOWN
        mark(READY, self.app)
        self.sidebar.reload()
        if self.controller.session is not None and self.controller.engine is None:
            self._build_engine()
        # litellm's ~2 s import would slow the first listing (GIL): it waits for it
        self.set_timer(WARM_UP_AT_LATEST, self._warm)

    @on(SessionsSidebar.FirstListed)
    def _warm(self) -> None:
        if self._startup is Startup.SHOWN:
            self._startup = Startup.WARM
            self._warm_up()

    @work(thread=True, group="warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        preload_markdown()  # the first reply needs it
        self.workspace.warm_up()

    @work(group="model-check", exit_on_error=False)
    async def _check_model(self) -> None:
        self.post_message(self.ModelKnown(await self.controller.check_model()))

    @on(ModelKnown)
    def _model_known(self, event: ModelKnown) -> None:
        self.update_status()
        if event.problem and not benchmarking():
            from chatcli.tui.screens.no_model_screen import NoModelScreen

            self.app.push_screen(NoModelScreen(event.problem))

    @work(group="engine", exclusive=True, exit_on_error=False)
    async def _build_engine(self) -> None:
        await self.controller.build_engine()
        self.post_message(self.ModelKnown())

    # -- opening sessions ----------------------------------------------------------

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_latest(self) -> None:
        """Open the most recent session (a new one when there is none)."""
        await self._opening(self.controller.open_latest())

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_session(self, session_id: str) -> None:
        """Open a stored session."""
        await self._opening(self.controller.open(session_id))

    async def _opening(self, opening: Awaitable[Done]) -> None:
        done = await opening
        await asyncio.to_thread(preload_markdown)  # the conversation shows Markdown next
        self.post_message(self.ActionDone(done))

    @on(SessionsSidebar.SessionChosen)
    def _session_chosen(self, event: SessionsSidebar.SessionChosen) -> None:
        if self.actions.refused():
            return
        session = self.controller.session
        if session is None or event.session_id != session.id:
            self.open_session(event.session_id)
        self.prompt.focus()

    @on(PromptInput.ScrollAsked)
    def _scroll_asked(self, event: PromptInput.ScrollAsked) -> None:
        self.view.scroll(event.pages)

    @on(MemoryRows.Asked)
    def _memory_asked(self, event: MemoryRows.Asked) -> None:
        self.actions.memory.asked(event.action, event.entry)

    @on(HitOpened)
    async def _hit_opened(self, event: HitOpened) -> None:
        await show_hit(self, event.pick)

    @on(CheckpointsPane.CheckpointChosen)
    def _checkpoint_chosen(self, event: CheckpointsPane.CheckpointChosen) -> None:
        self.run_command("restore", event.checkpoint_id)

    # -- commands -------------------------------------------------------------------

    def action_run(self, command_id: str) -> None:
        """A key bound to a chat command was pressed."""
        self.actions.run(command_id)

    def run_command(self, command_id: str, arg: str = "") -> None:
        """Run a chat command (from a key, a slash command or the palette)."""
        self.actions.run(command_id, arg)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run" and parameters == ("cancel",):
            return self.controller.turn.running or self.actions.branch.editing is not None
        return True

    def show_done(self, done: Done) -> None:
        """Render what a session action did (from any task on the UI loop)."""
        self.post_message(self.ActionDone(done))

    def cancel_turn(self) -> None:
        """Stop the reply; what arrived is kept, marked interrupted."""
        if self.turn_worker is not None and self.turn_worker.is_running:
            self.turn_worker.cancel()
        else:
            self.actions.branch.cancel_edit()

    @on(ActionDone)
    async def _action_done(self, event: ActionDone) -> None:
        done = event.done
        if done.switched:
            session = self.controller.session
            if session is None:
                await self.conversation.clear()
            elif session.view.head is not None:  # a stored conversation: Up recalls its prompts
                self.prompt.set_history(user_prompts(session.view.head))
        await self.sync(jump=done.switched)
        if done.note:
            self.notify(done.note)
        if self._startup is Startup.OPENING:
            self.call_after_refresh(self._shown)
            return
        self.sidebar.reload()
        if done.switched and self.controller.session is not None and self.controller.engine is None:
            self._build_engine()

    # -- turns ------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    def _submitted(self, event: PromptInput.Submitted) -> None:
        self.actions.submit(event.text)

    @on(PromptInput.CompletionsChanged)
    def _completions_changed(self, event: PromptInput.CompletionsChanged) -> None:
        self.query_one(SlashMenu).show(event.commands, event.pick)

    def start_turn(self, text: str, start: Starter | None = None) -> None:
        """Send `text` (as typed) in a worker, or run `start` (a regeneration); the prompt
        was cleared. Text sent while the prompt holds an edit goes out as that edit."""
        start = start or self.actions.branch.take_edit(unescape(text))
        self.controller.begin_turn(text)
        self.turn_worker = self._run_turn(unescape(text), start)
        self.refresh_bindings()
        self.update_status()

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def _run_turn(self, text: str, start: Starter | None = None) -> None:
        buffer = DeltaBuffer()
        async for event in self.controller.run_turn(text, start):
            if isinstance(event, ReplyDelta):
                buffer.add(event.text)
                self.post_message(self.ReplyGrew(buffer))
            else:
                self.post_message(self.TurnProgressed(event))

    @on(ReplyGrew)
    async def _reply_grew(self, event: ReplyGrew) -> None:
        await self.view.grew(event.buffer)

    @on(TurnProgressed)
    async def _turn_progressed(self, event: TurnProgressed) -> None:
        await self.view.progressed(event.event)

    @on(Worker.StateChanged)
    async def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker, state = event.worker, event.state
        if worker is self.turn_worker:
            if state in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR):
                await self.view.over(worker, state)
        elif state == WorkerState.ERROR:
            self.notify(error_sentence(self, worker), title="Error", severity="error", timeout=8)
            if worker.group == "open":
                self._shown()  # nothing to show but a new session: start-up is over all the same

    # -- rendering -------------------------------------------------------------------

    async def sync(self, *, jump: bool = False) -> None:
        """Bring every pane in line with the open session's view."""
        await self.view.sync(jump=jump)

    def update_status(self) -> None:
        self.view.update_status()

    # -- following the log ----------------------------------------------------------------

    def _follow_tick(self) -> None:
        self.view.follow_tick()

    @on(LogFollowed)
    async def _log_followed(self, event: LogFollowed) -> None:
        await self.view.followed(event.followed)
