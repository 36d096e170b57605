"""CheckpointRows: checkpoints as a virtual list, two lines each.

Line 1: its number (#1 is the first checkpoint made: what people say, and what
`/restore 3` and `chatcli sessions restore ID 3` take), id, time and label.
Line 2: the turn it ends and that turn's prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from chatcli.session import Snapshot
from chatcli.session.chain import turn_count
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
        self._previews: dict[str, tuple[str, int]] = {}
        """Checkpoint id → (its turn's prompt, its turn number), worked out once."""

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
        known = self._previews.get(record.id)
        if known is None:
            known = self._previews[record.id] = (
                turn_preview(snap.head, 200),
                turn_count(snap.head),
            )
        preview, turn = known
        if line == 0:
            number = len(self.snapshots) - index  # newest first: #1 is the oldest
            return Text.assemble(
                (f" #{number}", self.dim_style()),
                (f" {record.id}", "bold"),
                ("  " + clock_time(record.ts, self.clock()), self.dim_style()),
                "  ",
                (checkpoint_title(snap, preview), "italic" if record.auto else "bold"),
            )
        return Text(
            f"   turn {turn} · {preview}" if turn else f"   {preview}", style=self.dim_style()
        )
