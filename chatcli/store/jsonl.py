"""The default store: one JSONL file per session under `<data dir>/sessions/`."""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from chatcli.errors import (
    ChatcliError,
    CorruptLog,
    SessionExists,
    SessionLocked,
    SessionNotFound,
    StoreIOError,
    UnsafePath,
)
from chatcli.private_files import check_dir, private_dir
from chatcli.session.ids import check_id, is_id
from chatcli.session.numbering import numbered, with_seq
from chatcli.session.records import Record, SessionRecord, dump_line
from chatcli.session.replay import ReplayError, replay
from chatcli.session.store import Appended, Cursor, Make
from chatcli.session.summary import SessionSummary, summarize
from chatcli.store.files import (
    open_log,
    publish_private,
    reported,
    temps_of,
    write_all,
)
from chatcli.store.index import SummaryIndex
from chatcli.store.lines import parse_numbered
from chatcli.store.locks import acquire, release
from chatcli.store.open_logs import OpenLog, OpenLogs

SUFFIX = ".jsonl"
ASIDE = (".corrupt-", ".before-repair-")
"""What follows `<id>.jsonl.` in the names of files a session's bytes were set aside in."""


class JsonlStore:
    """Session logs as append-only, fsynced, locked JSONL files."""

    def __init__(self, root: Path, *, lock_timeout: float = 10.0) -> None:
        self.root = root
        self.lock_timeout = lock_timeout
        self._prepared = False
        self._files: dict[str, Path] = {}
        self._lock_files: dict[str, Path] = {}
        self._open_logs = OpenLogs()
        self._index = SummaryIndex(root / ".index.json", self._summarize_file)

    # -- paths and locks -----------------------------------------------------

    def path(self, session_id: str) -> Path:
        """The log file of a session (the id is checked first)."""
        return _remembered(self._files, session_id, lambda name: self.root / f"{name}{SUFFIX}")

    def _lock_file(self, session_id: str) -> Path:
        return _remembered(
            self._lock_files, session_id, lambda name: self.root / ".locks" / f"{name}.lock"
        )

    def location(self, session_id: str | None = None) -> str:
        """The file (or the folder) where sessions live."""
        return str(self.path(session_id) if session_id else self.root)

    def _ready(self) -> None:
        private_dir(self.root)
        private_dir(self.root / ".locks")

    def _checked(self, session_id: str) -> Path:
        """The session's path, once the sessions folder is known not to be a link."""
        path = self.path(session_id)
        check_dir(self.root)
        return path

    @contextmanager
    def locked(self, session_id: str) -> Iterator[None]:
        """Hold the session's lock (a flock on `.locks/<id>.lock`)."""
        path = self._lock_file(session_id)
        if not self._prepared:
            self._ready()
            self._prepared = True
        try:
            fd = acquire(path, session_id, self.lock_timeout)
        except FileNotFoundError:  # the folders went away since: make them again
            self._ready()
            fd = acquire(path, session_id, self.lock_timeout)
        try:
            yield
        finally:
            release(fd)

    # -- the protocol ---------------------------------------------------------

    def create(self, records: Sequence[Record]) -> Cursor:
        """Write a new session's first lines in one durable write."""
        header = records[0]
        assert isinstance(header, SessionRecord), "a log starts with its session line"
        path = self.path(header.id)
        numbered = [with_seq(r, i + 1) for i, r in enumerate(records)]
        blob = b"".join(dump_line(r) for r in numbered)
        with reported("create", path):
            self._ready()
            with self.locked(header.id):
                for stale in temps_of(self.root, path.name):  # a create killed mid-way
                    stale.unlink(missing_ok=True)
                try:
                    publish_private(path, blob)
                except OSError as exc:
                    if not isinstance(exc, FileExistsError):  # no session: no lock file either
                        with contextlib.suppress(OSError):
                            self._lock_file(header.id).unlink()
                        raise
                    if path.is_symlink():
                        raise UnsafePath(
                            f"{path} is a symbolic link.",
                            "chatcli does not follow links; move it away.",
                        ) from None
                    raise SessionExists(header.id) from None
        return Cursor(seq=len(numbered), pos=len(blob))

    def read(self, session_id: str, after: Cursor | None = None) -> tuple[list[Record], Cursor]:
        """Complete lines after `after`; a torn last line is left for the next writer."""
        path = self._checked(session_id)
        start = after or Cursor()
        fd, size = self._open(path, os.O_RDONLY, session_id)
        try:
            with reported("read", path):
                data = os.pread(fd, size - start.pos, start.pos) if size > start.pos else b""
        finally:
            os.close(fd)
        if size < start.pos:
            raise CorruptLog(str(path), start.seq, "the file is shorter than when it was last read")
        end = data.rfind(b"\n") + 1
        records = self._parse(path, data[:end], start.seq, session_id)
        if start.seq == 0 and not records:
            raise CorruptLog(str(path), 1, "the session line is missing (an interrupted create?)")
        return records, Cursor(seq=start.seq + len(records), pos=start.pos + end)

    def append(self, session_id: str, after: Cursor, make: Make) -> Appended:
        """Lock, catch up, move a torn tail aside, write, fsync."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            log = self._open_logs.get(session_id, self._new_open_log)
            mutex = log.mutex
            if not mutex.acquire(blocking=False) and not mutex.acquire(
                timeout=max(0.0, deadline - time.monotonic())
            ):
                raise SessionLocked(session_id, self.lock_timeout)
            try:
                if not log.closed:  # else evicted or deleted meanwhile: take a fresh one
                    with reported("write to", log.log_path):
                        return self._append_open(log, session_id, after, make, deadline)
            finally:
                mutex.release()

    def _new_open_log(self, session_id: str) -> OpenLog:
        return OpenLog(self._lock_file(session_id), self.path(session_id), self._check_root)

    def _check_root(self) -> None:
        if not self._prepared:
            self._ready()
            self._prepared = True
        check_dir(self.root)

    def _append_open(
        self, log: OpenLog, session_id: str, after: Cursor, make: Make, deadline: float
    ) -> Appended:
        try:
            fd, size = log.lock(session_id, deadline, self.lock_timeout)
        except FileNotFoundError:  # the folders went away since: make them again
            self._ready()
            fd, size = log.lock(session_id, deadline, self.lock_timeout)
        done = False
        try:
            appended = self._append_locked(fd, size, log.log_path, session_id, after, make)
            done = True
            return appended
        finally:
            if not done:  # whatever went wrong, the next append opens the log afresh
                log.forget_log()
            log.unlock()

    def _append_locked(
        self, fd: int, size: int, path: Path, session_id: str, after: Cursor, make: Make
    ) -> Appended:
        if size < after.pos:
            raise CorruptLog(str(path), after.seq, "the file is shorter than when it was last read")
        others: list[Record] = []
        pos, seq = after.pos, after.seq
        torn = b""
        if size > pos:
            data = os.pread(fd, size - pos, pos)
            end = data.rfind(b"\n") + 1
            others = self._parse(path, data[:end], seq, session_id)
            torn = data[end:]
            pos, seq = pos + end, seq + len(others)
        new = make(others)
        if not new:
            return Appended(others, [], Cursor(seq, pos))
        if torn:  # only now that nothing can fail first: a failed append changes nothing
            self._move_aside(path, torn)
            os.ftruncate(fd, pos)
        lines = numbered(new, seq)
        blob = b"".join([dump_line(r) for r in lines])
        try:
            write_all(fd, blob)
            os.fdatasync(fd)
        except OSError:
            _cut_back(fd, pos)  # a failed append leaves no part of itself behind
            raise
        return Appended(others, lines, Cursor(seq + len(lines), pos + len(blob)))

    def exists(self, session_id: str) -> bool:
        """Whether the session's file exists (a link does not count)."""
        path = self._checked(session_id)
        with reported("open", path):
            return path.is_file() and not path.is_symlink()

    def ids(self) -> list[str]:
        """Ids of every `.jsonl` file in the sessions folder (links and odd names skipped)."""
        check_dir(self.root)
        try:
            with reported("list", self.root):
                entries = list(os.scandir(self.root))
        except StoreIOError as exc:
            if exc.errno == errno.ENOENT:
                return []
            raise
        return [
            entry.name[: -len(SUFFIX)]
            for entry in entries
            if entry.name.endswith(SUFFIX)
            and is_id(entry.name[: -len(SUFFIX)])
            and entry.is_file(follow_symlinks=False)
        ]

    def summaries(self) -> list[SessionSummary]:
        """Every session's summary, from the index where the file is unchanged."""
        check_dir(self.root)
        with reported("list", self.root):
            if not self.root.is_dir():
                return []
            return self._index.summaries(self.root, SUFFIX)

    def delete(self, session_id: str) -> None:
        """Remove the session's file (under its lock) and its lock file."""
        path = self._checked(session_id)
        with reported("delete", path), self.locked(session_id):
            try:
                path.unlink()
            except FileNotFoundError:
                raise SessionNotFound(session_id) from None
            for copy in [*temps_of(self.root, path.name), *self.aside_files(session_id)]:
                copy.unlink(missing_ok=True)  # no copy of a deleted conversation stays
            # A waiter that then locks this unlinked file sees it is gone and retries.
            self._lock_file(session_id).unlink(missing_ok=True)
        self._open_logs.drop(session_id)

    def forget(self, session_id: str) -> None:
        """Close the files kept open for a session (its log was replaced)."""
        self._open_logs.drop(session_id)

    def aside_files(self, session_id: str) -> list[Path]:
        """Files holding bytes of this session set aside: torn tails, logs before a repair."""
        prefix = f"{self.path(session_id).name}."
        with os.scandir(self.root) as entries:
            return [
                Path(entry.path)
                for entry in entries
                if entry.name.startswith(prefix)
                and entry.name[len(prefix) - 1 :].startswith(ASIDE)
                and entry.is_file(follow_symlinks=False)
            ]

    # -- helpers ----------------------------------------------------------------

    def _open(self, path: Path, flags: int, session_id: str) -> tuple[int, int]:
        """The file's descriptor and size (SessionNotFound when it does not exist)."""
        fd, info = open_log(path, flags, session_id)
        return fd, info.st_size

    def _parse(self, path: Path, data: bytes, last_seq: int, session_id: str) -> list[Record]:
        if not data:
            return []
        lines = data.split(b"\n")
        lines.pop()  # data ends with a newline
        return parse_numbered(lines, where=str(path), last_seq=last_seq, session_id=session_id)

    def _move_aside(self, path: Path, torn: bytes) -> Path:
        """Copy a torn tail to `<log>.corrupt-<time>`, whole or not at all."""
        return set_aside(path, ".corrupt-", torn)

    def move_torn_tail(self, session_id: str) -> Path | None:
        """Move an unterminated last line aside (doctor --repair); None if there is none."""
        path = self._checked(session_id)
        with reported("repair", path), self.locked(session_id):
            fd, size = self._open(path, os.O_RDWR, session_id)
            try:
                data = os.pread(fd, size, 0)
                end = data.rfind(b"\n") + 1
                if end == len(data):
                    return None
                aside = self._move_aside(path, data[end:])
                os.ftruncate(fd, end)
                os.fsync(fd)
                return aside
            finally:
                os.close(fd)

    def _summarize_file(self, session_id: str) -> SessionSummary:
        records, _ = self.read(session_id)
        try:
            return summarize(replay(records))
        except ReplayError as exc:
            raise CorruptLog(str(self.path(session_id)), exc.seq, exc.reason) from None


def aside_stamp() -> str:
    """The time in the name of a file set aside: `20260131T120000.123456Z`."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def set_aside(path: Path, kind: str, data: bytes) -> Path:
    """Publish `data` as `<path>.<kind><time>` (never replacing a file); return its path."""
    stamp = aside_stamp()
    for n in range(100):
        aside = path.with_name(f"{path.name}{kind}{stamp}" + (f"-{n}" if n else ""))
        try:
            publish_private(aside, data)
        except FileExistsError:
            continue
        return aside
    raise ChatcliError(f"Cannot find a free name to set bytes of {path} aside.")


def _cut_back(fd: int, size: int) -> None:
    """Truncate a log back to `size` after a failed write (best effort: if the disk
    refuses even that, the next writer moves the partial line aside)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, size)


def _remembered(paths: dict[str, Path], session_id: str, build: Callable[[str], Path]) -> Path:
    """A path per checked session id, kept (a pathlib join costs a few µs)."""
    path = paths.get(session_id)
    if path is None:
        path = build(check_id(session_id))
        if len(paths) >= 4096:
            paths.clear()
        paths[session_id] = path
    return path
