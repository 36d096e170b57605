"""A session's lock file and log, kept open between appends.

Opening and closing both files on every append cost more than the rest of an
append bar the fsync; a store keeps them open instead, one `OpenLog` per
session, under the rules a fresh open follows:

- the flock is still exclusive, taken on the lock file's own open file and
  dropped (LOCK_UN) after every append; threads of one process share that
  open file, so they also take the `OpenLog`'s mutex for the whole append;
- after each flock, the lock file and the log are looked up again by path
  (never through a link): when either was deleted or replaced since (another
  process deleted the session and made a new one), the new file is opened;
- a forked child never uses its parent's descriptors (a flock belongs to the
  open file, which the child shares): `OpenLogs` notices the new pid and
  starts afresh, leaving the inherited descriptors alone (they close on exec).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path

from chatcli.errors import SessionNotFound
from chatcli.store.files import open_log
from chatcli.store.locks import flock_until, open_lock_file

KEPT = 32
"""Sessions whose files one store keeps open at most (two descriptors each)."""

_CLOSED = -1


class OpenLog:
    """One session's lock file and log, open in this process.

    Call `lock` and `unlock` only while holding `mutex`."""

    def __init__(self, lock_path: Path, log_path: Path, before_open: Callable[[], None]) -> None:
        self.mutex = threading.Lock()
        self.lock_path = lock_path
        self.log_path = log_path
        self._lock_name = os.fspath(lock_path)  # what os.stat takes fastest
        self._log_name = os.fspath(log_path)
        self.before_open = before_open
        """Called before a file is opened (the store checks its folder is no link)."""
        self.closed = False
        """Closed for good (evicted or deleted): get a new one from `OpenLogs`."""
        self._pid = os.getpid()
        self._lock_fd = _CLOSED
        self._lock_id = (0, 0)
        self._log_fd = _CLOSED
        self._log_id = (0, 0)

    def lock(self, session_id: str, deadline: float, timeout: float) -> tuple[int, int]:
        """Flock the session's lock file; return the log's descriptor and size.

        SessionLocked at `deadline`; SessionNotFound when there is no log (the
        flock is dropped then); FileNotFoundError when the lock's folder is gone."""
        while True:
            if self._lock_fd == _CLOSED:
                self.before_open()
                fd, info = open_lock_file(self.lock_path)
                self._lock_fd, self._lock_id = fd, (info.st_dev, info.st_ino)
            flock_until(self._lock_fd, session_id, deadline, timeout)
            done = False
            try:
                if self._lock_is_there():
                    opened = self._log(session_id)
                    done = True
                    return opened
            finally:
                if not done:
                    self.unlock()
            self._close_lock()  # deleted (or replaced) while unlocked: lock the one there now

    def _lock_is_there(self) -> bool:
        try:
            there = os.stat(self._lock_name, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return (there.st_dev, there.st_ino) == self._lock_id

    def _log(self, session_id: str) -> tuple[int, int]:
        try:
            info = os.stat(self._log_name, follow_symlinks=False)
        except FileNotFoundError:
            self.forget_log()
            raise SessionNotFound(session_id) from None
        if self._log_fd != _CLOSED and (info.st_dev, info.st_ino) == self._log_id:
            return self._log_fd, info.st_size  # still the file we hold
        self.forget_log()
        self.before_open()
        fd, info = open_log(self.log_path, os.O_RDWR | os.O_APPEND, session_id)
        self._log_fd, self._log_id = fd, (info.st_dev, info.st_ino)
        return fd, info.st_size

    def unlock(self) -> None:
        """Drop the flock; the files stay open for the next append."""
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def forget_log(self) -> None:
        """Close the log, so the next append opens it afresh."""
        if self._log_fd != _CLOSED:
            fd, self._log_fd = self._log_fd, _CLOSED
            os.close(fd)

    def _close_lock(self) -> None:
        fd, self._lock_fd = self._lock_fd, _CLOSED
        os.close(fd)  # drops a flock held through it too

    def close(self) -> None:
        """Close both files for good."""
        self.closed = True
        self.forget_log()
        if self._lock_fd != _CLOSED:
            self._close_lock()

    def __del__(self) -> None:
        # A store let go closes its files; a forked child never closes its
        # parent's (their numbers may have been closed and reused since).
        if self._pid == os.getpid():
            self.close()


class OpenLogs:
    """The `OpenLog`s of one store: at most `kept`, the oldest closed first."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._pid = os.getpid()
        self._guard = threading.Lock()
        self._logs: dict[str, OpenLog] = {}

    def get(self, session_id: str, new: Callable[[str], OpenLog]) -> OpenLog:
        """The session's `OpenLog`; `new(session_id)` makes one the first time (it
        checks the id), and again in a forked child."""
        if self._pid != os.getpid():  # a forked child: nothing of the parent's is ours
            self._pid = os.getpid()
            self._guard = threading.Lock()  # the parent's may have been held at the fork
            self._logs = {}
        log = self._logs.get(session_id)
        if log is not None and not log.closed:
            return log
        with self._guard:
            log = self._logs.get(session_id)
            if log is None or log.closed:
                log = self._logs[session_id] = new(session_id)
                if len(self._logs) > self.kept:
                    self._evict()
            return log

    def _evict(self) -> None:
        for session_id, log in list(self._logs.items())[: -self.kept]:
            if log.mutex.acquire(blocking=False):  # one in use now is left for later
                try:
                    log.close()
                finally:
                    log.mutex.release()
                del self._logs[session_id]

    def drop(self, session_id: str) -> None:
        """Close a session's files (it was deleted), after an append in progress."""
        with self._guard:
            log = self._logs.pop(session_id, None)
        if log is not None:
            with log.mutex:
                log.close()
