"""An in-memory store: the same protocol, for tests and embedding."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from chatcli.errors import CorruptLog, SessionExists, SessionNotFound
from chatcli.session.ids import check_id
from chatcli.session.numbering import with_seq
from chatcli.session.records import Record, SessionRecord
from chatcli.session.replay import ReplayError, replay
from chatcli.session.store import Appended, Cursor, Make
from chatcli.session.summary import SessionSummary, summarize


class MemoryStore:
    """Session logs kept in a dict; lost when the process ends."""

    def __init__(self) -> None:
        self._logs: dict[str, list[Record]] = {}
        self._lock = threading.RLock()

    def location(self, session_id: str | None = None) -> str:
        """A name for people: `memory:<id>`."""
        return f"memory:{session_id or ''}"

    def create(self, records: Sequence[Record]) -> Cursor:
        """Store a new session's first lines."""
        header = records[0]
        assert isinstance(header, SessionRecord), "a log starts with its session line"
        check_id(header.id)
        with self._lock:
            if header.id in self._logs:
                raise SessionExists(header.id)
            self._logs[header.id] = [with_seq(r, i + 1) for i, r in enumerate(records)]
            return Cursor(len(records), len(records))

    def _log(self, session_id: str) -> list[Record]:
        log = self._logs.get(check_id(session_id))
        if log is None:
            raise SessionNotFound(session_id)
        return log

    def read(self, session_id: str, after: Cursor | None = None) -> tuple[list[Record], Cursor]:
        """Records after `after`."""
        start = after or Cursor()
        with self._lock:
            log = self._log(session_id)
            return log[start.pos :], Cursor(len(log), len(log))

    def append(self, session_id: str, after: Cursor, make: Make) -> Appended:
        """Catch up and append under one lock."""
        with self._lock:
            log = self._log(session_id)
            others = log[after.pos :]
            new = make(others)
            numbered = [with_seq(r, len(log) + i + 1) for i, r in enumerate(new)]
            log.extend(numbered)
            return Appended(others, numbered, Cursor(len(log), len(log)))

    def exists(self, session_id: str) -> bool:
        """Whether the session is stored."""
        return check_id(session_id) in self._logs

    def ids(self) -> list[str]:
        """Every stored id."""
        with self._lock:
            return list(self._logs)

    def summaries(self) -> list[SessionSummary]:
        """A summary per session (replays each; fine for memory)."""
        with self._lock:
            logs = list(self._logs.items())
        out = []
        for session_id, log in logs:
            try:
                out.append(summarize(replay(log)))
            except ReplayError as exc:
                raise CorruptLog(self.location(session_id), exc.seq, exc.reason) from None
        return out

    def delete(self, session_id: str) -> None:
        """Forget a session."""
        with self._lock:
            self._log(session_id)
            del self._logs[session_id]
