"""Moving between branches of a session's tree, and starting new ones.

A switch, an edit and a regeneration each write a `branch` line that moves the
active view's end to another message; nothing is removed. When the view being
left is not what some checkpoint holds, a checkpoint of it is written first
(in the same durable write), so the restore picker can bring it back too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast

from chatcli.errors import ChatcliError
from chatcli.session.chain import last_user_message
from chatcli.session.checkpoints import checkpoint_of
from chatcli.session.records import BranchRecord, ChatMessage, MetaRecord, Record
from chatcli.session.replay import View
from chatcli.session.tree import build_tree

if TYPE_CHECKING:
    from chatcli.session.session import Session

Kind = Literal["switch", "edit", "regenerate"]


class BranchError(ChatcliError):
    """A switch, edit or regeneration that cannot be done (one sentence says why)."""


def _head_seq(view: View) -> int:
    return view.head.message.seq if view.head is not None else 0


def _message(view: View, session_id: str, seq: int) -> ChatMessage:
    node = view.nodes.get(seq)
    if node is None:
        raise BranchError(
            f"Session {session_id!r} has no message {seq}.",
            f"See its messages with: chatcli sessions tree {session_id}",
        )
    return node.message


def _moves(view: View, at: int, kind: Kind) -> list[Record]:
    """The lines that move the view's end to `at`: a checkpoint of the view left
    behind (when none holds it), then the branch line."""
    out: list[Record] = []
    if not view.checkpointed and view.head is not None:
        out.append(checkpoint_of(view, label=f"before {kind}", auto=True, metadata={}))
    out.append(BranchRecord(at=at, kind=kind))
    return out


def switch(session: Session[Any], seq: int) -> BranchRecord | None:
    """Make the branch through message `seq` active, at its newest tip.

    None when that is already the active view (nothing is written)."""
    _message(session.view, session.id, seq)

    def build(view: View) -> list[Record]:
        tip = build_tree(view).newest_tip(seq)
        return [] if tip == _head_seq(view) else _moves(view, tip, "switch")

    written = session._write(build)
    return cast(BranchRecord, written[-1]) if written else None


def _a(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


def edit_point(view: View, session_id: str, seq: int) -> int:
    """Where an edit of user message `seq` starts its branch: the message before it (0: none)."""
    message = _message(view, session_id, seq)
    if message.role != "user":
        raise BranchError(
            f"Message {seq} of {session_id!r} is {_a(message.role)} message, not a user message.",
            "Only your own messages can be edited; --regenerate asks for a new reply.",
        )
    node = view.nodes[seq]
    return node.parent.message.seq if node.parent is not None else 0


def add_edited(session: Session[Any], seq: int, content: str, *, title: str) -> ChatMessage:
    """A new branch where user message `seq` was, starting with `content` instead
    (one durable write: checkpoint of the view left, branch line, the message)."""
    edit_point(session.view, session.id, seq)

    def build(view: View) -> list[Record]:
        out = _moves(view, edit_point(view, session.id, seq), "edit")
        out.append(ChatMessage(role="user", content=content))
        if title and not view.title:
            out.append(MetaRecord(title=title))
        return out

    written = session._write(build)
    return next(r for r in written if isinstance(r, ChatMessage))


def regenerate_point(view: View, session_id: str) -> ChatMessage:
    """The user message a regeneration answers again: the active view's last one."""
    user = last_user_message(view.head)
    if user is None:
        raise BranchError(
            f"Session {session_id!r} has no message of yours to answer again.",
            "Send a message first.",
        )
    return user


def start_regeneration(session: Session[Any]) -> ChatMessage:
    """Move the view's end back to its last user message (a new branch starts there
    when the model answers); returns that message."""
    regenerate_point(session.view, session.id)
    found: list[ChatMessage] = []

    def build(view: View) -> list[Record]:
        user = regenerate_point(view, session.id)
        found[:] = [user]
        return [] if user.seq == _head_seq(view) else _moves(view, user.seq, "regenerate")

    session._write(build)
    return found[-1]
