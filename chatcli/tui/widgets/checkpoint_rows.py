"""CheckpointRows: checkpoints as a virtual list, two lines each (id, time, label; the turn)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from chatcli.session import Snapshot
from chatcli.tui.support.clock import Clock, clock_time, system_clock
from chatcli.tui.support.text import turn_preview
from chatcli.tui.widgets.row_list import RowList


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
