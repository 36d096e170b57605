"""`chatcli search` on the Redis store (a real redis-server): each machine keeps its
own index under its own data dir, fed incrementally from Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis

from chatcli.session import Session
from chatcli.session.store import Cursor
from chatcli.store.redis import RedisStore
from chatcli.store.search_index import SearchIndex
from tests.cli_helpers import cli_env, invoke
from tests.redis_server import RedisServer, unique_prefix

pytestmark = pytest.mark.redis


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return unique_prefix(request.node.name)


def machine(tmp_path: Path, name: str, server: RedisServer, prefix: str) -> dict[str, str]:
    """The environment of one machine: its own config and data dirs, the shared server."""
    home = tmp_path / name
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(f'redis_prefix = "{prefix}"\n')
    return cli_env(home, CHATCLI_STORE=server.url)


def found(env: dict[str, str], *words: str) -> set[str]:
    hits: list[dict[str, Any]] = invoke(["search", "--json", *words], env).ok().json()
    return {hit["session"] for hit in hits}


def test_search_on_redis_with_an_index_per_machine(
    tmp_path: Path, redis_server: RedisServer, prefix: str
) -> None:
    store = RedisStore.from_url(redis_server.url, prefix=prefix)
    one = machine(tmp_path, "one", redis_server, prefix)
    two = machine(tmp_path, "two", redis_server, prefix)
    for sid, question in [
        ("exact", "the code is zq100"),
        ("longer", "the code is zq1000"),
        ("trip", "the night train to Lisbon"),
        ("apart", "Lisbon at night, by train"),
    ]:
        session: Session[Any] = Session.create(store, session_id=sid, title=sid.title())
        session.add_message("user", question)
        session.add_message("assistant", "noted")
    assert found(one, "zq100") == {"exact"}
    assert found(one, "zq10*") == {"exact", "longer"}
    assert found(one, '"night train"') == {"trip"}
    assert found(one, "night", "train") == {"trip", "apart"}

    # the other machine builds its own index, in its own data dir
    assert found(two, "zq1000") == {"longer"}
    assert list((tmp_path / "one" / "data" / "search").iterdir())
    assert list((tmp_path / "two" / "data" / "search").iterdir())

    # a turn written on one machine is found by the other's next search
    Session.load(store, "trip").add_message("user", "and a capybara on board")
    assert found(two, "capybara") == {"trip"}

    # deleted: gone from both
    invoke(["sessions", "delete", "apart", "--yes"], one).ok()
    assert found(one, "lisbon") == {"trip"}
    assert found(two, "lisbon") == {"trip"}

    # a damaged log is skipped with a note; the others are still found
    raw = redis.Redis.from_url(redis_server.url)
    raw.rpush(f"{prefix}log:exact", b"not json\n")
    raw.zadd(f"{prefix}sessions", {"exact": 1e10})  # as a write would move its score
    run = invoke(["search", "--json", "code"], two).ok()
    assert {h["session"] for h in run.json()} == {"exact", "longer"}  # what was indexed stays
    assert "Skipped session 'exact'" in run.stderr
    store.close()
    raw.close()


def test_the_redis_feed_reads_only_new_list_elements(
    tmp_path: Path, redis_server: RedisServer, prefix: str
) -> None:
    store = CountingRedis.from_url(redis_server.url, prefix=prefix)
    assert isinstance(store, CountingRedis)
    session: Session[Any] = Session.create(store, session_id="s")
    session.add_message("user", "first words")
    index = SearchIndex.for_store(store, tmp_path / "data")
    assert [h.seq for h in index.search("first").hits] == [2]
    assert store.reads == [0]
    session.add_message("assistant", "second words")
    store.reads.clear()
    assert [h.seq for h in index.search("second").hits] == [3]
    assert store.reads == [2]  # from list index 2: only the new element
    store.reads.clear()
    index.search("words")
    assert store.reads == []
    store.close()


class CountingRedis(RedisStore):
    reads: list[int]

    def read(self, session_id: str, after: Cursor | None = None) -> Any:
        if not hasattr(self, "reads"):
            self.reads = []
        self.reads.append(after.pos if after else 0)
        return super().read(session_id, after)
