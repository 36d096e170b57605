"""The log's line types (format version 1).

Records are frozen, slotted stdlib dataclasses validated by one pydantic
TypeAdapter: validation runs in pydantic-core, which keeps loading a
100,000-line log fast (a pydantic BaseModel per line costs ~4x more). The
adapter (and pydantic) load on the first parse or dump, not at import: the
TUI's first paint needs the record types, not their validator.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from chatcli.session.times import TIMESTAMP as TIMESTAMP  # re-exported: where lines are checked
from chatcli.session.times import is_timestamp as is_timestamp

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, TypeAdapter
    from pydantic_core import CoreSchema

FORMAT_VERSION = 1

Role = Literal["system", "user", "assistant", "tool"]
Status = Literal["complete", "interrupted", "error"]


class _Checked:
    """Annotated metadata that adds a check to a field's schema when pydantic builds it.

    Keeps pydantic out of this module's import: the schema is built on first parse."""

    def __init__(self, pattern: str | None = None, check: Callable[[Any], Any] | None = None):
        self.pattern = pattern
        self.check = check

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        if self.pattern is not None:
            return core_schema.str_schema(pattern=f"^{self.pattern}$", strict=True)
        assert self.check is not None
        return core_schema.no_info_after_validator_function(self.check, handler(source))


def _check_tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call as providers send it: `{"id", "type", "function": {"name", "arguments"}}`."""
    function = call.get("function")
    if not isinstance(function, dict):
        raise ValueError("function must be an object with a name")
    if not isinstance(function.get("name"), str):
        raise ValueError("function.name must be a string")
    if not isinstance(function.get("arguments", ""), str):
        raise ValueError("function.arguments must be a string")
    if not isinstance(call.get("id", ""), str):
        raise ValueError("id must be a string")
    return call


Timestamp = Annotated[str, _Checked(pattern=TIMESTAMP)]
ToolCallEntry = Annotated[dict[str, Any], _Checked(check=_check_tool_call)]


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
    ts: Timestamp = field(default_factory=utc_now)
    id: str
    created: Timestamp = field(default_factory=utc_now)
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
    ts: Timestamp = field(default_factory=utc_now)
    role: Role
    content: str = ""
    tool_calls: list[ToolCallEntry] | None = None
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
    ts: Timestamp = field(default_factory=utc_now)
    state: dict[str, Any]
    by: str = "user"
    changes: list[StateChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointRecord:
    """A point of the conversation that can be restored; `at` is the seq it captures."""

    type: Literal["checkpoint"] = "checkpoint"
    seq: int = 0
    ts: Timestamp = field(default_factory=utc_now)
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
    ts: Timestamp = field(default_factory=utc_now)
    checkpoint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaRecord:
    """A change of title, model, agent or system prompt (None: unchanged)."""

    type: Literal["meta"] = "meta"
    seq: int = 0
    ts: Timestamp = field(default_factory=utc_now)
    title: str | None = None
    model: str | None = None
    agent: str | None = None
    system_prompt: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairRecord:
    """Stands in for a line `sessions doctor --repair` could not keep (added after format 1:
    a chatcli that predates it refuses the file, naming the newer chatcli it needs).

    The damaged file is kept whole as `kept` (a name in the same folder); the
    line's bytes are `length` bytes at `offset` there, with this sha256."""

    type: Literal["repair"] = "repair"
    seq: int = 0
    ts: Timestamp = field(default_factory=utc_now)
    line: int
    """The line of the damaged file this record stands for."""
    reason: str
    kept: str
    offset: int
    length: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchRecord:
    """Make another branch of the message tree the active view (added after format 1:
    a chatcli that predates it refuses the file, naming the newer chatcli it needs).

    The view becomes the chain that ends at message `at` (0: before the first
    message) with the state it last had there; no line is removed, so a switch
    is undone by switching back (or restoring the checkpoint made before it)."""

    type: Literal["branch"] = "branch"
    seq: int = 0
    ts: Timestamp = field(default_factory=utc_now)
    at: int
    """The seq of the message the active view now ends with (0: no message)."""
    kind: Literal["switch", "edit", "regenerate"] = "switch"
    """Why: a switch between branches, or the start of an edit or a regeneration."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactionRecord:
    """A summary that stands in, in requests to the model, for the messages of the active
    view up to seq `last` (added after format 1). The messages stay in the log, the view
    and exports; checkpoints capture the compaction in force, so a restore undoes it.
    It folds the previous summary and messages `first`..`last` into one."""

    type: Literal["compaction"] = "compaction"
    seq: int = 0
    ts: Timestamp = field(default_factory=utc_now)
    summary: str
    first: int  # the oldest message the summary read (earlier ones: an earlier summary)
    last: int  # the newest message it covers: requests carry the messages after it
    messages: int  # how many messages of the view it stands for
    model: str | None = None  # the model that wrote it
    tokens_before: int = 0  # the request's tokens before the compaction ...
    tokens_after: int = 0  # ... and after it
    manual: bool = False  # asked for (/compact, sessions compact), not by the budget


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryRecord:
    """A change to user memory, in the user-memory log only (never a session's; added
    after format 1: a chatcli that predates it refuses the file, naming the newer one).

    It holds what changed (each path's old and new value: user memory lasts for
    years, so a line never repeats the whole state) and where the change came from:
    who made it (`tool:remember`, `tool:forget`, `user`, `cli`), the session and the
    message (its seq) that made it. `undoes` names the earlier memory line this one
    reverts."""

    type: Literal["memory"] = "memory"
    seq: int = 0
    ts: Timestamp = field(default_factory=utc_now)
    by: str
    changes: list[StateChange] = field(default_factory=list)
    session: str | None = None
    message: int | None = None
    undoes: int | None = None
    state: dict[str, Any] | None = None
    """The whole state after the change, on lines that carry it (none do today: the
    state is the changes replayed; the first lines written, on 2026-12-02, did)."""


Record = (
    SessionRecord
    | ChatMessage
    | StateRecord
    | CheckpointRecord
    | RestoreRecord
    | MetaRecord
    | RepairRecord
    | BranchRecord
    | CompactionRecord
    | MemoryRecord
)

RECORD_TYPES = (
    "session",
    "message",
    "state",
    "checkpoint",
    "restore",
    "meta",
    "repair",
    "branch",
    "compaction",
    "memory",
)


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
        raise BadLine(_reason(exc)) from None  # or NewerRecord, from _reason
    if record.seq < 1:
        raise BadLine("seq must be a positive integer")
    return record


class NewerRecord(BadLine):
    """A line of a record type this chatcli does not know: a newer chatcli wrote it."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"a {kind!r} record, which chatcli {_version()} does not know: a newer chatcli "
            "wrote it; upgrade chatcli (pip install -U chatcli) to read this session"
        )
        self.kind = kind


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chatcli")
    except PackageNotFoundError:
        return "(unknown version)"


_TYPE_NAME = re.compile(r"[a-z][a-z_]{0,31}")


def _reason(exc: ValueError) -> str:
    """Why pydantic refused a line, in words (NewerRecord for a type it does not know)."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    first = exc.errors(include_url=False)[0]
    kind, ctx = first["type"], first.get("ctx") or {}
    if kind == "json_invalid":
        return f"not valid JSON ({ctx['error']})"
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        if isinstance(tag, str) and _TYPE_NAME.fullmatch(tag):
            raise NewerRecord(tag)
        return f"type must be one of {', '.join(RECORD_TYPES)}"
    if kind == "union_tag_not_found":
        return "the line has no type"
    message = str(ctx["error"]) if kind == "value_error" and "error" in ctx else first["msg"]
    if kind == "string_pattern_mismatch":
        message = "not an ISO 8601 time with seconds and a zone (2026-01-31T12:00:00Z)"
    where = ".".join(str(p) for p in first["loc"][1:] or first["loc"])
    return f"{message} at {where}" if where else str(message)


def dump_line(record: Record) -> bytes:
    """Serialise one record as a `\\n`-terminated UTF-8 JSON line."""
    return _adapter().dump_json(record, exclude_none=True) + b"\n"


def to_dict(record: Record) -> dict[str, Any]:
    """The record as plain JSON-ready data (what a line holds)."""
    data: dict[str, Any] = _adapter().dump_python(record, mode="json", exclude_none=True)
    return data
