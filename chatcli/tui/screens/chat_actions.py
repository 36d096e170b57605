"""ChatActions: what each chat command does, for the chat screen that owns it.

One handler per command id of `commands.registry` (checked when built). A
handler opens a dialog where it needs an answer, then asks the screen to run a
controller action in a worker; the screen renders what the action did. Dialogs
are imported when first opened: the first paint does not wait for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatcli.chat.controller import ChatController, Done
from chatcli.chat.exports import export_format, format_of
from chatcli.errors import ChatcliError
from chatcli.session import Memory, StateRecord
from chatcli.session.chain import find_checkpoint
from chatcli.tui.commands.registry import commands_for
from chatcli.tui.commands.slash import parse_slash
from chatcli.tui.screens.chat_memory import ChatMemory

if TYPE_CHECKING:
    from chatcli.tui.screens.chat_screen import ChatScreen

Handler = Callable[[str], object]
"""Runs a command with the text typed after its slash command ("" from a key)."""


class ChatActions:
    """The chat screen's command handlers, by command id."""

    def __init__(self, screen: ChatScreen, controller: ChatController) -> None:
        self.screen = screen
        self.controller = controller
        self.memory = ChatMemory(screen, controller)
        handlers: dict[str, Handler] = {
            "cancel": lambda _arg: screen.cancel_turn(),
            "checkpoint": lambda label: self.act("checkpoint", controller.checkpoint, label),
            "restore": self.restore,
            "fork": lambda _arg: self.act("fork", controller.fork),
            "new": lambda _arg: self.new_session(),
            "search": self.search,
            "rename": self.rename,
            "model": self.model,
            "export": self.export,
            "edit-state": lambda _arg: self.edit_state(),
            "toggle-sessions": lambda _arg: screen.toggle_pane("sidebar"),
            "toggle-state": lambda _arg: screen.toggle_pane("state"),
            "toggle-checkpoints": lambda _arg: screen.toggle_pane("checkpoints"),
            "memory": lambda _arg: self.memory.focus(),
            "focus-prompt": lambda _arg: screen.prompt.focus(),
            "help": lambda _arg: self.help(),
        }
        from chatcli.tui.screens.chat_branches import BranchCommands

        self.branch = BranchCommands(screen, controller, self)
        handlers.update(self.branch.handlers())
        expected = {c.id for c in commands_for("chat")}
        if set(handlers) != expected:
            raise RuntimeError(f"chat commands without one handler: {expected ^ set(handlers)}")
        self.handlers = handlers

    def run(self, command_id: str, arg: str = "") -> None:
        """Run one command."""
        self.handlers[command_id](arg)

    def submit(self, text: str) -> None:
        """Enter on the prompt: run the slash command, or send the text."""
        screen, controller = self.screen, self.controller
        try:
            invocation = parse_slash(text)
        except ChatcliError as exc:
            screen.notify(exc.sentence(), title="Command", severity="error")
            return
        if invocation is not None:
            screen.prompt.clear()
            screen.prompt.remember(text)
            self.run(invocation.command.id, invocation.arg)
            return
        if controller.turn.running:
            screen.notify("A reply is still coming: wait, or press Esc to stop it.")
            return
        if controller.needs_model and controller.model_problem:
            from chatcli.tui.screens.no_model_screen import NoModelScreen

            screen.app.push_screen(NoModelScreen(controller.model_problem))
            return
        from chatcli.tui.screens.secret_screen import ask_if_secret

        if screen.workspace.settings.secret_guard and ask_if_secret(screen.app, text, self._send):
            return
        self._send(text)

    def _send(self, text: str | None) -> None:
        """Start a turn with `text` (None: back to the prompt from the secret dialog)."""
        if text is None:
            return
        self.screen.prompt.clear()
        self.screen.prompt.remember(text)
        self.screen.start_turn(text)

    def refused(self, doing: str | None = None) -> bool:
        """Whether a session action cannot run now (and say why); `doing` needs a session."""
        refusal = self.controller.refusal(doing)
        if refusal:
            busy = self.controller.turn.running
            self.screen.notify(refusal, severity="warning" if busy else "information")
        return refusal is not None

    def act(self, doing: str | None, action: Callable[..., Awaitable[Done]], *args: Any) -> None:
        """Run a controller action in a worker (unless it cannot run now); render when done."""
        if not self.refused(doing):
            self.screen.run_worker(
                self._acting(action(*args)), group="session-io", exit_on_error=False
            )

    async def _acting(self, action: Awaitable[Done]) -> None:
        self.screen.show_done(await action)

    def restore(self, checkpoint_id: str) -> None:
        """Open the restore screen (on `checkpoint_id`, if given); restore what is picked."""
        screen, session = self.screen, self.controller.session
        if self.refused("restore") or session is None:
            return
        if not session.view.snapshots:
            screen.notify("No checkpoints yet: one is saved at the end of every turn.")
            return
        from chatcli.tui.screens.restore_screen import RestoreScreen

        if checkpoint_id:  # `/restore 3`, `/restore cp8`: open the picker on that one
            snap = find_checkpoint(session.view, checkpoint_id)
            if snap is None:
                screen.notify(f"No checkpoint {checkpoint_id!r}: see the list.", severity="warning")
            checkpoint_id = snap.record.id if snap else ""

        def chosen(picked: str | None) -> None:
            if picked is not None:
                self.act(None, self.controller.restore, picked)

        dialog = RestoreScreen(session.view, select=checkpoint_id or None, clock=screen.clock)
        screen.app.push_screen(dialog, chosen)

    def search(self, text: str) -> None:
        """Open the search screen (on `text`, if given); open the hit that is chosen."""
        from chatcli.tui.screens.chat_search import SearchPick, open_hit
        from chatcli.tui.screens.search_screen import SearchScreen

        screen = self.screen

        def chosen(pick: SearchPick | None) -> None:
            if pick is not None and not self.refused():
                screen.run_worker(open_hit(screen, pick), group="open", exit_on_error=False)

        index = screen.workspace.search_index()
        screen.app.push_screen(SearchScreen(index, text=text, clock=screen.clock), chosen)

    def new_session(self) -> None:
        """Start a new session (nothing is written until its first message)."""
        if not self.refused():
            self.screen.show_done(self.controller.new_session())

    def rename(self, title: str) -> None:
        """Give the session a title (asking for one when none is given)."""
        if title:
            self.act(None, self.controller.rename, title)
            return
        from chatcli.tui.screens.ask_text_screen import AskTextScreen

        session = self.controller.session
        current = session.title if session else self.controller.pending_title
        self.screen.app.push_screen(
            AskTextScreen("Rename this session", value=current, placeholder="A title"),
            lambda answer: self.rename(answer) if answer else None,
        )

    def model(self, name: str) -> None:
        """Use another model from the next reply on (asking which when none is given)."""
        if name:
            self.act(None, self.controller.set_model, name)
            return
        from chatcli.tui.screens.model_screen import ModelScreen

        self.screen.app.push_screen(
            ModelScreen(self.controller.model_name or "", self.controller.model_suggestions),
            lambda answer: self.model(answer) if answer else None,
        )

    def export(self, fmt: str) -> None:
        """Write the conversation to a file: ask where, offering the exports folder."""
        ext = export_format(fmt)
        if ext is None:
            self.screen.notify(
                f"Cannot export as {fmt!r}: use md, json or jsonl.", severity="error"
            )
            return
        if self.refused("export"):
            return
        from chatcli.tui.screens.ask_text_screen import AskTextScreen

        def chosen(answer: str | None) -> None:
            if answer:
                path = Path(answer).expanduser().absolute()
                self.act("export", self.controller.export, path, format_of(path))

        self.screen.app.push_screen(
            AskTextScreen(
                "Export this session to",
                value=str(self.controller.export_path(ext)),
                placeholder="a file path",
                hint="The extension picks the format: .md, .json or .jsonl. Enter writes it · "
                "Esc cancels",
            ),
            chosen,
        )

    def help(self) -> None:
        """Show every key and command."""
        from chatcli.tui.screens.help_screen import HelpScreen

        self.screen.app.push_screen(HelpScreen(dict(self.screen.workspace.settings.keymap)))

    def edit_state(self) -> None:
        """Edit the state as JSON (written as a state line "by user")."""
        if self.refused():
            return
        from chatcli.tui.screens.state_editor_screen import StateEditorScreen

        # The validated state shows every field (with defaults), so the shape is clear.
        session = self.controller.session
        state = (session.state if session else Memory()).model_dump(mode="json")
        self.screen.app.push_screen(StateEditorScreen(state, self._save_state))

    async def _save_state(self, data: dict[str, Any]) -> StateRecord | None:
        record = await self.controller.save_state(data)
        self.screen.show_done(Done("State saved." if record else "The state is unchanged."))
        return record
