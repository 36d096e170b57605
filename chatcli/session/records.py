"""The log's line types (format version 1).

Records are frozen, slotted stdlib dataclasses validated by one pydantic
TypeAdapter: validation runs in pydantic-core, which keeps loading a
100,000-line log fast (a pydantic BaseModel per line costs ~4x more). The
adapter (and pydantic) load on the first parse or dump, not at import: the
TUI's first paint needs the record types, not their validator.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

if TYPE_CHECKING:
    from pydantic import TypeAdapter

FORMAT_VERSION = 1

Role = Literal["system", "user", "assistant", "tool"]
Status = Literal["complete", "interrupted", "error"]


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string, to the microsecond:
    `2025-01-31T12:00:00.123456Z`.

    Every record takes one, so the date part is formatted once per second."""
    global _second
    seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
    second = _second  # one read: another thread may replace it meanwhile
    if second[0] != seconds:
        second = _second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{second[1]}.{nanos // 1000:06d}Z"


_second: tuple[int, str] = (-1, "")


@dataclass(frozen=True, slots=True, kw_only=True)
class ParentRef:
    """Where a fork came from: a session and the checkpoint it was forked at."""

    session: str
    checkpoint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRecord:
    """Line 1 of every log: who this session is."""

    type: Literal["session"] = "session"
    seq: int = 0
    ts: str = field(default_factory=utc_now)
    id: str
    created: str = field(default_factory=utc_now)
    title: str = ""
    model: str | None = None
    agent: str | None = None
    parent: ParentRef | None = None
    version: int = FORMAT_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    """One message of the conversation."""

    type: Literal["message"] = "message"
    seq: int = 0
    ts: str = field(default_factory=utc_now)
    role: Role
    content: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    model: str | None = None
    usage: dict[str, Any] | None = None
    status: Status = "complete"
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChange:
    """One changed path of the state: `facts.name` went from `old` to `new`."""

    path: str
    old: Any = None
    new: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StateRecord:
    """The whole state after an update, and who changed it (`user`, `tool:<name>`)."""

    type: Literal["state"] = "state"
    seq: int = 0
    ts: str = field(default_factory=utc_now)
    state: dict[str, Any]
    by: str = "user"
    changes: list[StateChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointRecord:
    """A point of the conversation that can be restored; `at` is the seq it captures."""

    type: Literal["checkpoint"] = "checkpoint"
    seq: int = 0
    ts: str = field(default_factory=utc_now)
    id: str
    at: int
    digest: str
    chain: str | None = None
    """Digest of the message chain alone, so a resumed session need not rehash it."""
    label: str = ""
    auto: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreRecord:
    """Roll the active view back to a checkpoint; no line is removed."""

    type: Literal["restore"] = "restore"
    seq: int = 0
    ts: str = field(default_factory=utc_now)
    checkpoint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaRecord:
    """A change of title, model, agent or system prompt (None: unchanged)."""

    type: Literal["meta"] = "meta"
    seq: int = 0
    ts: str = field(default_factory=utc_now)
    title: str | None = None
    model: str | None = None
    agent: str | None = None
    system_prompt: str | None = None


Record = SessionRecord | ChatMessage | StateRecord | CheckpointRecord | RestoreRecord | MetaRecord


@functools.cache
def _adapter() -> TypeAdapter[Record]:
    """The one validator and serialiser of records, built on first use (~50 ms)."""
    from pydantic import Field, TypeAdapter

    return TypeAdapter(Annotated[Record, Field(discriminator="type")])


class BadLine(ValueError):
    """A line that is not a valid record; `reason` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_line(raw: bytes) -> Record:
    """Parse one JSON line (without its newline) into a record."""
    if not raw.strip():
        raise BadLine("the line is empty")
    try:
        record = _adapter().validate_json(raw)
    except ValueError as exc:  # pydantic's ValidationError (pydantic loads with the adapter)
        raise BadLine(_reason(exc)) from None
    if record.seq < 1:
        raise BadLine("seq must be a positive integer")
    return record


def _reason(exc: ValueError) -> str:
    """Why pydantic refused a line, in words."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return f"not valid JSON ({first['ctx']['error']})"
    where = ".".join(str(p) for p in first["loc"])
    return f"{first['msg']} at {where}" if where else str(first["msg"])


def dump_line(record: Record) -> bytes:
    """Serialise one record as a `\\n`-terminated UTF-8 JSON line."""
    return _adapter().dump_json(record, exclude_none=True) + b"\n"


def to_dict(record: Record) -> dict[str, Any]:
    """The record as plain JSON-ready data (what a line holds)."""
    data: dict[str, Any] = _adapter().dump_python(record, mode="json", exclude_none=True)
    return data


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
