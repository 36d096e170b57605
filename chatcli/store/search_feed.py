"""What changed in a store since the search index last looked: one `Feed` per store kind.

A feed lists every session with a *mark*: a short string that changes whenever
the session's log does. The index keeps the mark it last saw, and reads only
the sessions whose mark moved, from the position it had reached:

- JSONL: the mark is the file's inode, size and mtime (one `stat` per file from
  `scandir`, no file opened); a position is a byte offset.
- Redis: the mark is the session's score in the sorted set of ids (the time of
  its last line), one `ZRANGE` for every session; a position is a list index.
- any other store: every session is read from its position (cheap in memory).
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Protocol, cast

from chatcli.errors import ChatcliError
from chatcli.session.ids import check_id
from chatcli.session.store import Store

if TYPE_CHECKING:
    from chatcli.store.jsonl import JsonlStore
    from chatcli.store.redis import RedisStore

__all__ = ["Feed", "feed_for"]


class Feed(Protocol):
    """Every session of a store, with a mark that changes when its log changes."""

    def marks(self) -> dict[str, str]:
        """`{session id: mark}` for every session there is now."""
        ...

    def mark(self, session_id: str) -> str | None:
        """The mark of one session (None when there is no such session)."""
        ...

    def order(self, mark: str) -> float:
        """When a log with this mark last changed, as far as the mark says (for sorting)."""
        ...

    def replaced(self, old: str, new: str) -> bool:
        """Whether a log whose mark went from `old` to `new` may have been rewritten
        (not only appended to), so it must be read again from its start."""
        ...


class JsonlFeed:
    """Marks from the sessions folder: `inode:size:mtime_ns` per `<id>.jsonl`."""

    def __init__(self, store: JsonlStore) -> None:
        self.root = store.root

    def marks(self) -> dict[str, str]:
        from chatcli.private_files import check_dir
        from chatcli.store.jsonl import SUFFIX

        check_dir(self.root)
        try:
            entries = os.scandir(self.root)
        except FileNotFoundError:
            return {}
        out: dict[str, str] = {}
        cut = len(SUFFIX)
        with entries:
            for entry in entries:
                name = entry.name
                if not name.endswith(SUFFIX) or name.startswith("."):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # deleted meanwhile
                if stat.S_ISREG(info.st_mode) and _is_id(name[:-cut]):
                    out[name[:-cut]] = _file_mark(info)
        return out

    def mark(self, session_id: str) -> str | None:
        from chatcli.store.jsonl import SUFFIX

        check_id(session_id)
        try:
            info = os.lstat(self.root / f"{session_id}{SUFFIX}")
        except FileNotFoundError:
            return None
        return _file_mark(info) if stat.S_ISREG(info.st_mode) else None

    def order(self, mark: str) -> float:
        try:
            return float(mark.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return 0.0

    def replaced(self, old: str, new: str) -> bool:
        old_ino, old_size, _ = [*old.split(":"), "", "", ""][:3]
        new_ino, new_size, _ = [*new.split(":"), "", "", ""][:3]
        if old_ino != new_ino:
            return True  # a new file under the old name (a repair, a delete and re-create)
        try:
            return int(new_size) < int(old_size)
        except ValueError:
            return True


class RedisFeed:
    """Marks from the store's sorted set of ids: the score of each session's last line."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store

    def marks(self) -> dict[str, str]:
        store = self.store
        with store._guard():
            pairs = cast(
                list[tuple[bytes, float]], store._redis.zrange(store._index, 0, -1, withscores=True)
            )
        out: dict[str, str] = {}
        for member, score in pairs:
            try:
                session_id = member.decode()
            except UnicodeDecodeError:
                continue
            if _is_id(session_id):
                out[session_id] = repr(float(score))
        return out

    def mark(self, session_id: str) -> str | None:
        store = self.store
        check_id(session_id)
        with store._guard():
            score = store._redis.zscore(store._index, session_id)
        return None if score is None else repr(float(score))

    def order(self, mark: str) -> float:
        try:
            return float(mark)
        except ValueError:
            return 0.0

    def replaced(self, old: str, new: str) -> bool:
        return False  # a shorter log is found when it is read (CorruptLog), then re-read


class ReadEverything:
    """For a store with no cheap way to tell what changed: every session, every time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._turn = 0

    def marks(self) -> dict[str, str]:
        self._turn += 1
        return {session_id: f"pass-{self._turn}" for session_id in self.store.ids()}

    def mark(self, session_id: str) -> str | None:
        self._turn += 1
        return f"pass-{self._turn}" if self.store.exists(session_id) else None

    def order(self, mark: str) -> float:
        return 0.0

    def replaced(self, old: str, new: str) -> bool:
        return False


def feed_for(store: Store) -> Feed:
    """The cheapest feed that works for `store`."""
    from chatcli.store.jsonl import JsonlStore

    if isinstance(store, JsonlStore):
        return JsonlFeed(store)
    try:
        from chatcli.store.redis import RedisStore
    except ImportError:  # redis is a dependency, but a store needs no import it cannot use
        return ReadEverything(store)
    if isinstance(store, RedisStore):
        return RedisFeed(store)
    return ReadEverything(store)


def _file_mark(info: os.stat_result) -> str:
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def _is_id(name: str) -> bool:
    try:
        check_id(name)
    except ChatcliError:
        return False
    return True
