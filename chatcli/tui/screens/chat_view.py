"""ChatView: how the chat screen shows the controller's state: the panes, a turn, the log.

`sync` brings the conversation, the state and checkpoints panes and the status
bar in line with the open session's view; `fit_panes` shows the side panes that
fit the width (and the person chose); `scroll` is PageUp / PageDown from the prompt. A turn: the screen's turn worker
iterates `ChatController.run_turn` and posts each event; the screen's handlers
hand them here, on the UI thread. Reply text is buffered, and bursts of
`ReplyGrew` merge into one message, so a fast stream never floods the queue.
Esc cancels the worker: the engine keeps what arrived, marked interrupted.
Following: every half second a worker takes in lines another window wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.worker import Worker, WorkerState

from chatcli.chat.context_actions import ContextFigure, measure
from chatcli.chat.controller import ChatController, Followed
from chatcli.chat.events import (
    BranchStarted,
    CheckpointSaved,
    Compacted,
    ContextMeasured,
    ContextNote,
    MemoryChanged,
    MemoryDeclined,
    MessageSaved,
    ReplyStarted,
    StateChanged,
    TurnEvent,
    TurnFailed,
)
from chatcli.errors import ChatcliError
from chatcli.session.chain import restore_info
from chatcli.tui.support.delta_buffer import DeltaBuffer
from chatcli.tui.support.panes import Panes
from chatcli.tui.widgets.checkpoints_pane import CheckpointsPane
from chatcli.tui.widgets.model_note import ModelNote
from chatcli.tui.widgets.state_pane import StatePane
from chatcli.tui.widgets.status_bar import StatusBar, StatusLine, busy_text

if TYPE_CHECKING:
    from chatcli.tui.screens.chat_screen import ChatScreen


class ChatView:
    """Renders one chat screen from its controller."""

    def __init__(self, screen: ChatScreen, controller: ChatController) -> None:
        self.screen = screen
        self.controller = controller
        self._follower: Worker[None] | None = None
        self._follow_problem = ""
        self.context: ContextFigure | None = None
        """How full the open session's context is (measured, or from the last turn)."""
        self._measuring: Worker[None] | None = None
        self.panes: Panes | None = None
        """The side panes shown now (the screen's `-hide-<pane>` classes; None: not yet)."""

    # -- the panes ------------------------------------------------------------------

    def fit_panes(self, width: int) -> None:
        """Show the panes that fit `width` (and the person chose), when that changed.
        Called before the widgets mount too: classes set then cost no restyle."""
        panes = Panes.for_width(width, self.controller.ui.panes)
        if panes != self.panes:
            self.panes = panes
            for name, hidden in panes.hidden_classes().items():
                self.screen.set_class(hidden, name)

    def toggle_pane(self, pane: str) -> None:
        """Show or hide one side pane; the choice is kept, across runs too."""
        screen = self.screen
        shown = not (self.panes or Panes()).shown(pane)
        saving = self.controller.keep(self.controller.ui.with_pane(pane, shown))
        screen.run_worker(saving, group="ui-state", exit_on_error=False)
        self.fit_panes(screen.size.width)
        if shown and pane == "sidebar":
            screen.query_one("#session-rows").focus()
        elif not shown:
            screen.prompt.focus()

    def scroll(self, pages: int) -> None:
        """PageUp / PageDown from the prompt: the conversation moves, the prompt keeps focus."""
        conversation = self.screen.conversation
        if pages < 0:
            conversation.scroll_page_up(animate=False)
        else:
            conversation.scroll_page_down(animate=False)

    async def sync(self, *, jump: bool = False) -> None:
        """Bring every pane in line with the open session's view; `jump` scrolls to the end."""
        screen, controller = self.screen, self.controller
        session = controller.session
        screen.sidebar.mark_current(session.id if session else None)
        await screen.actions.memory.draw()
        if session is None:
            screen.query_one(StatePane).show({}, None)
            screen.query_one(CheckpointsPane).show({})
            self.update_status()
            return
        view = session.view
        controller.tally.update(session.records)
        conversation = screen.conversation
        conversation.states = controller.tally.states
        conversation.model = view.model
        conversation.compaction = view.compaction
        conversation.versions = screen.actions.branch.branches.siblings()
        await conversation.show(view.head, restore_info(view, session.records), jump=jump)
        screen.query_one(StatePane).show(view.state, view.state_record)
        restored = view.restores[-1] if view.restores else None
        current = restored.checkpoint if restored and restored.seq == view.last_seq else None
        screen.query_one(CheckpointsPane).show(view.snapshots, current)
        self.update_status()

    def update_status(self) -> None:
        """The status bar (and the model's caution under it) as the controller has them."""
        controller = self.controller
        session = controller.session
        note = controller.model_note
        self.screen.query_one(ModelNote).show(note if controller.note_in_full else None)
        self.screen.query_one(StatusBar).status = StatusLine(
            model=controller.model_name,
            caution=note,
            agent=controller.agent_name,
            usage=controller.tally.usage,
            location=session.location if session else None,
            shared=controller.shared,
            busy=busy_text(controller.turn),
            context=self._context_shown(),
        )

    # -- how full the context is -------------------------------------------------------

    def _context_shown(self) -> tuple[str, float] | None:
        figure, session = self.context, self.controller.session
        if figure is None or session is None or figure.session != session.id:
            return None
        return figure.text(), figure.share

    def measure_context(self) -> None:
        """Measure the open session's context in a worker, if it is not known yet."""
        session = self.controller.session
        figure = self.context
        known = (
            figure is not None
            and session is not None
            and (figure.session, figure.seq) == (session.id, session.view.last_seq)
        )
        idle = self._measuring is None or self._measuring.is_finished
        if session is not None and not known and idle and not self.controller.turn.running:
            self._measuring = self.screen.run_worker(
                self._measure(), group="context", exit_on_error=False
            )

    async def _measure(self) -> None:
        figure = await measure(self.controller)
        if figure is not None:
            self.context = figure
            self.update_status()

    # -- following the log -------------------------------------------------------------

    def follow_tick(self) -> None:
        """Every FOLLOW_SECONDS: look for lines another window wrote, if nothing else is busy."""
        idle = self._follower is None or self._follower.is_finished
        if idle and self.controller.can_follow:
            self._follower = self.screen.run_worker(
                self._follow(), group="follow", exit_on_error=False
            )
        self.measure_context()
        self.screen.actions.memory.tick()  # user memory another window or process changed
        self.update_status()  # "another window is writing" fades after a minute

    async def _follow(self) -> None:
        followed = await self.controller.follow()
        if followed.count or followed.problem != self._follow_problem:
            self.screen.post_message(self.screen.LogFollowed(followed))

    async def followed(self, followed: Followed) -> None:
        """Show what following found: the new lines, or (once) why it could not look."""
        screen = self.screen
        if followed.problem and followed.problem != self._follow_problem:
            screen.notify(followed.problem, title="Cannot follow the log", severity="error")
        self._follow_problem = followed.problem
        if followed.count:
            await self.sync()
            screen.sidebar.reload()

    # -- a turn ------------------------------------------------------------------------

    async def grew(self, buffer: DeltaBuffer) -> None:
        """More reply text arrived."""
        text = buffer.take()
        if text:
            conversation = self.screen.conversation
            if conversation.streaming is None:
                await conversation.start_reply(self.controller.model_name)
            conversation.feed(text)

    async def progressed(self, event: TurnEvent) -> None:
        """The engine said what happened (a message saved, a reply started, a failure…)."""
        screen = self.screen
        if isinstance(event, MessageSaved):
            await self.sync(jump=event.message.role == "user")
        elif isinstance(event, ReplyStarted):
            await screen.conversation.start_reply(event.model)
        elif isinstance(event, StateChanged | CheckpointSaved | BranchStarted):
            await self.sync()
        elif isinstance(event, MemoryChanged | MemoryDeclined):
            await screen.actions.memory.happened(event)
        elif isinstance(event, TurnFailed):
            await self.failed(event.error.sentence())
        elif isinstance(event, ContextMeasured):
            session = self.controller.session
            if session is not None:
                figure = ContextFigure(session.id, event.tokens, event.window)
                self.context = figure  # measured again once the turn is over
        elif isinstance(event, Compacted):
            await self.sync()
            screen.notify(
                f"{event.record.messages} earlier messages summarised to fit the model's "
                "context; they stay in the session (expand the marker to read the summary)."
            )
        elif isinstance(event, ContextNote):
            screen.notify(event.text, title="Context", severity="warning", timeout=8)
        self.update_status()

    async def failed(self, sentence: str) -> None:
        """The turn failed: say so, and mark it in the conversation if no message does."""
        screen = self.screen
        screen.notify(sentence, title="The reply failed", severity="error", timeout=8)
        await self.sync()
        session = self.controller.session
        head = session.view.head if session else None
        if head is None or head.message.role != "assistant" or head.message.status != "error":
            await screen.conversation.add_error(sentence)

    async def over(self, worker: Worker[Any], state: WorkerState) -> None:
        """The turn worker ended (done, cancelled, or broken)."""
        screen = self.screen
        crash = error_sentence(screen, worker) if state == WorkerState.ERROR else None
        end = self.controller.end_turn(stopped=state == WorkerState.CANCELLED, crash=crash)
        screen.refresh_bindings()
        await screen.conversation.drop_reply()
        if end.failure:
            await self.failed(end.failure)
        elif self.controller.session is not None:
            await self.sync()
        if end.stopped:
            screen.notify("Reply stopped. What arrived is kept, marked interrupted.")
        prompt = screen.prompt
        if end.give_back and not prompt.text:
            prompt.load_text(end.give_back)  # keep what the person wrote, to retry
            prompt.move_cursor(prompt.document.end)
        self.update_status()
        screen.sidebar.reload()


def error_sentence(screen: ChatScreen, worker: Worker[Any]) -> str:
    """Why a worker failed, in one sentence (and in the log, when it was not ours)."""
    error = worker.error
    if isinstance(error, ChatcliError):
        return error.sentence()
    screen.log.error("worker failed", worker=worker.name, error=repr(error))
    return f"Something went wrong: {type(error).__name__}: {error}"
