"""ChatTurns: a turn from the prompt to the screen.

Enter sends (or runs a slash command); a worker iterates the chat engine and
posts what it yields; handlers render it. Reply text is buffered, and bursts of
`ReplyGrew` merge into one message, so a fast stream never floods the queue.
Esc cancels the worker: the engine keeps what arrived, marked interrupted.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.message import Message
from textual.worker import Worker, WorkerState

from chatcli.chat.events import (
    CheckpointSaved,
    MessageSaved,
    ReplyDelta,
    ReplyStarted,
    StateChanged,
    ToolCalled,
    ToolFinished,
    TurnEvent,
    TurnFailed,
    TurnFinished,
)
from chatcli.errors import ChatcliError
from chatcli.tui.chat_commands import ChatCommands
from chatcli.tui.commands import parse_slash, unescape
from chatcli.tui.conversation import Conversation
from chatcli.tui.prompt import PromptInput
from chatcli.tui.secret_dialog import ask_if_secret
from chatcli.tui.sidebar import SessionsSidebar


class DeltaBuffer:
    """Reply text the turn worker received and the screen has not shown yet."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def add(self, text: str) -> None:
        self._parts.append(text)

    def take(self) -> str:
        text, self._parts = "".join(self._parts), []
        return text


class ChatTurns(ChatCommands):
    """Sending prompts and showing the turn; ChatScreen adds layout and sessions."""

    turn: Worker[None] | None
    model_problem: str | None
    _turn_text: str
    _user_saved: bool
    _failed: bool

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
            return isinstance(message, ChatTurns.ReplyGrew) and message.buffer is self.buffer

    # -- what ChatScreen provides --------------------------------------------------

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def conversation(self) -> Conversation:
        return self.query_one(Conversation)

    async def _sync(self, *, jump: bool = False) -> None:
        raise NotImplementedError

    def _set_busy(self, text: str) -> None:
        raise NotImplementedError

    def _ready(self) -> None:
        raise NotImplementedError

    # -- sending ------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _submitted(self, event: PromptInput.Submitted) -> None:
        text = event.text
        try:
            invocation = parse_slash(text)
        except ChatcliError as exc:
            self.notify(exc.sentence(), title="Command", severity="error")
            return
        if invocation is not None:
            self.prompt.clear()
            self.prompt.remember(text)
            result = getattr(self, f"action_{invocation.command.action}")(invocation.arg)
            if asyncio.iscoroutine(result):
                await result
            return
        if self._turn_running():
            self.notify("A reply is still coming: wait, or press Esc to stop it.")
            return
        if self.model_problem and self.engine is None and not self.pending_model:
            from chatcli.tui.no_model import NoModelScreen

            self.app.push_screen(NoModelScreen(self.model_problem))
            return
        if self.workspace.settings.secret_guard and ask_if_secret(self.app, text, self._send):
            return
        self._send(text)

    def _send(self, text: str | None) -> None:
        """Start a turn with `text` (None: back to the prompt from the secret dialog)."""
        if text is None:
            return
        self.prompt.clear()
        self.prompt.remember(text)
        self._turn_text = text
        self._user_saved = self._failed = False
        self.turn = self._run_turn(unescape(text))
        self.refresh_bindings()

    def _turn_running(self) -> bool:
        return self.turn is not None and self.turn.is_running

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def _run_turn(self, text: str) -> None:
        await asyncio.to_thread(self._io.acquire)
        try:
            engine = await asyncio.to_thread(self._engine)
            buffer = DeltaBuffer()
            async for event in engine.send(text):
                if isinstance(event, ReplyDelta):
                    buffer.add(event.text)
                    self.post_message(self.ReplyGrew(buffer))
                else:
                    self.post_message(self.TurnProgressed(event))
        finally:
            self._io.release()

    @on(ReplyGrew)
    async def _reply_grew(self, event: ReplyGrew) -> None:
        text = event.buffer.take()
        if text:
            if self.conversation.streaming is None:
                await self.conversation.start_reply(self.engine.model_name if self.engine else None)
            self.conversation.feed(text)

    @on(TurnProgressed)
    async def _turn_progressed(self, message: TurnProgressed) -> None:
        event = message.event
        model = self.engine.model_name if self.engine else None
        if isinstance(event, MessageSaved):
            if event.message.role == "user":
                self._user_saved = True
            await self._sync(jump=event.message.role == "user")
        elif isinstance(event, ReplyStarted):
            self._set_busy(f"{event.model} is replying… Esc stops")
            await self.conversation.start_reply(event.model)
        elif isinstance(event, ToolCalled):
            self._set_busy(f"running {event.name}…")
        elif isinstance(event, ToolFinished):
            self._set_busy(f"{model or 'the model'} is replying… Esc stops")
        elif isinstance(event, StateChanged | CheckpointSaved):
            await self._sync()
        elif isinstance(event, TurnFailed):
            await self._turn_failed(event.error.sentence())
        elif isinstance(event, TurnFinished):
            self._set_busy("")

    async def _turn_failed(self, sentence: str) -> None:
        self._failed = True
        self.notify(sentence, title="The reply failed", severity="error", timeout=8)
        await self._sync()
        head = self.session.view.head if self.session else None
        if head is None or head.message.role != "assistant" or head.message.status != "error":
            await self.conversation.add_error(sentence)
        if not self.prompt.text:
            self.prompt.load_text(self._turn_text)  # keep what the person wrote, to retry
            self.prompt.move_cursor(self.prompt.document.end)

    def action_cancel_reply(self) -> None:
        """Stop the reply; what arrived is kept, marked interrupted."""
        if self.turn is not None and self.turn.is_running:
            self.turn.cancel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_reply":
            return self._turn_running()
        return True

    @on(Worker.StateChanged)
    async def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker, state = event.worker, event.state
        if state == WorkerState.ERROR:
            await self._worker_failed(worker)
        if worker is self.turn and state in (
            WorkerState.SUCCESS,
            WorkerState.CANCELLED,
            WorkerState.ERROR,
        ):
            await self._turn_over(state)

    async def _worker_failed(self, worker: Worker[Any]) -> None:
        error = worker.error
        if isinstance(error, ChatcliError):
            sentence = error.sentence()
        else:
            self.log.error("worker failed", worker=worker.name, error=repr(error))
            sentence = f"Something went wrong: {type(error).__name__}: {error}"
        if worker is self.turn:
            await self._turn_failed(sentence)
        else:
            self.notify(sentence, title="Error", severity="error", timeout=8)
        if worker.group == "open":
            self._ready()  # nothing to show but a new session: start-up is over all the same

    async def _turn_over(self, state: WorkerState) -> None:
        self._set_busy("")
        self.refresh_bindings()
        await self.conversation.drop_reply()
        if self.session is not None:
            await self._sync()
        if state == WorkerState.CANCELLED:
            self.notify("Reply stopped. What arrived is kept, marked interrupted.")
        unsent = not self._user_saved and not self._failed and state != WorkerState.SUCCESS
        if unsent and not self.prompt.text:
            self.prompt.load_text(self._turn_text)
        self.query_one(SessionsSidebar).reload()
