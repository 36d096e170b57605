"""The tree in the domain: built from the log, switched, edited and regenerated (no I/O
beyond the memory store; the CLI and the real model are in tests/test_tree.py)."""

from __future__ import annotations

from typing import Any

import pytest

from chatcli.errors import ChatcliError
from chatcli.session import Session, branching
from chatcli.session.records import BranchRecord
from chatcli.session.tree import fork_point
from chatcli.session.tree_rows import tree_rows
from chatcli.store.memory import MemoryStore
from chatcli.store.redis_summary import summary_patch


def turn(session: Session[Any], question: str, answer: str) -> tuple[int, int]:
    user = session.add_message("user", question)
    reply = session.add_message("assistant", answer, end_turn=question)
    return user.seq, reply.seq


def contents(session: Session[Any]) -> list[str]:
    return [m.content for m in session.messages]


@pytest.fixture
def session() -> Session[Any]:
    s: Session[Any] = Session.create(MemoryStore(), session_id="t")
    turn(s, "q1", "a1")
    return s


def test_regenerate_edit_and_switch_keep_every_branch(session: Session[Any]) -> None:
    q2, a2 = turn(session, "q2", "a2")
    assert branching.start_regeneration(session).seq == q2
    a2b = session.add_message("assistant", "a2b").seq
    edited = branching.add_edited(session, q2, "q2 edited", title="")
    assert contents(session) == ["q1", "a1", "q2 edited"]

    tree = session.tree()
    assert tree.nodes[q2].children == [a2, a2b]
    assert tree.siblings(q2) == [q2, edited.seq]
    assert tree.newest_tip(q2) == a2b
    assert tree.branch_count() == 3
    assert [r.count for r in tree.runs()] == [2, 1, 1, 1, 1]

    assert session.switch(a2) is not None
    assert contents(session) == ["q1", "a1", "q2", "a2"]
    assert session.switch(a2) is None, "already there: nothing written"
    reloaded = Session.load(session.store, "t")
    assert contents(reloaded) == ["q1", "a1", "q2", "a2"]
    assert reloaded.tree().to_json() == session.tree().to_json()


def test_a_switch_checkpoints_the_view_it_leaves(session: Session[Any]) -> None:
    q2 = session.add_message("user", "unanswered").seq
    branching.add_edited(session, q2, "asked again", title="")
    kinds = [r.type for r in session.records[-3:]]
    assert kinds == ["checkpoint", "branch", "message"]
    left = session.checkpoints[-1]
    assert [m.content for m in left.messages()][-1] == "unanswered"
    session.restore(left.record.id)
    assert contents(session)[-1] == "unanswered", "the restore picker can bring it back"


def test_a_branch_brings_back_the_state_it_had(session: Session[Any]) -> None:
    lisbon = session.update_state(lambda s: s.model_copy(update={"facts": {"city": "Lisbon"}}))
    q2, _ = turn(session, "q2", "a2")
    porto = session.update_state(lambda s: s.model_copy(update={"facts": {"city": "Porto"}}))
    branching.start_regeneration(session)
    assert session.view.state["facts"] == {"city": "Lisbon"}, "as it was when q2 was asked"
    assert session.view.state_record == lisbon, "and the line that wrote it (its provenance)"
    session.add_message("assistant", "a2b")
    tree = session.tree()
    old = tree.nodes[q2].children[0]
    session.switch(old)
    assert session.view.state["facts"] == {"city": "Porto"}
    assert session.view.state_record == porto
    assert Session.load(session.store, "t").view.state_record == porto, "the same on replay"


def test_rows_fold_runs_and_show_forks(session: Session[Any]) -> None:
    turn(session, "q2", "a2")
    branching.start_regeneration(session)
    session.add_message("assistant", "a2b")
    fork = session.fork()
    copied = fork.messages
    tree = session.tree()
    assert fork_point(tree, copied) == tree.head
    assert fork_point(tree, copied[:2]) == tree.active_path()[1]
    from chatcli.chat.forks import tree_with_forks

    with_forks = tree_with_forks(session.store, session)
    assert [(f.session, f.at) for f in with_forks.forks] == [(fork.id, tree.head)]
    rows = tree_rows(with_forks)
    assert [(r.prefix, r.role, r.active) for r in rows] == [
        ("", "user", True),
        ("├─", "assistant", False),
        ("└─", "assistant", True),
        ("    ", "fork", False),
    ]
    assert rows[-1].fork is not None and rows[-1].fork.session == fork.id


def test_bad_targets_are_refused(session: Session[Any]) -> None:
    with pytest.raises(ChatcliError, match="no message 42"):
        session.switch(42)
    with pytest.raises(ChatcliError, match="assistant message, not a user message"):
        branching.add_edited(session, 3, "x", title="")
    empty: Session[Any] = Session.create(MemoryStore(), session_id="e")
    with pytest.raises(ChatcliError, match="no message of yours"):
        branching.start_regeneration(empty)


def test_a_branch_line_makes_the_redis_summary_replay() -> None:
    assert summary_patch([BranchRecord(at=2)]) == (-1, [])


def test_a_switch_after_a_restore_ends_the_restore_note(session: Session[Any]) -> None:
    from chatcli.session.chain import restore_info

    first = session.checkpoints[-1].record.id
    turn(session, "q2", "a2")
    session.restore(first)
    assert restore_info(session.view, session.records) is not None
    a2 = next(s for s, n in session.view.nodes.items() if n.message.content == "a2")
    session.switch(a2)
    assert restore_info(session.view, session.records) is None
    assert contents(session) == ["q1", "a1", "q2", "a2"]
