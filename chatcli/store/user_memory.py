"""Where user memory lives: the same kind of store as the sessions, kept apart from them.

- Files: `<data dir>/memory/user.jsonl`, a JsonlStore of its own (0700 folder, 0600
  file, the same locked, fsynced append and torn-tail handling), so it is never
  listed, searched or pruned as a session.
- Redis: the same server, under `<prefix>memory:` (the log is
  `<prefix>memory:log:user`), so every machine on that server shares it; it
  never expires, whatever TTL the sessions have.
- Memory: a MemoryStore of its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chatcli.session.store import Store
from chatcli.session.user_memory import USER_LOG
from chatcli.store.jsonl import JsonlStore
from chatcli.store.memory import MemoryStore

REDIS_PART = "memory:"
"""What follows the sessions' key prefix in user memory's keys."""


def memory_store_for(store: Store, folder: Path) -> Store:
    """The store that keeps user memory beside `store` (`folder` for files)."""
    redis_module = sys.modules.get("chatcli.store.redis")  # loaded if `store` is one
    if redis_module is not None and isinstance(store, redis_module.RedisStore):
        companion: Store = store.companion(f"{store.prefix}{REDIS_PART}")
        return companion
    if isinstance(store, MemoryStore):
        return type(store)()  # a store of the same kind (tests stamp their times)
    lock_timeout = store.lock_timeout if isinstance(store, JsonlStore) else 10.0
    return JsonlStore(folder, lock_timeout=lock_timeout)


__all__ = ["REDIS_PART", "USER_LOG", "memory_store_for"]
