"""A store keeps a session's lock file and log open between appends, and that
changes nothing another writer can see: forked children still wait for the
lock, a session deleted and made again is written where it now lives, a link
put in its place is refused, and the open files stay few."""

from __future__ import annotations

import fcntl
import gc
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from chatcli.errors import CorruptLog, SessionLocked, UnsafePath
from chatcli.session import ChatMessage, Record, Session
from chatcli.store import JsonlStore
from chatcli.store.open_logs import KEPT


def contents(store: JsonlStore, session_id: str) -> list[str]:
    return [m.content for m in Session.load(store, session_id).messages]


def fork(child: Callable[[], bool]) -> int:
    """Run `child()` in a forked process; its exit code is 0 when it returns True."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if child() else 3
        finally:
            os._exit(code)
    return pid


def exit_code(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_waits_for_the_lock_its_parent_holds(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions", lock_timeout=0.3)
    session = Session.create(store, session_id="s")
    session.add_message("user", "before the fork")  # the parent's files are now open
    go_r, go_w = os.pipe()

    def child() -> bool:
        os.read(go_r, 1)  # the parent is inside its append, holding the lock
        try:
            session.add_message("user", "from the child")
        except SessionLocked:
            return True
        return False

    pid = fork(child)
    code: list[int] = []

    def under_lock(others: Sequence[Record]) -> Sequence[Record]:
        os.write(go_w, b"g")
        code.append(exit_code(pid))  # the child gives up while we still hold the lock
        return [ChatMessage(role="user", content="from the parent")]

    store.append("s", session.cursor, under_lock)
    os.close(go_r)
    os.close(go_w)

    assert code == [0], "the child appended while its parent held the lock"
    assert contents(store, "s") == ["before the fork", "from the parent"]


def test_a_forked_child_and_its_parent_append_at_once_and_lose_nothing(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")
    session = Session.create(store, session_id="s")
    session.add_message("user", "p:start")
    go_r, go_w = os.pipe()

    def child() -> bool:
        os.read(go_r, 1)
        for i in range(100):
            session.add_message("user", f"c:{i}")
        return True

    pid = fork(child)
    os.write(go_w, b"g")
    for i in range(100):
        session.add_message("user", f"p:{i}")
    assert exit_code(pid) == 0
    os.close(go_r)
    os.close(go_w)

    records = Session.load(store, "s").records
    assert [r.seq for r in records] == list(range(1, 203))
    seen = contents(store, "s")
    assert [c for c in seen if c.startswith("c:")] == [f"c:{i}" for i in range(100)]
    assert [c for c in seen if c.startswith("p:")] == ["p:start"] + [f"p:{i}" for i in range(100)]


def test_a_session_deleted_and_made_again_elsewhere_is_appended_where_it_now_lives(
    tmp_path: Path,
) -> None:
    root = tmp_path / "sessions"
    ours, theirs = JsonlStore(root, lock_timeout=0.3), JsonlStore(root)  # as two processes
    stale = Session.create(ours, session_id="s")
    stale.add_message("user", "old")  # `ours` keeps the old files open
    theirs.delete("s")
    Session.create(theirs, session_id="s").add_message("user", "theirs")
    fresh = Session.load(ours, "s")

    fresh.add_message("user", "ours")

    assert contents(theirs, "s") == ["theirs", "ours"]
    with pytest.raises(CorruptLog):  # the old handle's cursor no longer fits: refused
        stale.add_message("user", "lost?")
    assert contents(theirs, "s") == ["theirs", "ours"]
    # and the lock `ours` takes is the new lock file, the one `theirs` uses
    holder = os.open(root / ".locks" / "s.lock", os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(SessionLocked):
            fresh.add_message("user", "must wait")
    finally:
        os.close(holder)
    assert contents(theirs, "s") == ["theirs", "ours"]


def test_a_link_put_in_place_of_an_open_session_is_refused(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")
    session = Session.create(store, session_id="s")
    session.add_message("user", "one")
    outside = tmp_path / "outside.jsonl"
    store.path("s").rename(outside)
    store.path("s").symlink_to(outside)
    before = outside.read_bytes()

    with pytest.raises(UnsafePath):
        session.add_message("user", "two")

    assert outside.read_bytes() == before


def test_threads_sharing_open_files_still_take_turns(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")
    Session.create(store, session_id="s").add_message("user", "warm")
    barrier = threading.Barrier(4)

    def write(name: str) -> None:
        session = Session.load(store, "s")
        barrier.wait()
        for i in range(50):
            session.add_message("user", f"{name}:{i}")

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records = Session.load(store, "s").records
    assert [r.seq for r in records] == list(range(1, 203))


def test_appending_to_many_sessions_keeps_few_files_open(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")
    sessions = [Session.create(store, session_id=f"s{n}") for n in range(3 * KEPT)]
    before = len(os.listdir("/proc/self/fd"))

    for session in sessions:
        session.add_message("user", "hi")

    assert len(os.listdir("/proc/self/fd")) - before <= 2 * KEPT
    assert all(contents(store, s.id) == ["hi"] for s in sessions)
    assert contents(store, "s0") == ["hi"]
    sessions[0].add_message("user", "again")  # its files were closed: opened again
    assert contents(store, "s0") == ["hi", "again"]


def test_deleting_a_session_closes_its_files(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")
    session = Session.create(store, session_id="s")
    before = len(os.listdir("/proc/self/fd"))
    session.add_message("user", "hi")
    assert len(os.listdir("/proc/self/fd")) == before + 2

    store.delete("s")

    assert len(os.listdir("/proc/self/fd")) == before


def test_a_store_let_go_closes_its_files(tmp_path: Path) -> None:
    gc.collect()  # earlier tests' stores
    before = len(os.listdir("/proc/self/fd"))

    for n in range(50):
        store = JsonlStore(tmp_path / f"store{n}")
        Session.create(store, session_id="s").add_message("user", "hi")
    del store
    gc.collect()

    assert len(os.listdir("/proc/self/fd")) == before
