"""OffBranchScreen: a search hit that was rolled back, with the turns that led to it.

The message is not on the active view, so the conversation cannot scroll to
it; this dialog shows it (highlighted) after the messages before it on its
branch, and offers to restore the checkpoint that holds it. Returns True to
restore, None to close.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from chatcli.session.chain import ordinal
from chatcli.session.replay import Node, View
from chatcli.tui.widgets.message_block import ROLE_LABELS

BEFORE = 3
"""Messages shown before the hit, for context."""


class OffBranchScreen(ModalScreen[bool | None]):
    """A rolled-back message, its context, and how to bring it back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "restore", "Restore it", id="off-branch-restore"),
        Binding("escape,q", "dismiss_none", "Close", id="off-branch-close"),
    ]

    def __init__(self, view: View, checkpoint: str | None, node: Node) -> None:
        super().__init__(classes="off-branch-screen")
        self.view = view
        self.checkpoint = checkpoint
        self.node = node

    def compose(self) -> ComposeResult:
        with Vertical(id="off-branch-dialog", classes="dialog"):
            yield Static("Rolled back: not on the current branch", classes="dialog-title")
            with VerticalScroll(id="off-branch-body"):
                for node in _context(self.node):
                    yield Static(_message(node), classes="off-branch-message")
            yield Static(self._hint(), id="off-branch-hint")

    def _hint(self) -> Content:
        close = Content.assemble(("Esc", "bold"), " closes")
        if self.checkpoint is None:
            return Content.assemble("No checkpoint holds this message · ", close)
        snap = self.view.snapshots[self.checkpoint]
        number = ordinal(self.view, self.checkpoint)
        label = f" ({snap.record.label})" if snap.record.label else ""
        return Content.assemble(
            ("r", "bold"),
            f" restores checkpoint #{number}{label} to bring this branch back "
            "(the current one stays in the log; restore again to undo) · ",
            close,
        )

    def on_mount(self) -> None:
        found = self.query(".off-branch-message").last()
        found.add_class("-found")
        self.query_one("#off-branch-body").scroll_to_widget(found, animate=False)

    def action_restore(self) -> None:
        if self.checkpoint is not None:
            self.dismiss(True)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def _context(node: Node) -> list[Node]:
    """The hit and up to BEFORE messages before it, oldest first."""
    out = [node]
    parent = node.parent
    while parent is not None and len(out) <= BEFORE:
        out.append(parent)
        parent = parent.parent
    out.reverse()
    return out


def _message(node: Node) -> Content:
    message = node.message
    label = ROLE_LABELS.get(message.role, message.role)
    return Content.assemble((f"{label} #{message.seq}\n", "bold"), message.content or "(no text)")
