"""RestoreScreen: choose a checkpoint, see what restoring it does, confirm."""

from __future__ import annotations

import json
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chatcli.session import Snapshot, View
from chatcli.session.chain import ordinal, restore_plan, tail
from chatcli.tui.support.clock import Clock, clock_time, system_clock
from chatcli.tui.support.text import one_line, plural, turn_preview
from chatcli.tui.widgets.checkpoint_rows import CheckpointRows, checkpoint_title
from chatcli.tui.widgets.message_block import ROLE_LABELS

PREVIEW_MESSAGES = 6


def preview(view: View, snap: Snapshot, now_text: str) -> Content:
    """What restoring `snap` does, the conversation it ends with, and its state."""
    plan = restore_plan(view, snap)
    record = snap.record
    lines: list[str | tuple[str, str]] = [
        ("Restore ", "bold"),
        (f"#{ordinal(view, record.id)} {record.id}", "bold $accent"),
        f"  {checkpoint_title(snap, turn_preview(snap.head))} · {now_text}\n",
    ]
    if plan.rolls_back:
        lines += [
            ("Rolls back ", "bold $warning"),
            (plural(plan.rolls_back, "message"), "bold $warning"),
            " (kept in the log: restore again to undo)",
        ]
        if plan.brings_back:
            lines += ["; brings back ", (plural(plan.brings_back, "message"), "bold")]
    elif plan.brings_back:
        lines += [("Brings back ", "bold"), (plural(plan.brings_back, "message"), "bold")]
    else:
        lines.append("Moves no message")
    lines.append(f"; keeps {plural(plan.keeps, 'message')}.\n")
    lines.append(("User memory (Everywhere) is not rolled back.\n\n", "dim"))
    shown = tail(snap.head, PREVIEW_MESSAGES)
    total = snap.message_count
    heading = (
        f"Conversation ({total} messages, last {len(shown)}):\n"
        if total > len(shown)
        else f"Conversation ({plural(total, 'message')}):\n"
    )
    lines.append((heading, "bold"))
    for message in shown:
        label = ROLE_LABELS.get(message.role, message.role)
        text = one_line(message.content, 200) or ("(tool calls)" if message.tool_calls else "")
        lines += [(f"{label}: ", "bold"), f"{text}\n"]
    if not shown:
        lines.append(("(empty)\n", "dim"))
    lines += [("\nState:\n", "bold"), json.dumps(snap.state, indent=2, ensure_ascii=False)]
    return Content.assemble(*lines)


class RestoreScreen(ModalScreen[str | None]):
    """Checkpoints on the left, a preview on the right; returns the chosen id or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="picker-cancel"),
        Binding("ctrl+enter,ctrl+r", "confirm", "Restore", id="picker-confirm"),
    ]

    def __init__(
        self, view: View, *, select: str | None = None, clock: Clock = system_clock
    ) -> None:
        super().__init__(classes="restore-screen")
        self.view = view
        self.select = select
        self.clock = clock
        self.snapshots = list(reversed(view.snapshots.values()))

    def compose(self) -> ComposeResult:
        with Vertical(id="restore-dialog", classes="dialog"):
            yield Static("Restore a checkpoint", classes="dialog-title")
            with Horizontal(classes="restore-body"):
                yield CheckpointRows(clock=self.clock, id="restore-rows")
                with VerticalScroll(id="restore-preview-scroll"):
                    yield Static(id="restore-preview")
            with Horizontal(classes="dialog-buttons"):
                yield Static("Enter restores · Esc cancels", classes="dialog-hint")
                yield Button("Cancel", id="restore-cancel", compact=True)
                yield Button("Restore", id="restore-confirm", variant="warning", compact=True)

    def on_mount(self) -> None:
        rows = self.query_one(CheckpointRows)
        rows.show(self.snapshots, keep_id=self.select)
        rows.focus()
        if not self.snapshots:
            self.query_one("#restore-preview", Static).update(
                "No checkpoints yet: one is saved at the end of every turn, "
                "or press Ctrl+S to save one now."
            )
            self.query_one("#restore-confirm", Button).disabled = True

    @property
    def chosen(self) -> Snapshot | None:
        """The highlighted checkpoint."""
        return self.query_one(CheckpointRows).highlighted_snapshot

    @on(CheckpointRows.Highlighted, "#restore-rows")
    def _preview(self, event: CheckpointRows.Highlighted) -> None:
        snap = self.chosen
        if snap is not None:
            when = clock_time(snap.record.ts, self.clock())
            self.query_one("#restore-preview", Static).update(preview(self.view, snap, when))

    @on(CheckpointRows.Selected, "#restore-rows")
    @on(Button.Pressed, "#restore-confirm")
    def action_confirm(self) -> None:
        snap = self.chosen
        if snap is not None:
            self.dismiss(snap.record.id)

    @on(Button.Pressed, "#restore-cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
