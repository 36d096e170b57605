"""The domain: log records, replay into the active view, state, and the Session handle.

Imports only the standard library and pydantic.
"""

from chatcli.session.catalog import list_sessions, parse_duration, stale_sessions
from chatcli.session.context import current_session, using_session
from chatcli.session.ids import check_id, new_id
from chatcli.session.records import (
    ChatMessage,
    CheckpointRecord,
    MetaRecord,
    ParentRef,
    Record,
    RestoreRecord,
    SessionRecord,
    StateChange,
    StateRecord,
)
from chatcli.session.replay import Snapshot, View, replay
from chatcli.session.session import Session
from chatcli.session.state import Memory
from chatcli.session.store import Appended, Cursor, Store
from chatcli.session.summary import SessionSummary

__all__ = [
    "Appended",
    "ChatMessage",
    "CheckpointRecord",
    "Cursor",
    "Memory",
    "MetaRecord",
    "ParentRef",
    "Record",
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
    "list_sessions",
    "new_id",
    "parse_duration",
    "replay",
    "stale_sessions",
    "using_session",
]
