"""A Redis write whose reply is lost is sent again and stored exactly once.

The script runs on a real redis-server; a proxy in between (tests/redis_proxy.py)
closes the connection after the server replied and before the client sees the
reply, or the server is SIGKILLed at that moment and started again. The store
resends the same write (with its write id) and must neither lose nor repeat it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import redis

from chatcli.session import ChatMessage, Session
from chatcli.store.redis import RedisStore
from chatcli.store.redis_scripts import RECENT_WRITES
from tests.redis_proxy import ReplyDropper
from tests.redis_server import unique_prefix

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
def proxy(redis_server: RedisServer) -> Iterator[ReplyDropper]:
    """A reply-dropping proxy in front of the shared redis-server."""
    dropper = ReplyDropper(redis_server.port)
    try:
        yield dropper
    finally:
        dropper.close()


def _store(url: str, name: str, **options: object) -> RedisStore:
    return RedisStore.from_url(url, prefix=unique_prefix(name), **options)  # type: ignore[arg-type]


def _contents(store: RedisStore, session_id: str) -> list[str]:
    records, _ = store.read(session_id)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    return [r.content for r in records if isinstance(r, ChatMessage)]


@pytest.mark.parametrize("lost", [1, 3], ids=["one lost reply", "three in a row"])
def test_an_append_whose_reply_was_lost_is_stored_once(
    proxy: ReplyDropper, request: pytest.FixtureRequest, lost: int
) -> None:
    # One lost reply is resent by redis-py's own retry; three outlast it, so the
    # store's resend loop must carry the write id through.
    store = _store(proxy.url, request.node.name, timeout=2.0)
    session = Session.create(store, session_id="once")
    session.add_message("user", "before")
    proxy.drop(lost)

    message = session.add_message("user", "the lost reply")

    assert proxy.dropped == lost  # the script really ran, and its reply really was lost
    assert message.seq == 3
    assert _contents(store, "once") == ["before", "the lost reply"]
    session.add_message("user", "after")
    assert [m.content for m in Session.load(store, "once").messages] == [
        "before",
        "the lost reply",
        "after",
    ]
    assert session.cursor == Session.load(store, "once").cursor


def test_a_create_whose_reply_was_lost_is_not_taken_for_someone_elses(
    proxy: ReplyDropper, request: pytest.FixtureRequest
) -> None:
    store = _store(proxy.url, request.node.name, timeout=2.0)
    Session.create(store, session_id="warm")  # the create script is loaded
    proxy.drop(3)
    session = Session.create(store, session_id="new", title="mine")
    assert proxy.dropped == 3
    assert Session.load(store, "new").title == "mine"
    session.add_message("user", "hello")
    assert _contents(store, "new") == ["hello"]


def test_the_server_killed_between_the_write_and_the_reply_loses_and_repeats_nothing(
    redis_server_factory: type[RedisServer],
) -> None:
    server = redis_server_factory().start()  # appendfsync always: the write is on disk
    dropper = ReplyDropper(server.port)
    restarted = threading.Event()

    def kill_then_restart() -> None:
        server.stop()  # SIGKILL, holding the reply it just sent

        def restart() -> None:
            server.start()
            restarted.set()

        threading.Timer(0.3, restart).start()

    try:
        store = RedisStore.from_url(dropper.url, timeout=2.0, retry_for=60.0)
        session = Session.create(store, session_id="killed")
        session.add_message("user", "before")
        dropper.on_drop = kill_then_restart
        dropper.drop(1)

        message = session.add_message("user", "through a restart")

        assert restarted.wait(30)
        assert dropper.dropped == 1
        assert message.seq == 3
        direct = RedisStore.from_url(server.url)
        assert _contents(direct, "killed") == ["before", "through a restart"]
        session.add_message("user", "after")
        assert _contents(direct, "killed") == ["before", "through a restart", "after"]
    finally:
        dropper.close()


def test_write_ids_are_bounded_expire_with_the_session_and_go_with_it(
    redis_server: RedisServer, request: pytest.FixtureRequest
) -> None:
    store = _store(redis_server.url, request.node.name, ttl=timedelta(hours=1))
    client = redis.Redis.from_url(redis_server.url)
    writes = f"{store.prefix}writes:ids"
    session = Session.create(store, session_id="ids")
    for i in range(RECENT_WRITES + 10):
        session.add_message("user", f"m{i}")
    assert client.zcard(writes) == RECENT_WRITES
    newest = client.zrange(writes, -1, -1, withscores=True)
    assert newest[0][1] == RECENT_WRITES + 11  # the log length that write left
    # one script sets both expiries, so they fall due at the same instant (two PTTL
    # calls would be read a few milliseconds apart)
    assert client.pttl(writes) > 0
    assert client.pexpiretime(writes) == client.pexpiretime(f"{store.prefix}log:ids")
    store.delete("ids")
    assert client.exists(writes) == 0
    client.close()
