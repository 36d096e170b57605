"""A session's typed records from the public API: read them by type, append one.

Aixgo's `GetEntries` / `AppendEntry`, on chatcli's log. Stable API: every
record of the log is an entry (`session.entries()`), oldest first, rolled-back
lines included; `session.messages` is the active conversation. Appending goes
through the same locked, durable write as everything else, and refuses the
records that only the Session may compute (checkpoints, restores).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from chatcli.errors import ChatcliError
from chatcli.session.records import (
    RECORD_TYPES,
    ChatMessage,
    MetaRecord,
    Record,
    StateRecord,
)
from chatcli.session.state import diff_state

if TYPE_CHECKING:
    from chatcli.session.session import Session

EntryType: TypeAlias = "str | type[Record]"
"""A record type by name (`"message"`, `"state"`, …) or by class (`ChatMessage`)."""

Entry: TypeAlias = "ChatMessage | StateRecord | MetaRecord"
"""What `append_entry` takes: a message, a state, or a change of title/model/agent/prompt."""


def record_types(type: EntryType | Iterable[EntryType] | None) -> frozenset[str] | None:
    """The record type names `type` stands for (None: every type); a sentence if unknown."""
    if type is None:
        return None
    wanted = [type] if isinstance(type, str | builtins.type) else list(type)
    names: set[str] = set()
    for one in wanted:
        name = one if isinstance(one, str) else _class_name(one)
        if name not in RECORD_TYPES:
            raise ChatcliError(
                f"There is no record type {name!r}.", f"Use one of: {', '.join(RECORD_TYPES)}."
            )
        names.add(name)
    return frozenset(names)


def _class_name(cls: Any) -> str:
    field = getattr(cls, "__dataclass_fields__", {}).get("type")
    return str(field.default) if field is not None else repr(cls)


def entries(
    session: Session[Any], type: EntryType | Iterable[EntryType] | None = None
) -> list[Record]:
    """Every record of the session's log, oldest first, or only those of `type`."""
    names = record_types(type)
    with session._lock:
        records = list(session.records)
    if names is None:
        return records
    return [r for r in records if r.type in names]


def append_entry(session: Session[Any], entry: Entry) -> Record | None:
    """Append one typed record durably and return it as stored (numbered).

    A message is appended as it is (its `seq` is ignored); a state is checked
    against the session's state type and its changes are worked out (None when
    it changes nothing); a meta record changes title, model, agent or prompt.
    """
    if isinstance(entry, ChatMessage):
        fields = {
            f.name: getattr(entry, f.name)
            for f in dataclasses.fields(entry)
            if f.name not in ("type", "seq", "role", "content")
        }
        return session.add_message(entry.role, entry.content, **fields)
    if isinstance(entry, StateRecord):
        return session.set_state(session._validate_state(entry.state), by=entry.by)
    if isinstance(entry, MetaRecord):
        return session.update_meta(
            title=entry.title,
            model=entry.model,
            agent=entry.agent,
            system_prompt=entry.system_prompt,
        )
    kind = getattr(entry, "type", builtins.type(entry).__name__)
    raise ChatcliError(
        f"append_entry takes a message, a state or a meta record, not a {kind!r} record.",
        "Make checkpoints with session.checkpoint() and roll back with session.restore().",
    )


def initial_state(state: Any | None) -> list[Record]:
    """A new session's first `state` line (by "create"), or nothing when `state` is None."""
    if state is None:
        return []
    data: dict[str, Any] = state.model_dump(mode="json")
    return [StateRecord(state=data, by="create", changes=diff_state({}, data))] if data else []
