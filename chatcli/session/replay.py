"""Replay: the active view (messages and state) as a pure function of the log.

Messages form a chain of nodes (each points at the one before it, like commits),
so a checkpoint captures a view in O(1) and a restore just moves the head back.
A digest of each chain is computed lazily and memoised per node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chatcli.session.records import (
    BranchRecord,
    ChatMessage,
    CheckpointRecord,
    CompactionRecord,
    MemoryRecord,
    MetaRecord,
    Record,
    RepairRecord,
    RestoreRecord,
    SessionRecord,
    StateRecord,
)

EMPTY_CHAIN = hashlib.sha256(b"chatcli-view-v1").hexdigest()


class ReplayError(ValueError):
    """A line that is well-formed but makes no sense where it stands."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"line {seq}: {reason}")
        self.seq = seq
        self.reason = reason


class Node:
    """One message in the chain of the active view."""

    __slots__ = ("_digest", "depth", "message", "parent")

    def __init__(self, message: ChatMessage, parent: Node | None) -> None:
        self.message = message
        self.parent = parent
        self.depth: int = 1 if parent is None else parent.depth + 1
        self._digest: str | None = None


# Built once: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
_STATE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _canonical(message: ChatMessage) -> bytes:
    fields = {
        "role": message.role,
        "content": message.content,
        "tool_calls": message.tool_calls,
        "tool_call_id": message.tool_call_id,
        "name": message.name,
        "status": message.status,
    }
    return _CANONICAL.encode(fields).encode()


def chain_digest(head: Node | None) -> str:
    """sha256 over the messages of the chain ending at `head` (seq and ts excluded)."""
    pending: list[Node] = []
    node = head
    while node is not None and node._digest is None:
        pending.append(node)
        node = node.parent
    digest = EMPTY_CHAIN if node is None else node._digest
    assert digest is not None
    for item in reversed(pending):
        digest = hashlib.sha256(digest.encode() + _canonical(item.message)).hexdigest()
        item._digest = digest
    return digest


def state_json(state: dict[str, Any]) -> str:
    """The canonical JSON of a state, as hashed into a view's digest."""
    return _STATE.encode(state) if state else "{}"  # most sessions keep no state


def view_digest(head: Node | None, state: dict[str, Any]) -> str:
    """sha256 of a whole view: its message chain and its state."""
    return hashlib.sha256(f"{chain_digest(head)}|{state_json(state)}".encode()).hexdigest()


def walk(head: Node | None) -> list[ChatMessage]:
    """The messages of the chain ending at `head`, oldest first."""
    out: list[ChatMessage] = []
    node = head
    while node is not None:
        out.append(node.message)
        node = node.parent
    out.reverse()
    return out


def common_depth(a: Node | None, b: Node | None) -> int:
    """How many messages two chains share from the start."""
    while a is not None and b is not None and a is not b:
        if a.depth > b.depth:
            a = a.parent
        elif b.depth > a.depth:
            b = b.parent
        else:
            a, b = a.parent, b.parent
    return 0 if a is None or b is None else a.depth


@dataclass(slots=True)
class Snapshot:
    """The view a checkpoint captured."""

    record: CheckpointRecord
    head: Node | None
    state: dict[str, Any]
    state_record: StateRecord | None = None
    """The line that last changed `state` before the checkpoint (None: never changed)."""
    compaction: CompactionRecord | None = None
    """The compaction in force at this checkpoint (restoring it brings that back)."""

    def messages(self) -> list[ChatMessage]:
        """The conversation as it was at this checkpoint."""
        return walk(self.head)

    @property
    def message_count(self) -> int:
        """Number of messages in this checkpoint's view."""
        return 0 if self.head is None else self.head.depth


@dataclass(slots=True)
class View:
    """The replayed session: header, settings, active chain, state, checkpoints."""

    header: SessionRecord
    title: str
    model: str | None
    agent: str | None
    system_prompt: str | None = None
    head: Node | None = None
    state: dict[str, Any] = field(default_factory=dict)
    state_record: StateRecord | None = None
    compaction: CompactionRecord | None = None
    """The summary that stands for the oldest messages in requests (None: no compaction)."""
    compaction_records: list[CompactionRecord] = field(default_factory=list)
    """Every compaction line of the log, oldest first (rolled-back ones included)."""
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    restores: list[RestoreRecord] = field(default_factory=list)
    repairs: list[RepairRecord] = field(default_factory=list)
    """Lines `doctor --repair` could not keep (each says where its bytes are)."""
    nodes: dict[int, Node] = field(default_factory=dict)
    """Every message of the log by seq, on every branch (the tree: see session.tree)."""
    node_state: dict[int, tuple[dict[str, Any], StateRecord | None]] = field(default_factory=dict)
    """The state each message (by seq; 0: before the first) last had as the view's end,
    and the state line that wrote it (None: no state line yet)."""
    branches: list[BranchRecord] = field(default_factory=list)
    last_seq: int = 0
    updated: str = ""
    checkpointed: bool = True
    """Whether the current view is exactly what some checkpoint captured."""
    trust_chain: bool = True
    """Seed chain digests from checkpoint lines (doctor turns this off to verify them)."""

    @classmethod
    def start(cls, header: SessionRecord) -> View:
        """A view holding only the session line."""
        view = cls(header=header, title=header.title, model=header.model, agent=header.agent)
        view.last_seq, view.updated = header.seq, header.ts
        return view

    def apply(self, record: Record) -> None:
        """Advance the view by one line; ReplayError if it makes no sense here."""
        if isinstance(record, ChatMessage):
            self.head = self.nodes[record.seq] = Node(record, self.head)
            self.node_state[record.seq] = (self.state, self.state_record)
            self.checkpointed = False
        elif isinstance(record, StateRecord):
            self.state, self.state_record = record.state, record
            self.node_state[self.head.message.seq if self.head else 0] = (record.state, record)
            self.checkpointed = False
        elif isinstance(record, CheckpointRecord):
            if record.id in self.snapshots:
                raise ReplayError(record.seq, f"checkpoint id {record.id!r} is used twice")
            head = self.head
            if self.trust_chain and record.chain and head is not None and head._digest is None:
                head._digest = record.chain
            self.snapshots[record.id] = Snapshot(
                record, self.head, self.state, self.state_record, self.compaction
            )
            self.checkpointed = True
        elif isinstance(record, RestoreRecord):
            snap = self.snapshots.get(record.checkpoint)
            if snap is None:
                raise ReplayError(
                    record.seq, f"restore names unknown checkpoint {record.checkpoint!r}"
                )
            self.head, self.state, self.compaction = snap.head, snap.state, snap.compaction
            self.state_record = snap.state_record  # the restored state's, not the rolled-back one's
            at = snap.head.message.seq if snap.head else 0
            self.node_state[at] = (snap.state, snap.state_record)
            self.restores.append(record)
            self.checkpointed = True
        elif isinstance(record, BranchRecord):
            self._apply_branch(record)
        elif isinstance(record, MetaRecord):
            self._apply_meta(record)
        elif isinstance(record, CompactionRecord):
            self._apply_compaction(record)
        elif isinstance(record, RepairRecord):
            self.repairs.append(record)  # the view is as it was: the lost line is not guessed
        elif isinstance(record, MemoryRecord):
            raise ReplayError(record.seq, "a user-memory line, which belongs in the memory log")
        else:
            raise ReplayError(record.seq, "a second session line")
        self.last_seq, self.updated = record.seq, record.ts

    def _apply_branch(self, record: BranchRecord) -> None:
        """Move the view's end to message `at` (any branch), with the state it last had."""
        if record.at == 0:
            head = None
        else:
            head = self.nodes.get(record.at)
            if head is None:
                raise ReplayError(
                    record.seq, f"branch names message {record.at}, which is not a message"
                )
        self.head = head
        self.state, self.state_record = self.node_state.get(record.at, ({}, None))
        self.branches.append(record)
        self.compaction = next(  # the newest compaction of this branch's history, if any
            (c for c in reversed(self.compaction_records) if self._on_chain(c.last)), None
        )
        self.checkpointed = False

    def compaction_problem(self, record: CompactionRecord) -> str | None:
        """Why `record` cannot apply to this view (None: it can).

        It must cover a message of the active chain past the previous compaction's."""
        if record.first > record.last:
            return "a compaction whose first seq is after its last"
        earlier = self.compaction.last if self.compaction is not None else 0
        if record.last <= earlier:
            return "a compaction that covers no message past the last one"
        if not self._on_chain(record.last):
            return f"a compaction up to seq {record.last}, which is not a message of the view"
        return None

    def _on_chain(self, seq: int) -> bool:
        """Whether message `seq` is in the active chain (walks only the messages after it)."""
        node = self.head
        while node is not None and node.message.seq > seq:
            node = node.parent
        return node is not None and node.message.seq == seq

    def _apply_compaction(self, record: CompactionRecord) -> None:
        problem = self.compaction_problem(record)
        if problem is not None:
            raise ReplayError(record.seq, problem)
        self.compaction = record
        self.compaction_records.append(record)
        self.checkpointed = False

    def _apply_meta(self, record: MetaRecord) -> None:
        if record.title is not None:
            self.title = record.title
        if record.model is not None:
            self.model = record.model
        if record.agent is not None:
            self.agent = record.agent
        if record.system_prompt is not None:
            self.system_prompt = record.system_prompt

    @property
    def compactions(self) -> int:
        """Compaction lines in the log (rolled-back ones included)."""
        return len(self.compaction_records)

    def messages(self) -> list[ChatMessage]:
        """The active conversation, oldest first."""
        return walk(self.head)

    @property
    def message_count(self) -> int:
        """Number of messages in the active view (O(1))."""
        return 0 if self.head is None else self.head.depth

    def digest(self) -> str:
        """sha256 of the active view: what a checkpoint made now would record."""
        return view_digest(self.head, self.state)

    def checkpoints(self) -> list[Snapshot]:
        """Every checkpoint in the log, oldest first (rolled-back ones included)."""
        return list(self.snapshots.values())


def replay(records: Iterable[Record]) -> View:
    """Replay a whole log (line 1 must be the session line) into its view."""
    it: Iterator[Record] = iter(records)
    first = next(it, None)
    if not isinstance(first, SessionRecord):
        raise ReplayError(1, "the first line is not a session line")
    view = View.start(first)
    for record in it:
        view.apply(record)
    return view
