"""Replay properties, over random sequences of session operations (hypothesis).

A state machine adds messages, updates the state, checkpoints, restores to a
random existing checkpoint and forks at one, while checking after every step:

- a restore never removes a line: the log only grows, earlier bytes unchanged;
- restoring to X gives exactly the view captured at X (messages, state) and
  its digest; a view replaced by a restore is kept by an automatic checkpoint;
- a fork at X starts with exactly X's view (same digest, parent recorded);
- reloading from the store gives the live handle's view.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from chatcli.session import Memory, ParentRef, Session, Store
from chatcli.store import JsonlStore, MemoryStore

ROLES = st.sampled_from(["user", "assistant", "system", "tool"])
TEXT = st.text(max_size=12)


@dataclass(frozen=True)
class Seen:
    """A view as a person sees it, plus its digest."""

    messages: tuple[tuple[str, str, str], ...]
    state: dict[str, Any]
    digest: str


def seen(session: Session[Memory]) -> Seen:
    return Seen(
        messages=tuple((m.role, m.content, m.status) for m in session.messages),
        state=session.view.state,
        digest=session.view.digest(),
    )


class SessionMachine(RuleBasedStateMachine):
    """One session driven at random over a JSONL store; the log is compared as bytes."""

    def make_store(self, folder: Path) -> Store:
        return JsonlStore(folder / "sessions")

    def log(self) -> Any:
        """The whole stored log, in a form whose prefixes can be compared."""
        assert isinstance(self.store, JsonlStore)
        return self.store.path("main").read_bytes()

    @initialize()
    def start(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="replay-props-"))
        self.store = self.make_store(self.folder)
        self.session: Session[Memory] = Session.create(self.store, session_id="main")
        self.captured: dict[str, Seen] = {}
        self.forks = 0
        self.last_log = self.log()

    def teardown(self) -> None:
        if hasattr(self, "folder"):
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- operations -----------------------------------------------------------

    @rule(role=ROLES, content=TEXT, interrupted=st.booleans())
    def add_message(self, role: str, content: str, interrupted: bool) -> None:
        status = "interrupted" if interrupted else "complete"
        self.session.add_message(role, content, status=status)  # type: ignore[arg-type]

    @rule(key=st.sampled_from(["a", "b", "c"]), value=st.none() | TEXT)
    def update_state(self, key: str, value: str | None) -> None:
        def change(memory: Memory) -> Memory:
            facts = {k: v for k, v in memory.facts.items() if k != key}
            return Memory(facts=facts if value is None else {**facts, key: value})

        before = dict(self.session.state.facts)
        written = self.session.update_state(change)
        expected = change(Memory(facts=before)).facts
        assert self.session.state.facts == expected
        assert (written is None) == (expected == before)

    @rule(label=TEXT)
    def checkpoint(self, label: str) -> None:
        before = seen(self.session)
        record = self.session.checkpoint(label)
        assert record.digest == before.digest
        assert record.at == record.seq - 1
        self.captured[record.id] = before

    @precondition(lambda self: self.captured)
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(sorted(self.captured)), label="restore to")
        before = seen(self.session)
        was_checkpointed = self.session.view.checkpointed
        known = set(self.session.view.snapshots)
        lines_before = len(self.session.records)

        self.session.restore(target)

        added = set(self.session.view.snapshots) - known
        assert len(self.session.records) == lines_before + 1 + len(added)
        if was_checkpointed:
            assert added == set()
        else:  # the view being replaced is kept, so the restore can be undone
            (undo,) = added
            assert self.session.checkpoint_by_id(undo).record.digest == before.digest
            self.captured[undo] = before
        assert seen(self.session) == self.captured[target]
        assert self.session.view.digest() == self.session.checkpoint_by_id(target).record.digest

    @precondition(lambda self: self.captured)
    @rule(data=st.data())
    def fork(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(sorted(self.captured)), label="fork at")
        self.forks += 1

        fork = self.session.fork(target, session_id=f"fork{self.forks}")

        assert fork.parent == ParentRef(session="main", checkpoint=target)
        assert seen(fork) == self.captured[target]
        reloaded: Session[Memory] = Session.load(self.store, fork.id)
        assert seen(reloaded) == self.captured[target]

    # -- after every step ---------------------------------------------------------

    @invariant()
    def the_log_only_grows(self) -> None:
        now = self.log()
        assert now[: len(self.last_log)] == self.last_log
        self.last_log = now

    @invariant()
    def reloading_gives_the_live_view(self) -> None:
        loaded: Session[Memory] = Session.load(self.store, "main")
        assert seen(loaded) == seen(self.session)
        assert loaded.records == self.session.records
        assert [s.record for s in loaded.checkpoints] == [
            s.record for s in self.session.checkpoints
        ]
        assert [r.seq for r in loaded.records] == list(range(1, len(loaded.records) + 1))


class MemorySessionMachine(SessionMachine):
    """The same machine over the memory store; the log is compared as records."""

    def make_store(self, folder: Path) -> Store:
        return MemoryStore()

    def log(self) -> Any:
        return tuple(self.store.read("main")[0])


STEPS = settings(max_examples=40, stateful_step_count=25, deadline=None)
SessionMachine.TestCase.settings = STEPS
MemorySessionMachine.TestCase.settings = STEPS

TestReplayOverJsonl = SessionMachine.TestCase
TestReplayOverMemory = MemorySessionMachine.TestCase
