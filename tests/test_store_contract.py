"""The store contract: every store in `tests/stores.py` behaves the same way.

Each test runs once per store (`store` is parametrised), first against the raw
Store protocol, then through the Session API that the rest of chatcli uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from chatcli.errors import (
    CheckpointNotFound,
    InvalidSessionId,
    SessionExists,
    SessionNotFound,
)
from chatcli.session import (
    ChatMessage,
    Cursor,
    Memory,
    ParentRef,
    Record,
    Session,
    SessionRecord,
    StateChange,
    Store,
    list_sessions,
)

BAD_IDS = ["../x", "a/b", "", "x" * 65, "x\n", ".", "..", "a b", "é"]


def msg(content: str, role: str = "user") -> ChatMessage:
    return ChatMessage(role=role, content=content)  # type: ignore[arg-type]


def contents(records: Sequence[Record]) -> list[str]:
    return [r.content for r in records if isinstance(r, ChatMessage)]


def new_session(store: Store, session_id: str = "s") -> Cursor:
    return store.create([SessionRecord(id=session_id)])


def remember(key: str, value: str) -> Callable[[Memory], Memory]:
    """A state change for update_state: set one fact."""

    def change(memory: Memory) -> Memory:
        return Memory(facts={**memory.facts, key: value})

    return change


# -- the raw protocol -------------------------------------------------------


def test_create_numbers_lines_from_one_whatever_seq_the_caller_set(store: Store) -> None:
    cursor = store.create([SessionRecord(id="s1", title="t", seq=7), msg("a"), msg("b")])

    records, end = store.read("s1")

    assert [r.seq for r in records] == [1, 2, 3]
    assert isinstance(records[0], SessionRecord) and records[0].id == "s1"
    assert contents(records) == ["a", "b"]
    assert cursor.seq == 3
    assert end == cursor


def test_read_after_a_cursor_returns_only_newer_lines(store: Store) -> None:
    start = new_session(store)
    store.append("s", start, lambda _others: [msg("x"), msg("y")])

    newer, cursor = store.read("s", start)
    again, same = store.read("s", cursor)

    assert [(r.seq, r.content) for r in newer if isinstance(r, ChatMessage)] == [(2, "x"), (3, "y")]
    assert cursor.seq == 3
    assert again == []
    assert same == cursor


def test_append_numbers_new_lines_after_the_last_and_returns_the_new_cursor(store: Store) -> None:
    start = new_session(store)

    appended = store.append("s", start, lambda _others: [msg("a"), msg("b")])

    assert appended.others == []
    assert [r.seq for r in appended.written] == [2, 3]
    assert contents(appended.written) == ["a", "b"]
    assert appended.cursor.seq == 3
    records, cursor = store.read("s")
    assert records[1:] == appended.written
    assert cursor == appended.cursor


def test_append_hands_the_maker_lines_others_wrote_since_its_cursor(store: Store) -> None:
    stale = new_session(store)
    mine = store.append("s", stale, lambda _others: [msg("first writer")])
    seen: list[list[Record]] = []

    def make(others: Sequence[Record]) -> list[Record]:
        seen.append(list(others))
        return [msg("second writer")]

    theirs = store.append("s", stale, make)

    assert seen[-1] == mine.written
    assert theirs.others == mine.written
    assert [r.seq for r in theirs.written] == [3]
    records, _ = store.read("s")
    assert [r.seq for r in records] == [1, 2, 3]
    assert contents(records) == ["first writer", "second writer"]


def test_make_returning_nothing_writes_nothing_but_still_reports_others(store: Store) -> None:
    stale = new_session(store)
    other = store.append("s", stale, lambda _others: [msg("other")])
    before, _ = store.read("s")

    appended = store.append("s", stale, lambda _others: [])

    assert appended.written == []
    assert appended.others == other.written
    assert appended.cursor == other.cursor
    after, _ = store.read("s")
    assert after == before


def test_creating_an_existing_id_raises_session_exists_and_keeps_the_old_log(store: Store) -> None:
    store.create([SessionRecord(id="taken", title="original"), msg("kept")])

    with pytest.raises(SessionExists) as caught:
        store.create([SessionRecord(id="taken", title="impostor")])

    assert "taken" in caught.value.sentence()
    records, _ = store.read("taken")
    assert isinstance(records[0], SessionRecord) and records[0].title == "original"
    assert contents(records) == ["kept"]


def test_a_missing_session_raises_session_not_found_for_every_operation(store: Store) -> None:
    new_session(store, "present")
    calls = {
        "read": lambda: store.read("ghost"),
        "append": lambda: store.append("ghost", Cursor(), lambda _o: [msg("x")]),
        "delete": lambda: store.delete("ghost"),
        "load": lambda: Session.load(store, "ghost"),
    }
    for name, call in calls.items():
        with pytest.raises(SessionNotFound) as caught:
            call()
        assert "ghost" in caught.value.sentence(), name
    assert not store.exists("ghost")
    assert store.ids() == ["present"]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_an_invalid_id_is_refused_by_every_operation(store: Store, bad: str) -> None:
    calls = {
        "create": lambda: store.create([SessionRecord(id=bad)]),
        "read": lambda: store.read(bad),
        "append": lambda: store.append(bad, Cursor(), lambda _o: [msg("x")]),
        "delete": lambda: store.delete(bad),
        "exists": lambda: store.exists(bad),
        "Session.create": lambda: Session.create(store, session_id=bad),
        "Session.load": lambda: Session.load(store, bad),
        "get_or_create": lambda: Session.get_or_create(store, bad),
    }
    for name, call in calls.items():
        with pytest.raises(InvalidSessionId) as caught:
            call()
        assert caught.value.session_id == bad, name
        assert "not a valid session id" in caught.value.sentence()
    assert store.ids() == []


def test_a_64_character_id_is_accepted(store: Store) -> None:
    longest = "a-_Z9" * 12 + "abcd"
    assert len(longest) == 64

    session = Session.create(store, session_id=longest)
    session.add_message("user", "hi")

    assert store.ids() == [longest]
    assert Session.load(store, longest).messages[0].content == "hi"


def test_delete_removes_one_session_and_frees_its_id(store: Store) -> None:
    new_session(store, "gone")
    new_session(store, "stays")
    Session.load(store, "gone").add_message("user", "old content")

    store.delete("gone")

    assert not store.exists("gone")
    assert store.exists("stays")
    assert store.ids() == ["stays"]
    with pytest.raises(SessionNotFound):
        store.read("gone")
    reborn = Session.create(store, session_id="gone")
    assert reborn.messages == []
    assert [r.seq for r in store.read("gone")[0]] == [1]


def test_ids_lists_every_session(store: Store) -> None:
    for name in ["a", "b-2", "C_3"]:
        new_session(store, name)

    assert sorted(store.ids()) == ["C_3", "a", "b-2"]
    assert all(store.exists(name) for name in ["a", "b-2", "C_3"])


def test_summaries_count_the_messages_of_the_active_view(store: Store) -> None:
    empty = Session.create(store, session_id="empty", title="Nothing yet", model="m1")
    chat = Session.create(store, session_id="chat", title="Chat")
    chat.add_message("user", "one")
    chat.add_message("assistant", "two")
    point = chat.checkpoint("two messages")
    chat.add_message("user", "three")
    chat.restore(point.id)  # back to two; the third stays in the log
    fork = chat.fork(point.id, session_id="fork")
    fork.add_message("user", "fork only")

    found = {s.id: s for s in store.summaries()}

    assert set(found) == {"empty", "chat", "fork"}
    assert (found["empty"].messages, found["empty"].title, found["empty"].model) == (
        0,
        "Nothing yet",
        "m1",
    )
    assert (found["chat"].messages, found["chat"].title) == (2, "Chat")
    assert (found["fork"].messages, found["fork"].parent) == (3, "chat")
    assert all(s.problem is None for s in found.values())
    assert found["chat"].created == chat.view.header.created
    assert found["empty"].created == empty.view.header.created
    listed = list_sessions(store)
    assert [s.id for s in listed] == ["fork", "chat", "empty"]  # newest first
    assert [s.id for s in list_sessions(store, search="fork only")] == ["fork"]


# -- the Session API over each store -------------------------------------------


def test_messages_are_kept_with_role_content_and_status(store: Store) -> None:
    session = Session.create(store, session_id="talk", title="Talk")
    session.add_message("system", "be brief")
    session.add_message("user", "hello")
    written = session.add_message("assistant", "hel", status="interrupted", error="cancelled")

    loaded = Session.load(store, "talk")

    assert written.seq == 4
    shown = [(m.role, m.content, m.status) for m in loaded.messages]
    assert shown == [
        ("system", "be brief", "complete"),
        ("user", "hello", "complete"),
        ("assistant", "hel", "interrupted"),
    ]
    assert loaded.messages[-1].error == "cancelled"
    assert loaded.messages == session.messages


def test_update_state_appends_the_new_state_and_what_changed(store: Store) -> None:
    session = Session.create(store, session_id="mem")

    first = session.update_state(remember("name", "Ada"), by="tool:remember")
    second = session.update_state(remember("name", "Grace"))
    unchanged = session.update_state(remember("name", "Grace"))

    assert first is not None and second is not None
    assert first.changes == [StateChange(path="facts.name", old=None, new="Ada")]
    assert first.by == "tool:remember"
    assert second.changes == [StateChange(path="facts.name", old="Ada", new="Grace")]
    assert unchanged is None
    assert [r.seq for r in store.read("mem")[0]] == [1, 2, 3]
    assert Session.load(store, "mem").state == Memory(facts={"name": "Grace"})


def test_restore_rolls_the_view_back_without_removing_a_line_and_can_be_undone(
    store: Store,
) -> None:
    session = Session.create(store, session_id="undo")
    session.add_message("user", "a")
    session.update_state(remember("k", "1"))
    point = session.checkpoint("after a")
    session.add_message("user", "b")
    session.update_state(remember("k", "2"))
    lines_before = len(store.read("undo")[0])

    session.restore(point.id)

    assert [m.content for m in session.messages] == ["a"]
    assert session.state == Memory(facts={"k": "1"})
    assert session.view.digest() == point.digest
    records, _ = store.read("undo")
    assert len(records) == lines_before + 2  # an automatic checkpoint, then the restore
    assert contents(records) == ["a", "b"]  # b is still in the log
    undo_point = session.checkpoints[-1]
    assert undo_point.record.label == "before restore"
    assert [m.content for m in undo_point.messages()] == ["a", "b"]

    session.restore(undo_point.record.id)

    assert [m.content for m in session.messages] == ["a", "b"]
    assert session.state == Memory(facts={"k": "2"})
    reloaded = Session.load(store, "undo")
    assert reloaded.messages == session.messages
    assert reloaded.view.digest() == session.view.digest()


def test_after_a_restore_the_state_record_is_the_restored_states(store: Store) -> None:
    """The line that last changed the state (what the state pane names) follows a restore."""
    session = Session.create(store, session_id="staterec")
    empty = session.checkpoint("empty")
    first = session.update_state(remember("k", "1"), by="remember")
    point = session.checkpoint("one fact")
    second = session.update_state(remember("k", "2"), by="user")
    assert session.view.state_record == second

    session.restore(point.id)
    assert session.view.state_record == first
    assert session.view.state_record is not None
    assert session.view.state_record.state == session.view.state

    session.restore(empty.id)
    assert session.view.state_record is None
    assert session.state == Memory()

    session.restore(session.checkpoints[-1].record.id)  # the undo point: back to "2"
    assert session.view.state_record == second
    assert Session.load(store, "staterec").view.state_record == second


def test_restoring_an_unknown_checkpoint_raises_and_writes_nothing(store: Store) -> None:
    session = Session.create(store, session_id="cp")
    session.add_message("user", "a")
    before, _ = store.read("cp")

    with pytest.raises(CheckpointNotFound) as caught:
        session.restore("cp999")

    assert "cp999" in caught.value.sentence() and "'cp'" in caught.value.sentence()
    assert store.read("cp")[0] == before


def test_fork_at_a_checkpoint_starts_a_new_session_with_that_view(store: Store) -> None:
    origin = Session.create(store, session_id="origin", title="Origin", model="m")
    origin.add_message("user", "shared")
    origin.update_state(remember("k", "v"))
    point = origin.checkpoint("fork here")
    origin.add_message("user", "origin only")

    fork = origin.fork(point.id, session_id="branch")

    assert fork.id == "branch"
    assert fork.parent == ParentRef(session="origin", checkpoint=point.id)
    assert [m.content for m in fork.messages] == ["shared"]
    assert fork.state == Memory(facts={"k": "v"})
    assert fork.view.digest() == point.digest
    assert fork.model == "m"
    assert fork.title == "Origin (fork)"
    fork.add_message("user", "branch only")
    assert [m.content for m in Session.load(store, "origin").messages] == ["shared", "origin only"]
    assert [m.content for m in Session.load(store, "branch").messages] == ["shared", "branch only"]


def test_get_or_create_creates_once_then_loads(store: Store) -> None:
    made = Session.get_or_create(store, "daily", title="Daily notes")
    made.add_message("user", "note")

    again = Session.get_or_create(store, "daily", title="A different title")

    assert again.title == "Daily notes"
    assert [m.content for m in again.messages] == ["note"]
    assert store.ids() == ["daily"]


def test_rename_and_meta_changes_are_replayed(store: Store) -> None:
    session = Session.create(store, session_id="meta", title="Old", model="m1", agent="coder")

    session.rename("New")
    session.update_meta(model="m2", system_prompt="You are terse.")

    loaded = Session.load(store, "meta")
    assert (loaded.title, loaded.model, loaded.agent) == ("New", "m2", "coder")
    assert loaded.view.system_prompt == "You are terse."
    (summary,) = store.summaries()
    assert (summary.title, summary.model) == ("New", "m2")


def test_refresh_and_writes_pick_up_another_handles_lines(store: Store) -> None:
    left = Session.create(store, session_id="shared")
    right = Session.load(store, "shared")

    left.add_message("user", "from left")
    fresh = right.refresh()

    assert [r.seq for r in fresh] == [2]
    assert [m.content for m in right.messages] == ["from left"]

    left.add_message("user", "left again")
    written = right.add_message("user", "from right")  # no refresh: the write catches up

    assert written.seq == 4
    assert [m.content for m in right.messages] == ["from left", "left again", "from right"]
    assert left.refresh()[0].seq == 4
    assert left.messages == right.messages
    assert [r.seq for r in store.read("shared")[0]] == [1, 2, 3, 4]
