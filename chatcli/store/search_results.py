"""Running a parsed query against the index: ranked hits with highlighted snippets.

Ranking is FTS5's bm25 (best first), newer first among equals, or newest first
(`sort="newest"`). A query that matches more than RANKED_AT_MOST messages ranks
the newest that many (message ids grow as the index reads the logs, oldest
session first on a first build). Snippets are made in a second query for the hits kept, so a
word that matches 50,000 messages costs its ranking, not 50,000 snippets.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Literal

from chatcli.store.search_query import ParsedQuery

__all__ = ["Hit", "Results", "Sort", "run_query", "session_rowids"]

Sort = Literal["best", "newest"]

_OPEN, _CLOSE = "\x02", "\x03"
"""What FTS5's snippet() puts around a matched token (parsed out again here)."""
_SPACE = re.compile(r"\s+")
SNIPPET_TOKENS = 14
RANKED_AT_MOST = 5_000
"""A query matching more messages ranks the newest this many (a word that common says
little, and bm25 over every match of it would cost a frame per 10,000 messages)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching message."""

    session: str
    title: str
    seq: int
    role: str
    ts: str
    snippet: str
    """A few words around the match, on one line."""
    highlights: tuple[tuple[int, int], ...]
    """`(start, end)` offsets in `snippet` of each matched token."""
    active: bool
    """Whether the message is on the session's active view (not rolled back)."""

    def to_json(self) -> dict[str, Any]:
        """The hit as `chatcli search --json` prints it."""
        return {
            "session": self.session,
            "title": self.title,
            "seq": self.seq,
            "role": self.role,
            "ts": self.ts,
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class Results:
    """What a search found, and what it could not look at."""

    hits: list[Hit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """One sentence per session that could not be read (skipped), and the like."""


def run_query(
    db: sqlite3.Connection,
    query: ParsedQuery,
    *,
    limit: int,
    sid: int | None = None,
    role: str | None = None,
    sort: Sort = "best",
    active_only: bool = False,
) -> list[Hit]:
    """The best `limit` messages matching `query` (optionally of one session or role)."""
    if not query:
        return []
    where = ["fts MATCH ?"]
    args: list[Any] = [query.match]
    if sid is not None:
        where.append("m.sid = ?")
        args.append(sid)
    if role is not None:
        where.append("m.role = ?")
        args.append(role)
    if active_only:
        where.append("m.active = 1")
    floor = db.execute(
        "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (query.match, RANKED_AT_MOST - 1),
    ).fetchone()
    if floor is not None:  # ids grow as the logs are read: these are the newest matches
        where.append("fts.rowid >= ?")
        args.append(floor[0])
    order = "rank, m.ts DESC" if sort == "best" else "m.ts DESC, rank"
    sql = (
        "SELECT m.id, bm25(fts) AS rank FROM fts JOIN messages m ON m.id = fts.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
    )
    ids = [row[0] for row in db.execute(sql, [*args, limit])]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    snippets = dict(
        db.execute(
            f"SELECT rowid, snippet(fts, 0, ?, ?, '…', {SNIPPET_TOKENS}) FROM fts "
            f"WHERE fts MATCH ? AND rowid IN ({marks})",
            [_OPEN, _CLOSE, query.match, *ids],
        )
    )
    rows = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT m.id, s.id, s.title, m.seq, m.role, m.ts, m.active FROM messages m "
            f"JOIN sessions s ON s.rowid = m.sid WHERE m.id IN ({marks})",
            ids,
        )
    }
    hits: list[Hit] = []
    for rowid in ids:
        session, title, seq, role_, ts, active = rows[rowid]
        text, spans = parse_snippet(snippets.get(rowid, ""))
        hits.append(Hit(session, title, seq, role_, ts, text, spans, bool(active)))
    return hits


def session_rowids(db: sqlite3.Connection, query: ParsedQuery) -> set[int]:
    """The sessions (their rowids) with at least one message matching `query`."""
    if not query:
        return set()
    sql = "SELECT DISTINCT m.sid FROM fts JOIN messages m ON m.id = fts.rowid WHERE fts MATCH ?"
    return {row[0] for row in db.execute(sql, [query.match])}


def parse_snippet(raw: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """snippet() text → one line of text and the spans of its marked tokens."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in re.split(f"([{_OPEN}{_CLOSE}])", raw):
        if piece == _OPEN:
            start = length
        elif piece == _CLOSE:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        elif piece:
            text = _SPACE.sub(" ", piece)
            if length == 0 and start is None:
                text = text.lstrip()
            out.append(text)
            length += len(text)
    text = "".join(out)
    stripped = text.rstrip()
    return stripped, tuple((a, min(b, len(stripped))) for a, b in spans if a < len(stripped))
