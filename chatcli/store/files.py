"""Private files and folders: 0700 folders, 0600 files, links never followed."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from chatcli.errors import ChatcliError, SessionNotFound, UnsafePath

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700 folders; refuse a link or a non-folder."""
    try:
        try:
            info = path.lstat()  # the usual case: it is there, one call
        except FileNotFoundError:
            for folder in [*reversed(path.parents), path]:
                if not os.path.lexists(folder):
                    folder.mkdir(mode=0o700, exist_ok=True)
            info = path.lstat()
    except OSError as exc:
        raise ChatcliError(f"Cannot create the folder {path}: {exc.strerror}.") from None
    check_dir(path, info)
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def check_dir(path: Path, info: os.stat_result | None = None) -> None:
    """Refuse `path` when it is a link or not a folder (a missing one is fine)."""
    if info is None:
        try:
            info = path.lstat()
        except FileNotFoundError:
            return
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(f"{path} is a symbolic link.", "chatcli does not follow links; move it.")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafePath(f"{path} is not a folder.", "Move it away so chatcli can create it.")


def open_nofollow(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open without following a link at `path`; UnsafePath when it is one."""
    return open_regular(path, flags, mode)[0]


def open_regular(path: Path, flags: int, mode: int = 0o600) -> tuple[int, os.stat_result]:
    """open_nofollow, also returning the file's stat (taken to check it is a regular file)."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(
                f"{path} is a symbolic link.", "chatcli does not follow links; move it away."
            ) from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePath(f"{path} is not a regular file.", "Move it out of the sessions folder.")
    return fd, info


def open_log(path: Path, flags: int, session_id: str) -> tuple[int, os.stat_result]:
    """open_regular for a session's log: SessionNotFound or a plain permission sentence."""
    try:
        return open_regular(path, flags)
    except FileNotFoundError:
        raise SessionNotFound(session_id) from None
    except OSError as exc:
        if exc.errno == errno.EACCES:
            raise ChatcliError(f"Permission denied reading {path}.") from None
        raise


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


def publish_private(path: Path, data: bytes) -> None:
    """Create `path` 0600 with `data` all at once: after a crash there is either
    no file or the whole of it, never a part. FileExistsError if `path` exists
    (a link there counts as existing and is not followed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
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
    fd = os.open(path, os.O_RDONLY | _CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
