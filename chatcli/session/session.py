"""The Session handle: create, load, append, state, checkpoint, restore, fork."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar, cast, overload

from pydantic import BaseModel

from chatcli.errors import (
    CheckpointNotFound,
    CorruptLog,
    SessionExists,
    SessionNotFound,
)
from chatcli.session import branching
from chatcli.session.checkpoints import checkpoint_at, checkpoint_of, fork_lines
from chatcli.session.entries import Entry, EntryType, append_entry, entries, initial_state
from chatcli.session.ids import check_id, new_id
from chatcli.session.numbering import numbered
from chatcli.session.records import (
    BranchRecord,
    ChatMessage,
    CheckpointRecord,
    CompactionRecord,
    MetaRecord,
    ParentRef,
    Record,
    RestoreRecord,
    Role,
    SessionRecord,
    StateRecord,
    Status,
    utc_now,
)
from chatcli.session.replay import Node, ReplayError, Snapshot, View, replay
from chatcli.session.state import Memory, diff_state, validated
from chatcli.session.store import Cursor, Store
from chatcli.session.tree import Fork, Tree, build_tree

S = TypeVar("S", bound=BaseModel)
R = TypeVar("R", bound=Record)
_DEFAULT_STATE: Any = Memory


class Session(Generic[S]):
    """One conversation: its log in a store, replayed into the active view.

    Every write goes through the store's locked append, which first hands back
    the lines other processes wrote, so two windows on one session stay right.
    """

    def __init__(
        self,
        store: Store,
        records: list[Record],
        cursor: Cursor,
        state_type: type[S],
    ) -> None:
        self.store = store
        self.state_type = state_type
        self.records = records
        self.cursor = cursor
        try:
            self.view = replay(records)
        except ReplayError as exc:
            raise CorruptLog(
                store.location(self._header_id(records)), exc.seq, exc.reason
            ) from None
        self._state_cache: tuple[dict[str, Any], S] | None = None
        """The view's state dict and its validated value (held, so compared by identity)."""
        self._lock = threading.RLock()
        """Serialises writes and refreshes from several threads (a UI and its workers)."""

    @staticmethod
    def _header_id(records: list[Record]) -> str | None:
        first = records[0] if records else None
        return first.id if isinstance(first, SessionRecord) else None

    # -- opening ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        store: Store,
        *,
        session_id: str | None = None,
        title: str = "",
        model: str | None = None,
        agent: str | None = None,
        state_type: type[S] = _DEFAULT_STATE,
        state: S | None = None,
    ) -> Session[S]:
        """A new session (a fresh id unless one is given), empty or with an initial `state`
        (its first `state` line, by "create"; `state_type` defaults to the state's type)."""
        now = utc_now()
        header = SessionRecord(
            ts=now,
            created=now,
            id=check_id(session_id) if session_id is not None else new_id(),
            title=title,
            model=model,
            agent=agent,
        )
        lines: list[Record] = [header, *initial_state(state)]
        if state is not None and state_type is _DEFAULT_STATE:
            state_type = type(state)
        cursor = store.create(lines)
        return cls(store, numbered(lines, 0), cursor, state_type)  # as stored: no re-read

    @classmethod
    def load(
        cls, store: Store, session_id: str, state_type: type[S] = _DEFAULT_STATE
    ) -> Session[S]:
        """Open a stored session; SessionNotFound or CorruptLog when it can't be read."""
        records, cursor = store.read(check_id(session_id))
        return cls(store, records, cursor, state_type)

    @classmethod
    def get_or_create(
        cls,
        store: Store,
        session_id: str,
        state_type: type[S] = _DEFAULT_STATE,
        **fields: Any,
    ) -> Session[S]:
        """Load `session_id`, creating it (with `fields`, `state=` among them) when it does not
        exist; an existing session keeps its own state."""
        if fields.get("state") is not None and state_type is _DEFAULT_STATE:
            state_type = type(fields["state"])
        try:
            return cls.load(store, session_id, state_type)
        except SessionNotFound:
            pass
        try:
            return cls.create(store, session_id=session_id, state_type=state_type, **fields)
        except SessionExists:  # another process created it first
            return cls.load(store, session_id, state_type)

    # -- reading -----------------------------------------------------------

    @property
    def id(self) -> str:
        """The session id."""
        return self.view.header.id

    @property
    def title(self) -> str:
        """The current title."""
        return self.view.title

    @property
    def model(self) -> str | None:
        """The model this session talks to, if one was chosen."""
        return self.view.model

    @property
    def agent(self) -> str | None:
        """The agent (prompt file) this session uses, if one was chosen."""
        return self.view.agent

    @property
    def parent(self) -> ParentRef | None:
        """The session and checkpoint this one was forked from."""
        return self.view.header.parent

    @property
    def messages(self) -> list[ChatMessage]:
        """The active conversation, oldest first."""
        return self.view.messages()

    @property
    def state(self) -> S:
        """The current state, validated as `state_type`."""
        cached = self._state_cache
        data = self.view.state
        if cached is not None and cached[0] is data:
            return cached[1]
        value = self._validate_state(data)
        self._state_cache = (data, value)
        return value

    def _validate_state(self, data: dict[str, Any]) -> S:
        return validated(self.state_type, data, f"Session {self.id!r} holds a state that")

    @overload
    def entries(self, type: type[R]) -> list[R]: ...
    @overload
    def entries(self, type: EntryType | Iterable[EntryType] | None = None) -> list[Record]: ...
    def entries(self, type: Any = None) -> list[Any]:
        """Every record of the log, oldest first, or only those of `type` (see session.entries)."""
        return entries(self, type)

    def append_entry(self, entry: Entry) -> Record | None:
        """Append a message, state or meta record durably (see session.entries)."""
        return append_entry(self, entry)

    @property
    def checkpoints(self) -> list[Snapshot]:
        """Every checkpoint, oldest first, each with the view it captured."""
        return self.view.checkpoints()

    def checkpoint_by_id(self, checkpoint_id: str) -> Snapshot:
        """One checkpoint; CheckpointNotFound when the id is unknown."""
        snap = self.view.snapshots.get(checkpoint_id)
        if snap is None:
            raise CheckpointNotFound(self.id, checkpoint_id)
        return snap

    @property
    def location(self) -> str:
        """Where this session's log lives."""
        return self.store.location(self.id)

    def tree(self, forks: Sequence[Fork] = ()) -> Tree:
        """Every message on every branch, the active path, and `forks` (chat.forks finds them)."""
        return build_tree(self.view, forks)

    def switch(self, seq: int) -> BranchRecord | None:
        """Make the branch through message `seq` active at its newest tip (undo: switch back)."""
        return branching.switch(self, seq)

    # -- writing ----------------------------------------------------------

    def refresh(self) -> list[Record]:
        """Pick up lines other processes appended; returns them."""
        with self._lock:
            records, self.cursor = self.store.read(self.id, self.cursor)
            return self._absorb(records)

    def _absorb(self, records: Sequence[Record]) -> list[Record]:
        fresh: list[Record] = []
        for record in records:
            if record.seq <= self.view.last_seq:
                continue
            if record.seq != self.view.last_seq + 1:
                raise CorruptLog(
                    self.location, record.seq, f"expected seq {self.view.last_seq + 1}"
                )
            try:
                self.view.apply(record)
            except ReplayError as exc:
                raise CorruptLog(self.location, exc.seq, exc.reason) from None
            self.records.append(record)
            fresh.append(record)
        return fresh

    def _write(self, build: Callable[[View], Sequence[Record]]) -> list[Record]:
        def make(others: Sequence[Record]) -> Sequence[Record]:
            if others:
                self._absorb(others)
            return build(self.view)

        with self._lock:
            result = self.store.append(self.id, self.cursor, make)
            if result.others:  # absorbed by `make` already, unless a store did not call it
                self._absorb(result.others)
            written = self._absorb(result.written)
            self.cursor = result.cursor
            return written

    def add_message(
        self,
        role: Role,
        content: str,
        *,
        status: Status = "complete",
        title: str | None = None,
        end_turn: str | None = None,
        end_metadata: dict[str, Any] | None = None,
        **fields: Any,
    ) -> ChatMessage:
        """Append one message durably and return it, numbered.

        In the same durable write: with `title`, a retitle when the session has
        none yet; with `end_turn` (a label), an automatic checkpoint of the view
        that ends with this message.
        """
        message = ChatMessage(role=role, content=content, status=status, **fields)

        def build(view: View) -> list[Record]:
            out: list[Record] = [message]
            if title and not view.title:
                out.append(MetaRecord(title=title))
            if end_turn is not None:
                head = Node(message, view.head)
                out.append(
                    checkpoint_at(
                        view.last_seq + len(out),
                        head,
                        view.state,
                        label=end_turn,
                        auto=True,
                        metadata=end_metadata or {},
                    )
                )
            return out

        return cast(ChatMessage, self._write(build)[0])

    def update_state(self, change: Callable[[S], S], by: str = "user") -> StateRecord | None:
        """Apply `change` to the freshest state and append it (None when nothing changed)."""

        def build(view: View) -> list[Record]:
            old = self._validate_state(view.state)
            before = old.model_dump(mode="json")  # {} and the defaults it stands for are equal
            new = change(old).model_dump(mode="json")
            changes = diff_state(before, new)
            return [StateRecord(state=new, by=by, changes=changes)] if changes else []

        written = self._write(build)
        return cast(StateRecord, written[0]) if written else None

    def set_state(self, state: S, by: str = "user") -> StateRecord | None:
        """Replace the whole state (None when it is unchanged)."""
        return self.update_state(lambda _old: state, by=by)

    def checkpoint(
        self, label: str = "", *, auto: bool = False, metadata: dict[str, Any] | None = None
    ) -> CheckpointRecord:
        """Mark the current view so it can be restored later."""
        written = self._write(
            lambda view: [checkpoint_of(view, label=label, auto=auto, metadata=metadata or {})]
        )
        return cast(CheckpointRecord, written[0])

    def restore(self, checkpoint_id: str) -> RestoreRecord:
        """Roll the view back to a checkpoint. Nothing is removed: the current
        view is checkpointed first (if it is not already), so this can be undone."""
        self.checkpoint_by_id(checkpoint_id)

        def build(view: View) -> list[Record]:
            out: list[Record] = []
            if not view.checkpointed:
                out.append(checkpoint_of(view, label="before restore", auto=True, metadata={}))
            out.append(RestoreRecord(checkpoint=checkpoint_id))
            return out

        written = self._write(build)
        return cast(RestoreRecord, written[-1])

    def add_compaction(self, compaction: CompactionRecord) -> CompactionRecord | None:
        """Append a compaction; None when the view moved on and it no longer applies."""
        written = self._write(
            lambda view: [] if view.compaction_problem(compaction) else [compaction]
        )
        return cast(CompactionRecord, written[0]) if written else None

    def update_meta(
        self,
        *,
        title: str | None = None,
        model: str | None = None,
        agent: str | None = None,
        system_prompt: str | None = None,
    ) -> MetaRecord:
        """Change title, model, agent or system prompt (None leaves one as it is)."""
        meta = MetaRecord(title=title, model=model, agent=agent, system_prompt=system_prompt)
        (written,) = self._write(lambda _view: [meta])
        return cast(MetaRecord, written)

    def rename(self, title: str) -> MetaRecord:
        """Give the session a new title."""
        return self.update_meta(title=title)

    def fork(
        self, at: str | None = None, *, session_id: str | None = None, title: str | None = None
    ) -> Session[S]:
        """A new session starting with the view at checkpoint `at` (default: now)."""
        if at is None:
            head, state = self.view.head, self.view.state
        else:
            snap = self.checkpoint_by_id(at)
            head, state = snap.head, snap.state
        now = utc_now()
        header = SessionRecord(
            ts=now,
            created=now,
            id=check_id(session_id) if session_id is not None else new_id(),
            title=title if title is not None else f"{self.title or self.id} (fork)",
            model=self.model,
            agent=self.agent,
            parent=ParentRef(session=self.id, checkpoint=at),
        )
        origin = f"{self.id}@{at}" if at else self.id
        lines = fork_lines(
            header, system_prompt=self.view.system_prompt, head=head, state=state, origin=origin
        )
        self.store.create(lines)
        return Session.load(self.store, header.id, self.state_type)
