"""Writing a session's export to a file the person chose: new, private, never overwritten."""

from __future__ import annotations

import errno
from pathlib import Path

from chatcli.errors import ChatcliError
from chatcli.private_files import private_dir
from chatcli.store.files import create_private

FORMATS = {"md": "md", "markdown": "md", "json": "json", "jsonl": "jsonl"}
"""What a person may type (`/export markdown`) → the export format."""


def export_format(name: str) -> str | None:
    """The format `name` stands for (`md` when empty), or None when it is not one."""
    return FORMATS.get((name or "md").lower())


def format_of(path: Path) -> str:
    """The format a file name asks for by its extension (Markdown unless .json/.jsonl)."""
    return FORMATS.get(path.suffix.lstrip(".").lower(), "md")


def suggested_path(folder: Path, session_id: str, fmt: str) -> Path:
    """`<folder>/<id>.<fmt>`, or `<id>-2.<fmt>`… when that name is taken."""
    for n in range(1, 1000):
        path = folder / f"{session_id}{f'-{n}' if n > 1 else ''}.{fmt}"
        if not path.exists():
            return path
    return folder / f"{session_id}-{fmt}.{fmt}"


def write_export(path: Path, text: str, exports_dir: Path) -> Path:
    """Create `path` 0600 holding `text`; ChatcliError if it exists or cannot be written.

    The exports folder is created (0700) when the path is in it; any other folder
    must exist already.
    """
    path = path.expanduser()
    try:
        if path.parent == exports_dir:
            private_dir(exports_dir)
        create_private(path, text.encode("utf-8"))
    except FileExistsError:
        raise ChatcliError(f"{path} already exists.", "Choose another name.") from None
    except OSError as exc:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        raise ChatcliError(f"Cannot write {path}: {reason}.") from None
    return path
