"""A session's messages as a tree: every branch, the active path, and forks.

Every message points at the one before it (replay's `Node.parent`), so the
messages of a log already form a tree: a restore, an edit or a regeneration
starts a new child of an earlier message, and the old children stay. This
module reads that tree out of a replayed `View`; pure, no I/O. Forks live in
other sessions, so whoever can list the store finds them (chatcli.chat.forks)
and passes them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chatcli.session.records import ChatMessage, Role
from chatcli.session.replay import View


@dataclass(frozen=True, slots=True)
class Fork:
    """Another session that continues this one from message `at` (None: from the start)."""

    session: str
    at: int | None
    title: str = ""
    created: str = ""


@dataclass(slots=True)
class TreeNode:
    """One message in the tree."""

    message: ChatMessage
    parent: int | None
    """The seq of the message before it on its branch (None for a first message)."""
    children: list[int] = field(default_factory=list)
    active: bool = False
    """Whether it is on the active path (the conversation shown)."""

    @property
    def seq(self) -> int:
        return self.message.seq

    @property
    def role(self) -> Role:
        return self.message.role


@dataclass(frozen=True, slots=True)
class Branch:
    """A linear run of the tree: from a message whose parent branches (or a root)
    down to the next branch point or leaf. The tree screen draws one row per run."""

    first: int
    """Seq of its first message."""
    last: int
    """Seq of its last message (a branch point or a leaf)."""
    count: int
    """Messages in the run."""
    depth: int
    """How many runs lie above it (0 for a root run)."""
    parent: int | None
    """Seq of the message the run continues (None for a root run)."""
    active: bool
    """Whether the run is on the active path (wholly or in part)."""


class Tree:
    """Every message of a session on every branch; built by `build_tree`."""

    def __init__(
        self, session_id: str, nodes: dict[int, TreeNode], head: int | None, forks: list[Fork]
    ) -> None:
        self.session_id = session_id
        self.nodes = nodes
        """Every message by seq, in seq order."""
        self.head = head
        """Seq of the active view's last message (None when it has none)."""
        self.forks = forks
        self.roots = [seq for seq, node in nodes.items() if node.parent is None]
        self._newest: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, seq: object) -> bool:
        return seq in self.nodes

    def active_path(self) -> list[int]:
        """The seqs of the active view, oldest first."""
        return self.path_to(self.head)

    def path_to(self, seq: int | None) -> list[int]:
        """The seqs from a root down to `seq` (empty for None)."""
        out: list[int] = []
        while seq is not None:
            out.append(seq)
            seq = self.nodes[seq].parent
        out.reverse()
        return out

    def children_of(self, seq: int | None) -> list[int]:
        """The messages that follow `seq` on some branch (None: the roots)."""
        return self.roots if seq is None else self.nodes[seq].children

    def siblings(self, seq: int) -> list[int]:
        """`seq` and the other messages with the same parent, oldest first."""
        return self.children_of(self.nodes[seq].parent)

    def newest_tip(self, seq: int) -> int:
        """The newest message of the subtree under `seq` (a leaf: children are newer)."""
        if self._newest is None:
            newest: dict[int, int] = {}
            for s in reversed(self.nodes):  # children come after their parent
                kids = self.nodes[s].children
                newest[s] = max(s, *(newest[k] for k in kids)) if kids else s
            self._newest = newest
        return self._newest[seq]

    def forks_at(self, seq: int | None) -> list[Fork]:
        """The forks that start from message `seq`."""
        return [f for f in self.forks if f.at == seq]

    def branch_count(self) -> int:
        """How many leaves (ends of branches) the tree has."""
        return sum(1 for node in self.nodes.values() if not node.children)

    def runs(self) -> list[Branch]:
        """The tree folded into linear runs, depth first, older branches first."""
        out: list[Branch] = []
        stack: list[tuple[int, int, int | None]] = [(r, 0, None) for r in reversed(self.roots)]
        nodes = self.nodes
        while stack:
            first, depth, parent = stack.pop()
            seq, count, active = first, 1, nodes[first].active
            kids = nodes[seq].children
            while len(kids) == 1:
                seq = kids[0]
                count += 1
                kids = nodes[seq].children
            out.append(Branch(first, seq, count, depth, parent, active))
            stack.extend((k, depth + 1, seq) for k in reversed(kids))
        return out

    def to_json(self) -> dict[str, Any]:
        """`{"session", "nodes": [{"seq", "role", "content", "parent", "children",
        "active"}], "forks": [{"session", "at"}]}` (what `sessions tree --json` prints)."""
        return {
            "session": self.session_id,
            "nodes": [
                {
                    "seq": n.seq,
                    "role": n.role,
                    "content": n.message.content,
                    "parent": n.parent,
                    "children": list(n.children),
                    "active": n.active,
                }
                for n in self.nodes.values()
            ],
            "forks": [{"session": f.session, "at": f.at} for f in self.forks],
        }


def build_tree(view: View, forks: Sequence[Fork] = ()) -> Tree:
    """The tree of a replayed view (every branch its log holds), with `forks` attached."""
    nodes: dict[int, TreeNode] = {}
    for seq, node in view.nodes.items():
        parent = node.parent.message.seq if node.parent is not None else None
        nodes[seq] = TreeNode(node.message, parent)
        if parent is not None:
            nodes[parent].children.append(seq)
    head = view.head.message.seq if view.head is not None else None
    tree = Tree(view.header.id, nodes, head, list(forks))
    for seq in tree.active_path():
        nodes[seq].active = True
    return tree


def fork_point(tree: Tree, copied: Sequence[ChatMessage]) -> int | None:
    """The message of `tree` a fork that starts with `copied` was made from.

    A fork copies the chain it was made from, so that chain is the deepest path
    from a root whose messages match `copied` one by one (role and content)."""
    at: int | None = None
    options = tree.roots
    for message in copied:
        match = next(
            (
                s
                for s in reversed(options)  # the newest branch, as a fork of "now" would be
                if tree.nodes[s].role == message.role
                and tree.nodes[s].message.content == message.content
            ),
            None,
        )
        if match is None:
            break
        at, options = match, tree.nodes[match].children
    return at
