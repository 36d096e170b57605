"""ChatScreen: sessions sidebar, conversation, prompt, state and checkpoints panes.

Workers fetch (turns, session I/O, following the log), messages deliver, and
handlers render: every widget change happens in a handler on the UI thread.
The screen renders from the session's replayed view (`_sync`), so a turn, a
restore, or lines another window wrote all show the same way.
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import Footer, Static
from textual.worker import Worker

from chatcli.errors import ChatcliError
from chatcli.session import Session, SessionSummary
from chatcli.tui import bindings
from chatcli.tui.chat_commands import ChatCommands
from chatcli.tui.chat_turns import ChatTurns
from chatcli.tui.checkpoints_pane import CheckpointsPane
from chatcli.tui.clock import Clock
from chatcli.tui.conversation import Conversation
from chatcli.tui.history import LogTally, restore_info, user_prompts
from chatcli.tui.marks import FIRST_PAINT, READY, mark
from chatcli.tui.ports import Engine, Workspace
from chatcli.tui.prompt import PromptInput
from chatcli.tui.sidebar import SessionsSidebar
from chatcli.tui.start import Start
from chatcli.tui.state_pane import StatePane
from chatcli.tui.status_bar import Status, StatusBar

FOLLOW_SECONDS = 0.5
"""How often the log is checked for lines another window wrote."""
WARM_UP_AT_LATEST = 2.0
"""Seconds after the session shows before the model layer loads, if the sidebar is slower."""
SHARED_SECONDS = 60.0
"""How long after another window's last write the status bar says so."""
PANES = ("sidebar", "state", "checkpoints")


class ChatScreen(ChatTurns):
    """The main screen: one open session (or a new one, saved on its first message)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.CHAT)

    class LogGrew(Message):
        """Following the log found lines another window wrote (bursts merge)."""

        def __init__(self, count: int, problem: str = "") -> None:
            super().__init__()
            self.count = count
            self.problem = problem

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ChatScreen.LogGrew)

    class Painted(Message):
        """The screen was painted for the first time (the app checks the model now)."""

    class Ready(Message):
        """The session and the first sessions listing are on screen: the model layer may load."""

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
        self._opened = opened
        self.session: Session[Any] | None = None
        self.engine: Engine | None = None
        self.pending_model = start.model
        self.pending_title = ""
        self.tally = LogTally()
        self.turn: Worker[None] | None = None
        self.model_problem: str | None = None
        self._turn_text = ""
        self._user_saved = False
        self._failed = False
        self._busy = ""
        self._shared_at = -SHARED_SECONDS
        self._following = False
        self._follow_problem = ""
        self._io = threading.Lock()
        self._panes: dict[str, bool] | None = None
        self._was_ready = False
        self._announced = False
        self._model_note: str | None = None

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield SessionsSidebar(self._list_sessions, clock=self.clock, id="sidebar")
            with Vertical(id="center"):
                yield Conversation(id="conversation")
                yield PromptInput(id="prompt")
            with Vertical(id="side"):
                yield StatePane(clock=self.clock, id="state")
                yield CheckpointsPane(clock=self.clock, id="checkpoints")
        yield StatusBar(id="status")
        yield Static(id="model-note", classes="-none")
        yield Footer(compact=True)

    def _list_sessions(self, search: str | None) -> list[SessionSummary]:
        return self.workspace.sessions(search)

    def on_mount(self) -> None:
        self.conversation.restore_key = self._key_for("restore")
        self.prompt.send_keys = frozenset(self._key_for("send", every=True).split(","))
        self.prompt.focus()
        self._update_status()
        self.set_interval(FOLLOW_SECONDS, self._follow_tick)
        self.call_after_refresh(self._painted)

    def _ready(self) -> None:
        """The session is on screen (the start-up benchmark's second mark)."""
        if not self._was_ready:
            self._was_ready = True
            mark(READY, self.app)
            self.query_one(SessionsSidebar).reload()
            if self.session is not None and self.engine is None:
                self._build_engine(self.session)
            # litellm's ~2 s import would slow the first listing (GIL): it waits for it
            self.set_timer(WARM_UP_AT_LATEST, self._announce_ready)

    @on(SessionsSidebar.FirstListed)
    def _announce_ready(self) -> None:
        if not self._announced:
            self._announced = True
            self.post_message(self.Ready())

    def _painted(self) -> None:
        """The first paint is on the terminal: now open the session (if one was asked for)."""
        mark(FIRST_PAINT, self.app)
        self.post_message(self.Painted())
        if self._opened is not None:
            self.post_message(self.SessionOpened(self._opened, None))
            self._opened = None
        elif self.start.mode == "continue":
            self.open_latest()
        elif self.start.mode == "resume" and self.start.session_id:
            self.open_session(self.start.session_id)
        else:
            self._ready()

    def on_resize(self, event: Resize) -> None:
        if self._panes is None:  # until the person toggles one, panes follow the width
            width = event.size.width
            self._apply_panes(
                {"sidebar": width >= 110, "state": width >= 150, "checkpoints": width >= 150}
            )

    def _apply_panes(self, panes: dict[str, bool]) -> None:
        for pane in PANES:
            self.set_class(not panes[pane], f"-hide-{pane}")
        self.set_class(not (panes["state"] or panes["checkpoints"]), "-hide-side")

    def action_toggle_pane(self, pane: str) -> None:
        """Show or hide one of the side panes."""
        panes = self._panes or {p: not self.has_class(f"-hide-{p}") for p in PANES}
        panes[pane] = not panes[pane]
        self._panes = panes
        self._apply_panes(panes)
        if panes[pane] and pane == "sidebar":
            self.query_one("#session-rows").focus()
        elif not panes[pane]:
            self.prompt.focus()

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def _key_for(self, binding_id: str, *, every: bool = False) -> str:
        """The key (or, with `every`, all keys) bound to `binding_id` after the keymap."""
        keymap: dict[str, str] = dict(self.workspace.settings.keymap)
        default = next(b.key for b in bindings.ALL if b.id == binding_id)
        keys = keymap.get(binding_id, default).replace(" ", "")
        return keys if every else keys.split(",")[0]

    # -- opening sessions ----------------------------------------------------------

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_latest(self) -> None:
        """Open the most recent session (a new one when there is none)."""
        summary = self.workspace.most_recent()
        if summary is None:
            self.post_message(self.SessionOpened(None, None, "No sessions yet: this is a new one."))
            return
        self._open(summary.id)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_session(self, session_id: str) -> None:
        """Open a stored session."""
        self._open(session_id)

    def _open(self, session_id: str) -> None:
        with self._io:
            session = self.workspace.open_session(session_id)
        import textual.widgets._markdown  # noqa: F401  (here, not on the UI thread)

        # The engine (agent file, prompt template) is built once the session is shown.
        self.post_message(self.SessionOpened(session, None))

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def _build_engine(self, session: Session[Any]) -> None:
        with self._io:
            if session is not self.session or self.engine is not None:
                return
            engine = self.workspace.engine_for(session)
            model = self.pending_model
            if model and model != session.model:
                engine.set_model(model)
        self.post_message(self.EngineBuilt(session, engine))

    def _create(self) -> tuple[Session[Any], Engine]:
        """Create the session (on the first message or edit); in a thread, under the I/O lock."""
        session = self.workspace.new_session(
            title=self.pending_title, model=self.pending_model, agent=self.start.agent
        )
        return session, self.workspace.engine_for(session)

    @on(ChatCommands.SessionOpened)
    async def _session_opened(self, event: ChatCommands.SessionOpened) -> None:
        same = event.session is not None and event.session is self.session
        self.session, self.engine = event.session, event.engine
        if not same:
            self.tally = LogTally()
            self._shared_at = -SHARED_SECONDS
            if event.session is None:
                await self.conversation.clear()
            head = event.session.view.head if event.session else None
            if head is not None:  # a stored conversation: Up recalls its prompts
                self.prompt.set_history(user_prompts(head))
        self.query_one(SessionsSidebar).mark_current(event.session.id if event.session else None)
        await self._sync(jump=True)
        if not self._was_ready:
            self.call_after_refresh(self._ready)
            return
        self.query_one(SessionsSidebar).reload()
        if event.session is not None and event.engine is None:
            self._build_engine(event.session)
        if event.note:
            self.notify(event.note)

    @on(ChatCommands.EngineBuilt)
    def _engine_built(self, event: ChatCommands.EngineBuilt) -> None:
        if event.session is self.session:
            self.engine = event.engine
            self._update_status()

    @on(SessionsSidebar.SessionChosen)
    def _session_chosen(self, event: SessionsSidebar.SessionChosen) -> None:
        if self._turn_running():
            self.notify("Wait for the reply to finish (Esc stops it).", severity="warning")
            return
        if self.session is None or event.session_id != self.session.id:
            self.open_session(event.session_id)
        self.prompt.focus()

    @on(CheckpointsPane.CheckpointChosen)
    def _checkpoint_chosen(self, event: CheckpointsPane.CheckpointChosen) -> None:
        self.action_restore(event.checkpoint_id)

    # -- rendering -------------------------------------------------------------------

    async def _sync(self, *, jump: bool = False) -> None:
        """Bring every pane in line with the session's view."""
        session = self.session
        conversation = self.conversation
        if session is None:
            self.query_one(StatePane).show({}, None)
            self.query_one(CheckpointsPane).show({})
            self._update_status()
            return
        view = session.view
        self.tally.update(session.records)
        conversation.states = self.tally.states
        conversation.model = view.model
        await conversation.show(view.head, restore_info(view, session.records), jump=jump)
        self.query_one(StatePane).show(view.state, view.state_record)
        restored = view.restores[-1] if view.restores else None
        current = restored.checkpoint if restored and restored.seq == view.last_seq else None
        self.query_one(CheckpointsPane).show(view.snapshots, current)
        self._update_status()

    def _update_status(self) -> None:
        session, engine = self.session, self.engine
        if engine is not None:
            model = engine.model_name
        elif session is not None:
            model = session.model
        else:
            model = self.pending_model or self.workspace.settings.model
        self._show_model_note(model)
        self.query_one(StatusBar).status = Status(
            model=model,
            agent=(session.agent if session else None) or self.start.agent,
            usage=self.tally.usage,
            location=session.location if session else None,
            shared=time.monotonic() - self._shared_at < SHARED_SECONDS,
            busy=self._busy,
        )

    def _show_model_note(self, model: str | None) -> None:
        """A dim line under the status bar while the model needs a caution (local/…)."""
        note = self.workspace.model_note(model)
        if note != self._model_note:
            self._model_note = note
            widget = self.query_one("#model-note", Static)
            widget.update(note or "")
            widget.set_class(note is None, "-none")

    def _set_busy(self, text: str) -> None:
        self._busy = text
        self._update_status()

    # -- following the log ----------------------------------------------------------------

    def _follow_tick(self) -> None:
        if self._following or self.session is None or self._io.locked() or self._turn_running():
            if time.monotonic() - self._shared_at > SHARED_SECONDS:
                self._update_status()
            return
        self._following = True
        self._follow(self.session)

    @work(thread=True, group="follow", exit_on_error=False)
    def _follow(self, session: Session[Any]) -> None:
        count, problem = 0, ""
        try:
            if self._io.acquire(blocking=False):
                try:
                    count = len(session.refresh())
                finally:
                    self._io.release()
        except ChatcliError as exc:
            problem = exc.sentence()
        finally:
            self.post_message(self.LogGrew(count, problem))

    @on(LogGrew)
    async def _log_grew(self, event: LogGrew) -> None:
        self._following = False
        if event.problem and event.problem != self._follow_problem:
            self.notify(event.problem, title="Cannot follow the log", severity="error")
        self._follow_problem = event.problem
        if event.count:
            self._shared_at = time.monotonic()
            await self._sync()
            self.query_one(SessionsSidebar).reload()
        elif time.monotonic() - self._shared_at > SHARED_SECONDS:
            self._update_status()

    @on(ChatCommands.Changed)
    async def _changed(self, event: ChatCommands.Changed) -> None:
        await self._sync()
        self.query_one(SessionsSidebar).reload()
        if event.note:
            self.notify(event.note)
