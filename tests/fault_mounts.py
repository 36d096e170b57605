"""Real faults for tests: a small tmpfs (full disk), read-only mounts, no permission.

Mounting needs root (CI runs as root). Without it these tests skip, except in
CI (`CI` set), where a skip would hide the very thing they check, so they fail.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli_helpers import Run, console_script

NOBODY = 65534


def require_root() -> None:
    """Skip (or, in CI, fail) when this process cannot mount file systems."""
    if os.geteuid() == 0 and shutil.which("mount"):
        return
    if os.environ.get("CI"):
        pytest.fail("CI runs as root so that real tmpfs and read-only mounts can be tested")
    pytest.skip("needs root to mount a tmpfs")


@contextmanager
def tmpfs(size: str = "256k") -> Iterator[Path]:
    """A fresh tmpfs of `size` at a unique mount point; unmounted afterwards, always."""
    require_root()
    point = Path(tempfile.mkdtemp(prefix="chatcli-tmpfs-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", point], check=True
    )
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", point], check=False)
        point.rmdir()


def remount_readonly(point: Path) -> None:
    """Make a tmpfs from `tmpfs()` read-only (it is unmounted as usual)."""
    subprocess.run(["mount", "-o", "remount,ro", point], check=True)


def fill(folder: Path) -> Path:
    """Write a file in `folder` until the disk refuses another byte; return it."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        block = b"\0" * 4096
        while True:
            try:
                fh.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        for size in (512, 64, 1):  # the last few bytes too
            while True:
                try:
                    fh.write(b"\0" * size)
                except OSError:
                    break
    return filler


def restricted_prefix() -> list[str]:
    """A command prefix that runs a program held to file modes like an ordinary user.

    As user `nobody` when this Python can be run by others; else (the interpreter
    lives under a private /root) as root without the capabilities that bypass
    file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER): the kernel
    then checks owner, group and mode exactly as it does for any other user."""
    require_root()
    if _reachable_by_others(Path(sys.executable).resolve()):
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def restricted_uid() -> int:
    """The owner a restricted run has (files it must not reach belong to another)."""
    return NOBODY if restricted_prefix()[1].startswith("--reuid") else 0


def _reachable_by_others(path: Path) -> bool:
    for part in [*reversed(path.parents), path]:
        mode = part.stat().st_mode
        if not mode & 0o001:
            return False
    return bool(path.stat().st_mode & 0o004)


def run_restricted(args: Sequence[str], env: Mapping[str, str], timeout: float = 60) -> Run:
    """The real `chatcli` console script, run by `restricted_prefix()`."""
    proc = subprocess.run(
        [*restricted_prefix(), console_script(), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_one_sentence(run: Run, *words: str) -> str:
    """A failed command: non-zero exit, exactly one line on stderr, no traceback."""
    assert run.code != 0, run
    assert "Traceback" not in run.output, run.output
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{run.stderr}"
    assert lines[0].startswith("chatcli: "), lines[0]
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]
