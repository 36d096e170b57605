"""Full-text search over every session: a SQLite FTS5 index derived from the logs.

The index is never the truth. It lives under the data dir (see `search_db`),
can be deleted or rebuilt at any time (`rebuild`), and is brought up to date
by `catch_up`, which asks the store's feed which logs changed and reads only
their new lines. Nothing on the append path touches it: a search catches up
first, so a message appended a moment ago is found by the next search.

A session that cannot be read is skipped and named in the results' notes;
what the index already held of it stays searchable. Deleted sessions leave the
index at the next catch-up.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from chatcli.errors import ChatcliError, SessionNotFound
from chatcli.session.ids import check_id
from chatcli.session.store import Store
from chatcli.store.search_db import (
    IndexDamaged,
    index_new_rows,
    index_path,
    last_row,
    open_index,
    remove_index,
    reset_schema,
    transaction,
)
from chatcli.store.search_feed import Feed, feed_for
from chatcli.store.search_ingest import forget, index_session
from chatcli.store.search_query import ParsedQuery, parse_query
from chatcli.store.search_results import Hit, Results, Sort, run_query, session_rowids

__all__ = ["Hit", "IndexDamaged", "Progress", "Results", "SearchIndex"]

T = TypeVar("T")

Progress = Callable[[int, int], None]
"""Called as `progress(done, total)` while sessions are read (total: those to read)."""

BATCH_SECONDS = 0.25
"""How long one write transaction runs at most, so readers and other writers get turns."""


class SearchIndex:
    """The search index of one store, kept in one SQLite file."""

    def __init__(self, store: Store, path: Path, *, feed: Feed | None = None) -> None:
        self.store = store
        self.path = path
        self.feed = feed or feed_for(store)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        """Guards the connection (threads of one process share it)."""
        self._catching = threading.Lock()
        """Held by the one catch-up running in this process."""
        self.progress: tuple[int, int] = (0, 0)
        """(done, total) of the catch-up running now, or of the last one."""

    @classmethod
    def for_store(cls, store: Store, data_dir: Path) -> SearchIndex:
        """The index of `store`, at `<data dir>/search/`."""
        return cls(store, index_path(data_dir, store.location()))

    def close(self) -> None:
        """Close the file (it is opened again when next used)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._db, _ = open_index(self.path)
        return self._db

    def exists(self) -> bool:
        """Whether an index file has been made (a first search builds it)."""
        return self.path.is_file()

    # -- keeping up with the logs -------------------------------------------------

    def catch_up(
        self, progress: Progress | None = None, only: Iterable[str] | None = None
    ) -> list[str]:
        """Index what changed since the last catch-up; return notes on skipped sessions.

        `only`: look at these sessions alone (cheap when the caller knows what it changed)."""
        with self._catching:
            return self._guarded(lambda: self._catch_up(progress, only))

    def _catch_up(self, progress: Progress | None, only: Iterable[str] | None) -> list[str]:
        with self._lock:
            db = self._conn()
        if only is None:
            with self._lock:
                known = dict(db.execute("SELECT id, mark FROM sessions").fetchall())
            marks = self.feed.marks()
            gone = [session_id for session_id in known if session_id not in marks]
        else:
            wanted = [check_id(session_id) for session_id in only]
            with self._lock:
                known = {
                    sid: mark
                    for sid in wanted
                    for (mark,) in db.execute("SELECT mark FROM sessions WHERE id = ?", (sid,))
                }
            found = {session_id: self.feed.mark(session_id) for session_id in wanted}
            marks = {k: v for k, v in found.items() if v is not None}
            gone = [k for k, v in found.items() if v is None and k in known]
        todo = [(sid, mark) for sid, mark in marks.items() if known.get(sid) != mark]
        todo.sort(key=lambda item: self.feed.order(item[1]))  # oldest first: ids follow time
        if gone:
            with self._lock, transaction(db):
                for session_id in gone:
                    row = db.execute("SELECT rowid FROM sessions WHERE id = ?", (session_id,))
                    for (rowid,) in row.fetchall():
                        forget(db, rowid)
        self._read(db, todo, known, progress)
        return self.notes()

    def _read(
        self,
        db: sqlite3.Connection,
        todo: list[tuple[str, str]],
        known: dict[str, str],
        progress: Progress | None,
    ) -> None:
        total = len(todo)
        self.progress = (0, total)
        if progress is not None and total:
            progress(0, total)
        done = 0
        while done < total:
            deadline = time.monotonic() + BATCH_SECONDS
            with self._lock, transaction(db):
                before = last_row(db)
                while done < total:
                    session_id, mark = todo[done]
                    old = known.get(session_id)
                    replaced = old is not None and self.feed.replaced(old, mark)
                    index_session(db, self.store, session_id, mark, replaced)
                    done += 1
                    if time.monotonic() > deadline:
                        break
                index_new_rows(db, before)
            self.progress = (done, total)
            if progress is not None:
                progress(done, total)

    def rebuild(self, progress: Progress | None = None) -> list[str]:
        """Throw the index away and build it again from every log."""
        with self._catching:
            with self._lock:
                reset_schema(self._conn())
            return self._guarded(lambda: self._catch_up(progress, None))

    def notes(self) -> list[str]:
        """One sentence per session the index had to skip (it could not be read)."""
        with self._lock:
            rows = self._conn().execute(
                "SELECT id, problem FROM sessions INDEXED BY sessions_problem "
                "WHERE problem IS NOT NULL ORDER BY id"
            )
            return [f"Skipped session {sid!r}: {problem}" for sid, problem in rows.fetchall()]

    def _fresh(self, catch_up: bool, progress: Progress | None) -> list[str]:
        """Catch up before a query; when another thread is doing it, use what is there."""
        if not catch_up:
            return self.notes()
        if not self._catching.acquire(blocking=False):
            done, total = self.progress
            return [f"Still indexing ({done} of {total} sessions): these are the results so far."]
        try:
            return self._catch_up(progress, None)
        finally:
            self._catching.release()

    def _guarded(self, work: Callable[[], T]) -> T:
        """Run `work`; a damaged index is deleted and built again (once), a busy or
        full disk is one sentence."""
        try:
            return work()
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise _unusable(self.path, exc) from None
        self.close()
        remove_index(self.path)
        try:
            return work()
        except sqlite3.DatabaseError as exc:
            raise _unusable(self.path, exc) from None

    # -- queries ------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        session: str | None = None,
        role: str | None = None,
        sort: Sort = "best",
        prefix_last: bool = False,
        active_only: bool = False,
        catch_up: bool = True,
        progress: Progress | None = None,
    ) -> Results:
        """The best `limit` messages matching `text` (see `search_query` for what it may hold).

        `prefix_last` treats the last word as a prefix (for search as you type)."""
        query = parse_query(text, prefix_last=prefix_last)
        return self._guarded(
            lambda: self._search(query, limit, session, role, sort, active_only, catch_up, progress)
        )

    def _search(
        self,
        query: ParsedQuery,
        limit: int,
        session: str | None,
        role: str | None,
        sort: Sort,
        active_only: bool,
        catch_up: bool,
        progress: Progress | None,
    ) -> Results:
        notes = self._fresh(catch_up, progress)
        with self._lock:
            db = self._conn()
            sid = None
            if session is not None:
                sid = self._rowid(db, session)
                if sid is None:
                    return Results([], notes)
            hits = run_query(
                db, query, limit=limit, sid=sid, role=role, sort=sort, active_only=active_only
            )
        return Results(hits, notes)

    def session_ids(
        self, text: str, *, prefix_last: bool = False, catch_up: bool = True
    ) -> set[str]:
        """The ids of the sessions with a message matching `text`."""
        query = parse_query(text, prefix_last=prefix_last)
        return self._guarded(lambda: self._session_ids(query, catch_up))

    def _session_ids(self, query: ParsedQuery, catch_up: bool) -> set[str]:
        self._fresh(catch_up, None)
        with self._lock:
            db = self._conn()
            rowids = session_rowids(db, query)
            if not rowids:
                return set()
            rows = db.execute("SELECT rowid, id FROM sessions").fetchall()
        return {sid for rowid, sid in rows if rowid in rowids}

    def _rowid(self, db: sqlite3.Connection, session_id: str) -> int | None:
        row = db.execute("SELECT rowid FROM sessions WHERE id = ?", (check_id(session_id),))
        found = row.fetchone()
        if found is None and not self.store.exists(session_id):
            raise SessionNotFound(session_id)
        return None if found is None else int(found[0])

    # -- for doctor and the benchmark -------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """(sessions, messages) in the index."""
        with self._lock:
            db = self._conn()
            sessions = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
            messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        return int(sessions), int(messages)

    def check(self) -> str | None:
        """None when the index is sound, else what is wrong with it (doctor rebuilds it then)."""
        try:
            with self._lock:
                db = self._conn()
                db.execute("INSERT INTO fts(fts, rank) VALUES ('integrity-check', 1)")
                ok = db.execute("PRAGMA quick_check").fetchone()[0]
        except (sqlite3.DatabaseError, ChatcliError) as exc:
            return str(exc)
        return None if ok == "ok" else str(ok)


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite says the file is not a sound index (rebuilding it fixes that)."""
    name = getattr(exc, "sqlite_errorname", "")
    return isinstance(exc, sqlite3.IntegrityError) or name in ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def _unusable(path: Path, exc: sqlite3.DatabaseError) -> IndexDamaged:
    return IndexDamaged(
        f"The search index {path} cannot be used ({exc}).",
        "Try again; 'chatcli search --reindex' builds it afresh from your sessions.",
    )
