"""Salvage: a damaged log rewritten so it replays, losing nothing (`doctor --repair`).

Line n of the damaged log stays line n of the repaired one:

- a line that reads and makes sense is kept byte for byte;
- one that cannot be read, or makes no sense where it stands (a second session
  line, a restore of a checkpoint that was lost), becomes a `repair` record
  naming the kept copy of the damaged file and where its bytes are in it;
- a wrong seq is renumbered, and a checkpoint whose view lost a line gets the
  digest of the view it now captures;
- a missing or foreign session line is replaced by one for this id (the old
  line 1 is then described by a repair record at the end).

A line written by a newer chatcli (a record type this one does not know) is
never replaced: the salvage is refused, and the person told to upgrade.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chatcli.errors import ChatcliError
from chatcli.session.numbering import with_seq
from chatcli.session.records import (
    BadLine,
    CheckpointRecord,
    NewerRecord,
    Record,
    RepairRecord,
    SessionRecord,
    dump_line,
    parse_line,
)
from chatcli.session.replay import ReplayError, Snapshot, View, chain_digest, view_digest


@dataclass(frozen=True, slots=True)
class LineFate:
    """What became of one line of the damaged log."""

    line: int
    offset: int
    length: int
    """Bytes of the line, its newline included."""
    fate: str
    """`kept`, `replaced`, `renumbered`, `redigested` or `new header`."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Salvage:
    """The repaired log, and the fate of every line of the damaged one."""

    data: bytes
    fates: list[LineFate] = field(default_factory=list)

    @property
    def changed(self) -> list[LineFate]:
        """The lines that are not kept as they were."""
        return [f for f in self.fates if f.fate != "kept"]


class Replaying(Protocol):
    """What replays a log line by line (a session's View, the user-memory log's view)."""

    def apply(self, record: Record) -> None:
        """Advance by one line; ReplayError if it makes no sense here."""
        ...


def session_view(header: SessionRecord) -> Replaying:
    """A session's View from its first line, as a salvage replays it."""
    view = View.start(header)
    view.trust_chain = False  # the chain is what a salvage recomputes
    return view


def salvage(
    data: bytes,
    session_id: str,
    kept: str,
    start: Callable[[SessionRecord], Replaying] = session_view,
) -> Salvage:
    """Repair the complete lines of `data` (it must end with a newline, or be empty).

    `kept` names the file that will hold `data` unchanged; repair records point
    into it; `start` replays the log from its first line (a session's View by
    default). ChatcliError if a line needs a newer chatcli."""
    if data and not data.endswith(b"\n"):
        raise ValueError("move the torn last line aside before salvaging")
    work = _Work(session_id, kept, start)
    offset = 0
    for number, raw in enumerate(data.split(b"\n")[:-1], start=1):
        work.line(number, raw, offset)
        offset += len(raw) + 1
    if not data:
        work.header(None)
    work.finish()
    return Salvage(b"".join(work.out), work.fates)


class _Work:
    def __init__(
        self, session_id: str, kept: str, start: Callable[[SessionRecord], Replaying]
    ) -> None:
        self.session_id = session_id
        self.kept = kept
        self.start = start
        self.out: list[bytes] = []
        self.fates: list[LineFate] = []
        self.view: Replaying | None = None
        self.lost_header: tuple[int, int, bytes, str] | None = None

    def line(self, number: int, raw: bytes, offset: int) -> None:
        length = len(raw) + 1
        try:
            record = parse_line(raw)
        except NewerRecord as exc:
            raise ChatcliError(
                f"Line {number} is {exc.reason.split(':')[0]}.",
                "Upgrade chatcli instead of repairing: a repair would set that line aside.",
            ) from None
        except BadLine as exc:
            if self.view is None:
                self.header((offset, length, raw, exc.reason))
            else:
                self.replace(number, offset, raw, exc.reason)
            return
        if self.view is None:
            self.first(record, offset, raw)
            return
        if isinstance(record, SessionRecord):
            self.replace(number, offset, raw, "a second session line")
            return
        fate, reason = "kept", ""
        if record.seq != number:
            fate, reason = "renumbered", f"seq was {record.seq}"
            record = with_seq(record, number)
        try:
            self.view.apply(record)
        except ReplayError as exc:
            self.replace(number, offset, raw, exc.reason)
            return
        if isinstance(record, CheckpointRecord):
            fixed = self.redigest(record)
            if fixed is not record:
                record = fixed
                fate = "redigested"
                reason = f"checkpoint {record.id} gets the digest of the view it now captures"
        line = raw + b"\n" if fate == "kept" else dump_line(record)
        self.emit(line, LineFate(number, offset, length, fate, reason))

    def first(self, record: Record, offset: int, raw: bytes) -> None:
        length = len(raw) + 1
        if not isinstance(record, SessionRecord):
            self.header((offset, length, raw, "the first line is not a session line"))
            return
        fate, reason = "kept", ""
        if record.seq != 1 or record.id != self.session_id:
            fate, reason = "renumbered", f"the session line said seq {record.seq}, id {record.id!r}"
            record = dataclasses.replace(record, seq=1, id=self.session_id)
        self.view = self.start(record)
        line = raw + b"\n" if fate == "kept" else dump_line(record)
        self.emit(line, LineFate(1, offset, length, fate, reason))

    def header(self, lost: tuple[int, int, bytes, str] | None) -> None:
        """A new session line for this id, standing in for a missing or unreadable one."""
        header = SessionRecord(seq=1, id=self.session_id, title="(repaired)")
        self.view = self.start(header)
        self.lost_header = lost
        offset, length = (lost[0], lost[1]) if lost else (0, 0)
        reason = lost[3] if lost else "the file was empty"
        self.emit(dump_line(header), LineFate(1, offset, length, "new header", reason))

    def replace(self, number: int, offset: int, raw: bytes, reason: str) -> None:
        assert self.view is not None
        record = RepairRecord(
            seq=len(self.out) + 1,
            line=number,
            reason=reason,
            kept=self.kept,
            offset=offset,
            length=len(raw) + 1,
            sha256=hashlib.sha256(raw + b"\n").hexdigest(),
        )
        self.view.apply(record)
        fate = LineFate(number, offset, len(raw) + 1, "replaced", reason)
        if number == 1:  # the old first line, described after the lines that follow it
            self.out.append(dump_line(record))
            return
        self.emit(dump_line(record), fate)

    def redigest(self, record: CheckpointRecord) -> CheckpointRecord:
        assert isinstance(self.view, View)  # only a session's view takes checkpoints
        snap = self.view.snapshots[record.id]
        digest, chain = view_digest(snap.head, snap.state), chain_digest(snap.head)
        if record.digest == digest and record.chain in (None, chain):
            return record
        fixed = dataclasses.replace(record, digest=digest, chain=chain)
        self.view.snapshots[record.id] = Snapshot(
            fixed, snap.head, snap.state, snap.state_record, snap.compaction
        )
        return fixed

    def emit(self, line: bytes, fate: LineFate) -> None:
        self.out.append(line)
        self.fates.append(fate)

    def finish(self) -> None:
        if self.lost_header is not None:
            offset, _length, raw, reason = self.lost_header
            self.replace(1, offset, raw, reason)
