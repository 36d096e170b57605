"""Writing a session's export to a file: new, private, never overwriting another."""

from __future__ import annotations

import os
from pathlib import Path

from chatcli.errors import ChatcliError

FORMATS = {"md": "md", "markdown": "md", "json": "json", "jsonl": "jsonl"}
"""What a person may type (`/export markdown`) → the export format."""


def export_format(name: str) -> str | None:
    """The format `name` stands for (`md` when empty), or None when it is not one."""
    return FORMATS.get((name or "md").lower())


def write_export(folder: Path, session_id: str, ext: str, text: str) -> Path:
    """Write an export as a new private file `chatcli-<id>.<ext>` (never overwriting)."""
    for n in range(1000):
        path = folder / f"chatcli-{session_id}{f'-{n}' if n else ''}.{ext}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path
    raise ChatcliError(f"Too many exports of {session_id} in {folder}.", "Move some away.")
