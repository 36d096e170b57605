"""`sessions doctor --repair`: one bad line in the middle of a log is a way out, not a dead end.

issue 9, section 4. The good lines stay a readable session under the same id,
byte for byte; each bad line becomes a `repair` record that says where its
bytes are; the damaged log is kept whole; the output says what became of
every line. The tests account for every byte of the original.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from chatcli.session import Session
from chatcli.store.doctor import diagnose_file
from tests.cli_helpers import cli_env, invoke, log_lines, make_session, sessions_dir, store_for

TURNS = [("first question", "first answer"), ("second question", "second answer")]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


def log_of(home: Path, session_id: str) -> Path:
    return sessions_dir(home) / f"{session_id}.jsonl"


def damage(home: Path, session_id: str, changes: dict[int, bytes]) -> bytes:
    """Replace whole lines (1-based) of a session's log; return the damaged bytes."""
    path = log_of(home, session_id)
    lines = path.read_bytes().splitlines(keepends=True)
    for number, raw in changes.items():
        lines[number - 1] = raw
    data = b"".join(lines)
    path.write_bytes(data)
    return data


def account_for_every_byte(home: Path, session_id: str, damaged: bytes) -> dict[int, str]:
    """Check the repaired log against the damaged one, line by line; return each line's fate."""
    (kept,) = sessions_dir(home).glob(f"{session_id}.jsonl.before-repair-*")
    assert kept.read_bytes() == damaged, "the damaged log is kept, all of it"
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    old = damaged.splitlines(keepends=True)
    new = log_of(home, session_id).read_bytes().splitlines(keepends=True)
    assert len(new) == len(old), "line n of the damaged log is line n of the repaired one"
    fates: dict[int, str] = {}
    offset = 0
    for number, (before, after) in enumerate(zip(old, new, strict=True), start=1):
        record = json.loads(after)
        assert record["seq"] == number
        if after == before:
            fates[number] = "kept"
        elif record["type"] == "repair":
            assert record["line"] == number and record["kept"] == kept.name
            assert (record["offset"], record["length"]) == (offset, len(before))
            assert damaged[offset : offset + len(before)] == before
            assert record["sha256"] == hashlib.sha256(before).hexdigest()
            fates[number] = "replaced"
        else:  # rewritten: the same record, but for its seq or digest
            was = json.loads(before)
            for key in ("seq", "digest", "chain"):
                was.pop(key, None)
                record.pop(key, None)
            assert record == was, f"line {number} changed more than its seq or digest"
            fates[number] = "rewritten"
        offset += len(before)
    assert offset == len(damaged)
    return fates


def test_one_bad_line_in_the_middle_is_set_aside_and_nothing_is_lost(
    tmp_path: Path, env: dict[str, str]
) -> None:
    make_session(tmp_path, "mid", TURNS, checkpoint_every_turn=True)  # 7 lines
    damaged = damage(tmp_path, "mid", {3: b'{"seq": 3, "type": "message", "role": \n'})
    path = log_of(tmp_path, "mid")
    assert invoke(["sessions", "show", "mid"], env).code == 1, "unopenable before the repair"

    run = invoke(["sessions", "doctor", "mid", "--repair"], env).ok()
    out = run.stdout
    assert f"{path}:3: not valid JSON" in out
    at = damaged.index(b'{"seq": 3')
    assert f"line 3 (39 bytes at offset {at}): not valid JSON" in out
    assert "a repair record stands in for it" in out
    assert "line 4 (" in out and "checkpoint cp4 gets the digest of the view it now captures" in out
    assert "lines 1-2, 5-6: kept byte for byte" in out
    assert f"all {len(damaged)} bytes, is kept unchanged as {path}.before-repair-" in out
    assert "Checked 1 session(s): 0 with problems (1 repaired)." in out

    fates = account_for_every_byte(tmp_path, "mid", damaged)
    assert fates == {
        1: "kept",
        2: "kept",
        3: "replaced",
        4: "rewritten",
        5: "kept",
        6: "kept",
        7: "rewritten",
    }
    shown = invoke(["sessions", "show", "mid", "--json"], env).ok().json()
    assert [m["content"] for m in shown["messages"]] == [
        "first question",
        "second question",
        "second answer",
    ]
    md = invoke(["sessions", "show", "mid"], env).ok().stdout
    assert "line 3 could not be read" in md and ".before-repair-" in md
    assert "0 with problems" in invoke(["sessions", "doctor", "mid"], env).ok().stdout
    session: Session[Any] = Session.load(store_for(tmp_path), "mid")
    session.add_message("user", "and it takes new lines")
    session.restore("cp4")
    assert log_lines(tmp_path, "mid")[-1]["type"] == "restore"


def test_a_lost_checkpoint_and_its_restore_a_wrong_seq_and_a_second_session_line(
    tmp_path: Path, env: dict[str, str]
) -> None:
    session = make_session(tmp_path, "many", TURNS[:1])
    first = session.checkpoint("one")
    session.add_message("user", "more")
    session.restore(first.id)  # line 6 checkpoints "before restore", line 7 restores cp4
    lines = log_of(tmp_path, "many").read_bytes().splitlines(keepends=True)
    header = lines[0]
    renumbered = lines[4].replace(b'"seq":5', b'"seq":50')
    damaged = damage(tmp_path, "many", {4: b"\x00\xff\n", 5: renumbered, 6: header})
    invoke(["sessions", "doctor", "many", "--repair"], env).ok()
    fates = account_for_every_byte(tmp_path, "many", damaged)
    assert fates == {
        1: "kept",
        2: "kept",
        3: "kept",
        4: "replaced",  # the checkpoint cp4 itself
        5: "rewritten",  # seq 50 → 5
        6: "replaced",  # a second session line
        7: "replaced",  # the restore of cp4, which was lost
    }
    assert "0 with problems" in invoke(["sessions", "doctor", "many"], env).ok().stdout


def test_a_lost_session_line_gets_a_new_one_and_the_old_line_is_described_last(
    tmp_path: Path, env: dict[str, str]
) -> None:
    make_session(tmp_path, "head", TURNS[:1])
    damaged = damage(tmp_path, "head", {1: b"{not json}\n"})
    out = invoke(["sessions", "doctor", "head", "--repair"], env).ok().stdout
    assert "a new session line stands in for it" in out
    new = log_lines(tmp_path, "head")
    assert new[0]["type"] == "session" and new[0]["id"] == "head"
    assert new[-1]["type"] == "repair" and new[-1]["line"] == 1
    assert new[-1]["sha256"] == hashlib.sha256(b"{not json}\n").hexdigest()
    assert (
        log_of(tmp_path, "head").read_bytes().splitlines(keepends=True)[1:3]
        == (damaged.splitlines(keepends=True)[1:3])
    )
    assert len(invoke(["sessions", "show", "head", "--json"], env).ok().json()["messages"]) == 2


def test_a_repair_killed_at_any_moment_leaves_the_damaged_log_or_the_repaired_one(
    tmp_path: Path,
) -> None:
    """kill -9 mid-repair: `<id>.jsonl` is always either the damaged log or a clean one."""
    make_session(tmp_path, "k", TURNS, checkpoint_every_turn=True)
    damaged = damage(tmp_path, "k", {3: b"garbage\n"})
    code = (
        "import sys; from chatcli.store.jsonl import JsonlStore; from chatcli.store.repair import"
        " repair; s = JsonlStore(__import__('pathlib').Path(sys.argv[1]))\n"
        "print('go', flush=True); repair(s, 'k')"
    )
    seen: set[str] = set()
    for trial in range(16):
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(sessions_dir(tmp_path))],
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None
        proc.stdout.readline()
        time.sleep((trial % 8) * 0.003)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        now = log_of(tmp_path, "k").read_bytes()
        kept = list(sessions_dir(tmp_path).glob("k.jsonl.before-repair-*"))
        assert all(p.read_bytes() == damaged for p in kept)
        if now == damaged:
            seen.add("damaged")
        else:
            seen.add("repaired")
            assert kept, "a repaired log always has the damaged one kept beside it"
            assert not diagnose_file(log_of(tmp_path, "k"), "k")
        for path in kept:  # start the next trial from the damaged log again
            path.unlink()
        log_of(tmp_path, "k").write_bytes(damaged)
    assert seen
