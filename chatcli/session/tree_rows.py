"""The tree folded for drawing: one row per linear run, with guides, and fork rows.

Linear runs are folded, so the picture shows only branch points: each row is
a run of messages from one branch point to the next (or to a leaf). The CLI
prints these rows; the TUI's tree screen shows them. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatcli.session.times import age
from chatcli.session.tree import Branch, Fork, Tree

MAX_GUIDES = 12
"""Deeper runs are drawn at this indent, with their depth written out."""


@dataclass(frozen=True, slots=True)
class TreeRow:
    """One line of the folded tree: a run of messages, or a fork made from one."""

    prefix: str
    """Guide characters that place the row in the tree (`│ ├─`)."""
    run: Branch
    words: str
    """The first words of the run's first message."""
    role: str
    ts: str
    """When the run's first message was written."""
    fork: Fork | None = None
    """Set on a fork row: the other session that continues from this run."""

    @property
    def active(self) -> bool:
        return self.run.active and self.fork is None

    def seqs(self) -> str:
        """`#5` or `#5..#9`: the messages the run holds."""
        run = self.run
        return f"#{run.first}" if run.first == run.last else f"#{run.first}..#{run.last}"

    def text(self, now: datetime) -> str:
        """The row as plain text (what `chatcli sessions tree` prints)."""
        if self.fork is not None:
            title = f" ({self.fork.title})" if self.fork.title else ""
            return f"{self.prefix}⑂ fork {self.fork.session}{title}, from #{self.run.last}"
        mark = "● " if self.active else "○ "
        count = f"{self.run.count} msg{'' if self.run.count == 1 else 's'}"
        return (
            f"{self.prefix}{mark}{self.seqs()} {self.role}: {self.words}"
            f"  · {count} · {age(self.ts, now)}"
        )


def first_words(text: str, width: int = 48) -> str:
    """The text's first words on one line, cut to `width` characters."""
    line = " ".join(text.split())
    if not line:
        return "(empty)"
    return line if len(line) <= width else line[: width - 1] + "…"


def tree_rows(tree: Tree, width: int = 48) -> list[TreeRow]:
    """The tree as rows, depth first, older branches first; forks below their run."""
    rows: list[TreeRow] = []
    nodes = tree.nodes
    forks: dict[int | None, list[Fork]] = {}
    for fork in tree.forks:
        forks.setdefault(fork.at, []).append(fork)
    runs = tree.runs()
    # Whether each run is its parent's last child: later siblings keep a guide line.
    last_child = {r.first: tree.children_of(r.parent)[-1] == r.first for r in runs}
    guides: list[bool] = []  # per depth: does a vertical line continue below?
    several_roots = len(tree.roots) > 1
    for run in runs:
        depth = run.depth + several_roots
        del guides[max(0, depth - 1) :]
        is_last = last_child[run.first]
        if depth == 0:
            prefix = ""
        else:
            shown = guides[: MAX_GUIDES - 1]
            prefix = "".join("│ " if g else "  " for g in shown)
            if depth > MAX_GUIDES:
                prefix += f"[{depth}]"
            prefix += "└─" if is_last else "├─"
        while len(guides) < depth - 1:
            guides.append(False)
        if depth > 0:
            guides.append(not is_last)
        message = nodes[run.first].message
        row = TreeRow(prefix, run, first_words(message.content, width), message.role, message.ts)
        rows.append(row)
        seqs = _fork_seqs(tree, run, forks) if forks else []
        for seq in seqs:
            inner = "".join("│ " if g else "  " for g in guides[:MAX_GUIDES]) + "  "
            for fork in forks[seq]:
                rows.append(TreeRow(inner, _at(run, seq), "", "fork", fork.created, fork))
    if None in forks:  # forks made before the first message
        empty = Branch(0, 0, 0, 0, None, False)
        rows.extend(TreeRow("", empty, "", "fork", f.created, f) for f in forks[None])
    return rows


def _fork_seqs(tree: Tree, run: Branch, forks: dict[int | None, list[Fork]]) -> list[int]:
    """The seqs of `run` that forks start from, oldest first."""
    out: list[int] = []
    seq: int | None = run.last
    while seq is not None:
        if seq in forks:
            out.append(seq)
        if seq == run.first:
            break
        seq = tree.nodes[seq].parent
    out.reverse()
    return out


def _at(run: Branch, seq: int) -> Branch:
    """The run cut to end at `seq` (where a fork left it)."""
    return Branch(run.first, seq, run.count, run.depth, run.parent, run.active)
