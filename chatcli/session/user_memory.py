"""User memory: what the model (or the person) keeps for every session, with provenance.

It lives in a log of its own (`USER_LOG` in a store of its own, see
`chatcli.store.user_memory`), so it has every guarantee a session log has: a
locked, fsynced append that first catches up with other writers, torn-tail
handling, `doctor`. Line 1 is a session line naming `USER_LOG`; every later
line is a `MemoryRecord`: the whole state after one change, who made it, from
which session and message. Nothing is overwritten: the log is the history, and
`undo` appends a line that reverts the newest change not yet undone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from chatcli.errors import ChatcliError, CorruptLog, SessionExists, SessionNotFound
from chatcli.session.records import MemoryRecord, Record, RepairRecord, SessionRecord, StateChange
from chatcli.session.replay import ReplayError
from chatcli.session.state import Memory, diff_state, validated
from chatcli.session.store import Cursor, Store
from chatcli.session.verify import Problem

USER_LOG = "user"
"""The id of the user-memory log in its store."""

S = TypeVar("S", bound=BaseModel)
_DEFAULT_STATE: Any = Memory

BY_WORDS = {
    "tool:remember": "by the model",
    "tool:forget": "by the model",
    "user": "by you",
    "cli": "by you, from the command line",
}
"""How each `by` reads to a person."""


DAMAGED_HINT = (
    "The file was not changed; run 'chatcli sessions doctor --repair', which sets the line "
    "aside and keeps every byte of the file."
)
"""What to do about a damaged user-memory log."""

MAX_KEY = 100


def check_key(key: str) -> str:
    """A fact's key as given; ChatcliError (one sentence) when it cannot be one."""
    if not key.strip() or len(key) > MAX_KEY or any(ch in key for ch in "\n\r\t"):
        raise ChatcliError(
            f"{key[:40]!r} cannot be a memory key.",
            f"Use a short name (1 to {MAX_KEY} characters on one line), e.g. city.",
        )
    return key


class MemoryReplayError(ReplayError):
    """A memory line that is well-formed but makes no sense where it stands."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing user memory holds now, and the line that put it there."""

    key: str
    """The fact's key (for a state field other than `facts`: its path)."""
    value: Any
    record: MemoryRecord

    @property
    def by(self) -> str:
        return self.record.by

    def to_json(self) -> dict[str, Any]:
        """`key`, `value`, `by`, `session`, `seq` (the message), `ts`, and the memory `line`."""
        r = self.record
        return {
            "key": self.key,
            "value": self.value,
            "by": r.by,
            "session": r.session,
            "seq": r.message,
            "ts": r.ts,
            "line": r.seq,
        }


@dataclass(slots=True)
class MemoryView:
    """The replayed memory log: the state, where each path came from, what undo reverts."""

    state: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, MemoryRecord] = field(default_factory=dict)
    """Changed path (`facts.city`) → the line that set its current value."""
    history: list[MemoryRecord] = field(default_factory=list)
    undoable: list[int] = field(default_factory=list)
    """Seqs of changes not undone, oldest first: undo reverts the last."""
    _before: dict[int, dict[str, MemoryRecord | None]] = field(default_factory=dict)
    repairs: list[RepairRecord] = field(default_factory=list)
    """Lines `doctor --repair` set aside (each says where its bytes are kept)."""
    last_seq: int = 0

    @classmethod
    def start(cls, header: SessionRecord) -> MemoryView:
        """The view after the log's first line (for `doctor --repair`'s salvage)."""
        return cls(last_seq=header.seq)

    def apply(self, record: Record) -> None:
        """Advance by one line; MemoryReplayError if it makes no sense here."""
        if isinstance(record, RepairRecord):  # a line set aside: the state is as it was
            self.repairs.append(record)
            self.last_seq = record.seq
            return
        if not isinstance(record, MemoryRecord):
            raise MemoryReplayError(record.seq, f"a {record.type!r} line in the memory log")
        if record.undoes is not None:
            if not self.undoable or self.undoable[-1] != record.undoes:
                raise MemoryReplayError(
                    record.seq, f"undoes line {record.undoes}, which is not the last change"
                )
            self.undoable.pop()
            for path, was in self._before.pop(record.undoes).items():
                if was is None:
                    self.origin.pop(path, None)
                else:
                    self.origin[path] = was
        else:
            self._before[record.seq] = {c.path: self.origin.get(c.path) for c in record.changes}
            for change in record.changes:
                if change.new is None:
                    self.origin.pop(change.path, None)
                else:
                    self.origin[change.path] = record
            self.undoable.append(record.seq)
        self.state = record.state if record.state is not None else _applied(self.state, record)
        self.history.append(record)
        self.last_seq = record.seq

    def entries(self) -> list[Entry]:
        """What is kept now, each with the line that set it (facts by key, in key order)."""
        out: list[Entry] = []
        for path, record in sorted(self.origin.items()):
            head, _, rest = path.partition(".")
            value = self.state.get(head)
            if rest:
                value = value.get(rest) if isinstance(value, dict) else None
            if value is None:
                continue
            out.append(Entry(rest if head == "facts" and rest else path, value, record))
        return out

    def last_change(self) -> MemoryRecord | None:
        """The change `undo` would revert, if any."""
        if not self.undoable:
            return None
        seq = self.undoable[-1]
        return next(r for r in reversed(self.history) if r.seq == seq)


def verify_memory(records: list[Record], where: str) -> list[Problem]:
    """What is wrong with a memory log beyond parsing: the first line that does not replay."""
    if not records or not isinstance(records[0], SessionRecord):
        return [Problem(where, 1, "the first line is not the memory log's session line")]
    view = MemoryView()
    for record in records[1:]:
        try:
            view.apply(record)
        except MemoryReplayError as exc:
            return [Problem(where, exc.seq, exc.reason)]
    return []


class UserMemory(Generic[S]):
    """The user-memory log in a store, replayed; every write is a locked durable append.

    The log is created by its first write: reading memory that was never written
    finds it empty and writes nothing."""

    def __init__(self, store: Store, state_type: type[S] = _DEFAULT_STATE) -> None:
        self.store = store
        self.state_type = state_type
        self.view = MemoryView()
        self.cursor: Cursor | None = None
        self._lock = threading.RLock()

    @property
    def location(self) -> str:
        """Where the log lives, for people to read."""
        return self.store.location(USER_LOG)

    # -- reading ---------------------------------------------------------------

    def refresh(self) -> list[MemoryRecord]:
        """Pick up lines other processes wrote; returns them."""
        with self._lock:
            try:
                records, cursor = self.store.read(USER_LOG, self.cursor)
            except SessionNotFound:
                return []
            except CorruptLog as exc:  # doctor --repair salvages session logs, not this one
                raise CorruptLog(exc.path, exc.line, exc.reason, DAMAGED_HINT) from None
            fresh = self._absorb(records, first=self.cursor is None)
            self.cursor = cursor
            return fresh

    @property
    def state(self) -> S:
        """The current memory, validated as `state_type`."""
        return self._validate(self.view.state)

    @property
    def state_dict(self) -> dict[str, Any]:
        """The current memory as JSON data (what prompts see as `@user`)."""
        return self._validate(self.view.state).model_dump(mode="json")

    def entries(self) -> list[Entry]:
        """What is kept now, each with its provenance."""
        return self.view.entries()

    def history(self) -> list[MemoryRecord]:
        """Every change, oldest first."""
        return list(self.view.history)

    def lines(self) -> list[Record]:
        """The whole log as stored, line 1 included (empty when never written)."""
        try:
            return self.store.read(USER_LOG)[0]
        except SessionNotFound:
            return []

    # -- writing ---------------------------------------------------------------

    def update(
        self,
        change: Callable[[S], S],
        *,
        by: str,
        session: str | None = None,
        message: int | None = None,
    ) -> MemoryRecord | None:
        """Apply `change` to the freshest memory and append it (None when nothing changed)."""

        def build(view: MemoryView) -> list[Record]:
            old = self._validate(view.state)
            before = old.model_dump(mode="json")
            new = change(old).model_dump(mode="json")
            changes = diff_state(before, new)
            if not changes:
                return []
            return [MemoryRecord(by=by, changes=changes, session=session, message=message)]

        return self._write(build)

    def set(self, key: str, value: str, **provenance: Any) -> MemoryRecord | None:
        """Keep fact `key` = `value` (for the default `Memory` state)."""

        def put(m: Any) -> Any:
            return m.model_copy(update={"facts": {**m.facts, key: value}})

        return self.update(put, **provenance)

    def forget(self, key: str, **provenance: Any) -> MemoryRecord | None:
        """Drop fact `key` (None when it was not kept)."""

        def drop(m: Any) -> Any:
            return m.model_copy(update={"facts": {k: v for k, v in m.facts.items() if k != key}})

        return self.update(drop, **provenance)

    def undo(self, *, by: str, session: str | None = None) -> MemoryRecord | None:
        """Append a line reverting the newest change not yet undone (None: nothing to undo)."""

        def build(view: MemoryView) -> list[Record]:
            last = view.last_change()
            if last is None:
                return []
            state = dict(view.state)
            changes: list[StateChange] = []
            for change in last.changes:
                _put(state, change.path, change.old)
                changes.append(StateChange(path=change.path, old=change.new, new=change.old))
            self._validate(state)  # the state it leaves must still be one
            return [MemoryRecord(by=by, changes=changes, session=session, undoes=last.seq)]

        return self._write(build)

    def _write(self, build: Callable[[MemoryView], list[Record]]) -> MemoryRecord | None:
        with self._lock:
            if self.cursor is None:
                self.refresh()
            if self.cursor is None:  # never written: create the log, then append
                try:
                    self.cursor = self.store.create(
                        [SessionRecord(id=USER_LOG, title="user memory")]
                    )
                    self.view = MemoryView(last_seq=1)
                except SessionExists:  # another process created it first
                    self.refresh()
            cursor = self.cursor
            assert cursor is not None

            def make(others: Sequence[Record]) -> Sequence[Record]:
                self._absorb(others, first=False)
                return build(self.view)

            result = self.store.append(USER_LOG, cursor, make)
            self._absorb(result.others, first=False)
            written = self._absorb(result.written, first=False)
            self.cursor = result.cursor
            return written[0] if written else None

    def _absorb(self, records: Sequence[Record], *, first: bool) -> list[MemoryRecord]:
        fresh: list[MemoryRecord] = []
        for record in records:
            if record.seq <= self.view.last_seq:
                continue
            if first and record.seq == 1:
                self.view = MemoryView(last_seq=1)
                continue
            try:
                self.view.apply(record)
            except MemoryReplayError as exc:
                raise CorruptLog(self.location, exc.seq, exc.reason, DAMAGED_HINT) from None
            if isinstance(record, MemoryRecord):
                fresh.append(record)
        return fresh

    def _validate(self, data: dict[str, Any]) -> S:
        return validated(self.state_type, data, f"User memory at {self.location}")


def _applied(state: dict[str, Any], record: MemoryRecord) -> dict[str, Any]:
    """The state after `record`'s changes (a new dict: views keep the old one)."""
    new = dict(state)
    for change in record.changes:
        _put(new, change.path, change.new)
    return new


def _put(state: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with None, remove) `path`, one level into nested dicts, as diff_state names it."""
    head, _, rest = path.partition(".")
    if not rest:
        if value is None:
            state.pop(head, None)
        else:
            state[head] = value
        return
    inner = dict(state.get(head) or {})
    if value is None:
        inner.pop(rest, None)
    else:
        inner[rest] = value
    state[head] = inner
