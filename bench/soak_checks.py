"""What bench/soak.py counts, and how: acknowledged entries, CLI runs, files.

A `Tally` is one row of the soak's table. `Cli` runs the real `chatcli`
console script as a user would (its own config and data folders), with a
timeout: a run past it is a hang; "Traceback" in its output, or death by a
signal, is a traceback. `check_acks` reads what writers acknowledged back
from the store. `Files` snapshots a folder, so a reader that changed a
session file, or any file that is not 0600 (folder not 0700), is counted.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatcli.errors import ChatcliError  # noqa: E402
from chatcli.session import ChatMessage, CheckpointRecord, Store  # noqa: E402
from tests.cli_helpers import cli_env, console_script  # noqa: E402
from tests.helpers_writer import content  # noqa: E402

NOTES_KEPT = 4
"""Examples kept per kind of problem, for the notes under the table."""


@dataclass
class Tally:
    """One row: what was tried, and everything that went wrong."""

    store: str
    phase: str
    trials: int = 0
    lost: int = 0
    duplicated: int = 0
    tracebacks: int = 0
    hangs: int = 0
    changed: int = 0
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, kind: str, text: str) -> None:
        kept = self.notes.setdefault(kind, [])
        if len(kept) < NOTES_KEPT:
            kept.append(text.strip().replace("\n", " ⏎ ")[:400])

    def problems(self) -> int:
        return self.lost + self.duplicated + self.tracebacks + self.hangs + self.changed


@dataclass(frozen=True)
class Home:
    """A user's folders, and the store they point at (files, or a Redis prefix)."""

    path: Path
    redis_url: str | None = None
    redis_prefix: str = ""

    @property
    def sessions(self) -> Path:
        return self.path / "data" / "sessions"

    @property
    def spec(self) -> str:
        """The store as soak_worker.py names it."""
        if self.redis_url:
            return f"redis:{self.redis_url}#{self.redis_prefix}"
        return f"jsonl:{self.sessions}"

    def env(self) -> dict[str, str]:
        extra = {"CHATCLI_STORE": self.redis_url} if self.redis_url else {}
        config = self.path / "config"
        config.mkdir(parents=True, exist_ok=True)
        if self.redis_url:
            (config / "config.toml").write_text(f'redis_prefix = "{self.redis_prefix}"\n')
        return cli_env(self.path, **extra)


class Cli:
    """Runs `chatcli ARGS` for `home`, counting tracebacks and hangs into `tally`."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.script = console_script()
        self.runs = 0

    def run(
        self, tally: Tally, home: Home, args: Sequence[str], env: Mapping[str, str] | None = None
    ) -> tuple[int, str]:
        """(exit code, stdout + stderr); -9 and no output for a hang."""
        self.runs += 1
        command = [self.script, *args]
        try:
            done = subprocess.run(
                command,
                env=dict(env or home.env()),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            tally.hangs += 1
            tally.note("hang", f"chatcli {' '.join(args)}: no exit within {self.timeout:g} s")
            return -9, ""
        output = done.stdout + done.stderr
        if "Traceback (most recent call last)" in output or done.returncode < 0:
            tally.tracebacks += 1
            last = [line for line in output.splitlines() if line.strip()][-1:] or ["(no output)"]
            tally.note("traceback", f"chatcli {' '.join(args)} (exit {done.returncode}): {last[0]}")
        return done.returncode, output


# -- acknowledged entries -------------------------------------------------------------


@dataclass
class Acks:
    """What writers said they wrote: per session, (kind, seq, detail)."""

    by_session: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)

    def add_line(self, line: str) -> None:
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "ack":
            kind, session_id, seq = parts[1], parts[2], int(parts[3])
            detail = parts[4] if len(parts) > 4 else ""
            self.by_session.setdefault(session_id, []).append((kind, seq, detail))

    def count(self) -> int:
        return sum(len(v) for v in self.by_session.values())


def check_acks(tally: Tally, store: Store, acks: Acks) -> None:
    """Count acknowledged entries the store no longer has, and entries stored twice."""
    for session_id, acked in acks.by_session.items():
        try:
            records, _ = store.read(session_id)
        except ChatcliError as exc:
            tally.lost += len(acked)
            tally.note(
                "lost", f"{session_id}: unreadable, {len(acked)} acknowledged: {exc.sentence()}"
            )
            continue
        for kind, seq, detail in acked:
            if not _holds(records, kind, seq, detail, session_id):
                tally.lost += 1
                tally.note("lost", f"{session_id}: acknowledged {kind} at seq {seq} is not there")
        tally.duplicated += _duplicates(tally, session_id, records)


def _holds(records: list[Any], kind: str, seq: int, detail: str, session_id: str) -> bool:
    """Whether the acknowledged entry is at `seq`: a message's `detail` is its index `i`
    (content: `content(session_id, i)`) or, from an `append` worker, its whole content."""
    if seq > len(records) or records[seq - 1].seq != seq:
        return False
    record = records[seq - 1]
    if kind == "create":
        return seq == 1 and getattr(record, "id", None) == session_id
    if kind == "cp":
        return isinstance(record, CheckpointRecord) and record.id == detail
    if kind == "msg":
        want = detail if ":" in detail else content(session_id, int(detail))
        return isinstance(record, ChatMessage) and record.content == want
    return False


def _duplicates(tally: Tally, session_id: str, records: list[Any]) -> int:
    seen = Counter(
        r.content for r in records if isinstance(r, ChatMessage) and r.role == "user"
    ) + Counter(f"checkpoint {r.id}" for r in records if isinstance(r, CheckpointRecord))
    twice = {text: n - 1 for text, n in seen.items() if n > 1}
    for text in list(twice)[:1]:
        tally.note("duplicated", f"{session_id}: {text[:40]!r} stored {twice[text] + 1} times")
    return sum(twice.values())


# -- files ---------------------------------------------------------------------------


class Files:
    """Every file under a folder: its bytes' digest and mode."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen = self._scan()

    def _scan(self) -> dict[Path, tuple[str, int]]:
        out: dict[Path, tuple[str, int]] = {}
        for path in sorted(self.root.rglob("*")) if self.root.exists() else []:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                out[path] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mode & 0o777)
        return out

    def changed_since(self, tally: Tally, *, allowed_new: Sequence[str] = ()) -> None:
        """Count session files a reader changed, added or removed (`allowed_new` names ok)."""
        now = self._scan()
        for path in set(self.seen) | set(now):
            if path.name in allowed_new or path.parent.name in allowed_new:
                continue
            if self.seen.get(path) != now.get(path):
                tally.changed += 1
                tally.note("changed", f"{path.relative_to(self.root)} changed by a reader")
        self.seen = now


def bad_modes(tally: Tally, root: Path) -> None:
    """Count files that are not 0600 and folders that are not 0700 under `root`."""
    if not root.exists():
        return
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        want = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
        if not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o777 != want:
            tally.changed += 1
            tally.note("mode", f"{path.relative_to(root.parent)} is {info.st_mode & 0o777:o}")


def leftovers(tally: Tally, root: Path) -> None:
    """Count temporary files a killed writer left behind (`*.tmp`, empty `.corrupt-*`)."""
    if not root.exists():
        return
    for path in root.iterdir():
        name = path.name
        if name.endswith(".tmp") or (".corrupt-" in name and path.stat().st_size == 0):
            tally.changed += 1
            tally.note("left behind", f"{name} ({path.stat().st_size} bytes)")


def private_umask() -> None:
    """Soak runs under the widest umask, so a mode chatcli forgets to set shows."""
    os.umask(0)
