"""A rebuildable cache of session summaries, keyed by each file's size and mtime.

Listing 10,000 sessions stats every file but parses only the ones that changed
since the last listing. The cache is advisory: delete it and it is rebuilt. It
is opened like a log (never through a link, only as a regular file), and an
entry that is not a well-formed summary is read again from its log.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatcli.errors import ChatcliError
from chatcli.private_files import narrow_mode
from chatcli.session.ids import check_id
from chatcli.session.records import is_timestamp
from chatcli.session.summary import SessionSummary
from chatcli.store.files import create_private, open_regular, temp_name

Summarize = Callable[[str], SessionSummary]

VERSION = 2
"""Bumped when what a cached summary may hold changes (2: timestamps are checked)."""
_TEXT = ("id", "title", "created", "updated")
_OPTIONAL_TEXT = ("model", "agent", "parent", "problem")


class SummaryIndex:
    """Summaries cached in one JSON file next to the logs."""

    def __init__(self, path: Path, summarize: Summarize) -> None:
        self.path = path
        self.summarize = summarize

    def _load(self) -> dict[str, Any]:
        try:
            fd, info = open_regular(self.path, os.O_RDONLY)
        except (OSError, ChatcliError):  # missing, a link, a FIFO, a device: no cache
            return {}
        try:
            data = json.loads(os.pread(fd, info.st_size, 0))
        except (OSError, ValueError):
            return {}
        finally:
            os.close(fd)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return {}
        sessions = data.get("sessions")
        return sessions if isinstance(sessions, dict) else {}

    def _save(self, cache: dict[str, Any]) -> None:
        tmp = temp_name(self.path)
        blob = json.dumps({"version": VERSION, "sessions": cache}, separators=(",", ":"))
        try:
            create_private(tmp, blob.encode())
            os.replace(tmp, self.path)
        except (OSError, ChatcliError):  # the cache is optional; the next listing retries
            with contextlib.suppress(OSError):  # a read-only folder: no temporary file either
                tmp.unlink(missing_ok=True)

    def summaries(self, root: Path, suffix: str) -> list[SessionSummary]:
        """A summary per `*suffix` file in `root`; changed files are re-read."""
        cache = self._load()
        fresh: dict[str, Any] = {}
        out: list[SessionSummary] = []
        changed = False
        with os.scandir(root) as entries:
            for entry in entries:
                name = entry.name
                if not name.endswith(suffix) or name.startswith("."):
                    continue
                session_id = name[: -len(suffix)]
                try:
                    check_id(session_id)
                    info = entry.stat(follow_symlinks=False)
                except (ChatcliError, OSError):
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue  # links are never followed
                if stat.S_IMODE(info.st_mode) & 0o077:
                    _narrow(Path(entry.path))  # found wider than 0600: fixed now, not at a write
                key = [info.st_size, info.st_mtime_ns]
                hit = cache.get(session_id)
                summary = self._cached(hit, key)
                if summary is None:
                    summary = self._read(session_id)
                    hit = [*key, summary.to_json()]
                    changed = True
                fresh[session_id] = hit
                out.append(summary)
        if changed or len(fresh) != len(cache):
            self._save(fresh)
        return out

    @staticmethod
    def _cached(hit: Any, key: list[int]) -> SessionSummary | None:
        if not isinstance(hit, list) or len(hit) != 3 or hit[:2] != key:
            return None
        data = hit[2]
        if not _well_formed(data):
            return None
        return SessionSummary(**data)

    def _read(self, session_id: str) -> SessionSummary:
        try:
            return self.summarize(session_id)
        except ChatcliError as exc:
            return SessionSummary.unreadable(session_id, exc.sentence())


def _well_formed(data: Any) -> bool:
    """Whether a cached entry is a summary that listing it cannot trip on."""
    if not isinstance(data, dict) or set(data) != set(_TEXT + _OPTIONAL_TEXT + ("messages",)):
        return False
    if not all(isinstance(data[k], str) for k in _TEXT):
        return False
    if not all(data[k] is None or isinstance(data[k], str) for k in _OPTIONAL_TEXT):
        return False
    if type(data["messages"]) is not int:
        return False
    if data["problem"] is not None:
        return bool(data["updated"] == data["created"] == "")
    return is_timestamp(data["created"]) and is_timestamp(data["updated"])


def _narrow(path: Path) -> None:
    """Make a log 0600 through its own descriptor (best effort; reading works anyway)."""
    try:
        fd, info = open_regular(path, os.O_RDONLY)
    except (OSError, ChatcliError):
        return
    try:
        narrow_mode(fd, info)
    except OSError:
        pass  # the log's own open reports it
    finally:
        os.close(fd)
