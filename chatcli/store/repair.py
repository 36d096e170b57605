"""`doctor --repair` for a JSONL log with bad lines: salvage in place, keep the damaged file.

Under the session's lock: the salvaged log is written under a temporary name
and fsynced; the damaged log gets a second name,
`<id>.jsonl.before-repair-<time>` (a hard link: the same bytes, no copy, no
space needed); then the temporary file is renamed over `<id>.jsonl`. A kill at any point leaves either the
damaged log in place or the repaired one, and the damaged bytes are never
lost. A process that kept the old file open sees a new file at its next
append (the store checks the file's identity after every lock).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chatcli.session.records import SessionRecord
from chatcli.session.salvage import Replaying, Salvage, salvage, session_view
from chatcli.session.verify import verify_records
from chatcli.store.doctor import Verify, diagnose_bytes
from chatcli.store.files import create_private, open_log, reported, sync_dir, temp_name
from chatcli.store.jsonl import JsonlStore, aside_stamp


@dataclass(frozen=True)
class Repaired:
    """What a repair did: the salvage, and where the damaged log is kept."""

    path: Path
    kept: Path
    salvage: Salvage
    size: int
    """Bytes of the damaged log (all of them are in `kept`)."""


def repair(
    store: JsonlStore,
    session_id: str,
    verify: Verify = verify_records,
    start: Callable[[SessionRecord], Replaying] = session_view,
) -> Repaired | None:
    """Salvage a log whose lines are all complete; None when it has no problem.

    `verify` and `start` check and replay it (a session's by default; the
    user-memory log passes its own)."""
    path = store.path(session_id)
    with reported("repair", path), store.locked(session_id):
        fd, info = open_log(path, os.O_RDONLY, session_id)
        try:
            data = os.pread(fd, info.st_size, 0)
        finally:
            os.close(fd)
        if not diagnose_bytes(data, str(path), session_id, verify):
            return None
        kept = _kept_name(path)
        result = salvage(data, session_id, kept.name, start)
        left = diagnose_bytes(result.data, str(path), session_id, verify)
        assert not left, f"a salvaged log still has problems: {left}"
        tmp = temp_name(path)
        try:
            create_private(tmp, result.data)  # first: a full disk fails before anything changed
            kept = _keep(path, kept, data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        sync_dir(path.parent)
    store.forget(session_id)
    return Repaired(path, kept, result, len(data))


def _kept_name(path: Path) -> Path:
    """The name the damaged log will be kept under (free now; the lock keeps it so)."""
    stamp = aside_stamp()
    for n in range(100):
        kept = path.with_name(f"{path.name}.before-repair-{stamp}" + (f"-{n}" if n else ""))
        if not os.path.lexists(kept):
            return kept
    raise FileExistsError(errno.EEXIST, "no free name to keep the damaged log under", str(path))


def _keep(path: Path, kept: Path, data: bytes) -> Path:
    """Give the damaged log its second name (a copy where hard links are not allowed)."""
    try:
        os.link(path, kept, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
        create_private(kept, data)
    sync_dir(path.parent)
    return kept
