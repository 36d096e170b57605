"""Many writers on one session: nothing lost, nothing doubled, nothing torn.

Eight processes append to one log at once; two Session handles on one file
(two windows) interleave writes and each sees the other's lines.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import pytest

from chatcli.errors import SessionLocked
from chatcli.session import ChatMessage, Memory, Session, Store
from chatcli.session.records import parse_line
from chatcli.store import JsonlStore, MemoryStore

WRITER = Path(__file__).with_name("helpers_writer.py")
PROCESSES = 8
APPENDS = 200


def parsed_lines(path: Path) -> list[dict[str, object]]:
    """Every line of the file as JSON, each also a valid record; the file ends cleanly."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), "the log ends in a torn line"
    lines = data.split(b"\n")[:-1]
    for raw in lines:
        parse_line(raw)  # raises on torn or mixed bytes
    return [json.loads(raw) for raw in lines]


def test_eight_processes_appending_at_once_lose_and_mix_nothing(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    Session.create(JsonlStore(root), session_id="busy")
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), "append", str(root), "busy", f"p{n}", str(APPENDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline() == "ready\n"
        for writer in writers:  # all loaded; now all go at once
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        outputs = [writer.communicate(timeout=240) for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert out == f"done {APPENDS}\n"

    lines = parsed_lines(root / "busy.jsonl")

    assert [line["seq"] for line in lines] == list(range(1, PROCESSES * APPENDS + 2))
    by_writer: dict[str, list[int]] = defaultdict(list)
    for line in lines[1:]:
        name, i = str(line["content"]).split(":")
        by_writer[name].append(int(i))
    assert sorted(by_writer) == [f"p{n}" for n in range(PROCESSES)]
    for name, order in by_writer.items():
        assert order == list(range(APPENDS)), f"{name}'s entries are missing, doubled or reordered"
    loaded = Session.load(JsonlStore(root), "busy")
    assert len(loaded.messages) == PROCESSES * APPENDS
    # The writers really ran at the same time: their entries interleave.
    authors = [str(line["content"]).split(":")[0] for line in lines[1:]]
    switches = sum(1 for a, b in pairwise(authors) if a != b)
    assert switches >= PROCESSES


def test_two_windows_on_one_file_interleave_and_see_each_other(tmp_path: Path) -> None:
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    root = tmp_path / "sessions"
    left = Session.create(JsonlStore(root), session_id="w")
    right = Session.load(JsonlStore(root), "w")  # another window: its own store and lock
    windows = {"left": left, "right": right}
    said: list[str] = []
    facts: dict[str, str] = {}

    for step in range(60):
        name = rng.choice(sorted(windows))
        window = windows[name]
        action = rng.choice(["message", "message", "state", "checkpoint", "refresh"])
        if action == "message":
            said.append(f"{name} {step}")
            window.add_message("user", said[-1])
        elif action == "state":
            facts[f"{name}{step}"] = str(step)
            key = f"{name}{step}"
            window.update_state(lambda m, k=key, v=str(step): Memory(facts={**m.facts, k: v}))
        elif action == "checkpoint":
            window.checkpoint(f"{name} {step}")
        else:
            window.refresh()
        # After its own write or a refresh, a window has every line the other wrote.
        on_disk = Session.load(JsonlStore(root), "w")
        assert window.view.last_seq == on_disk.view.last_seq, f"seed {seed}, step {step}"
        assert [m.content for m in window.messages] == said, f"seed {seed}, step {step}"
        assert window.state == Memory(facts=facts), f"seed {seed}: a state update was lost"
        assert window.view.digest() == on_disk.view.digest()

    lines = parsed_lines(root / "w.jsonl")
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    for window in windows.values():
        window.refresh()
        assert window.records == Session.load(JsonlStore(root), "w").records


@pytest.mark.parametrize("kind", ["jsonl, a store per thread", "jsonl, one shared store", "memory"])
def test_threads_each_with_a_handle_share_one_log(tmp_path: Path, kind: str) -> None:
    shared: Store = MemoryStore() if kind == "memory" else JsonlStore(tmp_path / "sessions")

    def open_store() -> Store:
        return JsonlStore(tmp_path / "sessions") if kind.endswith("per thread") else shared

    Session.create(open_store(), session_id="t")

    def write(name: str) -> None:
        session = Session.load(open_store(), "t")
        for i in range(25):
            session.add_message("user", f"{name}:{i}")

    with ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(write, f"t{n}") for n in range(4)]:
            done.result()  # re-raises a thread's error here

    records = Session.load(open_store(), "t").records
    assert [r.seq for r in records] == list(range(1, 102))
    contents = [r.content for r in records if isinstance(r, ChatMessage)]
    for n in range(4):
        assert [c for c in contents if c.startswith(f"t{n}:")] == [f"t{n}:{i}" for i in range(25)]
    if kind != "memory":
        assert len(parsed_lines(tmp_path / "sessions" / "t.jsonl")) == 101


def test_a_session_locked_by_another_process_waits_then_reports_it(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions", lock_timeout=0.3)
    session = Session.create(store, session_id="held")
    before = store.path("held").read_bytes()
    lock_file = store.root / ".locks" / "held.lock"
    holder = os.open(lock_file, os.O_RDWR)  # another open file: as another process holds it
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(SessionLocked) as caught:
            session.add_message("user", "must wait")
        waited = time.monotonic() - started
        fcntl.flock(holder, fcntl.LOCK_UN)
        session.add_message("user", "after the release")
    finally:
        os.close(holder)

    assert 0.3 <= waited < 5
    assert "'held'" in caught.value.sentence() and "0.3 s" in caught.value.sentence()
    after = store.path("held").read_bytes()
    assert after.startswith(before)
    assert [m.content for m in Session.load(store, "held").messages] == ["after the release"]
