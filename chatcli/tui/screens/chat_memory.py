"""ChatMemory: user memory in the chat screen: the "Everywhere" list, its keys, approval.

The list shows what every session sees, each entry with where it came from; its
keys (see `MemoryRows`) edit, forget, add or undo in place, and open the session
an entry came from. Writes run in workers through `MemoryDesk`; the list is
drawn again when the log changed (a turn, another window, `chatcli memory`).
With `memory_approval = "ask"` the engine awaits `ask`, which shows a dialog.
Every write the model makes is a toast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.worker import Worker

from chatcli.chat.controller import ChatController
from chatcli.chat.events import MemoryChanged, MemoryDeclined, MemoryWrite
from chatcli.chat.memory_desk import MemoryDesk, Shown
from chatcli.errors import ChatcliError
from chatcli.tui.widgets.memory_rows import MemoryRows

if TYPE_CHECKING:
    from chatcli.tui.screens.chat_screen import ChatScreen


class ChatMemory:
    """The chat screen's user-memory list and what its keys do."""

    def __init__(self, screen: ChatScreen, controller: ChatController) -> None:
        self.screen = screen
        self.controller = controller
        self.desk = MemoryDesk(controller.workspace)
        controller.memory_ask = self.ask
        self._drawing: Worker[None] | None = None
        self._problem = ""

    # -- showing -----------------------------------------------------------------------

    async def draw(self, *, force: bool = False) -> None:
        """Draw the list again if the log changed (or `force`)."""
        try:
            changed = await self.desk.changed()
            if changed or force:
                shown = await self.desk.shown(self.screen.clock())
                self.screen.query_one(MemoryRows).show(shown)
        except ChatcliError as exc:
            if exc.sentence() != self._problem:  # once, not at every look
                self.screen.notify(exc.sentence(), title="User memory", severity="error")
            self._problem = exc.sentence()
            return
        self._problem = ""

    def tick(self) -> None:
        """Look for changes made elsewhere, unless a look is still under way."""
        if self._drawing is None or self._drawing.is_finished:
            self._drawing = self.screen.run_worker(
                self.draw(), group="user-memory-follow", exit_on_error=False
            )

    def focus(self) -> None:
        """F8 / `/memory`: show the state pane and put the cursor in the list."""
        rows = self.screen.query_one(MemoryRows)
        if not self.screen.query_one("#state").display:
            self.screen.toggle_pane("state")
            self.screen.call_after_refresh(rows.focus)  # once the pane is shown
            return
        rows.focus()

    # -- what the model did ---------------------------------------------------------------

    async def happened(self, event: MemoryChanged | MemoryDeclined) -> None:
        """A toast for each write the model made (or was not allowed to make)."""
        write = event.write
        if isinstance(event, MemoryChanged):
            did = "Forgot" if write.value is None else "Remembered"
            self.screen.notify(
                f"{did} {write.describe()} for every session (F8 shows it; u there undoes it).",
                title="User memory",
            )
            await self.draw()
        elif event.asked:
            self.screen.notify(f"Not kept: {write.describe()}.", title="User memory")

    async def ask(self, write: MemoryWrite) -> bool:
        """Ask the person (memory_approval = "ask") whether the model may make this write."""
        from chatcli.tui.screens.memory_approval_screen import MemoryApprovalScreen

        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def answered(allowed: bool | None) -> None:
            if not answer.done():
                answer.set_result(bool(allowed))

        self.screen.app.push_screen(MemoryApprovalScreen(write), answered)
        return await answer

    # -- the list's keys -------------------------------------------------------------------

    def asked(self, action: str, entry: Shown | None) -> None:
        """A key of the list was pressed (`MemoryRows.Asked`)."""
        if action == "add":
            self._ask_text("Remember for every session", "", "key = value", self._added)
        elif action == "undo":
            self._run(self.desk.undo(self._here()))
        elif entry is None:
            self.screen.notify("Nothing is highlighted: add an entry with a.")
        elif action == "edit":
            self._ask_text(
                f"Remember for every session: {entry.key}",
                entry.value,
                "a value",
                lambda value: self._run(self.desk.edit(entry.key, value, self._here())),
            )
        elif action == "forget":
            self._run(self.desk.forget(entry.key, self._here()))
        elif action == "open":
            self._open(entry)

    def _open(self, entry: Shown) -> None:
        session = self.controller.session
        if entry.session is None:
            self.screen.notify(f"{entry.key} came from no session: {entry.origin}.")
        elif session is not None and session.id == entry.session:
            self.screen.notify("It came from this session.")
        elif not self.screen.actions.refused():
            self.screen.open_session(entry.session)

    def _added(self, text: str) -> None:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            self.screen.notify(
                f"{text!r} is not key = value: write it as city = Lisbon.", severity="error"
            )
            return
        self._run(self.desk.edit(key.strip(), value.strip(), self._here()))

    def _here(self) -> str | None:
        session = self.controller.session
        return session.id if session else None

    def _ask_text(
        self, question: str, value: str, placeholder: str, then: Callable[[str], object]
    ) -> None:
        from chatcli.tui.screens.ask_text_screen import AskTextScreen

        def answered(answer: str | None) -> None:
            if answer:
                then(answer)

        self.screen.app.push_screen(
            AskTextScreen(question, value=value, placeholder=placeholder), answered
        )

    def _run(self, doing: Awaitable[str]) -> None:
        self.screen.run_worker(self._doing(doing), group="user-memory", exit_on_error=False)

    async def _doing(self, doing: Awaitable[str]) -> None:
        try:
            note = await doing
        except ChatcliError as exc:
            self.screen.notify(exc.sentence(), title="User memory", severity="error")
            return
        self.screen.notify(note, title="User memory")
        await self.draw(force=True)
