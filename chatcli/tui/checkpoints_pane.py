"""CheckpointsPane: every checkpoint, newest first: id, time, label and the turn it ends."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from chatcli.session import Snapshot
from chatcli.tui.clock import Clock, clock_time, system_clock
from chatcli.tui.history import turn_preview
from chatcli.tui.row_list import RowList


def checkpoint_title(snap: Snapshot, preview: str = "") -> str:
    """A manual checkpoint's label; `auto`, or `auto: before restore`, for automatic ones.

    An automatic end-of-turn checkpoint is labelled with the turn's prompt, which the
    preview line already shows, so that label is not repeated.
    """
    record = snap.record
    if record.auto:
        label = record.label.rstrip(".")
        same = label and preview.startswith(label.removesuffix("..."))
        return f"auto: {record.label}" if record.label and not same else "auto"
    return f"★ {record.label}" if record.label else "★ manual"


class CheckpointRows(RowList):
    """Checkpoints as a virtual list of two-line rows."""

    def __init__(self, *, clock: Clock = system_clock, id: str | None = None) -> None:
        super().__init__(row_height=2, empty_text="No checkpoints yet.", id=id)
        self.clock = clock
        self.snapshots: Sequence[Snapshot] = ()
        self._previews: dict[str, str] = {}

    def show(self, snapshots: Sequence[Snapshot], *, keep_id: str | None = None) -> None:
        """Show these checkpoints (give them newest first)."""
        self.snapshots = snapshots
        keep = None
        if keep_id is not None:
            keep = next((i for i, s in enumerate(snapshots) if s.record.id == keep_id), None)
        self.set_row_count(len(snapshots), keep=keep)

    @property
    def highlighted_snapshot(self) -> Snapshot | None:
        index = self.highlighted
        return self.snapshots[index] if index is not None and index < len(self.snapshots) else None

    def row_text(self, index: int, line: int, width: int) -> Text:
        snap = self.snapshots[index]
        record = snap.record
        preview = self._previews.get(record.id)
        if preview is None:
            preview = turn_preview(snap.head, 200)
            self._previews[record.id] = preview
        if line == 0:
            return Text.assemble(
                (f" {record.id}", "bold"),
                ("  " + clock_time(record.ts, self.clock()), self.dim_style()),
                "  ",
                (checkpoint_title(snap, preview), "italic" if record.auto else "bold"),
            )
        return Text(f"   {preview}", style=self.dim_style())


class CheckpointsPane(Vertical):
    """The checkpoints of the open session; Enter opens the restore picker on one."""

    class CheckpointChosen(Message):
        """The person chose a checkpoint (to restore it, after a preview)."""

        def __init__(self, checkpoint_id: str) -> None:
            super().__init__()
            self.checkpoint_id = checkpoint_id

    def __init__(
        self, *, clock: Clock = system_clock, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.clock = clock
        self._key: tuple[int, int, str | None] = (0, -1, None)

    def compose(self) -> ComposeResult:
        yield Static("Checkpoints", classes="pane-title")
        yield CheckpointRows(clock=self.clock, id="checkpoint-rows")

    def show(self, snapshots: dict[str, Snapshot], current: str | None = None) -> None:
        """Show the session's checkpoints (cheap when nothing changed); `current`, the one
        just restored, is highlighted."""
        key = (id(snapshots), len(snapshots), current)
        if key == self._key:
            return
        self._key = key
        newest_first = list(reversed(snapshots.values()))
        self.query_one(CheckpointRows).show(newest_first, keep_id=current)

    @on(RowList.Selected, "#checkpoint-rows")
    def _chosen(self, event: RowList.Selected) -> None:
        event.stop()
        snap = self.query_one(CheckpointRows).highlighted_snapshot
        if snap is not None:
            self.post_message(self.CheckpointChosen(snap.record.id))
