"""The forks of a session: other sessions whose first line names it as their parent.

Finding them needs the store's list of sessions, so it lives here rather than
in the pure tree (chatcli.session.tree); a listing's summary already carries
each session's parent, so only the forks themselves are read.
"""

from __future__ import annotations

from typing import Any

from chatcli.errors import ChatcliError
from chatcli.session.records import ChatMessage, CheckpointRecord, SessionRecord
from chatcli.session.session import Session
from chatcli.session.store import Store
from chatcli.session.tree import Fork, Tree, fork_point


def forks_of(store: Store, session: Session[Any], tree: Tree | None = None) -> list[Fork]:
    """Every fork of `session`, oldest first, each with the message it continues from."""
    tree = tree or session.tree()
    found: list[Fork] = []
    for summary in store.summaries():
        if summary.parent != session.id or summary.problem:
            continue
        try:
            records, _ = store.read(summary.id)
        except ChatcliError:  # gone or unreadable since the listing: not a fork to show
            continue
        header = records[0] if records else None
        if not isinstance(header, SessionRecord) or header.parent is None:
            continue
        found.append(
            Fork(
                session=summary.id,
                at=_fork_at(session, tree, header.parent.checkpoint, records),
                title=summary.title,
                created=summary.created,
            )
        )
    found.sort(key=lambda f: f.created)
    return found


def _fork_at(
    session: Session[Any], tree: Tree, checkpoint: str | None, records: list[Any]
) -> int | None:
    """The parent's message the fork starts from: its checkpoint's end, or else the
    parent's path that the fork's copied messages match."""
    snap = session.view.snapshots.get(checkpoint) if checkpoint else None
    if snap is not None:
        return snap.head.message.seq if snap.head is not None else None
    copied: list[ChatMessage] = []
    for record in records[1:]:
        if isinstance(record, CheckpointRecord):  # the fork's own opening checkpoint
            break
        if isinstance(record, ChatMessage):
            copied.append(record)
    return fork_point(tree, copied)


def tree_with_forks(store: Store, session: Session[Any]) -> Tree:
    """The session's tree with its forks attached."""
    tree = session.tree()
    tree.forks = forks_of(store, session, tree)
    return tree
