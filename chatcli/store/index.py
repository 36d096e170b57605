"""A rebuildable cache of session summaries, keyed by each file's size and mtime.

Listing 10,000 sessions stats every file but parses only the ones that changed
since the last listing. The cache is advisory: delete it and it is rebuilt.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatcli.errors import ChatcliError
from chatcli.session.ids import check_id
from chatcli.session.summary import SessionSummary
from chatcli.store.files import create_private

Summarize = Callable[[str], SessionSummary]


class SummaryIndex:
    """Summaries cached in one JSON file next to the logs."""

    def __init__(self, path: Path, summarize: Summarize) -> None:
        self.path = path
        self.summarize = summarize

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, cache: dict[str, Any]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            create_private(tmp, json.dumps(cache, separators=(",", ":")).encode())
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)  # the cache is optional; the next listing retries

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
        try:
            return SessionSummary(**hit[2])
        except TypeError:
            return None

    def _read(self, session_id: str) -> SessionSummary:
        try:
            return self.summarize(session_id)
        except ChatcliError as exc:
            return SessionSummary.unreadable(session_id, exc.sentence())
