"""Giving records their sequence numbers: the store numbers each line it appends."""

from __future__ import annotations

from collections.abc import Sequence

from chatcli.session.records import Record


def with_seq(record: Record, seq: int) -> Record:
    """A copy of `record` numbered `seq`.

    Field by field rather than `dataclasses.replace`, which costs twice as much
    on every append; records have no `__post_init__` that a copy would skip."""
    cls = type(record)
    copy = object.__new__(cls)
    for name in cls.__slots__:
        _set(copy, name, getattr(record, name))
    _set(copy, "seq", seq)
    return copy


_set = object.__setattr__  # records are frozen


def numbered(records: Sequence[Record], after: int) -> list[Record]:
    """`records` numbered `after + 1`, `after + 2`, …; one already numbered so is kept."""
    return [r if r.seq == seq else with_seq(r, seq) for seq, r in enumerate(records, after + 1)]
