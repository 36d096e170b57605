"""Bringing one session's rows in the search index up to date with its log.

A session is read from the position the index reached (a byte offset in a
JSONL file, a list index in Redis), so a new turn costs only its own lines.
Whether a message is on the active view is worked out by the session's own
replay, never guessed here: lines that only add to the view (messages, state,
checkpoints, title changes) mark their messages active; any other line (a
restore, or a record type added later, such as a compaction or a branch
switch) makes the whole log be replayed and every message's flag be set from
the view that replay gives.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from chatcli.errors import ChatcliError, CorruptLog, SessionNotFound
from chatcli.session.records import (
    ChatMessage,
    CheckpointRecord,
    MetaRecord,
    Record,
    RepairRecord,
    StateRecord,
)
from chatcli.session.replay import ReplayError, View, replay
from chatcli.session.store import Cursor, Store

__all__ = ["Indexed", "active_seqs", "index_session"]

_ADDS_ONLY = (ChatMessage, StateRecord, CheckpointRecord, MetaRecord, RepairRecord)
"""Record types whose lines only add to the view: their messages join it at its head."""


@dataclass(frozen=True, slots=True)
class Indexed:
    """What indexing one session did."""

    messages: int = 0
    """Messages added to the index."""
    problem: str | None = None
    """Why the session could not be read (it was skipped), when it could not."""
    gone: bool = False
    """The session was deleted meanwhile (its rows were removed)."""


@dataclass(frozen=True, slots=True)
class _Row:
    rowid: int
    seq: int
    pos: int
    mark: str
    title: str


def active_seqs(view: View) -> set[int]:
    """The seqs of the messages on a replayed session's active view."""
    return {message.seq for message in view.messages()}


def index_session(
    db: sqlite3.Connection, store: Store, session_id: str, mark: str, replaced: bool
) -> Indexed:
    """Read what is new in the session's log and index it (inside the caller's transaction).

    `replaced`: the feed says the log may have been rewritten, so it is read from line 1."""
    row = _row(db, session_id)
    if row is not None and row.mark == mark:
        return Indexed()  # another process caught it up meanwhile
    start = Cursor(row.seq, row.pos) if row is not None and row.seq and not replaced else None
    try:
        try:
            records, cursor = store.read(session_id, start)
        except CorruptLog:
            if start is None:
                raise
            start = None  # shorter than before: rewritten (a repair); read it all again
            records, cursor = store.read(session_id)
        if start is None or row is None:
            return _whole(db, session_id, row, mark, records, cursor)
        return _more(db, store, session_id, row, mark, records, cursor)
    except SessionNotFound:
        if row is not None:
            forget(db, row.rowid)
        return Indexed(gone=True)
    except ReplayError as exc:
        problem = str(CorruptLog(store.location(session_id), exc.seq, exc.reason).sentence())
    except ChatcliError as exc:
        problem = exc.sentence()
    _note_problem(db, session_id, row, mark, problem)
    return Indexed(problem=problem)


def forget(db: sqlite3.Connection, rowid: int) -> None:
    """Remove a session and its messages from the index."""
    db.execute("DELETE FROM messages WHERE sid = ?", (rowid,))
    db.execute("DELETE FROM sessions WHERE rowid = ?", (rowid,))


def _row(db: sqlite3.Connection, session_id: str) -> _Row | None:
    found = db.execute(
        "SELECT rowid, seq, pos, mark, title FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()
    return None if found is None else _Row(*found)


def _whole(
    db: sqlite3.Connection,
    session_id: str,
    row: _Row | None,
    mark: str,
    records: Sequence[Record],
    cursor: Cursor,
) -> Indexed:
    """Index a log read from line 1 (replacing whatever the index had of it)."""
    view = replay(records)
    if row is None:
        rowid = _insert_session(db, session_id)
    else:
        rowid = row.rowid
        db.execute("DELETE FROM messages WHERE sid = ?", (rowid,))
    _save(db, rowid, view.title, cursor, mark)
    return Indexed(messages=_insert(db, rowid, records, active_seqs(view)))


def _more(
    db: sqlite3.Connection,
    store: Store,
    session_id: str,
    row: _Row,
    mark: str,
    records: Sequence[Record],
    cursor: Cursor,
) -> Indexed:
    """Index lines appended since `row`'s position."""
    if all(isinstance(r, _ADDS_ONLY) and not _branches(r) for r in records):
        title = row.title
        for record in records:
            if isinstance(record, MetaRecord) and record.title is not None:
                title = record.title
        _save(db, row.rowid, title, cursor, mark)
        messages = [r.seq for r in records if isinstance(r, ChatMessage)]
        return Indexed(messages=_insert(db, row.rowid, records, set(messages)))
    # A line that can move the view (a restore, a newer kind): replay the whole log.
    everything, cursor = store.read(session_id)
    view = replay(everything)
    active = active_seqs(view)
    db.execute("UPDATE messages SET active = 0 WHERE sid = ? AND active = 1", (row.rowid,))
    db.executemany(
        "UPDATE messages SET active = 1 WHERE sid = ? AND seq = ?",
        [(row.rowid, seq) for seq in active if seq <= row.seq],
    )
    _save(db, row.rowid, view.title, cursor, mark)
    new = [r for r in everything if r.seq > row.seq]
    return Indexed(messages=_insert(db, row.rowid, new, active))


def _branches(record: Record) -> bool:
    """Whether a message names a parent of its own (a branch made by an edit): replay it."""
    return getattr(record, "parent", None) is not None


def _insert_session(db: sqlite3.Connection, session_id: str) -> int:
    cur = db.execute("INSERT INTO sessions(id) VALUES (?)", (session_id,))
    assert cur.lastrowid is not None
    return cur.lastrowid


def _save(db: sqlite3.Connection, rowid: int, title: str, cursor: Cursor, mark: str) -> None:
    db.execute(
        "UPDATE sessions SET title = ?, seq = ?, pos = ?, mark = ?, problem = NULL WHERE rowid = ?",
        (title, cursor.seq, cursor.pos, mark, rowid),
    )


def _insert(db: sqlite3.Connection, rowid: int, records: Sequence[Record], active: set[int]) -> int:
    rows = [
        (rowid, r.seq, r.role, r.ts, r.seq in active, r.content)
        for r in records
        if isinstance(r, ChatMessage) and r.content
    ]
    db.executemany(
        "INSERT INTO messages(sid, seq, role, ts, active, content) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def _note_problem(
    db: sqlite3.Connection, session_id: str, row: _Row | None, mark: str, problem: str
) -> None:
    """Remember why a session was skipped (and its mark, so it is not re-read until it changes).

    What the index already had of it stays searchable."""
    rowid = row.rowid if row is not None else _insert_session(db, session_id)
    db.execute("UPDATE sessions SET mark = ?, problem = ? WHERE rowid = ?", (mark, problem, rowid))
