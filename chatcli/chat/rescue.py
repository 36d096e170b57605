"""A reply the person was shown is never lost: retry the save, else keep it elsewhere.

When the store cannot take a reply (the disk is full, read-only, failing), the
save is retried a few times; if it still fails, the reply goes to a recovery
file in the first of a few folders that takes it: the data folder's
`recovered/` (it survives, when only the log was the problem), the config
folder's (often another disk), `$XDG_RUNTIME_DIR` (memory) and the system's
temporary folder. Each is private (0700, ours), each file 0600.
`chatcli sessions recover FILE` appends it to its session later.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from chatcli.errors import ChatcliError, ReplyKept, StoreIOError
from chatcli.paths import Paths
from chatcli.private_files import private_dir
from chatcli.session.records import BadLine, ChatMessage, parse_line, to_dict
from chatcli.store.files import publish_private

log = logging.getLogger("chatcli.chat")
T = TypeVar("T")

RETRY_DELAYS = (0.05, 0.2, 0.5)
"""Pauses between attempts to save a reply (a disk may free up: a temporary file goes)."""
FORMAT = "chatcli-recovered-reply-v1"


def rescue_dirs(paths: Paths, environ: dict[str, str] | None = None) -> list[Path]:
    """Where a reply that could not be saved is kept, in order of preference."""
    env = os.environ if environ is None else environ
    dirs = [paths.data_dir / "recovered", paths.config_dir / "recovered"]
    if env.get("XDG_RUNTIME_DIR"):
        dirs.append(Path(env["XDG_RUNTIME_DIR"]) / "chatcli-recovered")
    dirs.append(Path(tempfile.gettempdir()) / f"chatcli-recovered-{os.getuid()}")
    return dirs


def fallback_rescue() -> Rescue:
    """A Rescue for an engine built without one: the system's temporary folder only."""
    return Rescue([Path(tempfile.gettempdir()) / f"chatcli-recovered-{os.getuid()}"])


class Rescue:
    """Saves replies through the store, keeping each one it cannot save in a file."""

    def __init__(self, dirs: Sequence[Path], delays: Sequence[float] = RETRY_DELAYS) -> None:
        self.dirs = list(dirs)
        self.delays = tuple(delays)

    def save(self, session_id: str, save: Callable[[], T], draft: ChatMessage) -> T:
        """`save()`, retried on I/O errors; ReplyKept (naming the file) if it never works."""
        attempt = 0
        while True:
            try:
                return save()
            except StoreIOError as exc:
                error: ChatcliError = exc
                if attempt >= len(self.delays):
                    break
            except ChatcliError as exc:  # locked, corrupt, gone: retrying will not help
                error = exc
                break
            log.info("saving a reply failed (%s); retrying", error.sentence())
            time.sleep(self.delays[attempt])
            attempt += 1
        kept = self.keep(session_id, draft, error)
        raise ReplyKept(str(kept), error) from None

    def keep(self, session_id: str, draft: ChatMessage, error: ChatcliError) -> Path:
        """Write the reply to a recovery file; StoreIOError if no folder would take it."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{session_id}-{stamp}-{secrets.token_hex(3)}.json"
        blob = json.dumps(
            {
                "format": FORMAT,
                "session": session_id,
                "error": error.sentence(),
                "message": to_dict(draft),
            },
            ensure_ascii=False,
        ).encode()
        last: ChatcliError | None = None
        for folder in self.dirs:
            path = folder / name
            try:
                _own_private_dir(folder)
                publish_private(path, blob + b"\n")  # whole or not at all: no empty file
            except OSError as exc:
                last = StoreIOError.of(exc, "write", path)
            except ChatcliError as exc:
                last = exc
            else:
                log.warning("a reply was kept in %s: %s", path, error.sentence())
                return path
        raise ChatcliError(
            f"The reply could not be saved ({error.message.rstrip('.')}), nor kept in any of "
            f"{', '.join(map(str, self.dirs))} ({last.message.rstrip('.') if last else 'none'}).",
            "Copy it from the screen now.",
        )


def _own_private_dir(folder: Path) -> None:
    """A 0700 folder owned by us (a shared temporary folder may hold someone else's)."""
    private_dir(folder)
    info = folder.lstat()
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) != 0o700:
        raise ChatcliError(f"{folder} belongs to someone else.")


def read_kept(path: Path) -> tuple[str, ChatMessage]:
    """The session id and message of a recovery file; ChatcliError if it is not one."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise StoreIOError.of(exc, "read", path) from None
    except ValueError:
        data = None
    refused = ChatcliError(f"{path} is not a reply chatcli kept.", "Pass a file chatcli named.")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise refused
    session, message = data.get("session"), data.get("message")
    if not isinstance(session, str) or not isinstance(message, dict):
        raise refused
    try:
        record = parse_line(json.dumps({**message, "seq": 1}).encode())
    except BadLine:
        raise refused from None
    if not isinstance(record, ChatMessage):
        raise refused
    return session, record
