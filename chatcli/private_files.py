"""Private files and folders (0600, 0700), never through a link: one helper for every layer.

The store's logs, chatcli's own log file (set up by both `cli` and `llm`) and
exports all hold conversation text, so each is opened the same way: never
through a symbolic link (`O_NOFOLLOW`), only when it is a regular file (a
FIFO or a device there is refused, without blocking on it), and made 0600
through its descriptor, so a link's target is never touched. Folders that
hold them are made 0700 by `private_dir`.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import stat
import sys
from pathlib import Path

from chatcli.errors import StoreIOError, UnsafePath

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
"""Opening a FIFO for reading waits for a writer; with this it returns at once."""


def open_regular(path: Path, flags: int, mode: int = 0o600) -> tuple[int, os.stat_result]:
    """os.open without following a link at `path`, refusing anything but a regular file.

    Returns the descriptor and its stat. UnsafePath for a link, a FIFO, a device
    or a folder; other OSErrors (FileNotFoundError, …) are the caller's to map."""
    try:
        fd = os.open(path, flags | NOFOLLOW | CLOEXEC | NONBLOCK, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(
                f"{path} is a symbolic link.", "chatcli does not follow links; move it away."
            ) from None
        if exc.errno in (errno.ENXIO, errno.EISDIR, errno.ENODEV):
            raise _not_regular(path) from None
        raise
    info = os.fstat(fd)  # O_NONBLOCK changes nothing for a regular file, so it can stay
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _not_regular(path)
    return fd, info


def _not_regular(path: Path) -> UnsafePath:
    return UnsafePath(f"{path} is not a regular file.", "Move it away; chatcli only opens files.")


def narrow_mode(fd: int, info: os.stat_result) -> None:
    """Take group and other bits off a file found with a wider mode than 0600.

    Best effort: a file on a read-only disk, or owned by someone else, stays
    as it is (reading it is still fine)."""
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & 0o700)
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EPERM, errno.EACCES):
                raise


def open_private_append(path: Path) -> int:
    """Open (or create) `path` for appending, 0600, never through a link."""
    fd, info = open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    done = False
    try:
        if stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)  # the umask may have taken bits, or others had some
        done = True
    finally:
        if not done:
            os.close(fd)
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` (created 0600, or truncated and made 0600).

    The path is the person's choice, so a link they made is followed; what is
    there must still be a regular file (`-o /dev/stdout` is written as is)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | CLOEXEC, 0o600)
    except OSError as exc:
        raise StoreIOError.of(exc, "write", path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise StoreIOError.of(exc, "write", path) from None
    finally:
        os.close(fd)


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
        raise StoreIOError.of(exc, "create the folder", path) from None
    check_dir(path, info)
    if stat.S_IMODE(info.st_mode) != 0o700:
        try:
            os.chmod(path, 0o700, follow_symlinks=False)
        except OSError as exc:
            raise StoreIOError.of(exc, "make private (chmod 700) the folder", path) from None
    return path


def check_dir(path: Path, info: os.stat_result | None = None) -> None:
    """Refuse `path` when it is a link or not a folder (a missing one is fine)."""
    if info is None:
        try:
            info = path.lstat()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreIOError.of(exc, "open the folder", path) from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(f"{path} is a symbolic link.", "chatcli does not follow links; move it.")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafePath(f"{path} is not a folder.", "Move it away so chatcli can create it.")


class PrivateFileHandler(logging.FileHandler):
    """A logging.FileHandler whose file is opened by `open_private_append`.

    A link at the log's path raises UnsafePath (its target is never written or
    chmod-ed). A log line the disk refuses (full, read-only) is dropped without
    a traceback on the terminal: the log is a diagnostic, never a store."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, mode="a", encoding="utf-8")

    def _open(self) -> io.TextIOWrapper:
        fd = open_private_append(Path(self.baseFilename))
        stream = os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        assert isinstance(stream, io.TextIOWrapper)
        return stream

    def handleError(self, record: logging.LogRecord) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handleError(record)

    def close(self) -> None:
        """Close the file; lines still buffered for a disk that refuses them are dropped
        (closing is what a second workspace in one process does to the first one's log)."""
        try:
            super().close()
        except OSError:
            self.stream = None  # the log is a diagnostic


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_handler(path: Path) -> PrivateFileHandler:
    """chatcli's log file as a logging handler, one line per record (see PrivateFileHandler).

    Its folder must exist (`private_dir`); UnsafePath or OSError when the file cannot be opened."""
    handler = PrivateFileHandler(path)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler
