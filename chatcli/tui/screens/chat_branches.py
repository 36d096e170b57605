"""The chat screen's branch commands: the tree (F9), regenerate (Alt+R), edit (F10, Alt+E),
picking a message (Alt+↑) and flipping between its versions (Alt+←/→).

`ChatActions` takes these handlers beside its own. An edit loads the message
into the prompt (marked `-editing`); Enter sends it on a new branch where the
message was, Esc gives the prompt back. What F10 and Alt+Left/Right act on is the message
picked in the conversation (a focused `MessageBlock`), else the newest one
that fits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatcli.chat.branch_actions import BranchActions, edit_starter, regenerate_starter
from chatcli.chat.controller import ChatController, Done, Starter
from chatcli.errors import ChatcliError
from chatcli.tui.widgets.message_block import MessageBlock

if TYPE_CHECKING:
    from chatcli.tui.screens.chat_actions import ChatActions, Handler
    from chatcli.tui.screens.chat_screen import ChatScreen
    from chatcli.tui.screens.tree_screen import TreeChoice


class BranchCommands:
    """Handlers for the branch commands, and the edit the prompt may hold."""

    def __init__(self, screen: ChatScreen, controller: ChatController, actions: ChatActions):
        self.screen = screen
        self.controller = controller
        self.actions = actions
        self.branches = BranchActions(controller)
        self.editing: tuple[str, int] | None = None
        """The session and seq of the user message the prompt holds an edit of."""

    def handlers(self) -> dict[str, Handler]:
        return {
            "tree": lambda _arg: self.tree(),
            "regenerate": lambda _arg: self.regenerate(),
            "edit-message": self.edit,
            "select-message": lambda _arg: self.select(),
            "branch-previous": lambda _arg: self.flip(-1),
            "branch-next": lambda _arg: self.flip(1),
        }

    # -- what a key acts on -----------------------------------------------------------

    def picked(self) -> MessageBlock | None:
        """The message block picked in the conversation, if one has focus."""
        focused = self.screen.focused
        if focused is None:
            return None
        for node in focused.ancestors_with_self:
            if isinstance(node, MessageBlock):
                return node if node.seq else None
        return None

    def select(self) -> None:
        """Move into the conversation: pick its newest message (then ↑↓)."""
        blocks = [b for b in self.screen.conversation.blocks if b.seq]
        if not blocks:
            self.screen.notify("No message to pick yet.")
            return
        blocks[-1].focus()
        blocks[-1].scroll_visible(animate=False)

    # -- the tree -----------------------------------------------------------------------

    def tree(self) -> None:
        """Open the tree screen; do what is chosen there."""
        if not self.actions.refused("show as a tree"):
            self.screen.run_worker(self._open_tree(), group="session-io", exit_on_error=False)

    async def _open_tree(self) -> None:
        from chatcli.tui.screens.tree_screen import TreeScreen

        tree = await self.branches.tree()
        self.screen.app.push_screen(TreeScreen(tree, clock=self.screen.clock), self._chosen)

    def _chosen(self, choice: TreeChoice | None) -> None:
        if choice is None:
            return
        if choice.action == "open":
            self.screen.open_session(choice.session)
        elif choice.action == "edit":
            self.edit(str(choice.seq))
        else:
            self.actions.act(None, self.branches.switch, choice.seq)

    def flip(self, step: int) -> None:
        """Show the previous (-1) or next (+1) version of the picked (or newest) message."""
        if self.actions.refused("switch"):
            return
        known = self.branches.siblings()
        block = self.picked()
        seq = block.seq if block is not None else None
        if seq is None or seq not in known:
            seq = max(known, default=None)
        if seq is None:
            self.screen.notify("No message here has another version: Alt+R or F10 makes one.")
            return
        self.actions.act(None, self._flip, seq, step)

    async def _flip(self, seq: int, step: int) -> Done:
        done = await self.branches.flip(seq, step)
        self.screen.call_later(self._refocus, seq)
        return done

    def _refocus(self, seq: int) -> None:
        """Keep the picked place after a flip: the block now where `seq` was."""
        if self.picked() is None:
            return
        self.screen.call_after_refresh(self.select)

    # -- edit and regenerate ------------------------------------------------------------

    def edit(self, arg: str) -> None:
        """Load a message of yours into the prompt to edit (`/edit N`, F10 or Enter on a picked one)."""
        if self.actions.refused("edit"):
            return
        seq = self._edit_target(arg)
        if seq is None:
            return
        try:
            text = self.branches.check_edit(seq)
        except ChatcliError as exc:
            self.screen.notify(exc.sentence(), title="Edit", severity="warning")
            return
        prompt = self.screen.prompt
        self.editing = (self.controller.session.id if self.controller.session else "", seq)
        prompt.load_text(text)
        prompt.move_cursor(prompt.document.end)
        prompt.add_class("-editing")
        prompt.focus()
        self.screen.notify(
            f"Editing message #{seq}: Enter sends it on a new branch (the old one is kept); "
            "Esc cancels."
        )

    def _edit_target(self, arg: str) -> int | None:
        if arg.strip():
            digits = arg.strip().removeprefix("#")
            if not digits.isdigit():
                self.screen.notify(f"/edit takes a message number, not {arg!r}.", severity="error")
                return None
            return int(digits)
        block = self.picked()
        if block is not None and block.seq:
            return block.seq
        session = self.controller.session
        head = session.view.head if session else None
        while head is not None and head.message.role != "user":
            head = head.parent
        if head is None:
            self.screen.notify("No message of yours to edit yet.")
            return None
        return head.message.seq

    def take_edit(self, text: str) -> Starter | None:
        """The edit the prompt held, as a turn to run with `text` (None: a new message)."""
        editing, self.editing = self.editing, None
        self.screen.prompt.remove_class("-editing")
        session = self.controller.session
        if editing is None or session is None or session.id != editing[0]:
            return None  # another session was opened since: this is a new message there
        return edit_starter(editing[1], text)

    def cancel_edit(self) -> bool:
        """Esc while editing: the prompt is emptied and no longer an edit."""
        if self.editing is None:
            return False
        self.editing = None
        prompt = self.screen.prompt
        prompt.remove_class("-editing")
        prompt.clear()
        self.screen.notify("Edit cancelled: nothing was sent.")
        return True

    def regenerate(self) -> None:
        """A new reply to the last message of yours, on a new branch."""
        if self.actions.refused("regenerate"):
            return
        if self.controller.needs_model:
            self.screen.notify(self.controller.model_problem or "", severity="warning")
            return
        try:
            self.branches.check_regenerate()
        except ChatcliError as exc:
            self.screen.notify(exc.sentence(), title="Regenerate", severity="warning")
            return
        self.screen.start_turn("", regenerate_starter())
