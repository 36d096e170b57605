"""The search index's SQLite file: where it lives, how it is opened, its tables.

The file is `<data dir>/search/<store>.sqlite3` (one per store, so a machine's
JSONL sessions and each Redis server it talks to have their own), in a 0700
folder, created 0600 without following a link, then opened by SQLite in
`mode=rw` (so SQLite never creates it). It is derived data: a file that is
not an index of this version (damaged, older, not SQLite at all) is removed
and built again from the logs.

Tables: `sessions` (per session: how far it was read — seq and position —
the mark its feed gave then, its title, and why it could not be read, when it
could not); `messages` (one row per message: session, seq, role, ts, whether
it is on the active view, its text); `fts`, an FTS5 index over
`messages.content` (external content) with the unicode61 tokenizer, so words
match as whole tokens. Rows reach `fts` in one `INSERT … SELECT` per write
transaction (`index_new_rows`: three times faster than a trigger per row, and
ids only grow, so "rows after the last id" is exact); a trigger takes a deleted
row out of `fts`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from chatcli.errors import ChatcliError, StoreIOError
from chatcli.private_files import narrow_mode, open_regular, private_dir

__all__ = [
    "VERSION",
    "IndexDamaged",
    "index_path",
    "open_index",
    "remove_index",
    "reset_schema",
    "transaction",
]

VERSION = 4
"""PRAGMA user_version of an index this chatcli reads; any other is rebuilt
(2: message ids are never reused, and new rows reach `fts` once per transaction;
3: skipped sessions are found through an index of their own; 4: prefix indexes of 2-4
characters, so a word typed so far is as quick as a whole one)."""

_SCHEMA = (
    """CREATE TABLE sessions(
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL DEFAULT 0,
    pos INTEGER NOT NULL DEFAULT 0,
    mark TEXT NOT NULL DEFAULT '',
    problem TEXT
)""",
    """CREATE TABLE messages(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    ts TEXT NOT NULL,
    active INTEGER NOT NULL,
    content TEXT NOT NULL
)""",
    "CREATE UNIQUE INDEX messages_at ON messages(sid, seq)",
    "CREATE INDEX sessions_problem ON sessions(problem) WHERE problem IS NOT NULL",
    """CREATE VIRTUAL TABLE fts USING fts5(
    content, content='messages', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2', prefix='2 3 4'
)""",
    """CREATE TRIGGER messages_removed AFTER DELETE ON messages BEGIN
    INSERT INTO fts(fts, rowid, content) VALUES ('delete', old.id, old.content);
END""",
)


class IndexDamaged(ChatcliError):
    """The index file could not be used (it is rebuilt from the logs)."""


def index_path(data_dir: Path, store_location: str) -> Path:
    """Where the index of the store at `store_location` lives under `data_dir`."""
    digest = hashlib.sha256(store_location.encode()).hexdigest()[:16]
    return data_dir / "search" / f"index-{digest}.sqlite3"


def open_index(path: Path) -> tuple[sqlite3.Connection, bool]:
    """Open (creating, or re-creating when unusable) the index; True when it is new."""
    with _reported("create", path.parent):
        private_dir(path.parent)
    _create_file(path)
    db = _connect(path)
    try:
        if _version(db) == VERSION:
            return db, False
        if _version(db) != 0 or _has_tables(db):
            raise sqlite3.DatabaseError("an index of another version")
        _create_schema(db)
        return db, True
    except sqlite3.DatabaseError:
        db.close()
    remove_index(path)  # damaged or of another version: it is only derived data
    _create_file(path)
    db = _connect(path)
    try:
        _create_schema(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise IndexDamaged(
            f"The search index {path} cannot be written ({exc}).",
            "Check that disk, or remove that file; it is rebuilt from your sessions.",
        ) from None
    return db, True


def remove_index(path: Path) -> None:
    """Delete the index file and SQLite's companions (never through a link)."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        with _reported("remove", path.parent / name), contextlib.suppress(FileNotFoundError):
            os.unlink(path.parent / name)


def _create_file(path: Path) -> None:
    """The file exists, is a regular file (no link followed) and is 0600."""
    with _reported("create", path):
        fd, info = open_regular(path, os.O_RDWR | os.O_CREAT)
        try:
            narrow_mode(fd, info)
        finally:
            os.close(fd)


def _connect(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(os.fspath(path))}?mode=rw"
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise IndexDamaged(f"The search index {path} cannot be opened ({exc}).") from None
    db.execute("PRAGMA busy_timeout = 10000")
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # derived data: a lost last commit is re-read
    except sqlite3.DatabaseError:
        pass  # not a database: the version check says so next
    return db


def _version(db: sqlite3.Connection) -> int:
    row = db.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _has_tables(db: sqlite3.Connection) -> bool:
    return int(db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]) > 0


def _create_schema(db: sqlite3.Connection) -> None:
    with transaction(db):
        if _version(db) == 0:  # another process may have just made it
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {VERSION}")


def last_row(db: sqlite3.Connection) -> int:
    """The highest message id there is (new rows get higher ones)."""
    return int(db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0])


def index_new_rows(db: sqlite3.Connection, after: int) -> None:
    """Put the messages added since `last_row` said `after` into the full-text index."""
    db.execute(
        "INSERT INTO fts(rowid, content) SELECT id, content FROM messages WHERE id > ?", (after,)
    )


def reset_schema(db: sqlite3.Connection) -> None:
    """Empty the index (in one transaction other processes see whole)."""
    with transaction(db):
        for kind, name in db.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'fts\\_%' ESCAPE '\\'"
        ).fetchall():
            db.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {VERSION}")


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: committed at the end, rolled back on an error."""
    db.execute("BEGIN IMMEDIATE")
    with db:  # commit, or roll back and re-raise
        yield


@contextlib.contextmanager
def _reported(action: str, path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise StoreIOError.of(exc, action, path) from None
