"""Branches for a face: read the tree, switch, flip between siblings, edit, regenerate.

The chat controller holds the open session and its I/O lock; these run beside
it (chat/controller.py stays small), so a face calls `BranchActions(controller)`.
Edits and regenerations are turns: they return a `Starter` for `run_turn`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from chatcli.chat.controller import ChatController, Done, Starter
from chatcli.chat.forks import forks_of
from chatcli.errors import ChatcliError
from chatcli.session import branching
from chatcli.session.chain import undo_target
from chatcli.session.replay import View
from chatcli.session.session import Session
from chatcli.session.tree import Tree, build_tree
from chatcli.session.tree_rows import first_words


@dataclass(frozen=True)
class Siblings:
    """Where a message stands among its siblings: index of count (1-based), as the conversation shows it."""

    index: int
    count: int
    previous: int | None
    """Seq of the sibling before it (None for the first)."""
    next: int | None


def sibling_map(view: View) -> dict[int, Siblings]:
    """For each message of the active view that has siblings, where it stands."""
    children: dict[int, list[int]] = {}
    for seq, each in view.nodes.items():
        parent = each.parent.message.seq if each.parent is not None else 0
        children.setdefault(parent, []).append(seq)
    out: dict[int, Siblings] = {}
    node = view.head
    while node is not None:
        parent = node.parent.message.seq if node.parent is not None else 0
        kin = children[parent]
        if len(kin) > 1:
            i = kin.index(node.message.seq)
            before = kin[i - 1] if i > 0 else None
            after = kin[i + 1] if i + 1 < len(kin) else None
            out[node.message.seq] = Siblings(i + 1, len(kin), before, after)
        node = node.parent
    return out


class BranchActions:
    """What the tree screen and the sibling keys do to the open session."""

    def __init__(self, controller: ChatController) -> None:
        self.controller = controller
        self._siblings: tuple[int, int, dict[int, Siblings]] | None = None

    def _session(self) -> Session[Any]:
        session = self.controller.session
        if session is None:
            raise ChatcliError("There is no saved session yet.", "Send a message first.")
        return session

    def siblings(self) -> dict[int, Siblings]:
        """`sibling_map` of the open view, worked out once per change of the log."""
        session = self.controller.session
        if session is None:
            return {}
        key = (id(session), session.view.last_seq)
        if self._siblings is None or self._siblings[:2] != key:
            self._siblings = (*key, sibling_map(session.view))
        return self._siblings[2]

    async def tree(self) -> Tree:
        """The open session's tree, with the forks other sessions made of it."""
        session = self._session()
        store = self.controller.workspace.store

        def read() -> Tree:
            tree = build_tree(session.view)
            tree.forks = forks_of(store, session, tree)
            return tree

        return await asyncio.to_thread(read)

    async def switch(self, seq: int) -> Done:
        """Make the branch through `seq` active (at its newest message); undoable."""
        session = self._session()
        async with self.controller.io:
            record = await asyncio.to_thread(session.switch, seq)
        if record is None:
            return Done("Already on that branch.")
        head = session.view.head
        where = f"#{head.message.seq} “{first_words(head.message.content, 40)}”" if head else "-"
        undo = undo_target(session.records, record.seq)
        how = f" Restore {undo} (Ctrl+R) to undo." if undo else ""
        return Done(f"Switched to the branch ending at {where}; nothing was deleted.{how}")

    async def flip(self, seq: int, step: int) -> Done:
        """Show the sibling before (`step` -1) or after (+1) message `seq`."""
        known = self.siblings().get(seq)
        target = None if known is None else known.previous if step < 0 else known.next
        if target is None:
            edge = "first" if step < 0 else "last"
            return Done(f"That is the {edge} version of this message." if known else "")
        return await self.switch(target)

    def check_edit(self, seq: int) -> str:
        """The text of user message `seq`, to edit; ChatcliError if it is not one."""
        session = self._session()
        branching.edit_point(session.view, session.id, seq)
        return session.view.nodes[seq].message.content

    def check_regenerate(self) -> str:
        """The user message a regeneration answers again; ChatcliError if there is none."""
        session = self._session()
        return branching.regenerate_point(session.view, session.id).content


def edit_starter(seq: int, text: str) -> Starter:
    """A turn that edits user message `seq` to `text` and answers it (a new branch)."""
    return lambda engine: engine.edit(seq, text)


def regenerate_starter() -> Starter:
    """A turn that answers the last user message again (a new branch)."""
    return lambda engine: engine.regenerate()
