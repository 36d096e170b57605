"""The Store protocol: where log lines live. `chatcli.store` implements it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from chatcli.session.records import Record
from chatcli.session.summary import SessionSummary


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far a reader has read: the last seq seen and a store-specific position."""

    seq: int = 0
    pos: int = 0


Make = Callable[[Sequence[Record]], Sequence[Record]]
"""Given the lines others appended since the caller's cursor, the records to write.

Called under the session's lock (a store may call it again if it must retry),
so a checkpoint can be computed from a view that includes every earlier line.
Records come back numbered; the `seq` the maker sets is ignored.
"""


@dataclass(frozen=True, slots=True)
class Appended:
    """What an append saw and wrote: others' new lines, ours, and the new cursor."""

    others: list[Record]
    written: list[Record]
    cursor: Cursor


class Store(Protocol):
    """A place that keeps session logs, append-only and numbered 1..n."""

    def create(self, records: Sequence[Record]) -> Cursor:
        """Durably write a new session's first lines (line 1 is its `SessionRecord`).

        Numbers them 1..n; SessionExists if the id is taken."""
        ...

    def read(self, session_id: str, after: Cursor | None = None) -> tuple[list[Record], Cursor]:
        """Lines after `after` (all when None); ignores a torn last line."""
        ...

    def append(self, session_id: str, after: Cursor, make: Make) -> Appended:
        """Under the session's lock: catch up from `after`, then durably write `make(new)`."""
        ...

    def exists(self, session_id: str) -> bool:
        """Whether a session with this id is stored."""
        ...

    def ids(self) -> list[str]:
        """Every stored session id, in no particular order."""
        ...

    def summaries(self) -> list[SessionSummary]:
        """A summary of every session, without parsing whole logs when it can."""
        ...

    def delete(self, session_id: str) -> None:
        """Remove a session for good."""
        ...

    def location(self, session_id: str | None = None) -> str:
        """Where a session (or the whole store) lives, for people to read."""
        ...
