"""MemoryDesk: user memory as a face shows and edits it (no Textual here).

It reads the log in a thread, names the sessions entries came from (titles from
the store's listing, looked up again only when an unknown session appears), and
writes a person's edits as lines made "by user", with the open session as where
they came from. Nothing it does touches a session's own state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatcli.chat.memory_words import change_words, origin
from chatcli.chat.workspace import Workspace
from chatcli.errors import ChatcliError
from chatcli.session.user_memory import Entry, UserMemory, check_key


@dataclass(frozen=True)
class Shown:
    """One entry as a pane shows it."""

    key: str
    value: str
    origin: str
    """`from 'Trip to Lisbon', 2 days ago, by the model`."""
    session: str | None
    """The session it came from, to jump to."""


class MemoryDesk:
    """User memory for one window: what to show, and the person's edits."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._titles: dict[str, str] = {}
        self._seen_line = -1

    @property
    def memory(self) -> UserMemory[Any]:
        return self.workspace.user_memory

    async def changed(self) -> bool:
        """Take in lines written elsewhere (another window, `chatcli memory`, a turn);
        whether what is shown would change."""
        await asyncio.to_thread(self.memory.refresh)
        last = self.memory.view.last_seq
        fresh, self._seen_line = last != self._seen_line, last
        return fresh

    async def shown(self, now: datetime) -> list[Shown]:
        """Every entry, with where it came from in words."""
        entries = self.memory.entries()
        wanted = {e.record.session for e in entries if e.record.session}
        if wanted - set(self._titles):
            summaries = await asyncio.to_thread(self.workspace.store.summaries)
            self._titles = {s.id: s.title for s in summaries if s.title}
            self._titles.update({s: s for s in wanted if s not in self._titles})
        return [_shown(e, self._titles, now) for e in entries]

    async def edit(self, key: str, value: str, session_id: str | None) -> str:
        """The person keeps `key` = `value` for every session; what to tell them."""
        check_key(key)
        record = await asyncio.to_thread(self.memory.set, key, value, by="user", session=session_id)
        return f"Remembered everywhere: {key} = {value}." if record else "Nothing changed."

    async def forget(self, key: str, session_id: str | None) -> str:
        """The person forgets `key` everywhere."""
        record = await asyncio.to_thread(self.memory.forget, key, by="user", session=session_id)
        if record is None:
            raise ChatcliError(f"Nothing is remembered under {key!r} any more.")
        return f"Forgot {key} everywhere (u undoes it)."

    async def undo(self, session_id: str | None) -> str:
        """Revert the last change of user memory, whoever made it."""
        record = await asyncio.to_thread(self.memory.undo, by="user", session=session_id)
        if record is None:
            raise ChatcliError("There is no change of user memory to undo.")
        said = change_words(record)
        return f"{said[:1].upper()}{said[1:]}."


def _shown(entry: Entry, titles: dict[str, str], now: datetime) -> Shown:
    value = entry.value if isinstance(entry.value, str) else repr(entry.value)
    return Shown(entry.key, value, origin(entry.record, titles, now), entry.record.session)
