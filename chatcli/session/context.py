"""`current_session()`: how a tool reaches the session it runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from chatcli.errors import ChatcliError
from chatcli.session.session import Session

_CURRENT: ContextVar[Session[Any] | None] = ContextVar("chatcli_current_session", default=None)


def current_session() -> Session[Any]:
    """The session the running turn belongs to; an error outside a turn."""
    session = _CURRENT.get()
    if session is None:
        raise ChatcliError("No session is active here.", "Call tools from within a chat turn.")
    return session


@contextmanager
def using_session(session: Session[Any]) -> Iterator[Session[Any]]:
    """Make `session` the current one for the code inside the block."""
    token = _CURRENT.set(session)
    try:
        yield session
    finally:
        _CURRENT.reset(token)
