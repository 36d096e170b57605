"""Nothing is followed, nothing is left behind (issue 9, section 3).

The summary index and chatcli's own log are opened without following links
and only as regular files; a killed create leaves no temporary file, a deleted
session leaves no copy, doctor finds and removes what a killed process left;
moving a torn tail aside is whole or nothing; exports and session files are 0600.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatcli.store import JsonlStore
from chatcli.store import files as store_files
from tests.cli_helpers import cli_env, invoke, make_session, run_cli, sessions_dir
from tests.fault_mounts import assert_one_sentence

TURN = [("a question", "an answer")]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# -- the summary index ---------------------------------------------------------------------


def test_a_fifo_at_the_index_does_not_hang_the_listing_real_entry_point(
    tmp_path: Path, env: dict[str, str]
) -> None:
    make_session(tmp_path, "s", TURN)
    index = sessions_dir(tmp_path) / ".index.json"
    os.mkfifo(index, 0o600)
    run = run_cli(["sessions", "list"], env, timeout=60)  # it hung forever before
    assert run.ok().stdout.split()[0] == "s"
    assert stat.S_ISREG(index.lstat().st_mode), "the next save replaces the FIFO with a file"


def test_a_link_to_dev_zero_at_the_index_is_not_read_real_entry_point(
    tmp_path: Path, env: dict[str, str]
) -> None:
    make_session(tmp_path, "s", TURN)
    index = sessions_dir(tmp_path) / ".index.json"
    index.symlink_to("/dev/zero")
    assert run_cli(["sessions", "list"], env, timeout=60).ok().stdout.split()[0] == "s"
    assert not index.is_symlink()


# -- chatcli's own log -----------------------------------------------------------------------

ASK = ["ask", "-m", "openai/test-model", "--api-base", "http://127.0.0.1:9/v1", "hi"]


@pytest.mark.parametrize("kind", ["link", "dangling link", "fifo"])
def test_the_log_file_is_never_followed_real_entry_point(
    tmp_path: Path, env: dict[str, str], kind: str
) -> None:
    logs = tmp_path / "data" / "logs"
    logs.mkdir(parents=True, mode=0o700)
    target = tmp_path / "target.txt"
    log = logs / "chatcli.log"
    if kind == "fifo":
        os.mkfifo(log, 0o600)
    else:
        if kind == "link":
            target.write_text("someone else's file\n")
            target.chmod(0o644)
        log.symlink_to(target)
    run = run_cli(ASK, env, timeout=60)
    what = "is not a regular file" if kind == "fifo" else "is a symbolic link"
    assert_one_sentence(run, f"{log} {what}")
    if kind == "link":
        assert target.read_text() == "someone else's file\n" and mode(target) == 0o644
    else:
        assert not target.exists()
    assert not (tmp_path / "data" / "sessions").exists(), "refused before anything was written"


def test_the_log_file_is_made_private_through_its_descriptor(tmp_path: Path) -> None:
    from chatcli.private_files import PrivateFileHandler

    log = tmp_path / "chatcli.log"
    log.write_text("old\n")
    log.chmod(0o666)
    handler = PrivateFileHandler(log)
    try:
        assert mode(log) == 0o600
    finally:
        handler.close()


# -- what a killed process leaves ----------------------------------------------------------


def test_a_second_name_of_a_log_left_by_a_killed_create_is_found_and_never_outlives_delete(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Before: a create killed between link() and unlink() left a hard link to the live log."""
    make_session(tmp_path, "gone", TURN)
    folder = sessions_dir(tmp_path)
    stale = folder / f".gone.jsonl.{dead_pid()}-0badc0de.tmp"
    os.link(folder / "gone.jsonl", stale)
    report = invoke(["sessions", "doctor"], env)
    assert report.code == 1
    assert f"{stale}: a temporary file left by process" in report.stdout
    assert "a second name of gone.jsonl" in report.stdout
    assert "1 stray temporary file(s)." in report.stdout

    invoke(["sessions", "delete", "gone", "--yes"], env).ok()
    left = [p.name for p in folder.iterdir() if p.is_file()]
    assert not [n for n in left if "gone" in n], f"a copy of the deleted session stayed: {left}"


def test_doctor_repair_removes_stale_temporary_files_and_keeps_live_ones(
    tmp_path: Path, env: dict[str, str]
) -> None:
    make_session(tmp_path, "s", TURN)
    folder = sessions_dir(tmp_path)
    stale = [
        folder / f".t.jsonl.{dead_pid()}-00000001.tmp",
        folder / f"..index.json.{dead_pid()}-2.tmp",
    ]
    for path in stale:
        path.write_bytes(b"half a create")
    live = folder / f".u.jsonl.{os.getppid()}-00000003.tmp"  # a process that is running
    live.write_bytes(b"being written")
    fixed = invoke(["sessions", "doctor", "--repair"], env).ok().stdout
    assert all(f"removed {p}" in fixed for p in stale)
    assert not any(p.exists() for p in stale) and live.exists()
    assert "Checked 1 session(s): 0 with problems." in fixed


def test_a_create_removes_what_a_killed_create_of_the_same_id_left(
    tmp_path: Path, env: dict[str, str]
) -> None:
    folder = sessions_dir(tmp_path)
    folder.mkdir(parents=True, mode=0o700)
    stale = folder / f".again.jsonl.{dead_pid()}-00000004.tmp"
    stale.write_bytes(b'{"type":"session","seq":1')
    invoke(["sessions", "new", "--id", "again"], env).ok()
    assert not stale.exists()


def test_without_o_tmpfile_a_create_still_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The named-temporary fallback (file systems without O_TMPFILE) cleans up after itself."""
    monkeypatch.setattr(store_files, "_TMPFILE", 0)
    session = make_session(tmp_path, "named", TURN)
    assert session.messages
    assert sorted(p.name for p in sessions_dir(tmp_path).iterdir()) == [".locks", "named.jsonl"]


MOVER = """
import sys, os
from pathlib import Path
from chatcli.session import Session
from chatcli.store import JsonlStore
import chatcli.store.files as files
real = files.write_all
def slow(fd, data):
    for i in range(0, len(data), 8):
        real(fd, data[i : i + 8])
        __import__("time").sleep(0.0005)
files.write_all = slow
store = JsonlStore(Path(sys.argv[1]))
session = Session.load(store, "t")
print("go", flush=True)
session.add_message("user", "moves the torn tail aside first")
"""


def test_a_writer_killed_while_moving_a_torn_tail_aside_leaves_it_whole_or_not_at_all(
    tmp_path: Path,
) -> None:
    folder = sessions_dir(tmp_path)
    make_session(tmp_path, "t", TURN)
    whole = (folder / "t.jsonl").read_bytes()
    torn = b'{"type":"message","seq":4,"role":"user","content":"' + b"x" * 2000
    seen = set()
    for trial in range(16):
        (folder / "t.jsonl").write_bytes(whole + torn)
        proc = subprocess.Popen([sys.executable, "-c", MOVER, str(folder)], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        proc.stdout.readline()
        time.sleep(trial * 0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        asides = list(folder.glob("t.jsonl.corrupt-*"))
        for aside in asides:
            assert aside.read_bytes() == torn, "a .corrupt file holds the whole torn tail"
            aside.unlink()
        seen.add("moved" if asides else "not yet")
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert seen == {"moved", "not yet"}, f"kills landed only {seen}: the test did not test it"
    JsonlStore(folder).read("t")


# -- modes --------------------------------------------------------------------------------


def test_an_export_is_0600_even_under_umask_000_real_entry_point(
    tmp_path: Path, env: dict[str, str]
) -> None:
    make_session(tmp_path, "e", TURN)
    out = tmp_path / "out.md"
    run_cli(["sessions", "export", "e", "-o", str(out)], env, umask=0).ok()
    assert mode(out) == 0o600 and "a question" in out.read_text()
    out.chmod(0o644)  # an existing file is made private too
    run_cli(["sessions", "export", "e", "-o", str(out), "-f", "json"], env, umask=0).ok()
    assert mode(out) == 0o600
    bad = tmp_path / "missing" / "out.md"
    assert_one_sentence(
        invoke(["sessions", "export", "e", "-o", str(bad)], env),
        f"Cannot write {bad}: no such file or directory",
    )


def test_a_session_file_found_with_a_wider_mode_is_fixed_when_opened(
    tmp_path: Path, env: dict[str, str]
) -> None:
    make_session(tmp_path, "wide", TURN)
    path = sessions_dir(tmp_path) / "wide.jsonl"
    path.chmod(0o644)
    invoke(["sessions", "show", "wide"], env).ok()  # a read, not a write
    assert mode(path) == 0o600
    path.chmod(0o664)
    invoke(["sessions", "list"], env).ok()
    assert mode(path) == 0o600
