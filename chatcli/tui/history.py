"""Facts the TUI reads off a session's log: totals, restore notes, previews.

Pure functions over records and the replayed view; no Textual, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chatcli.session import (
    ChatMessage,
    CheckpointRecord,
    MetaRecord,
    Record,
    RestoreRecord,
    SessionRecord,
    Snapshot,
    StateRecord,
    View,
)
from chatcli.session.replay import Node, common_depth


@dataclass(frozen=True)
class Usage:
    """Tokens and cost summed over a session's replies."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None

    def add(self, usage: dict[str, Any] | None) -> Usage:
        """These totals plus one message's `usage` (missing keys count as 0)."""
        if not usage:
            return self
        cost = usage.get("cost")
        total_cost = self.cost
        if isinstance(cost, int | float):
            total_cost = (total_cost or 0.0) + float(cost)
        return Usage(
            self.prompt_tokens + _int(usage.get("prompt_tokens")),
            self.completion_tokens + _int(usage.get("completion_tokens")),
            total_cost,
        )

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


class LogTally:
    """What the TUI sums over a log, kept up to date as lines arrive.

    `usage`: tokens and cost over every reply (rolled-back turns cost money too).
    `states`: tool-made state lines keyed by the seq of the message after them; a
    tool writes its state line while it runs, just before its result message, so
    the conversation shows the change under that result.
    """

    def __init__(self) -> None:
        self.seen = 0
        self.usage = Usage()
        self.states: dict[int, list[StateRecord]] = {}
        self._pending: list[StateRecord] = []

    def update(self, records: Sequence[Record]) -> None:
        """Take in the lines after the ones already seen."""
        for record in records[self.seen :]:
            if isinstance(record, StateRecord):
                if record.by.startswith("tool:"):
                    self._pending.append(record)
            elif isinstance(record, ChatMessage):
                if record.usage:
                    self.usage = self.usage.add(record.usage)
                if self._pending:
                    self.states[record.seq] = self._pending
                    self._pending = []
        self.seen = len(records)


@dataclass(frozen=True)
class RestoreInfo:
    """The last restore, when nothing has been said since: what the note shows."""

    checkpoint: str
    label: str
    rolled_back: int
    undo: str | None
    """The checkpoint that holds the view from before the restore."""


def undo_target(records: Sequence[Record], restore_seq: int) -> str | None:
    """The checkpoint to restore to undo the restore at `restore_seq`."""
    index = restore_seq - 2  # the line before the restore (records[i].seq == i + 1)
    while index >= 0:
        record = records[index]
        if isinstance(record, CheckpointRecord):
            return record.id
        if isinstance(record, RestoreRecord):
            return record.checkpoint
        if not isinstance(record, MetaRecord | SessionRecord):
            return None
        index -= 1
    return None


def restore_info(view: View, records: Sequence[Record]) -> RestoreInfo | None:
    """The restore the view ends with, if no message or state line came after it."""
    if not view.restores:
        return None
    last = view.restores[-1]
    later = records[last.seq :] if len(records) >= last.seq else []
    if any(isinstance(r, ChatMessage | StateRecord) for r in later):
        return None
    snap = view.snapshots.get(last.checkpoint)
    undo = undo_target(records, last.seq)
    before = view.snapshots.get(undo) if undo else None
    rolled_back = 0
    if before is not None and snap is not None:
        rolled_back = depth(before.head) - common_depth(before.head, snap.head)
    return RestoreInfo(
        checkpoint=last.checkpoint,
        label=snap.record.label if snap else "",
        rolled_back=rolled_back,
        undo=undo,
    )


def depth(node: Node | None) -> int:
    """Messages in the chain ending at `node`."""
    return 0 if node is None else node.depth


def one_line(text: str, width: int = 80) -> str:
    """The first non-empty line of `text`, cut to `width` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


def turn_preview(head: Node | None, width: int = 80) -> str:
    """One line about the turn a chain ends with: its user message."""
    node = head
    while node is not None:
        message = node.message
        if message.role == "user":
            return one_line(message.content, width)
        node = node.parent
    return "(empty conversation)"


def tail(head: Node | None, count: int) -> list[ChatMessage]:
    """The last `count` messages of a chain, oldest first, without walking it all."""
    out: list[ChatMessage] = []
    node = head
    while node is not None and len(out) < count:
        out.append(node.message)
        node = node.parent
    out.reverse()
    return out


@dataclass(frozen=True)
class RestorePlan:
    """What restoring a checkpoint would do to the current view."""

    keeps: int
    rolls_back: int
    brings_back: int


def restore_plan(view: View, snap: Snapshot) -> RestorePlan:
    """How many messages a restore keeps, rolls back and brings back."""
    shared = common_depth(view.head, snap.head)
    return RestorePlan(
        keeps=shared,
        rolls_back=depth(view.head) - shared,
        brings_back=depth(snap.head) - shared,
    )


def user_prompts(head: Node | None, limit: int = 200) -> list[str]:
    """Earlier user prompts of a chain, oldest first (for prompt history)."""
    out: list[str] = []
    node = head
    while node is not None and len(out) < limit:
        if node.message.role == "user" and node.message.content.strip():
            out.append(node.message.content)
        node = node.parent
    out.reverse()
    return out


def chain_slice(head: Node | None, lo: int, hi: int) -> list[ChatMessage]:
    """Messages `lo`..`hi-1` (0-based, oldest first) of the chain ending at `head`."""
    out: list[ChatMessage] = []
    node = head
    while node is not None and node.depth > hi:
        node = node.parent
    while node is not None and node.depth > lo:
        out.append(node.message)
        node = node.parent
    out.reverse()
    return out
