"""TreeScreen: the conversation's history as a tree; preview a branch, switch to it.

Linear runs are folded into one row each, so the picture shows the branch
points; the active branch is marked ●; forks are ⑂ rows that open their
session. Moving the highlight previews the branch (the conversation it ends
with); Enter makes it the active view, as a restore does: nothing is removed,
and switching back undoes it. `e` on one of your messages edits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chatcli.session.tree import Tree
from chatcli.session.tree_rows import TreeRow, tree_rows
from chatcli.tui.support.clock import Clock, clock_time, system_clock
from chatcli.tui.support.text import one_line, plural
from chatcli.tui.widgets.message_block import ROLE_LABELS
from chatcli.tui.widgets.tree_rows import TreeRows

PREVIEW_MESSAGES = 8


@dataclass(frozen=True)
class TreeChoice:
    """What the person picked: switch to the branch through `seq`, edit user message
    `seq`, or open the fork `session`."""

    action: Literal["switch", "edit", "open"]
    seq: int = 0
    session: str = ""


def branch_preview(tree: Tree, row: TreeRow, now_text: str) -> Content:
    """The branch a row stands for: where it leaves the active view, and how it ends."""
    if row.fork is not None:
        fork = row.fork
        return Content.assemble(
            ("Fork ", "bold"),
            (fork.session, "bold $accent"),
            f" {fork.title}\n" if fork.title else "\n",
            f"A session of its own that continues this one from message #{row.run.last}.\n\n",
            ("Enter opens it.", "dim"),
        )
    run = row.run
    tip = tree.newest_tip(run.last)
    path = tree.path_to(tip)
    active = set(tree.active_path())
    shared = next((i for i, s in enumerate(path) if s not in active), len(path))
    lines: list[str | tuple[str, str]] = [
        ("Branch ", "bold"),
        (row.seqs(), "bold $accent"),
        f" · {plural(run.count, 'message')} · {now_text}\n",
    ]
    if row.active and tip == tree.head:
        lines.append(("This is the conversation shown now.\n", "bold $success"))
    elif shared == len(path):
        lines.append(f"Part of the active view; Enter moves to its newest message #{tip}.\n")
    else:
        after = f"#{path[shared - 1]}" if shared else "the start"
        lines += [
            "Leaves the active view after ",
            (after, "bold"),
            f"; Enter shows it ({plural(len(path), 'message')}, ending at #{tip}). ",
            ("Nothing is deleted: switch back to undo.\n", "dim"),
        ]
    shown = path[-PREVIEW_MESSAGES:]
    heading = f"\nIts conversation (last {len(shown)} of {len(path)}):\n"
    lines.append((heading if len(path) > len(shown) else "\nIts conversation:\n", "bold"))
    for seq in shown:
        message = tree.nodes[seq].message
        label = ROLE_LABELS.get(message.role, message.role)
        text = one_line(message.content, 200) or ("(tool calls)" if message.tool_calls else "")
        style = "bold" if seq in active else "bold $warning"
        lines += [(f"#{seq} {label}: ", style), f"{text}\n"]
    return Content.assemble(*lines)


class TreeScreen(ModalScreen[TreeChoice | None]):
    """Branches on the left, the highlighted one's conversation on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close", id="tree-close"),
        Binding("e", "edit", "Edit", id="tree-edit", tooltip="Edit this message of yours"),
    ]

    def __init__(self, tree: Tree, *, clock: Clock = system_clock) -> None:
        super().__init__(classes="tree-screen")
        self.history = tree
        self.clock = clock
        self.rows = tree_rows(tree)
        self._start = self._start_row()
        self._shown: int | None = None
        """The row the preview shows."""

    def compose(self) -> ComposeResult:
        branches = self.history.branch_count()
        forks = len(self.history.forks)
        title = f"History: {plural(len(self.history), 'message')}, {plural(branches, 'branch')}"
        title = title.replace("branchs", "branches")
        if forks:
            title += f", {plural(forks, 'fork')}"
        first = self.rows[self._start] if self._start is not None else None
        with Vertical(id="tree-dialog", classes="dialog"):
            yield Static(title, classes="dialog-title")
            with Horizontal(classes="tree-body"):
                yield TreeRows(clock=self.clock, id="tree-rows")
                with VerticalScroll(id="tree-preview-scroll"):
                    # The first preview is drawn with the screen, not one refresh later.
                    yield Static(self._preview_of(first) if first else "", id="tree-preview")
            with Horizontal(classes="dialog-buttons"):
                yield Static(
                    "↑↓ preview · Enter switches · e edits yours · Esc closes",
                    classes="dialog-hint",
                )
                yield Button("Close", id="tree-cancel", compact=True)
                yield Button(
                    "Open" if first and first.fork else "Switch",
                    id="tree-confirm",
                    variant="warning",
                    compact=True,
                )

    def _start_row(self) -> int | None:
        """The row of the active view's newest message (else the first active row)."""
        head = self.history.head
        if head is None:
            return 0 if self.rows else None
        for i, row in enumerate(self.rows):
            if row.fork is None and row.run.last == head:
                return i
        return next((i for i, r in enumerate(self.rows) if r.active), 0 if self.rows else None)

    def _preview_of(self, row: TreeRow) -> Content:
        return branch_preview(self.history, row, clock_time(row.ts, self.clock()))

    def on_mount(self) -> None:
        rows = self.query_one(TreeRows)
        self._shown = self._start
        rows.show(self.rows, keep=self._start)
        rows.focus()

    @property
    def chosen(self) -> TreeRow | None:
        """The highlighted row."""
        return self.query_one(TreeRows).highlighted_row

    @on(TreeRows.Highlighted, "#tree-rows")
    def _preview(self, event: TreeRows.Highlighted) -> None:
        row = self.chosen
        if row is None or event.index == self._shown:
            return
        self._shown = event.index
        self.query_one("#tree-preview", Static).update(self._preview_of(row))
        self.query_one("#tree-confirm", Button).label = "Open" if row.fork else "Switch"

    @on(TreeRows.Selected, "#tree-rows")
    @on(Button.Pressed, "#tree-confirm")
    def action_confirm(self) -> None:
        row = self.chosen
        if row is None:
            return
        if row.fork is not None:
            self.dismiss(TreeChoice("open", session=row.fork.session))
        else:
            self.dismiss(TreeChoice("switch", seq=row.run.last))

    def action_edit(self) -> None:
        row = self.chosen
        if row is None or row.fork is not None:
            return
        if row.role != "user":
            self.notify("Only your own messages can be edited: pick a You row.")
            return
        self.dismiss(TreeChoice("edit", seq=row.run.first))

    @on(Button.Pressed, "#tree-cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
