"""Per-session locks: an exclusive flock on `.locks/<id>.lock`, taken and dropped per write.

Each `acquire` opens its own descriptor, so threads (and forked children)
exclude each other as separate processes do. The lock is not reentrant.
Appends keep the lock file open instead (`open_logs.OpenLog`).
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from pathlib import Path

from chatcli.errors import SessionLocked
from chatcli.store.files import open_regular

FIRST_WAIT = 0.0002
LONGEST_WAIT = 0.002


def release(fd: int) -> None:
    """Drop a lock taken by `acquire` (closing its only descriptor releases the flock)."""
    os.close(fd)


def acquire(path: Path, session_id: str, timeout: float) -> int:
    """Lock `path` exclusively (creating it 0600) and return its descriptor.

    SessionLocked after `timeout` seconds; FileNotFoundError if its folder is missing."""
    deadline = time.monotonic() + timeout
    while True:
        fd, held = open_lock_file(path)
        try:
            flock_until(fd, session_id, deadline, timeout)
        except SessionLocked:
            os.close(fd)
            raise
        if _still_at(path, held):
            return fd
        os.close(fd)  # the file was deleted (or replaced) while we waited: lock the new one


def flock_until(fd: int, session_id: str, deadline: float, timeout: float) -> None:
    """Flock `fd` exclusively, retrying with a short doubling back-off.

    SessionLocked (naming `timeout`) once `deadline` (a `time.monotonic()`) passes."""
    wait = FIRST_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        now = time.monotonic()
        if now >= deadline:
            raise SessionLocked(session_id, timeout)
        time.sleep(min(wait, deadline - now))
        wait = min(wait * 2, LONGEST_WAIT)


def open_lock_file(path: Path) -> tuple[int, os.stat_result]:
    """Open (or create) the lock file `path`, 0600, never through a link."""
    fd, info = open_regular(path, os.O_RDWR | os.O_CREAT)
    if stat.S_IMODE(info.st_mode) != 0o600:
        os.fchmod(fd, 0o600)  # a umask can only take bits away; put back what it took
    return fd, info


def _still_at(path: Path, held: os.stat_result) -> bool:
    try:
        there = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return (there.st_dev, there.st_ino) == (held.st_dev, held.st_ino)
