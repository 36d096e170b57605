"""RedisStore against a real redis-server: concurrency, outages, TTL, listing, secrets."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis

from chatcli.errors import ConfigError, StoreUnavailable
from chatcli.session import ChatMessage, Session, SessionRecord, list_sessions
from chatcli.session.records import dump_line
from chatcli.store import JsonlStore
from chatcli.store.redis import RedisStore

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

pytestmark = pytest.mark.redis

WORKERS = 8
PER_WORKER = 25


def _raw(store: RedisStore, url: str, session_id: str) -> list[bytes]:
    client = redis.Redis.from_url(url)
    try:
        return list(client.lrange(f"{store.prefix}log:{session_id}", 0, -1))
    finally:
        client.close()


def test_lines_are_byte_identical_to_the_jsonl_format(
    redis_store: RedisStore, redis_server: RedisServer, tmp_path: Path
) -> None:
    jsonl = JsonlStore(tmp_path / "sessions")
    records = [SessionRecord(id="same", title="Same"), ChatMessage(role="user", content="hé\n")]
    jsonl.create(records)
    redis_store.create(records)
    file_bytes = jsonl.path("same").read_bytes()
    assert b"".join(_raw(redis_store, redis_server.url, "same")) == file_bytes
    assert redis_store.read("same")[0] == jsonl.read("same")[0]


def _append_many(url: str, prefix: str, session_id: str, worker: int, barrier: Any) -> None:
    session = Session.load(RedisStore.from_url(url, prefix=prefix), session_id)
    barrier.wait()
    for i in range(PER_WORKER):
        session.add_message("user", f"{worker}-{i}")


def test_eight_processes_appending_at_once_get_every_entry_numbered_once(
    redis_store: RedisStore, redis_server: RedisServer
) -> None:
    Session.create(redis_store, session_id="busy")
    ctx = multiprocessing.get_context("fork")  # spawn would spend seconds on imports
    barrier = ctx.Barrier(WORKERS)
    workers = [
        ctx.Process(
            target=_append_many,
            args=(redis_server.url, redis_store.prefix, "busy", w, barrier),
        )
        for w in range(WORKERS)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    records, cursor = redis_store.read("busy")
    assert [r.seq for r in records] == list(range(1, WORKERS * PER_WORKER + 2))
    contents = [r.content for r in records if isinstance(r, ChatMessage)]
    assert sorted(contents) == sorted(f"{w}-{i}" for w in range(WORKERS) for i in range(PER_WORKER))
    assert cursor.seq == cursor.pos == len(records)
    (summary,) = redis_store.summaries()
    assert summary.messages == WORKERS * PER_WORKER


def test_a_stopped_server_is_one_clear_sentence_and_nothing_acknowledged_is_lost(
    redis_server_factory: type[RedisServer],
) -> None:
    server = redis_server_factory().start()
    store = RedisStore.from_url(server.url, timeout=1.0)
    session = Session.create(store, session_id="outage")
    session.add_message("user", "before")
    server.stop()  # SIGKILL, mid-session

    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        session.add_message("user", "while down")
    assert time.monotonic() - started < 5.0  # no hang: fails at once, not after retries
    sentence = caught.value.sentence()
    assert sentence == (
        f"Cannot reach the Redis store at 127.0.0.1:{server.port} (connection refused). "
        "Check that redis-server is running there and reachable, then try again."
    )
    assert "\n" not in sentence and "Traceback" not in sentence
    with pytest.raises(StoreUnavailable):
        store.summaries()

    server.start()  # same folder: the append-only file is replayed
    session.add_message("user", "after")
    reloaded = Session.load(store, "outage")
    assert [m.content for m in reloaded.messages] == ["before", "after"]
    assert [r.seq for r in reloaded.records] == [1, 2, 3]


def test_a_hung_server_fails_within_the_timeout(
    redis_server_factory: type[RedisServer],
) -> None:
    server = redis_server_factory().start()
    store = RedisStore.from_url(server.url, timeout=0.5)
    session = Session.create(store, session_id="hung")
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"did not answer within 0\.5 s"):
            session.add_message("user", "into the void")
        assert time.monotonic() - started < 5.0  # bounded by the timeout, not hung
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    session.refresh()
    session.add_message("user", "back")
    assert Session.load(store, "hung").messages[-1].content == "back"


def test_ttl_expiry_removes_a_session_and_its_index_entry(
    redis_server: RedisServer, redis_store: RedisStore
) -> None:
    """A write puts the whole TTL back; a log that expires takes its summary and index
    entry with it. No sleeps against the TTL: expiry is brought forward by hand."""
    prefix = redis_store.prefix
    ttl = timedelta(hours=1)
    store = RedisStore.from_url(redis_server.url, prefix=prefix, ttl=ttl)
    client = redis.Redis.from_url(redis_server.url)
    short = Session.create(store, session_id="short")
    Session.create(store, session_id="kept")
    for key in (f"{prefix}log:short", f"{prefix}summary:short"):
        client.pexpire(key, 60_000)  # as if most of the hour had passed

    short.add_message("user", "keeps it alive")  # a write refreshes the TTL

    for key in (f"{prefix}log:short", f"{prefix}summary:short"):
        assert 60_000 < client.pttl(key) <= ttl.total_seconds() * 1000
    for key in (f"{prefix}log:kept", f"{prefix}summary:kept", f"{prefix}writes:kept"):
        client.pexpire(key, 1)  # the hour is up for "kept"
    _until(lambda: not client.exists(f"{prefix}log:kept", f"{prefix}summary:kept"))
    assert store.ids() == ["short"]
    assert not store.exists("kept")
    for key in (f"{prefix}log:short", f"{prefix}summary:short", f"{prefix}writes:short"):
        client.pexpire(key, 1)
    _until(lambda: not client.exists(f"{prefix}log:short", f"{prefix}summary:short"))
    assert not store.exists("short")
    assert store.summaries() == []
    assert client.zcard(f"{prefix}sessions") == 0
    assert client.keys(f"{prefix}*") == []
    client.close()


def _until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait for redis to act on an expiry (it is due at once; this only bounds a stall)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "redis never expired the keys"
        time.sleep(0.01)


def test_summaries_list_newest_first_from_the_cache_and_follow_restores(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Session.create(redis_store, session_id="old", title="Old", model="m1")
    new = Session.create(redis_store, session_id="new", title="New")
    new.add_message("user", "one")
    mark = new.checkpoint("one")
    new.add_message("user", "two")
    old.rename("Old, renamed")
    old.add_message("user", "hello")
    assert [s.id for s in redis_store.summaries()] == ["old", "new"]
    assert [s.id for s in list_sessions(redis_store)] == ["old", "new"]

    new.restore(mark.id)  # the message count goes back: only a replay can tell
    rebuilt: list[str] = []
    real = redis_store._rebuild
    monkeypatch.setattr(redis_store, "_rebuild", lambda ids: rebuilt.extend(ids) or real(ids))
    by_id = {s.id: s for s in redis_store.summaries()}
    assert rebuilt == ["new"]
    assert (by_id["new"].messages, by_id["old"].messages) == (1, 1)
    assert (by_id["old"].title, by_id["old"].model) == ("Old, renamed", "m1")
    assert by_id["new"].updated == new.view.updated

    new.add_message("user", "three")  # the rebuilt cache is kept up to date in place
    rebuilt.clear()
    by_id = {s.id: s for s in redis_store.summaries()}
    assert rebuilt == [] and by_id["new"].messages == 2
    assert [s.id for s in redis_store.summaries()] == ["new", "old"]


def test_the_password_is_never_stored_logged_or_shown(
    redis_server_factory: type[RedisServer],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secret = "s3cret-Redis-pw-7f2e"
    caplog.set_level(logging.DEBUG)
    server = redis_server_factory("--requirepass", secret).start()
    errors: list[str] = []

    store = RedisStore.from_url(server.url, password=secret)
    in_url = RedisStore.from_url(f"redis://:{secret}@127.0.0.1:{server.port}/0", prefix="u:")
    for each in (store, in_url):
        session = Session.create(each, title="private")
        session.add_message("user", "hello")
        each.summaries()
        assert each.location(session.id).startswith(f"redis://127.0.0.1:{server.port}/0 ")
        errors += [each.location(), each.location(session.id), repr(each), session.location]

    for wrong in (RedisStore.from_url(server.url), RedisStore.from_url(server.url, password="x")):
        with pytest.raises(StoreUnavailable, match="refused the credentials") as caught:
            wrong.summaries()
        errors.append(caught.value.sentence())
    server.stop()
    with pytest.raises(StoreUnavailable) as caught:
        store.read(session.id)
    errors.append(caught.value.sentence())

    stored = b"".join(path.read_bytes() for path in server.files())
    assert b"hello" in stored  # the append-only file holds the data ...
    assert secret.encode() not in stored  # ... and never the password
    said = "\n".join([*errors, caplog.text, *capfd.readouterr()])
    assert secret not in said


def test_urls_are_checked_and_shown_without_secrets() -> None:
    store = RedisStore.from_url("redis://user:pw@db.example:6380/3", prefix="x:")
    assert store.location("abc") == "redis://db.example:6380/3 x:log:abc"
    assert RedisStore.from_url("redis://[::1]").location() == "redis://[::1]:6379/0 chatcli:"
    with pytest.raises(ConfigError):
        RedisStore.from_url("http://127.0.0.1:6379")
    with pytest.raises(ConfigError):
        RedisStore.from_url("redis://127.0.0.1:6379/zero")
    with pytest.raises(ConfigError):
        RedisStore.from_url("redis://127.0.0.1", ttl=timedelta(0))


def test_an_append_is_one_round_trip(redis_store: RedisStore) -> None:
    session = Session.create(redis_store, session_id="fast")
    calls: list[tuple[Any, ...]] = []
    real = redis_store._redis.execute_command

    def counting(*args: Any, **options: Any) -> Any:
        calls.append(args)
        return real(*args, **options)

    redis_store._redis.execute_command = counting  # type: ignore[method-assign]
    session.add_message("user", "one trip")
    assert [c[0] for c in calls] == ["EVALSHA"]
    assert dump_line(session.records[-1]) in _raw_via(redis_store, "fast")


def _raw_via(store: RedisStore, session_id: str) -> list[bytes]:
    return list(store._redis.lrange(f"{store.prefix}log:{session_id}", 0, -1))


def test_a_stale_writer_is_handed_the_others_lines_and_numbered_after_them(
    redis_store: RedisStore,
) -> None:
    first = Session.create(redis_store, session_id="two")
    second = Session.load(redis_store, "two")
    first.add_message("user", "from the first")
    seen: list[list[int]] = []

    def make(others: Any) -> list[ChatMessage]:
        seen.append([r.seq for r in others])
        return [ChatMessage(role="user", content="from the second")]

    result = redis_store.append("two", second.cursor, make)
    assert seen == [[], [2]]  # optimistic first, then again with what the first wrote
    assert [r.seq for r in result.written] == [3]
    assert result.cursor.seq == result.cursor.pos == 3
