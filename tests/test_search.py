"""`chatcli search`: a full-text index over every session, built and queried as a person does.

Sessions are written through the real store (JSONL files here; the same on a real
redis-server in test_search_redis.py), searched through the CLI, and the index's
file is checked as the store's own files are.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatcli.session import ChatMessage, Session, SessionRecord
from chatcli.session.store import Cursor
from chatcli.store.jsonl import JsonlStore
from chatcli.store.memory import MemoryStore
from chatcli.store.search_index import SearchIndex
from chatcli.store.search_query import parse_query
from tests.cli_helpers import (
    assert_one_error_line,
    assert_usage_error,
    cli_env,
    invoke,
    make_session,
    run_cli,
    sessions_dir,
    store_for,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home)


def search(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = invoke(["search", "--json", *args], env).ok().json()
    return found


def sessions_of(env: dict[str, str], *args: str) -> set[str]:
    return {hit["session"] for hit in search(env, "--limit", "1000", *args)}


def a_few_sessions(home: Path) -> None:
    make_session(home, "exact", [("the code is zq100 today", "noted zq100")], title="Exact")
    make_session(home, "longer", [("the code is zq1000 now", "noted")], title="Longer")
    make_session(
        home, "phrase", [("we take the night train to Lisbon", "a fine plan")], title="Trip"
    )
    make_session(home, "apart", [("Lisbon is far; a train at night", "yes")], title="Apart")


def test_words_match_whole_tokens_phrases_in_a_row_and_prefixes(
    home: Path, env: dict[str, str]
) -> None:
    a_few_sessions(home)
    assert sessions_of(env, "zq100") == {"exact"}
    assert sessions_of(env, "zq1000") == {"longer"}
    assert sessions_of(env, "ZQ100") == {"exact"}  # any case
    assert sessions_of(env, "zq10*") == {"exact", "longer"}
    assert sessions_of(env, "night", "train") == {"phrase", "apart"}  # every word, anywhere
    assert sessions_of(env, '"night train"') == {"phrase"}  # in a row
    assert sessions_of(env, "lisbon", "zq100") == set()
    hit = search(env, '"night train"')[0]
    assert set(hit) >= {"session", "title", "seq", "role", "ts", "snippet", "active"}
    assert (hit["title"], hit["seq"], hit["role"], hit["active"]) == ("Trip", 2, "user", True)
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "night train"


def test_the_text_output_names_the_session_and_shows_the_snippet(
    home: Path, env: dict[str, str]
) -> None:
    a_few_sessions(home)
    out = invoke(["search", "lisbon"], env).ok().stdout
    assert "Trip" in out and "phrase #2 user" in out
    assert "we take the night train to Lisbon" in out
    assert invoke(["search", "nowhere"], env).ok().stdout == "No message matches 'nowhere'.\n"


@pytest.mark.parametrize(
    "typed",
    [
        '"unbalanced',
        'a"b',
        "AND",
        "OR NOT",
        "NEAR(zq100 lisbon)",
        "content:zq100",
        "^zq100",
        "+zq100 -lisbon",
        "(zq100",
        "zq100)",
        "*",
        "**zq100",
        '""',
        "'; DROP TABLE messages; --",
        "zq100 \x00 \\",
        "🙂 zq100",
    ],
)
def test_anything_typed_is_safe(home: Path, env: dict[str, str], typed: str) -> None:
    a_few_sessions(home)
    run = invoke(["search", "--json", typed], env)
    if parse_query(typed):
        assert isinstance(run.ok().json(), list)
    else:
        assert_one_error_line(run, "Nothing to search for")
    assert sessions_of(env, "zq100") == {"exact"}  # and the index is as it was


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_no_query_makes_sqlite_fail(typed: str) -> None:
    index = _memory_index()
    for prefix_last in (False, True):
        assert isinstance(index.search(typed, prefix_last=prefix_last).hits, list)


_INDEX: dict[str, SearchIndex] = {}


def _memory_index() -> SearchIndex:
    """One small index for the property test (built once)."""
    if "it" not in _INDEX:
        store = MemoryStore()
        session: Session[Any] = Session.create(store, session_id="m")
        session.add_message("user", 'text with "quotes", AND OR NOT NEAR and * stars')
        folder = Path(os.environ["CHATCLI_DATA_DIR"]) / "property-index"
        _INDEX["it"] = SearchIndex.for_store(store, folder)
    return _INDEX["it"]


def test_a_message_appended_after_the_build_is_found_next_time(
    home: Path, env: dict[str, str]
) -> None:
    a_few_sessions(home)
    assert sessions_of(env, "capybara") == set()
    session = Session.load(store_for(home), "phrase")
    session.add_message("assistant", "a capybara boards the train")
    assert [(h["session"], h["seq"]) for h in search(env, "capybara")] == [("phrase", 4)]


def test_catching_up_reads_only_the_new_lines(home: Path) -> None:
    store = CountingStore(sessions_dir(home))
    make_session(home, "s", [("first words", "first reply")])
    index = SearchIndex.for_store(store, home / "data")
    index.catch_up()
    assert store.reads == [("s", 0)]
    size = store.path("s").stat().st_size
    Session.load(JsonlStore(sessions_dir(home)), "s").add_message("user", "second words")
    store.reads.clear()
    assert [h.seq for h in index.search("second").hits] == [4]
    assert store.reads == [("s", size)]  # from where the last catch-up stopped
    store.reads.clear()
    index.search("second")
    assert store.reads == []  # nothing changed: no log is opened


class CountingStore(JsonlStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[tuple[str, int]] = []

    def read(self, session_id: str, after: Cursor | None = None) -> Any:
        self.reads.append((session_id, after.pos if after else 0))
        return super().read(session_id, after)


def test_a_deleted_session_leaves_the_results(home: Path, env: dict[str, str]) -> None:
    a_few_sessions(home)
    assert sessions_of(env, "train") == {"phrase", "apart"}
    invoke(["sessions", "delete", "apart", "--yes"], env).ok()
    assert sessions_of(env, "train") == {"phrase"}


def test_a_corrupted_session_is_skipped_with_a_note_and_the_others_are_found(
    home: Path, env: dict[str, str]
) -> None:
    a_few_sessions(home)
    make_session(home, "broken", [("a train of thought", "indeed")])
    path = sessions_dir(home) / "broken.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"seq":2', b'"seq":9'))
    run = invoke(["search", "--json", "train"], env).ok()
    assert {h["session"] for h in run.json()} == {"phrase", "apart"}
    assert "Skipped session 'broken'" in run.stderr and "broken.jsonl:2" in run.stderr
    # fixed: found on the next search, and the note is gone
    path.write_bytes(path.read_bytes().replace(b'"seq":9', b'"seq":2'))
    run = invoke(["search", "--json", "train"], env).ok()
    assert {h["session"] for h in run.json()} == {"phrase", "apart", "broken"}
    assert "Skipped" not in run.stderr


def test_a_session_broken_after_indexing_keeps_what_was_indexed(
    home: Path, env: dict[str, str]
) -> None:
    make_session(home, "s", [("a wombat", "burrows")])
    assert sessions_of(env, "wombat") == {"s"}
    with (sessions_dir(home) / "s.jsonl").open("ab") as log:
        log.write(b"not json\n")
    run = invoke(["search", "--json", "wombat"], env).ok()
    assert [h["session"] for h in run.json()] == ["s"]
    assert "Skipped session 's'" in run.stderr and "not valid JSON" in run.stderr


def test_rolled_back_messages_are_found_and_marked_and_follow_the_view(
    home: Path, env: dict[str, str]
) -> None:
    session = make_session(home, "s", [("keep this aardvark", "kept")])
    first = session.checkpoint("one turn")
    session.add_message("user", "an okapi question")
    second = session.checkpoint("two turns")
    assert [h["active"] for h in search(env, "okapi")] == [True]
    session.restore(first.id)
    assert [h["active"] for h in search(env, "okapi")] == [False]
    assert [h["active"] for h in search(env, "aardvark")] == [True]
    session.add_message("user", "a new branch about a quokka")
    assert [h["active"] for h in search(env, "quokka")] == [True]
    session.restore(second.id)  # undo the restore: the okapi is back, the quokka is not
    assert [h["active"] for h in search(env, "okapi")] == [True]
    assert [h["active"] for h in search(env, "quokka")] == [False]
    out = invoke(["search", "quokka"], env).ok().stdout
    assert "(rolled back)" in out


def test_filters_sort_and_limit(home: Path, env: dict[str, str]) -> None:
    store = store_for(home)
    for n in range(5):
        ts = f"2026-01-0{n + 1}T12:00:00.000000Z"
        store.create(
            [
                SessionRecord(id=f"s{n}", ts=ts, created=ts, title=f"Day {n}"),
                ChatMessage(role="user", content="what about llamas" + " x" * n, ts=ts),
                ChatMessage(role="assistant", content="llamas llamas llamas", ts=ts),
            ]
        )
    newest = search(env, "llamas", "--sort", "newest", "--role", "user")
    assert [h["session"] for h in newest] == ["s4", "s3", "s2", "s1", "s0"]
    best = search(env, "llamas", "--limit", "3")
    assert [h["role"] for h in best] == ["assistant"] * 3  # three times the word ranks first
    assert [h["session"] for h in best] == ["s4", "s3", "s2"]  # equals: newer first
    assert [h["seq"] for h in search(env, "llamas", "--session", "s2")] == [3, 2]
    assert_one_error_line(invoke(["search", "llamas", "--session", "nope"], env), "nope")
    assert_one_error_line(invoke(["search", "llamas", "--session", "../x"], env), "not a valid")
    assert_usage_error(invoke(["search", "llamas", "--role", "tool"], env), "--role")
    assert_usage_error(invoke(["search", "llamas", "--limit", "0"], env), "--limit")
    assert_usage_error(invoke(["search"], env), "Give a word")


def test_the_index_is_a_private_file_under_the_data_dir(home: Path, env: dict[str, str]) -> None:
    a_few_sessions(home)
    run_cli(["search", "zq100"], env, umask=0).ok()
    folder = home / "data" / "search"
    files = list(folder.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_link_where_the_index_goes_is_refused_and_not_followed(
    home: Path, env: dict[str, str]
) -> None:
    a_few_sessions(home)
    index = SearchIndex.for_store(store_for(home), home / "data")
    target = home / "elsewhere"
    target.write_bytes(b"")
    index.path.parent.mkdir(parents=True, mode=0o700)
    index.path.symlink_to(target)
    assert_one_error_line(invoke(["search", "zq100"], env), "symbolic link")
    assert target.read_bytes() == b""


def test_a_damaged_index_is_rebuilt_and_reindex_builds_afresh(
    home: Path, env: dict[str, str]
) -> None:
    a_few_sessions(home)
    assert sessions_of(env, "zq100") == {"exact"}
    index = SearchIndex.for_store(store_for(home), home / "data")
    index.path.write_bytes(os.urandom(4096))
    assert sessions_of(env, "zq100") == {"exact"}
    run = invoke(["search", "--reindex"], env).ok()
    assert "Indexed 8 messages in 4 sessions." in run.stderr
    doctor = invoke(["sessions", "doctor"], env).ok().stdout
    assert "Search index: 8 messages in 4 sessions, up to date." in doctor


def test_a_first_build_shows_progress_on_stderr(home: Path, env: dict[str, str]) -> None:
    store = store_for(home)
    for n in range(210):
        store.create(
            [SessionRecord(id=f"s{n}"), ChatMessage(role="user", content=f"note number{n}")]
        )
    run = run_cli(["search", "--json", "number7"], env).ok()
    assert [h["session"] for h in json.loads(run.stdout)] == ["s7"]
    assert "Indexing 210 sessions for search" in run.stderr
    assert "Indexed 210 sessions in" in run.stderr
    again = run_cli(["search", "number8"], env).ok()
    assert again.stderr == ""  # caught up: nothing to show


def test_sessions_list_search_uses_the_index(home: Path, env: dict[str, str]) -> None:
    a_few_sessions(home)
    found = invoke(["sessions", "list", "--json", "--search", "zq100"], env).ok().json()
    assert [s["id"] for s in found] == ["exact"]
    assert (home / "data" / "search").is_dir()


def test_the_index_matches_the_logs_after_any_mix_of_writes(home: Path) -> None:
    """Appends, restores, deletes, new sessions and a rewritten log, in a seeded random
    order: after each catch-up every word finds exactly the messages that hold it, with
    the active flag the session's own replay gives, and SQLite finds the index sound."""
    import random

    from chatcli.session.replay import replay

    rng = random.Random(5)
    words = ["ant", "bee", "cat", "dog", "eel", "fox"]
    store = store_for(home)
    index = SearchIndex.for_store(store, home / "data")
    live: dict[str, Session[Any]] = {}
    for step in range(120):
        action = rng.random()
        if action < 0.1 or not live:
            sid = f"s{step}"
            live[sid] = Session.create(store, session_id=sid)
        elif action < 0.15:
            sid = rng.choice(sorted(live))
            store.delete(sid)
            del live[sid]
        elif action < 0.3:
            session = rng.choice(list(live.values()))
            snaps = session.checkpoints
            if snaps:
                session.restore(rng.choice(snaps).record.id)
        elif action < 0.35:
            sid = rng.choice(sorted(live))
            path = store.path(sid)
            copy = path.with_name("copy.tmp")
            copy.write_bytes(path.read_bytes())
            os.replace(copy, path)  # a new file under the old name (as a repair leaves it)
        else:
            session = rng.choice(list(live.values()))
            session.add_message("user", " ".join(rng.choices(words, k=3)))
            if rng.random() < 0.5:
                session.checkpoint(auto=True)
        if step % 10 == 9:
            index.catch_up()
            assert index.check() is None
            for word in words:
                expected = set()
                for sid in live:
                    records, _ = store.read(sid)
                    active = {m.seq for m in replay(records).messages()}
                    for r in records:
                        if isinstance(r, ChatMessage) and word in r.content.split():
                            expected.add((sid, r.seq, r.seq in active))
                hits = index.search(word, limit=100_000, catch_up=False).hits
                assert {(h.session, h.seq, h.active) for h in hits} == expected, word


def test_paths_names_the_index_folder(home: Path, env: dict[str, str]) -> None:
    rows = {
        line[:12].strip(): line[12:].strip()
        for line in invoke(["paths"], env).ok().stdout.splitlines()
    }
    assert rows["search"] == str(home / "data" / "search")


def test_a_word_in_very_many_messages_ranks_the_newest(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatcli.store import search_results

    monkeypatch.setattr(search_results, "RANKED_AT_MOST", 3)
    store = store_for(home)
    for n in range(6):
        ts = f"2026-01-0{n + 1}T12:00:00.000000Z"
        store.create(
            [SessionRecord(id=f"s{n}", ts=ts), ChatMessage(role="user", content="yak", ts=ts)]
        )
        os.utime(store.path(f"s{n}"), (n + 1, n + 1))  # indexed oldest first
    index = SearchIndex.for_store(store, home / "data")
    assert [h.session for h in index.search("yak").hits] == ["s5", "s4", "s3"]
    assert [h.session for h in index.search("yak", sort="newest").hits] == ["s5", "s4", "s3"]
