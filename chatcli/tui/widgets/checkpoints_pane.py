"""CheckpointsPane: every checkpoint of the open session, newest first."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from chatcli.session import Snapshot
from chatcli.tui.support.clock import Clock, system_clock
from chatcli.tui.widgets.checkpoint_rows import CheckpointRows
from chatcli.tui.widgets.row_list import RowList


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
        self._shown: tuple[dict[str, Snapshot] | None, int, str | None] = (None, -1, None)
        """What is on screen: the view's checkpoints (held, so compared by identity), how
        many there were and the one highlighted."""

    def compose(self) -> ComposeResult:
        yield Static("Checkpoints", classes="pane-title")
        yield CheckpointRows(clock=self.clock, id="checkpoint-rows")

    def show(self, snapshots: dict[str, Snapshot], current: str | None = None) -> None:
        """Show the session's checkpoints (cheap when nothing changed); `current`, the one
        just restored, is highlighted."""
        shown, count, highlighted = self._shown
        if shown is snapshots and count == len(snapshots) and highlighted == current:
            return
        self._shown = (snapshots, len(snapshots), current)
        newest_first = list(reversed(snapshots.values()))
        self.query_one(CheckpointRows).show(newest_first, keep_id=current)

    @on(RowList.Selected, "#checkpoint-rows")
    def _chosen(self, event: RowList.Selected) -> None:
        event.stop()
        snap = self.query_one(CheckpointRows).highlighted_snapshot
        if snap is not None:
            self.post_message(self.CheckpointChosen(snap.record.id))
