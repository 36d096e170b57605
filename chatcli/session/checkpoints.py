"""Checkpoint records built from a view, and the opening lines of a fork."""

from __future__ import annotations

import dataclasses
from typing import Any

from chatcli.session.numbering import with_seq
from chatcli.session.records import (
    CheckpointRecord,
    MetaRecord,
    Record,
    SessionRecord,
    StateRecord,
)
from chatcli.session.replay import Node, View, chain_digest, view_digest, walk


def checkpoint_of(
    view: View, *, label: str, auto: bool, metadata: dict[str, Any]
) -> CheckpointRecord:
    """A checkpoint of `view` as it stands, written as its next line."""
    return checkpoint_at(
        view.last_seq, view.head, view.state, label=label, auto=auto, metadata=metadata
    )


def checkpoint_at(
    at: int,
    head: Node | None,
    state: dict[str, Any],
    *,
    label: str,
    auto: bool,
    metadata: dict[str, Any],
) -> CheckpointRecord:
    """A checkpoint written as line `at + 1`, capturing the chain `head` and `state`."""
    return CheckpointRecord(
        seq=at + 1,
        id=f"cp{at + 1}",
        at=at,
        digest=view_digest(head, state),
        chain=chain_digest(head),
        label=label,
        auto=auto,
        metadata=metadata,
    )


def fork_lines(
    header: SessionRecord,
    *,
    system_prompt: str | None,
    head: Node | None,
    state: dict[str, Any],
    origin: str,
) -> list[Record]:
    """A new log, numbered: `header`, the system prompt, the chain `head`, `state`,
    then a checkpoint of that view labelled with where it was forked from."""
    body: list[Record] = []
    if system_prompt is not None:
        body.append(MetaRecord(system_prompt=system_prompt))
    body.extend(walk(head))
    if state:
        body.append(StateRecord(state=state, by="fork"))
    start = View.start(dataclasses.replace(header, seq=1))
    lines: list[Record] = [start.header]
    for record in body:
        lines.append(with_seq(record, len(lines) + 1))
        start.apply(lines[-1])
    lines.append(checkpoint_of(start, label=f"forked from {origin}", auto=True, metadata={}))
    return lines
