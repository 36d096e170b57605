"""Checks a log beyond parsing: replay sense and every checkpoint's digest."""

from __future__ import annotations

from dataclasses import dataclass

from chatcli.session.records import CheckpointRecord, Record, SessionRecord
from chatcli.session.replay import ReplayError, View, chain_digest, view_digest


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a log, at a file (or key) and line."""

    where: str
    line: int
    reason: str

    def __str__(self) -> str:
        if self.line == 0:  # the file as a whole
            return f"{self.where}: {self.reason}"
        return f"{self.where}:{self.line}: {self.reason}"


def verify_records(records: list[Record], where: str) -> list[Problem]:
    """Replay without trusting stored digests; report each checkpoint that doesn't match."""
    if not records or not isinstance(records[0], SessionRecord):
        return [Problem(where, 1, "the first line is not a session line")]
    view = View.start(records[0])
    view.trust_chain = False
    problems: list[Problem] = []
    for record in records[1:]:
        try:
            view.apply(record)
        except ReplayError as exc:
            problems.append(Problem(where, exc.seq, exc.reason))
            break
        if isinstance(record, CheckpointRecord):
            snap = view.snapshots[record.id]
            if view_digest(snap.head, snap.state) != record.digest:
                problems.append(
                    Problem(
                        where, record.seq, f"checkpoint {record.id} digest does not match its view"
                    )
                )
            elif record.chain is not None and record.chain != chain_digest(snap.head):
                problems.append(
                    Problem(
                        where, record.seq, f"checkpoint {record.id} chain does not match its view"
                    )
                )
    return problems
