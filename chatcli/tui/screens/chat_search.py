"""What the chat screen does with a search hit: open its session, scrolled to the message.

A hit on the active view is shown in the conversation however far back it is
(`Conversation.show_at`). A hit that was rolled back is not in the conversation,
so it opens in `OffBranchScreen`: the message and the turns before it, with
the offer to restore the checkpoint that holds it (undoable, like every
restore), after which it is shown in the conversation like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from chatcli.session.replay import Node, View

if TYPE_CHECKING:
    from chatcli.tui.screens.chat_screen import ChatScreen


@dataclass(frozen=True)
class SearchPick:
    """The hit chosen: which session, which message, whether it is on the active view."""

    session: str
    seq: int
    active: bool


class HitOpened(Message):
    """The hit's session is open: show the message (posted after the open is rendered)."""

    def __init__(self, pick: SearchPick) -> None:
        super().__init__()
        self.pick = pick


async def open_hit(screen: ChatScreen, pick: SearchPick) -> None:
    """Open the hit's session (unless it is open), then ask the screen to show the hit."""
    session = screen.controller.session
    if session is None or session.id != pick.session:
        screen.show_done(await screen.controller.open(pick.session))
    screen.post_message(HitOpened(pick))


async def show_hit(screen: ChatScreen, pick: SearchPick) -> None:
    """Scroll the conversation to the hit, or show a rolled-back one on its own."""
    session = screen.controller.session
    if session is None or session.id != pick.session:
        return
    if await screen.conversation.show_at(session.view.head, pick.seq) is not None:
        return
    from chatcli.tui.screens.off_branch_screen import OffBranchScreen

    node = session.view.nodes.get(pick.seq)
    found = off_branch(session.view, pick.seq)
    if node is None and found is None:
        screen.notify(
            f"Message #{pick.seq} is no longer in this session's log.", severity="warning"
        )
        return
    checkpoint = found[0] if found is not None else None
    shown = node if node is not None else found[1] if found is not None else None
    assert shown is not None

    def chosen(restore: bool | None) -> None:
        if restore and checkpoint and not screen.actions.refused("restore"):
            screen.run_worker(_restore_then_show(screen, checkpoint, pick), group="session-io")

    screen.app.push_screen(OffBranchScreen(session.view, checkpoint, shown), chosen)


async def _restore_then_show(screen: ChatScreen, checkpoint: str, pick: SearchPick) -> None:
    screen.show_done(await screen.controller.restore(checkpoint))
    screen.post_message(HitOpened(SearchPick(pick.session, pick.seq, True)))


def off_branch(view: View, seq: int) -> tuple[str, Node] | None:
    """The first checkpoint whose view holds message `seq`, and that message's node."""
    for snap in view.checkpoints():
        if snap.record.at < seq:
            continue
        node = snap.head
        while node is not None and node.message.seq > seq:
            node = node.parent
        if node is not None and node.message.seq == seq:
            return snap.record.id, node
    return None
