"""User memory on every store: provenance, nothing overwritten, undo, two writers, damage.

The user-memory log is a log like a session's, in a store of its own beside the
sessions' (`chatcli.store.user_memory`), so it is checked here on each store of
the contract matrix (files, memory, a real redis-server).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from chatcli.errors import ChatcliError, CorruptLog
from chatcli.session import Session, Store
from chatcli.session.records import MemoryRecord, StateChange, dump_line
from chatcli.session.user_memory import USER_LOG, UserMemory, check_key, verify_memory
from chatcli.store import JsonlStore
from chatcli.store.doctor import diagnose
from chatcli.store.user_memory import memory_store_for


@pytest.fixture
def user_store(store: Store, tmp_path: Path) -> Store:
    """The store user memory lives in, beside each store of the matrix."""
    return memory_store_for(store, tmp_path / "memory")


def test_every_change_keeps_its_provenance_and_nothing_is_overwritten(user_store: Store) -> None:
    memory: UserMemory[Any] = UserMemory(user_store)
    assert memory.entries() == [] and not user_store.exists(USER_LOG)  # reading writes nothing
    memory.set("name", "Ada", by="cli")
    memory.set("city", "Lisbon", by="tool:remember", session="s1", message=4)
    memory.set("city", "Porto", by="user", session="s2", message=9)

    again: UserMemory[Any] = UserMemory(user_store)  # another process's view of the same log
    again.refresh()
    assert again.state.facts == {"name": "Ada", "city": "Porto"}
    assert [e.to_json() | {"ts": "-"} for e in again.entries()] == [
        {"key": "city", "value": "Porto", "by": "user", "session": "s2", "seq": 9, "ts": "-"}
        | {"line": 4},
        {"key": "name", "value": "Ada", "by": "cli", "session": None, "seq": None, "ts": "-"}
        | {"line": 2},
    ]
    # The history is the log: the Lisbon line is still there, with its origin.
    lisbon = again.history()[1]
    assert (lisbon.by, lisbon.session, lisbon.message) == ("tool:remember", "s1", 4)
    assert lisbon.changes == [StateChange(path="facts.city", new="Lisbon")]
    assert [r.seq for r in again.history()] == [2, 3, 4]


def test_memory_read_as_the_wrong_type_is_refused_in_one_sentence(user_store: Store) -> None:
    from pydantic import BaseModel

    class Strict(BaseModel):
        budget: int

    UserMemory(user_store).set("name", "Ada", by="cli")
    wrong: UserMemory[Strict] = UserMemory(user_store, Strict)
    wrong.refresh()
    with pytest.raises(ChatcliError) as caught:
        _ = wrong.state
    assert re.fullmatch(r"User memory at .+ is not a Strict: .+\.", caught.value.message)
    assert caught.value.hint == "Open it with the state type it was made with."


def test_undo_walks_back_one_change_at_a_time_as_new_lines(user_store: Store) -> None:
    memory: UserMemory[Any] = UserMemory(user_store)
    memory.set("city", "Lisbon", by="tool:remember", session="s1", message=4)
    memory.set("city", "Porto", by="cli")
    memory.forget("city", by="cli")

    first = memory.undo(by="cli")
    assert first is not None and first.undoes == 4 and first.seq == 5
    assert memory.state.facts == {"city": "Porto"}
    second = memory.undo(by="cli")
    assert second is not None and second.undoes == 3
    assert memory.state.facts == {"city": "Lisbon"}
    # The entry is the original line again: from s1, by the model.
    (entry,) = memory.entries()
    assert (entry.by, entry.record.session, entry.record.seq) == ("tool:remember", "s1", 2)
    assert memory.undo(by="cli") is not None and memory.state.facts == {}
    assert memory.undo(by="cli") is None  # nothing left to undo: nothing written
    assert len(memory.lines()) == 7  # the header, three changes, three undos


def test_two_handles_writing_from_stale_views_keep_both_changes(user_store: Store) -> None:
    left: UserMemory[Any] = UserMemory(user_store)
    right: UserMemory[Any] = UserMemory(user_store)
    left.set("a", "1", by="cli")
    right.set("b", "2", by="cli")  # right never read a: its append catches up first
    left.set("c", "3", by="cli")
    for handle in (left, right):
        handle.refresh()
        assert handle.state.facts == {"a": "1", "b": "2", "c": "3"}
    assert verify_memory(left.lines(), "memory") == []


def test_a_memory_line_never_stands_in_a_session_log(store: Store) -> None:
    session: Session[Any] = Session.create(store, session_id="s")
    stray = MemoryRecord(by="cli", changes=[StateChange(path="facts.x", new="1")])
    store.append("s", session.cursor, lambda _others: [stray])
    with pytest.raises(CorruptLog, match="user-memory line"):
        Session.load(store, "s")


def test_doctor_checks_the_memory_log(user_store: Store) -> None:
    memory: UserMemory[Any] = UserMemory(user_store)
    memory.set("city", "Lisbon", by="cli")
    assert diagnose(user_store, USER_LOG, verify_memory) == []
    bogus = MemoryRecord(by="cli", undoes=99)  # undoes a line that is not the last
    assert memory.cursor is not None
    user_store.append(USER_LOG, memory.cursor, lambda _o: [bogus])
    (problem,) = diagnose(user_store, USER_LOG, verify_memory)
    assert problem.line == 3 and "not the last change" in problem.reason


def test_keys_are_checked() -> None:
    assert check_key("city") == "city"
    for bad in ("", "  ", "a\nb", "k" * 101):
        with pytest.raises(Exception, match="cannot be a memory key"):
            check_key(bad)


# -- the file store: the same files, modes and torn-tail handling as a session's ----------


def test_the_memory_file_is_private_and_a_torn_tail_is_set_aside(tmp_path: Path) -> None:
    store = memory_store_for(JsonlStore(tmp_path / "sessions"), tmp_path / "memory")
    memory: UserMemory[Any] = UserMemory(store)
    memory.set("name", "Ada", by="cli")
    path = tmp_path / "memory" / "user.jsonl"
    assert stat.S_IMODE(os.stat(tmp_path / "memory").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    kept = path.read_bytes()

    torn = dump_line(MemoryRecord(seq=3, by="cli"))[:-9]  # a write cut short
    with open(path, "ab") as fh:
        fh.write(torn)
    reader: UserMemory[Any] = UserMemory(store)
    reader.refresh()  # a reader ignores the torn line
    assert reader.state.facts == {"name": "Ada"}

    reader.set("city", "Lisbon", by="cli")  # the next writer moves it aside first
    data = path.read_bytes()
    assert data.startswith(kept) and data.endswith(b"\n")  # nothing before it was rewritten
    assert [json.loads(line)["seq"] for line in data.splitlines()] == [1, 2, 3]
    (aside,) = list((tmp_path / "memory").glob("user.jsonl.corrupt-*"))
    assert aside.read_bytes() == torn
    assert not JsonlStore(tmp_path / "sessions").ids()  # never listed as a session


def test_lines_hold_changes_not_the_whole_state_and_older_whole_state_lines_read(
    user_store: Store,
) -> None:
    memory: UserMemory[Any] = UserMemory(user_store)
    for i in range(50):
        memory.set(f"k{i}", "v" * 20, by="cli")
    sizes = [len(dump_line(r)) for r in memory.lines()[1:]]
    assert max(sizes) - min(sizes) < 10  # the 50th line is no longer than the first
    # A line that carries the whole state (as the first user-memory lines did) still reads.
    whole = MemoryRecord(by="cli", state={"facts": {"only": "this"}})
    assert memory.cursor is not None
    user_store.append(USER_LOG, memory.cursor, lambda _o: [whole])
    again: UserMemory[Any] = UserMemory(user_store)
    again.refresh()
    assert again.state.facts == {"only": "this"}


def test_the_memory_tools_offer_both_scopes_and_say_when_each_fits() -> None:
    from chatcli.chat.tools import MEMORY_TOOLS

    schemas = {s["function"]["name"]: s["function"] for s in MEMORY_TOOLS.schemas()}
    for name in ("remember", "forget"):
        scope = schemas[name]["parameters"]["properties"]["scope"]
        assert scope["enum"] == ["session", "user"] and scope["default"] == "session"
        assert name in schemas and "scope" not in schemas[name]["parameters"].get("required", [])
    said = schemas["remember"]["description"]
    assert "every future conversation" in said and "durable facts about them" in said
