"""Fakes for the TUI tests: the scripted model (tests.fake_model), a frozen clock, stamped logs."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from chatcli.session import Record, SessionRecord
from chatcli.session.store import Appended, Cursor, Make
from chatcli.store import MemoryStore
from tests.fake_model import MODEL, FakeModel, FakeModelWorkspace, Scripted, make_workspace

__all__ = [
    "BASE",
    "MODEL",
    "NOW",
    "FakeModel",
    "FakeModelWorkspace",
    "Scripted",
    "StampedStore",
    "frozen_clock",
    "make_workspace",
]

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
"""The frozen "now" of snapshot tests."""


def frozen_clock() -> datetime:
    return NOW


BASE = datetime(2026, 3, 14, 13, 0, 0, tzinfo=UTC)
"""When the stamped logs of snapshot tests begin (two hours before NOW)."""


class StampedStore(MemoryStore):
    """A MemoryStore that stamps each line with a predictable time (37 s apart).

    Snapshot tests show ages and clock times; with this store they never change.
    Its location reads like a real sessions folder.
    """

    def __init__(self) -> None:
        super().__init__()
        self._tick = 0

    def _stamp(self, record: Record) -> Record:
        self._tick += 1
        ts = (BASE + timedelta(seconds=37 * self._tick)).isoformat().replace("+00:00", "Z")
        if isinstance(record, SessionRecord):
            return dataclasses.replace(record, ts=ts, created=ts)
        return dataclasses.replace(record, ts=ts)

    def create(self, records: Sequence[Record]) -> Cursor:
        return super().create([self._stamp(r) for r in records])

    def append(self, session_id: str, after: Cursor, make: Make) -> Appended:
        return super().append(
            session_id, after, lambda others: [self._stamp(r) for r in make(others)]
        )

    def location(self, session_id: str | None = None) -> str:
        folder = "~/.local/share/chatcli/sessions"
        return f"{folder}/{session_id}.jsonl" if session_id else folder
