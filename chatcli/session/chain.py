"""Queries over a message chain and the checkpoints of a view: slices, turns, restores.

A view's messages form a chain of nodes (see `replay`), newest at the head.
These functions walk only as far as they need to, so a 10,000-message session
answers "the last 6 messages" without touching the rest. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chatcli.session.records import (
    BranchRecord,
    ChatMessage,
    CheckpointRecord,
    MetaRecord,
    Record,
    RestoreRecord,
    SessionRecord,
    StateRecord,
)
from chatcli.session.replay import Node, Snapshot, View, common_depth


def depth(node: Node | None) -> int:
    """Messages in the chain ending at `node`."""
    return 0 if node is None else node.depth


def tail(head: Node | None, count: int) -> list[ChatMessage]:
    """The last `count` messages of a chain, oldest first."""
    out: list[ChatMessage] = []
    node = head
    while node is not None and len(out) < count:
        out.append(node.message)
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


def user_prompts(head: Node | None, limit: int = 200) -> list[str]:
    """The chain's last `limit` non-empty user prompts, oldest first."""
    out: list[str] = []
    node = head
    while node is not None and len(out) < limit:
        if node.message.role == "user" and node.message.content.strip():
            out.append(node.message.content)
        node = node.parent
    out.reverse()
    return out


def last_user_message(head: Node | None) -> ChatMessage | None:
    """The newest user message of a chain: the prompt of the turn it ends with."""
    node = head
    while node is not None:
        if node.message.role == "user":
            return node.message
        node = node.parent
    return None


def turn_count(head: Node | None) -> int:
    """How many turns (user messages) the chain holds."""
    count = 0
    node = head
    while node is not None:
        count += node.message.role == "user"
        node = node.parent
    return count


# -- checkpoints ---------------------------------------------------------------------


def ordinal(view: View, checkpoint_id: str) -> int | None:
    """A checkpoint's place in the log, counting from 1 (`#3` is the third one made)."""
    for number, snap_id in enumerate(view.snapshots, start=1):
        if snap_id == checkpoint_id:
            return number
    return None


def find_checkpoint(view: View, ref: str) -> Snapshot | None:
    """The checkpoint an id (`cp8`) or an ordinal (`3`, `#3`) names, or None."""
    snap = view.snapshots.get(ref)
    if snap is not None:
        return snap
    digits = ref.removeprefix("#")
    if digits.isdigit() and 1 <= int(digits) <= len(view.snapshots):
        return list(view.snapshots.values())[int(digits) - 1]
    return None


def default_label(head: Node | None, width: int = 60) -> str:
    """A label for a manual checkpoint made without one: its turn and prompt.

    `turn 2: What is in the message?`, or `start` before the first message.
    """
    prompt = last_user_message(head)
    if prompt is None:
        return "start"
    line = " ".join(prompt.content.split())
    if len(line) > width:
        line = line[: width - 1] + "…"
    return f"turn {turn_count(head)}: {line}"


# -- restores ------------------------------------------------------------------------


def _messages(count: int) -> str:
    return f"{count} message{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class RestorePlan:
    """What restoring a checkpoint does to the current view, in messages."""

    keeps: int
    rolls_back: int
    """Messages the view loses (they stay in the log)."""
    brings_back: int
    """Messages the checkpoint has that the view does not (an undo brings them back)."""

    def moved(self) -> str:
        """What moves, both ways: `2 messages rolled back, 3 brought back`."""
        back, ahead = self.rolls_back, self.brings_back
        if back and ahead:
            return f"{_messages(back)} rolled back, {ahead} brought back"
        if back:
            return f"{_messages(back)} rolled back"
        if ahead:
            return f"{_messages(ahead)} brought back"
        return "no message moved"


def restore_plan(view: View, snap: Snapshot) -> RestorePlan:
    """How many messages restoring `snap` keeps, rolls back and brings back."""
    shared = common_depth(view.head, snap.head)
    return RestorePlan(
        keeps=shared,
        rolls_back=depth(view.head) - shared,
        brings_back=depth(snap.head) - shared,
    )


@dataclass(frozen=True)
class RestoreInfo:
    """The last restore, when nothing has been said since: what it moved, how to undo it."""

    checkpoint: str
    label: str
    plan: RestorePlan
    """What the restore did, measured from the view just before it."""
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
    """The restore the view ends with, if no message, state or branch line came after it."""
    if not view.restores:
        return None
    last = view.restores[-1]
    later = records[last.seq :] if len(records) >= last.seq else []
    if any(isinstance(r, ChatMessage | StateRecord | BranchRecord) for r in later):
        return None
    snap = view.snapshots.get(last.checkpoint)
    undo = undo_target(records, last.seq)
    before = view.snapshots.get(undo) if undo else None
    plan = RestorePlan(depth(snap.head) if snap else 0, 0, 0)
    if before is not None and snap is not None:
        shared = common_depth(before.head, snap.head)
        plan = RestorePlan(shared, depth(before.head) - shared, depth(snap.head) - shared)
    return RestoreInfo(
        checkpoint=last.checkpoint,
        label=snap.record.label if snap else "",
        plan=plan,
        undo=undo,
    )
