"""Session ids: the one check that keeps every id inside the sessions folder."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from chatcli.errors import InvalidSessionId

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_id(session_id: str) -> str:
    """Return `session_id` if it is `[A-Za-z0-9_-]{1,64}`, else raise InvalidSessionId."""
    if not isinstance(session_id, str) or not _ID.fullmatch(session_id):
        raise InvalidSessionId(str(session_id))
    return session_id


def is_id(name: str) -> bool:
    """Whether `name` passes `check_id` (for listings that skip what is not a session)."""
    return isinstance(name, str) and _ID.fullmatch(name) is not None


def new_id() -> str:
    """A fresh id that sorts by creation time: `20261121-060203-3f9a2c`."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
