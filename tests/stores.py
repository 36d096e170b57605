"""Every store the contract suite runs against, behind one `store` fixture.

`STORES` maps a store's name to the fixture that builds it. Adding a backend is
one line here plus its fixture (wherever fixtures are visible), e.g.
`"redis": "redis_store"` next to a `redis_store` fixture that starts a real
`redis-server`. tests/conftest.py registers this file (and tests.redis_server) as plugins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatcli.session import Store
from chatcli.store import JsonlStore, MemoryStore

STORES: dict[str, str] = {
    "jsonl": "jsonl_store",
    "memory": "memory_store",
    "redis": "redis_store",
}
"""Store name → name of the fixture that returns a fresh, empty store."""


@pytest.fixture
def jsonl_store(tmp_path: Path) -> JsonlStore:
    """The default store, in a sessions folder of its own."""
    return JsonlStore(tmp_path / "sessions")


@pytest.fixture
def memory_store() -> MemoryStore:
    """The in-memory store."""
    return MemoryStore()


@pytest.fixture(params=list(STORES))
def store(request: pytest.FixtureRequest) -> Store:
    """Each store in `STORES` in turn, fresh and empty."""
    built: Store = request.getfixturevalue(STORES[request.param])
    return built
