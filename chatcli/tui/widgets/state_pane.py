"""StatePane: memory in two scopes. "This session": the session's live state as a tree,
and who changed what last. "Everywhere": user memory, which every session sees, each
entry with where it came from (`MemoryRows`)."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from chatcli.session import StateRecord
from chatcli.tui.support.clock import Clock, clock_time, system_clock
from chatcli.tui.widgets.memory_rows import MemoryRows
from chatcli.tui.widgets.message_block import state_note

MAX_CHILDREN = 200
"""Items shown per dict or list level (the rest are summarised)."""


def _label(key: str, value: Any) -> Text:
    if isinstance(value, dict):
        return Text.assemble((key, "bold"), (f"  {{{len(value)}}}", "dim"))
    if isinstance(value, list):
        return Text.assemble((key, "bold"), (f"  [{len(value)}]", "dim"))
    return Text.assemble((key, "bold"), ": ", (json.dumps(value, ensure_ascii=False), "green"))


def add_json(node: TreeNode[None], value: Any) -> None:
    """Add `value`'s items under `node`, expanded."""
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"[{i}]", v) for i, v in enumerate(value)]
    else:
        return
    for key, child in items[:MAX_CHILDREN]:
        if isinstance(child, dict | list) and child:
            add_json(node.add(_label(key, child), expand=True), child)
        else:
            node.add_leaf(_label(key, child))
    if len(items) > MAX_CHILDREN:
        node.add_leaf(Text(f"… {len(items) - MAX_CHILDREN} more", style="dim"))


class StatePane(Vertical):
    """The state tree and its last change (a tool, or you); under them, user memory."""

    def __init__(
        self, *, clock: Clock = system_clock, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.clock = clock
        self.state: dict[str, Any] = {}
        self.record: StateRecord | None = None
        self._shown = False

    def compose(self) -> ComposeResult:
        yield Static("This session", classes="pane-title")
        tree: Tree[None] = Tree("state", id="state-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        yield Static("", id="state-change", classes="state-change")
        yield Static("Everywhere", classes="pane-title", id="memory-title")
        yield MemoryRows(id="memory-rows")

    def show(self, state: dict[str, Any], record: StateRecord | None) -> None:
        """Show this state; `record` is the line that last changed it."""
        if self._shown and state == self.state and record is self.record:
            return
        self._shown = True
        self.state, self.record = state, record
        tree = self.query_one("#state-tree", Tree)
        tree.clear()
        if state:
            add_json(tree.root, state)
        else:
            tree.root.add_leaf(Text("(empty — nothing remembered yet)", style="dim"))
        tree.root.expand()
        self.query_one("#state-change", Static).update(self._change_text(record))
        self.set_class(bool(record and record.by == "user"), "-by-user")

    def _change_text(self, record: StateRecord | None) -> Content:
        if record is None:
            return Content.styled("No changes yet.", "dim")
        who = "you" if record.by == "user" else record.by
        when = clock_time(record.ts, self.clock())
        return Content.assemble(
            (f"Last change by {who} at {when}\n", "bold"), state_note(record, with_author=False)
        )
