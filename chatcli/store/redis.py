"""Session logs in Redis, so many machines share the same sessions.

Keys, under a prefix (`chatcli:` by default):

- `<prefix>log:<id>`: a list; element n is line n of the JSONL log, byte for byte.
- `<prefix>summary:<id>`: a hash caching the session's summary, with `len`,
  the log length it describes.
- `<prefix>sessions`: a sorted set of ids scored by last update (epoch seconds).
- `<prefix>writes:<id>`: the session's recent write ids (see below).

Each write is one Lua script (see `redis_scripts`), so numbering is atomic
across processes and machines. An append names the log length it expects: when
another writer got there first, the script writes nothing and returns the new
lines in the same round trip, and the append calls `make` again with them.

A write can succeed on the server and fail here (the reply was lost). So each
append carries a random write id, made once per call and sent again with the
same lines: the script answers a known id with its first result and writes
nothing. The store resends after a dropped connection or a timeout for up to
`retry_for` seconds (a create resends its lines and recognises them), and only
then raises StoreUnavailable.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

from chatcli.errors import (
    ChatcliError,
    ConfigError,
    CorruptLog,
    SessionExists,
    SessionLocked,
    SessionNotFound,
    StoreUnavailable,
)
from chatcli.session.ids import check_id, is_id
from chatcli.session.numbering import with_seq
from chatcli.session.records import Record, SessionRecord, dump_line
from chatcli.session.replay import ReplayError, replay
from chatcli.session.store import Appended, Cursor, Make
from chatcli.session.summary import SessionSummary, summarize
from chatcli.store import redis_scripts as lua
from chatcli.store.lines import parse_numbered
from chatcli.store.redis_errors import unavailable
from chatcli.store.redis_summary import (
    Arg,
    cached_summary,
    score,
    summary_fields,
    summary_patch,
)

DEFAULT_PREFIX = "chatcli:"


class RedisStore:
    """Session logs as Redis lists, numbered atomically by Lua scripts."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 6379,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        prefix: str = DEFAULT_PREFIX,
        ttl: timedelta | None = None,
        timeout: float = 5.0,
        lock_timeout: float = 10.0,
        retry_for: float | None = None,
    ) -> None:
        """Connect lazily to `host:port/db`; `ttl` expires a session unwritten that long.

        `retry_for`: how long a write is resent while its outcome is unknown (`timeout`)."""
        if ttl is not None and ttl < timedelta(milliseconds=1):
            raise ConfigError(f"A Redis TTL must be positive, not {ttl}.")
        self.prefix = prefix
        self.ttl = ttl
        self.timeout = timeout
        self.lock_timeout = lock_timeout
        self.retry_for = timeout if retry_for is None else retry_for
        self._ttl_ms = int(ttl.total_seconds() * 1000) if ttl else 0
        shown = f"[{host}]" if ":" in host else host
        self.address = f"{shown}:{port}"
        self.url = f"{'rediss' if tls else 'redis'}://{self.address}/{db}"
        self._secret = password or None
        self._pool = redis.ConnectionPool(
            connection_class=redis.SSLConnection if tls else redis.Connection,
            host=host,
            port=port,
            db=db,
            username=username,
            password=password,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            socket_keepalive=True,
            # One retry on a broken connection (a pooled socket the server closed);
            # none on a timeout, so a hung server costs at most `timeout`.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        self._redis = redis.Redis(connection_pool=self._pool)
        self._create = self._redis.register_script(lua.CREATE)
        self._append = self._redis.register_script(lua.APPEND)
        self._save_summary = self._redis.register_script(lua.SAVE_SUMMARY)
        self._prune = self._redis.register_script(lua.PRUNE)
        self._delete = self._redis.register_script(lua.DELETE)
        self._index = f"{prefix}sessions"

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        ttl: timedelta | None = None,
        password: str | None = None,
        timeout: float = 5.0,
        retry_for: float | None = None,
    ) -> RedisStore:
        """A store at `redis://[:password@]host[:port][/db]` (or `rediss://` for TLS).

        `password` is used when the URL has none."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ConfigError(
                "A Redis store URL starts with redis:// or rediss://.", "Use redis://host:port/db."
            )
        db_text = parts.path.strip("/") or "0"
        try:
            port = parts.port or 6379
            db = int(db_text)
        except ValueError:
            raise ConfigError(
                "The Redis URL has a bad port or database number.", "Use redis://host:port/db."
            ) from None
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port,
            db=db,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else password,
            tls=parts.scheme == "rediss",
            prefix=prefix,
            ttl=ttl,
            timeout=timeout,
            retry_for=retry_for,
        )

    def __repr__(self) -> str:
        return f"RedisStore({self.location()!r})"

    def companion(self, prefix: str) -> RedisStore:
        """A store on the same connections under another prefix, whose logs never expire."""
        other = copy.copy(self)
        other.prefix, other.ttl, other._ttl_ms, other._index = prefix, None, 0, f"{prefix}sessions"
        return other

    def close(self) -> None:
        """Close the pooled connections (the store reconnects if used again)."""
        self._pool.disconnect()

    # -- keys and errors -------------------------------------------------------

    def _keys(self, session_id: str) -> list[str]:
        p, i = self.prefix, check_id(session_id)
        return [f"{p}log:{i}", f"{p}summary:{i}", self._index, f"{p}writes:{i}"]

    def location(self, session_id: str | None = None) -> str:
        """The server (never its password) and the key of a session's log."""
        key = f"{self.prefix}log:{check_id(session_id)}" if session_id else self.prefix
        return f"{self.url} {key}"

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn any Redis error into one StoreUnavailable sentence."""
        try:
            yield
        except RedisError as exc:
            raise self._unavailable(exc) from None

    def _send(self, script: Script, keys: list[str], args: list[Arg]) -> Any:
        """Run a write script that is safe to resend (see `redis_scripts.send`)."""
        return lua.send(script, keys, args, self.retry_for, self._unavailable)

    def _unavailable(self, exc: RedisError) -> StoreUnavailable:
        return unavailable(exc, self.address, self.timeout, self._secret)

    def _parse(self, session_id: str, raw: Sequence[bytes], last_seq: int) -> list[Record]:
        lines = [line[:-1] if line.endswith(b"\n") else line for line in raw]
        where = self.location(session_id)
        return parse_numbered(lines, where=where, last_seq=last_seq, session_id=session_id)

    # -- the protocol ------------------------------------------------------------

    def create(self, records: Sequence[Record]) -> Cursor:
        """Write a new session's first lines, atomically; SessionExists if the id is taken."""
        header = records[0]
        assert isinstance(header, SessionRecord), "a log starts with its session line"
        keys = self._keys(header.id)
        numbered = [with_seq(r, i + 1) for i, r in enumerate(records)]
        lines = [dump_line(r) for r in numbered]
        try:
            fields = summary_fields(summarize(replay(numbered)))
        except ReplayError:
            fields = []  # no cached summary: the next listing reports the problem
        args: list[Arg] = [header.id, score(numbered[-1].ts), self._ttl_ms, len(fields) // 2]
        result = self._send(self._create, keys, [*args, *fields, *lines])
        if result[0] == 0 and list(result[1:]) != lines:  # equal: our own write, resent
            raise SessionExists(header.id)
        return Cursor(len(lines), len(lines))

    def read(self, session_id: str, after: Cursor | None = None) -> tuple[list[Record], Cursor]:
        """Lines after `after` (all when None), in one round trip."""
        log = self._keys(session_id)[0]
        start = after or Cursor()
        with self._guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.llen(log)
            pipe.lrange(log, start.pos, -1)
            length, raw = pipe.execute()
        if length == 0:
            raise SessionNotFound(session_id)
        if length < start.pos:
            raise CorruptLog(
                self.location(session_id),
                start.seq,
                "the log is shorter than when it was last read",
            )
        records = self._parse(session_id, raw, start.seq)
        return records, Cursor(start.seq + len(records), start.pos + len(raw))

    def append(self, session_id: str, after: Cursor, make: Make) -> Appended:
        """Write `make(others)` if the log is still as long as expected, else retry.

        `make` is first called optimistically with no others, so the common case is
        one round trip; on a conflict it is called again with every line since `after`.
        One write id serves the whole call: it is recorded only by the attempt that writes.
        """
        keys = self._keys(session_id)
        write_id = secrets.token_hex(8)
        deadline = time.monotonic() + self.lock_timeout
        others: list[Record] = []
        caught_up = False
        while True:
            seq, pos = after.seq + len(others), after.pos + len(others)
            new = list(make(others))
            if not new:
                fresh = [] if caught_up else self.read(session_id, Cursor(seq, pos))[0]
                if not fresh:
                    return Appended(others, [], Cursor(seq, pos))
                others.extend(fresh)  # make answered for a stale view: ask again
                caught_up = True
                continue
            numbered = [with_seq(r, seq + i + 1) for i, r in enumerate(new)]
            lines = [dump_line(r) for r in numbered]
            delta, fields = summary_patch(numbered)
            last = numbered[-1].ts
            args: list[Arg] = [session_id, pos, score(last), self._ttl_ms, delta, last, write_id]
            args.append(len(fields) // 2)
            result = self._send(self._append, keys, [*args, *fields, *lines])
            if result[0] == 2 and int(result[1]) != pos + len(new):
                raise CorruptLog(self.location(session_id), seq, "a write id was used twice")
            if result[0] in (1, 2):  # 2: written by an earlier send whose reply was lost
                return Appended(others, numbered, Cursor(seq + len(new), pos + len(new)))
            if result[0] == -1:
                raise SessionNotFound(session_id)
            length, rest = int(result[1]), list(result[2:])
            if length < pos:
                raise CorruptLog(
                    self.location(session_id), seq, "the log is shorter than when it was last read"
                )
            others.extend(self._parse(session_id, rest, seq))
            caught_up = True
            if time.monotonic() > deadline:
                raise SessionLocked(session_id, self.lock_timeout)

    def exists(self, session_id: str) -> bool:
        """Whether the session's log is stored (and has not expired)."""
        log = self._keys(session_id)[0]
        with self._guard():
            return bool(self._redis.exists(log))

    def ids(self) -> list[str]:
        """Every stored id, most recently updated first."""
        return [session_id for session_id, _ in self._listed(with_summaries=False)]

    def summaries(self) -> list[SessionSummary]:
        """Every session's summary, newest first; only stale caches replay their log."""
        listed = self._listed(with_summaries=True)
        stale = [session_id for session_id, summary in listed if summary is None]
        rebuilt = self._rebuild(stale) if stale else {}
        out: list[SessionSummary] = []
        for session_id, summary in listed:
            found = summary or rebuilt.get(session_id)
            if found is not None:
                out.append(found)
        return out

    def delete(self, session_id: str) -> None:
        """Remove a session's log, summary and index entry."""
        keys = self._keys(session_id)
        with self._guard():
            gone = self._delete(keys=keys, args=[session_id])
        if not gone:
            raise SessionNotFound(session_id)

    # -- listing -------------------------------------------------------------------

    def _listed(self, *, with_summaries: bool) -> list[tuple[str, SessionSummary | None]]:
        """Live ids from the index, newest first, with their cached summary when fresh.

        Index entries whose log expired are pruned on the way."""
        with self._guard():
            members = cast(list[bytes], self._redis.zrevrange(self._index, 0, -1))
            ids = [m.decode() for m in members if is_id(m.decode(errors="replace"))]
            pipe = self._redis.pipeline(transaction=False)
            for session_id in ids:
                log, summary, _, _ = self._keys(session_id)
                pipe.llen(log)
                if with_summaries:
                    pipe.hgetall(summary)
            replies = pipe.execute()
            step = 2 if with_summaries else 1
            out: list[tuple[str, SessionSummary | None]] = []
            gone: list[str] = []
            for i, session_id in enumerate(ids):
                length = int(replies[i * step])
                if length == 0:
                    gone.append(session_id)
                elif with_summaries:
                    out.append(
                        (session_id, cached_summary(session_id, replies[i * step + 1], length))
                    )
                else:
                    out.append((session_id, None))
            if gone:
                pipe = self._redis.pipeline(transaction=False)
                for session_id in gone:
                    self._prune(keys=self._keys(session_id), args=[session_id], client=pipe)
                pipe.execute()
        return out

    def _rebuild(self, ids: list[str]) -> dict[str, SessionSummary]:
        """Replay the logs of `ids` and cache their summaries (two round trips in all)."""
        with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            for session_id in ids:
                pipe.lrange(self._keys(session_id)[0], 0, -1)
            logs = pipe.execute()
        out: dict[str, SessionSummary] = {}
        pipe = self._redis.pipeline(transaction=False)
        for session_id, raw in zip(ids, logs, strict=True):
            if not raw:
                continue  # deleted or expired meanwhile
            try:
                records = self._parse(session_id, raw, 0)
                summary = summarize(replay(records))
            except ReplayError as exc:
                out[session_id] = SessionSummary.unreadable(
                    session_id, f"line {exc.seq}: {exc.reason}"
                )
                continue
            except ChatcliError as exc:
                out[session_id] = SessionSummary.unreadable(session_id, exc.sentence())
                continue
            out[session_id] = summary
            args = [len(raw), *summary_fields(summary)]
            self._save_summary(keys=self._keys(session_id), args=args, client=pipe)
        with self._guard():
            pipe.execute()
        return out


__all__ = ["DEFAULT_PREFIX", "RedisStore"]
