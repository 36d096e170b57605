"""Private files and folders: 0700 folders, 0600 files, links never followed.

New files appear whole or not at all: `publish_private` writes an unnamed
file (`O_TMPFILE`) and links it into place, so a `kill -9` leaves nothing
behind; where the file system has no `O_TMPFILE` it writes a named temporary
file, `.<name>.<pid>-<hex>.tmp`, which `stale_temps` finds afterwards.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chatcli.errors import SessionNotFound, StoreIOError
from chatcli.private_files import CLOEXEC, check_dir, narrow_mode, open_regular, private_dir

__all__ = [  # check_dir and private_dir live in chatcli.private_files (re-exported)
    "check_dir",
    "create_private",
    "open_log",
    "open_nofollow",
    "open_regular",
    "private_dir",
    "publish_private",
    "reported",
    "stale_temps",
    "sync_dir",
    "temp_name",
    "temps_of",
    "write_all",
]

_TMPFILE = getattr(os, "O_TMPFILE", 0)
_TEMP = re.compile(r"\.(?P<target>.+)\.(?P<pid>\d+)-[0-9a-f]+\.tmp")


@contextmanager
def reported(action: str, path: Path) -> Iterator[None]:
    """Turn an OSError into a StoreIOError naming the file (or `path`) and what to do."""
    try:
        yield
    except OSError as exc:
        raise StoreIOError.of(exc, action, _shown(exc, path)) from None


def _shown(exc: OSError, path: Path) -> str:
    """The file an OSError is about, unless that is a temporary or /proc name."""
    name = exc.filename
    if isinstance(name, str) and not name.startswith("/proc/"):
        base = os.path.basename(name)
        if not _TEMP.fullmatch(base):
            return name
    return str(path)


def open_nofollow(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open without following a link at `path`; UnsafePath when it is one."""
    return open_regular(path, flags, mode)[0]


def open_log(path: Path, flags: int, session_id: str) -> tuple[int, os.stat_result]:
    """open_regular for a session's log: SessionNotFound, or a StoreIOError sentence.

    A log found with a wider mode than 0600 is narrowed now, not at its next write."""
    try:
        fd, info = open_regular(path, flags)
    except FileNotFoundError:
        raise SessionNotFound(session_id) from None
    except OSError as exc:
        raise StoreIOError.of(exc, "open", path) from None
    try:
        narrow_mode(fd, info)
    except OSError as exc:
        os.close(fd)
        raise StoreIOError.of(exc, "make private (chmod 600)", path) from None
    return fd, info


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` (os.write may write less than asked)."""
    written = os.write(fd, data)
    if written == len(data):
        return
    view = memoryview(data)[written:]
    while view:
        written = os.write(fd, view)
        view = view[written:]


def create_private(path: Path, data: bytes) -> None:
    """Create `path` 0600 with `data`, durably; FileExistsError if it exists."""
    _write_new(path, data)
    sync_dir(path.parent)


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` 0600 (never through a link) holding `data`, fsynced."""
    fd = open_nofollow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        os.fchmod(fd, 0o600)
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    """A temporary name next to `path` that `stale_temps` recognises."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def publish_private(path: Path, data: bytes) -> None:
    """Create `path` 0600 with `data` all at once: after a crash there is either
    no file or the whole of it, never a part, and no second name for it.
    FileExistsError if `path` exists (a link there counts and is not followed)."""
    if not _TMPFILE:
        _publish_named(path, data)
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | CLOEXEC)
    try:
        try:
            fd = os.open(".", _TMPFILE | os.O_WRONLY | CLOEXEC, 0o600, dir_fd=folder)
        except OSError as exc:
            if exc.errno not in _NO_TMPFILE:
                raise
            _publish_named(path, data)
            return
        try:
            os.fchmod(fd, 0o600)
            write_all(fd, data)
            os.fsync(fd)
            # linkat(AT_SYMLINK_FOLLOW) names the unnamed file; it refuses an existing name.
            # (A dir_fd makes Python call linkat, not link, which would not follow.)
            os.link(f"/proc/self/fd/{fd}", path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except FileNotFoundError:
            if os.path.isdir("/proc/self/fd"):
                raise
            _publish_named(path, data)  # no /proc to name the unnamed file by
            return
        finally:
            os.close(fd)
        os.fsync(folder)
    finally:
        os.close(folder)


_NO_TMPFILE = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL, errno.ENOSYS}


def _publish_named(path: Path, data: bytes) -> None:
    tmp = temp_name(path)
    try:
        _write_new(tmp, data)
        try:
            os.link(tmp, path)  # atomic, and refuses an existing name
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            create_private(path, data)  # a file system without hard links
            return
    finally:
        tmp.unlink(missing_ok=True)
    sync_dir(path.parent)


_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def sync_dir(path: Path) -> None:
    """fsync a folder so a new or renamed entry in it survives a crash."""
    fd = os.open(path, os.O_RDONLY | CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temps_of(root: Path, name: str) -> list[Path]:
    """Temporary files in `root` that were being written as `name` (any process)."""
    prefix = f".{name}."
    with os.scandir(root) as entries:
        return [
            Path(entry.path)
            for entry in entries
            if entry.name.startswith(prefix)
            and (m := _TEMP.fullmatch(entry.name))
            and m["target"] == name
        ]


def stale_temps(root: Path) -> list[tuple[Path, str, int]]:
    """Temporary files in `root` whose writing process is gone: (path, target name, pid)."""
    found: list[tuple[Path, str, int]] = []
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    for entry in entries:
        m = _TEMP.fullmatch(entry.name)
        if m and not _alive(int(m["pid"])) and entry.is_file(follow_symlinks=False):
            found.append((Path(entry.path), m["target"], int(m["pid"])))
    return sorted(found)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OverflowError:
        return False
    return True
