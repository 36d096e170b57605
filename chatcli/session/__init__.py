"""The domain: log records, replay into the active view, state, and the Session handle.

Imports only the standard library and pydantic. The names below load on first
use (PEP 562), so importing one light submodule (`chatcli.session.ids`) does
not import pydantic and every other module of the package. `chatcli.session.replay`
is the replay module; its function is `chatcli.session.replay.replay`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatcli.session.catalog import list_sessions, parse_duration, stale_sessions
    from chatcli.session.context import current_session, current_state, using_session
    from chatcli.session.entries import Entry, EntryType
    from chatcli.session.ids import check_id, new_id
    from chatcli.session.records import (
        ChatMessage,
        CheckpointRecord,
        MetaRecord,
        ParentRef,
        Record,
        RepairRecord,
        RestoreRecord,
        SessionRecord,
        StateChange,
        StateRecord,
    )
    from chatcli.session.replay import Snapshot, View
    from chatcli.session.session import Session
    from chatcli.session.state import Memory
    from chatcli.session.store import Appended, Cursor, Store
    from chatcli.session.summary import SessionSummary

_WHERE = {
    "list_sessions": "catalog",
    "parse_duration": "catalog",
    "stale_sessions": "catalog",
    "current_session": "context",
    "current_state": "context",
    "Entry": "entries",
    "EntryType": "entries",
    "using_session": "context",
    "check_id": "ids",
    "new_id": "ids",
    "ChatMessage": "records",
    "CheckpointRecord": "records",
    "MetaRecord": "records",
    "ParentRef": "records",
    "Record": "records",
    "RepairRecord": "records",
    "RestoreRecord": "records",
    "SessionRecord": "records",
    "StateChange": "records",
    "StateRecord": "records",
    "Snapshot": "replay",
    "View": "replay",
    "Session": "session",
    "Memory": "state",
    "Appended": "store",
    "Cursor": "store",
    "Store": "store",
    "SessionSummary": "summary",
}

__all__ = [
    "Appended",
    "ChatMessage",
    "CheckpointRecord",
    "Cursor",
    "Entry",
    "EntryType",
    "Memory",
    "MetaRecord",
    "ParentRef",
    "Record",
    "RepairRecord",
    "RestoreRecord",
    "Session",
    "SessionRecord",
    "SessionSummary",
    "Snapshot",
    "StateChange",
    "StateRecord",
    "Store",
    "View",
    "check_id",
    "current_session",
    "current_state",
    "list_sessions",
    "new_id",
    "parse_duration",
    "stale_sessions",
    "using_session",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
