"""ChatController: one open session, its engine, the I/O lock and the turn, for a face.

The TUI's chat screen drives it: the screen turns keys into calls and renders
what the controller holds; the controller does the work and knows nothing of
Textual, so every behaviour here is tested without a terminal.

Everything runs on the face's event loop. Store and model I/O happens in
threads (`asyncio.to_thread`) under `io`, one session action at a time, and the
controller's own fields change only on the loop, so a screen may read them
whenever it renders.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from chatcli.chat.engine import ChatEngine
from chatcli.chat.events import TurnEvent
from chatcli.chat.exports import suggested_path, write_export
from chatcli.chat.state_edit import check_state
from chatcli.chat.tally import LogTally
from chatcli.chat.turn_state import TurnEnd, TurnPhase, TurnState
from chatcli.chat.ui_state import UiState, UiStateFile
from chatcli.chat.user_scope import Ask
from chatcli.chat.workspace import Workspace
from chatcli.errors import ChatcliError
from chatcli.session.chain import RestorePlan, default_label, ordinal, restore_plan
from chatcli.session.records import StateRecord
from chatcli.session.session import Session
from chatcli.session.state import Memory

T = TypeVar("T")
log = logging.getLogger("chatcli.chat")

Starter = Callable[[ChatEngine], AsyncIterator[TurnEvent]]
"""How a turn other than a new message starts (`ChatEngine.edit`, `.regenerate`)."""
SHARED_SECONDS = 60.0
"""How long after another window's last write the session counts as shared."""
BUSY = "Wait for the reply to finish (Esc stops it)."


@dataclass(frozen=True)
class Done:
    """What a session action did."""

    note: str = ""
    """What to tell the person (a toast), or nothing."""
    switched: bool = False
    """Another session (or a new, unsaved one) is open now."""


@dataclass(frozen=True)
class Followed:
    """What following the log found: lines another window wrote, or why it could not look."""

    count: int = 0
    problem: str = ""


async def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking I/O in a thread; a cancel waits for it to finish rather than abandon it."""
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


class ChatController:
    """The open session (or a new one, created with its first message) and its turns."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        model: str | None = None,
        agent: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`model` and `agent`: what the command line asked for (`-m`, `--agent`)."""
        self.workspace = workspace
        self.agent = agent
        self.flag_model = model
        """`-m`: the model for every session opened or created in this window."""
        self.pending_model = model
        """The model for the next new session."""
        self.pending_title = ""
        self.session: Session[Any] | None = None
        self.engine: ChatEngine | None = None
        self.turn = TurnState()
        self.tally = LogTally()
        self.io = asyncio.Lock()
        """One session action at a time: turns, edits and following the log."""
        self.default_model: str | None = workspace.settings.model
        """The model a new session gets when none is named (known once `check_model` ran)."""
        self.model_problem: str | None = None
        self._ui_file = UiStateFile(workspace.paths.ui_state_file)
        self.ui = self._ui_file.load()
        """What the window remembers between runs (see chatcli.chat.ui_state)."""
        self._monotonic = monotonic
        self._shared_at = -math.inf
        self.memory_ask: Ask | None = None
        """Asks the person before the model changes user memory (memory_approval = "ask")."""

    # -- what the face shows -----------------------------------------------------------

    @property
    def model_name(self) -> str | None:
        """The model that answers the next message."""
        if self.engine is not None:
            return self.engine.model_name
        if self.session is not None:
            return self.flag_model or self.session.model or self.default_model
        return self.pending_model or self.default_model

    @property
    def agent_name(self) -> str:
        """The open session's agent (or the one a new session gets)."""
        if self.session is not None and self.session.agent:
            return self.session.agent
        return self.agent or self.workspace.settings.agent

    @property
    def model_note(self) -> str | None:
        """A caution about the answering model (the tiny offline one), or None."""
        return self.workspace.model_note(self.model_name)

    @property
    def note_in_full(self) -> bool:
        """Whether to show the model's caution in full: once, until the first message to it."""
        model = self.model_name
        return model is not None and self.model_note is not None and model not in self.ui.seen_notes

    @property
    def shared(self) -> bool:
        """Another window wrote to this session in the last minute."""
        return self._monotonic() - self._shared_at < SHARED_SECONDS

    @property
    def needs_model(self) -> bool:
        """No model can answer: sending would only fail (say how to configure one)."""
        return self.model_problem is not None and self.model_name is None

    def refusal(self, doing: str | None = None) -> str | None:
        """Why a session action cannot run now (`doing` needs a saved session), or None."""
        if self.turn.running:
            return BUSY
        if doing and self.session is None:
            return f"Nothing to {doing} yet: send a message first."
        return None

    # -- start-up and opening ------------------------------------------------------------

    async def check_model(self) -> str | None:
        """Work out the default model; None, or how to configure one when none is usable."""

        def check() -> tuple[str | None, str | None]:
            return self.workspace.default_model(self.agent_name), self.workspace.model_problem()

        self.default_model, self.model_problem = await asyncio.to_thread(check)
        return self.model_problem

    def show(self, session: Session[Any] | None, engine: ChatEngine | None = None) -> bool:
        """Make `session` the open one (None: a new, unsaved session); whether it changed."""
        changed = session is not self.session
        self.session, self.engine = session, engine
        if changed:
            self.tally = LogTally()
            self._shared_at = -math.inf
        return changed

    async def open(self, session_id: str) -> Done:
        """Open a stored session."""
        async with self.io:
            session = await asyncio.to_thread(self.workspace.open_session, session_id)
        self.show(session)
        return Done(switched=True)

    async def open_latest(self) -> Done:
        """Open the most recent session (a new one when there is none)."""
        summary = await asyncio.to_thread(self.workspace.most_recent)
        if summary is None:
            self.show(None)
            return Done("No sessions yet: this is a new one.", switched=True)
        return await self.open(summary.id)

    async def build_engine(self) -> None:
        """Build the open session's engine (its agent file, its prompt template)."""
        async with self.io:
            await self._engine()

    async def _engine(self) -> ChatEngine:
        """The open session's engine, creating the session first if need be (hold `io`)."""
        session = self.session
        if session is None:
            session = await _in_thread(
                lambda: self.workspace.new_session(
                    title=self.pending_title, model=self.pending_model, agent=self.agent
                )
            )
            self.show(session)
        engine = self.engine
        if engine is None or engine.session is not session:
            engine = await asyncio.to_thread(
                self.workspace.engine_for, session, ask=self.memory_ask
            )
            model = self.flag_model
            if model and model != session.model:
                await _in_thread(engine.set_model, model)
            if self.session is session:
                self.engine = engine
        return engine

    # -- session actions -------------------------------------------------------------------

    def _saved(self) -> Session[Any]:
        if self.session is None:
            raise ChatcliError("There is no saved session yet.", "Send a message first.")
        return self.session

    async def checkpoint(self, label: str = "") -> Done:
        """Checkpoint the view now; without a label, it is named for its turn."""
        session = self._saved()
        async with self.io:
            record = await _in_thread(session.checkpoint, label or default_label(session.view.head))
        number = ordinal(session.view, record.id)
        return Done(f"Checkpoint #{number} ({record.id}) saved: “{record.label}”.")

    async def restore(self, checkpoint_id: str) -> Done:
        """Roll the view back (or forward) to a checkpoint; nothing leaves the log."""
        session = self._saved()

        def restore() -> RestorePlan:
            plan = restore_plan(session.view, session.checkpoint_by_id(checkpoint_id))
            session.restore(checkpoint_id)
            return plan

        async with self.io:
            plan = await _in_thread(restore)
        kept = " (kept in the log)" if plan.rolls_back else ""
        return Done(f"Restored {checkpoint_id}: {plan.moved()}{kept}.")

    async def fork(self) -> Done:
        """Continue in a new session that starts with this conversation."""
        session = self._saved()
        async with self.io:
            fork = await _in_thread(session.fork)
            engine = await asyncio.to_thread(self.workspace.engine_for, fork, ask=self.memory_ask)
        self.show(fork, engine)
        note = f"Forked into {fork.id}: you are now in the copy; the original is unchanged."
        return Done(note, switched=True)

    def new_session(self) -> Done:
        """Start a new session (saved when its first message is sent)."""
        self.pending_model = self.model_name
        self.pending_title = ""
        self.show(None)
        return Done("New session.", switched=True)

    async def rename(self, title: str) -> Done:
        """Give the session a title (the new one gets it when it is saved)."""
        if self.session is None:
            self.pending_title = title
            return Done(f"Title “{title}” is used when the session is saved.")
        session = self.session
        async with self.io:
            await _in_thread(session.rename, title)
        return Done(f"Renamed to “{title}”.")

    async def model_suggestions(self) -> list[tuple[str, str]]:
        """Models to offer, with why: recent ones first, then litellm's for the keys set."""
        from chatcli.llm.known_models import known_models

        offered: dict[str, str] = {}
        for model in (self.model_name, *self.ui.recent_models, self.default_model):
            if model:
                offered.setdefault(model, "recent")
        for model in await asyncio.to_thread(known_models, self.workspace.environ):
            offered.setdefault(model, model.split("/", 1)[0])
        return list(offered.items())

    async def set_model(self, name: str) -> Done:
        """Use another model from the next reply on."""
        await self._remember_quietly(self.ui.with_model(name))
        if self.session is None:
            self.pending_model = name
            return Done(f"Model: {name}.")
        async with self.io:
            engine = await self._engine()
            await _in_thread(engine.set_model, name)
        return Done(f"Model: {name} from the next reply on.")

    def export_path(self, fmt: str) -> Path:
        """Where an export goes unless the person says otherwise: a new file in the
        exports folder (`<data dir>/exports/<session id>.<fmt>`)."""
        session_id = self.session.id if self.session else "session"
        return suggested_path(self.workspace.paths.exports_dir, session_id, fmt)

    async def export(self, path: Path, fmt: str) -> Done:
        """Write the conversation to `path` (a new 0600 file) as `md`, `json` or `jsonl`."""
        session = self._saved()
        async with self.io:
            text = await asyncio.to_thread(self.workspace.export, session, fmt)
        exports = self.workspace.paths.exports_dir
        written = await asyncio.to_thread(write_export, path, text, exports)
        return Done(f"Exported to {written}.")

    async def save_state(self, data: dict[str, Any]) -> StateRecord | None:
        """A person's edit of the state (ChatcliError, in words, when it does not fit)."""
        check_state(self.session.state_type if self.session else Memory, data)
        async with self.io:
            engine = await self._engine()
            return await engine.edit_state(data)

    @property
    def can_follow(self) -> bool:
        """Whether `follow` would look now (a session is open and nothing else holds `io`)."""
        return self.session is not None and not self.io.locked() and not self.turn.running

    def keep(self, state: UiState) -> Awaitable[None]:
        """Use `state` now; await the result to save it for the next run (in a thread;
        ChatcliError when the file cannot be written)."""
        self.ui = state
        return asyncio.to_thread(self._ui_file.save, state)

    async def remember(self, state: UiState) -> None:
        """`keep` and save `state`, if it is new."""
        if state != self.ui:
            await self.keep(state)

    async def _remember_quietly(self, state: UiState) -> None:
        """`remember`, during a turn: a preference that cannot be saved must not break it."""
        try:
            await self.remember(state)
        except ChatcliError as exc:
            log.warning("%s", exc.sentence())

    async def follow(self) -> Followed:
        """Take in lines another window appended (skipped while anything else holds `io`)."""
        session = self.session
        if session is None or not self.can_follow:
            return Followed()
        async with self.io:
            try:
                fresh = await asyncio.to_thread(session.refresh)
            except ChatcliError as exc:
                return Followed(problem=exc.sentence())
        if fresh and session is self.session:
            self._shared_at = self._monotonic()
        return Followed(len(fresh))

    # -- turns -------------------------------------------------------------------------------

    def begin_turn(self, text: str) -> None:
        """A turn starts with `text` (as typed); `run_turn` runs it."""
        if self.turn.running:
            raise ChatcliError(BUSY)
        self.turn = TurnState.sending(text)

    async def run_turn(self, text: str, start: Starter | None = None) -> AsyncIterator[TurnEvent]:
        """Send `text` (or run `start`: an edit, a regeneration) and yield what happens
        (chatcli.chat.events); `turn` follows along."""
        async with self.io:
            engine = await self._engine()
            if engine.model_name:
                ui = self.ui.with_model(engine.model_name)
                if self.note_in_full:  # shown once: now it folds away
                    ui = ui.with_note_seen(engine.model_name)
                await self._remember_quietly(ui)
            async for event in start(engine) if start else engine.send(text):
                self.turn = self.turn.after(event)
                yield event

    def end_turn(self, *, stopped: bool = False, crash: str | None = None) -> TurnEnd:
        """The turn is over (finished, stopped, or broken with `crash`); back to idle."""
        turn, self.turn = self.turn, TurnState()
        failed = crash is not None or turn.phase is TurnPhase.FAILED
        unsent = not turn.saved and (stopped or failed)
        return TurnEnd(
            give_back=turn.text if failed or unsent else None,
            failure=crash,
            stopped=stopped,
        )
