"""`current_session()`: how a tool reaches the session it runs in; `current_state()`: its state
as plain data, for code that does not know the state type (Genkit's `StateFromContext`)."""

from __future__ import annotations

import copy
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


def current_state() -> dict[str, Any]:
    """The current session's state as a plain dict (a copy: changing it changes nothing).

    JSON-ready data whatever the session's state type, as a prompt template sees
    it (`@state`); an error outside a turn, as `current_session()`."""
    return copy.deepcopy(current_session().view.state)


@contextmanager
def using_session(session: Session[Any]) -> Iterator[Session[Any]]:
    """Make `session` the current one for the code inside the block."""
    token = _CURRENT.set(session)
    try:
        yield session
    finally:
        _CURRENT.reset(token)
