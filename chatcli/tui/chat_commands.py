"""ChatCommands: the session actions of the chat screen.

`/checkpoint`, `/restore`, `/fork`, `/new`, `/rename`, `/model`, `/export`,
`/help` and the state editor. Each is one `action_*` method, so a slash
command, its key binding and its command-palette entry run the same code.
Store I/O runs in thread workers under the screen's I/O lock; results come back
as messages (`SessionOpened`, `Changed`) that ChatScreen renders.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

from textual import work
from textual.message import Message
from textual.screen import Screen

from chatcli.errors import ChatcliError
from chatcli.session import Memory, Session, StateRecord
from chatcli.tui.clock import Clock
from chatcli.tui.history import restore_plan
from chatcli.tui.ports import Engine, Workspace
from chatcli.tui.start import Start

# Dialogs are imported when first opened: the first paint does not wait for them.

EXPORT_FORMATS = {"md": "md", "markdown": "md", "json": "json", "jsonl": "jsonl"}


def write_export(folder: Path, session_id: str, ext: str, text: str) -> Path:
    """Write an export as a new private file `chatcli-<id>.<ext>` (never overwriting)."""
    for n in range(1000):
        path = folder / f"chatcli-{session_id}{f'-{n}' if n else ''}.{ext}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path
    raise ChatcliError(f"Too many exports of {session_id} in {folder}.", "Move some away.")


class ChatCommands(Screen[None]):
    """Session actions; ChatScreen adds the layout, turns and rendering."""

    session: Session[Any] | None
    engine: Engine | None
    workspace: Workspace
    start: Start
    clock: Clock
    pending_model: str | None
    pending_title: str
    _io: threading.Lock

    class SessionOpened(Message):
        """A session was opened, created or forked (None: a new, unsaved one)."""

        def __init__(
            self, session: Session[Any] | None, engine: Engine | None, note: str = ""
        ) -> None:
            super().__init__()
            self.session = session
            self.engine = engine
            self.note = note

    class EngineBuilt(Message):
        """The chat engine for an opened session is ready (built after it is shown)."""

        def __init__(self, session: Session[Any], engine: Engine) -> None:
            super().__init__()
            self.session = session
            self.engine = engine

    class Changed(Message):
        """A session action finished; re-render, and say `note` if there is one."""

        def __init__(self, note: str = "") -> None:
            super().__init__()
            self.note = note

    # -- what ChatScreen provides ------------------------------------------------

    def _turn_running(self) -> bool:
        raise NotImplementedError

    def _create(self) -> tuple[Session[Any], Engine]:
        raise NotImplementedError

    def _update_status(self) -> None:
        raise NotImplementedError

    def _engine(self) -> Engine:
        """The open session's engine, creating the session or the engine if need be.

        Runs in a thread, under the I/O lock.
        """
        session, engine = self.session, self.engine
        if session is None:
            session, engine = self._create()
            self.post_message(self.SessionOpened(session, engine))
            return engine
        if engine is None or engine.session is not session:
            engine = self.workspace.engine_for(session)
            self.post_message(self.EngineBuilt(session, engine))
        return engine

    # -- guards ------------------------------------------------------------------------

    def _idle(self) -> bool:
        if self._turn_running():
            self.notify("Wait for the reply to finish (Esc stops it).", severity="warning")
            return False
        return True

    def _saved_session(self, doing: str) -> Session[Any] | None:
        if self.session is None:
            self.notify(f"Nothing to {doing} yet: send a message first.")
        return self.session

    # -- checkpoint, restore, fork, new -------------------------------------------

    def action_checkpoint(self, label: str = "") -> None:
        """Save a checkpoint of the conversation now."""
        session = self._saved_session("checkpoint")
        if session is not None and self._idle():
            self._checkpoint(session, label)

    @work(thread=True, group="session-io", exit_on_error=False)
    def _checkpoint(self, session: Session[Any], label: str) -> None:
        with self._io:
            record = session.checkpoint(label)
        named = f" “{label}”" if label else ""
        self.post_message(self.Changed(f"Checkpoint {record.id}{named} saved."))

    def action_restore(self, checkpoint_id: str = "") -> None:
        """Open the restore picker."""
        session = self._saved_session("restore")
        if session is None or not self._idle():
            return
        if not session.view.snapshots:
            self.notify("No checkpoints yet: one is saved at the end of every turn.")
            return
        from chatcli.tui.restore_picker import RestorePicker

        picker = RestorePicker(session.view, select=checkpoint_id or None, clock=self.clock)

        def chosen(picked: str | None) -> None:
            if picked is not None and self._idle():
                self._restore(session, picked)

        self.app.push_screen(picker, chosen)

    @work(thread=True, group="session-io", exit_on_error=False)
    def _restore(self, session: Session[Any], checkpoint_id: str) -> None:
        with self._io:
            plan = restore_plan(session.view, session.checkpoint_by_id(checkpoint_id))
            session.restore(checkpoint_id)
        rolled = f"{plan.rolls_back} message{'s' if plan.rolls_back != 1 else ''}"
        note = f"Restored {checkpoint_id}: {rolled} rolled back, kept in the log."
        self.post_message(self.Changed(note))

    def action_fork(self, _arg: str = "") -> None:
        """Continue in a new session that starts with this conversation."""
        session = self._saved_session("fork")
        if session is not None and self._idle():
            self._fork(session)

    @work(thread=True, group="session-io", exit_on_error=False)
    def _fork(self, session: Session[Any]) -> None:
        with self._io:
            fork = session.fork()
            engine = self.workspace.engine_for(fork)
        note = f"Forked into {fork.id}: you are now in the copy; the original is unchanged."
        self.post_message(self.SessionOpened(fork, engine, note))

    def action_new_session(self, _arg: str = "") -> None:
        """Start a new session (saved when its first message is sent)."""
        if not self._idle():
            return
        if self.engine is not None:
            self.pending_model = self.engine.model_name or self.pending_model
        self.pending_title = ""
        self.post_message(self.SessionOpened(None, None, "New session."))

    # -- rename, model, export -------------------------------------------------------

    def action_rename(self, title: str = "") -> None:
        """Give the session a title."""
        if not title:
            from chatcli.tui.ask_text import AskText

            current = self.session.title if self.session else self.pending_title
            self.app.push_screen(
                AskText("Rename this session", value=current, placeholder="A title"),
                lambda answer: self.action_rename(answer) if answer else None,
            )
            return
        if self.session is None:
            self.pending_title = title
            self.notify(f"Title “{title}” is used when the session is saved.")
            return
        if self._idle():
            self._rename(self.session, title)

    @work(thread=True, group="session-io", exit_on_error=False)
    def _rename(self, session: Session[Any], title: str) -> None:
        with self._io:
            session.rename(title)
        self.post_message(self.Changed(f"Renamed to “{title}”."))

    def action_model(self, name: str = "") -> None:
        """Use another model from the next reply on."""
        if not name:
            from chatcli.tui.ask_text import AskText

            current = (self.engine.model_name if self.engine else self.pending_model) or ""
            self.app.push_screen(
                AskText("Model for the next replies", value=current, placeholder="provider/model"),
                lambda answer: self.action_model(answer) if answer else None,
            )
            return
        if self.session is None:
            self.pending_model = name
            self._update_status()
            self.notify(f"Model: {name}.")
        elif self._idle():
            self._set_model(name)

    @work(thread=True, group="session-io", exit_on_error=False)
    def _set_model(self, name: str) -> None:
        with self._io:
            self._engine().set_model(name)
        self.post_message(self.Changed(f"Model: {name} from the next reply on."))

    def action_export(self, fmt: str = "") -> None:
        """Write the conversation to a file in the current folder."""
        ext = EXPORT_FORMATS.get((fmt or "md").lower())
        if ext is None:
            self.notify(f"Cannot export as {fmt!r}: use md or json.", severity="error")
            return
        session = self._saved_session("export")
        if session is not None:
            self._export(session, ext)

    @work(thread=True, group="session-io", exit_on_error=False)
    def _export(self, session: Session[Any], ext: str) -> None:
        with self._io:
            text = self.workspace.export(session, ext)
        path = write_export(Path.cwd(), session.id, ext, text)
        self.post_message(self.Changed(f"Exported to {path}."))

    def action_help(self, _arg: str = "") -> None:
        """Show keys and commands."""
        from chatcli.tui.help_screen import HelpScreen

        self.app.push_screen(HelpScreen(dict(self.workspace.settings.keymap)))

    # -- the state -----------------------------------------------------------------------

    def action_edit_state(self) -> None:
        """Edit the state as JSON (written as a state line "by user")."""
        if not self._idle():
            return
        from chatcli.tui.state_editor import StateEditor

        # The validated state shows every field (with defaults), so the shape is clear.
        state = (self.session.state if self.session else Memory()).model_dump(mode="json")
        self.app.push_screen(StateEditor(state, self._save_state))

    async def _save_state(self, data: dict[str, Any]) -> StateRecord | None:
        await asyncio.to_thread(self._io.acquire)
        try:
            engine = await asyncio.to_thread(self._engine)
            record = await engine.edit_state(data)
        finally:
            self._io.release()
        self.post_message(self.Changed("State saved." if record else "The state is unchanged."))
        return record
