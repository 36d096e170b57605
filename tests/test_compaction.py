"""Compaction lines in the log, the request budget and recall, without a model server.

Counting is litellm's real token counter (chatcli.llm.context_window.ModelSizes)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from chatcli.chat.budget import Fitter
from chatcli.chat.recall import recall, search
from chatcli.errors import CorruptLog
from chatcli.llm.context_window import ModelSizes, Window, reply_reserve
from chatcli.session import Session
from chatcli.session.context import using_session
from chatcli.session.records import CompactionRecord, parse_line
from chatcli.session.verify import verify_records
from chatcli.store.jsonl import JsonlStore

MODEL = "openai/test-model"


@pytest.fixture
def store(tmp_path: Path) -> JsonlStore:
    return JsonlStore(tmp_path / "sessions")


def chat(store: JsonlStore, turns: int, sid: str = "s", pad: str = "") -> Session[Any]:
    session: Session[Any] = Session.create(store, session_id=sid, model=MODEL)
    for n in range(1, turns + 1):
        session.add_message("user", f"question {n}{pad}")
        session.add_message("assistant", f"answer {n}{pad}", end_turn=f"turn {n}")
    return session


def compaction(last: int, messages: int, first: int = 2, summary: str = "S") -> CompactionRecord:
    return CompactionRecord(summary=summary, first=first, last=last, messages=messages, model=MODEL)


def test_a_compaction_is_in_force_until_a_restore_from_before_it(store: JsonlStore) -> None:
    session = chat(store, 4)  # messages are seqs 2,3 then 5,6 … (a checkpoint after each turn)
    before = session.checkpoints[-1].record.id
    written = session.add_compaction(compaction(last=6, messages=4))
    assert written is not None and written.seq == session.view.last_seq
    session.add_message("user", "question 5")
    session.add_message("assistant", "answer 5", end_turn="turn 5")
    after = session.checkpoints[-1].record.id
    assert session.view.compaction == written
    assert session.view.message_count == 10, "no message left the view"

    session.restore(before)
    assert session.view.compaction is None
    session.restore(after)
    assert session.view.compaction == written

    reloaded = Session.load(store, "s")
    assert reloaded.view.compaction == written and reloaded.view.compactions == 1
    assert verify_records(reloaded.records, "s") == []


def test_a_compaction_line_round_trips_and_older_lines_keep_their_meaning() -> None:
    from chatcli.session.records import dump_line

    record = dataclasses.replace(compaction(last=6, messages=4), seq=9)
    line = dump_line(record)
    assert json.loads(line)["type"] == "compaction"
    assert parse_line(line.rstrip(b"\n")) == record
    old = b'{"type":"message","seq":2,"ts":"2026-01-01T00:00:00Z","role":"user","content":"hi"}'
    assert parse_line(old).role == "user"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (compaction(last=4, messages=2), "not a message of the view"),  # seq 4 is a checkpoint
        (compaction(last=99, messages=2), "not a message of the view"),
        (compaction(last=3, messages=2, first=5), "first seq is after its last"),
    ],
)
def test_doctor_reports_a_compaction_that_makes_no_sense(
    store: JsonlStore, record: CompactionRecord, reason: str
) -> None:
    session = chat(store, 2)
    records = [*session.records, dataclasses.replace(record, seq=8)]
    problems = verify_records(records, "s")
    assert [(p.line, reason in p.reason) for p in problems] == [(8, True)]


def test_a_second_compaction_must_go_past_the_first(store: JsonlStore) -> None:
    session = chat(store, 3)
    assert session.add_compaction(compaction(last=6, messages=4)) is not None
    assert session.add_compaction(compaction(last=3, messages=2)) is None, "not written"
    assert session.view.compactions == 1
    assert Session.load(store, "s").view.compactions == 1


def test_a_log_with_a_bad_compaction_is_refused_with_its_line(store: JsonlStore) -> None:
    session = chat(store, 2)
    path = Path(session.location)
    bad = dataclasses.replace(compaction(last=4, messages=2), seq=8)
    from chatcli.session.records import dump_line

    path.write_bytes(path.read_bytes() + dump_line(bad))
    with pytest.raises(CorruptLog) as caught:
        Session.load(store, "s")
    assert caught.value.line == 8


# -- the budget ----------------------------------------------------------------------------


def test_the_window_order_env_then_litellm_then_config_then_default() -> None:
    assert ModelSizes(override=2000).window("gpt-4o-mini") == Window(
        2000, 500, "CHATCLI_CONTEXT_WINDOW"
    )
    known = ModelSizes(configured={"gpt-4o-mini": 999}).window("gpt-4o-mini")
    assert known.source == "litellm" and known.tokens == 128000
    assert ModelSizes(configured={MODEL: 3000}).window(MODEL) == Window(3000, 750, "config")
    assert ModelSizes().window(MODEL) == Window(8192, 2048, "default")
    assert reply_reserve(100_000) == 4096


def test_a_message_too_big_for_the_window_is_cut_in_the_request_not_the_log(
    store: JsonlStore,
) -> None:
    session = chat(store, 1)
    huge = "word " * 5000
    session.add_message("user", huge)
    fitter = Fitter(ModelSizes(override=2000), "s", MODEL)
    request = fitter.build(session.view, "You are terse.")
    assert request.tokens <= fitter.window.limit
    assert request.cut == [session.view.head.message.seq]  # type: ignore[union-attr]
    sent = request.messages[-1]["content"]
    assert "left out of the request to fit the context window" in sent
    assert sent.startswith("word word") and len(sent) < len(huge)
    assert Session.load(store, "s").messages[-1].content == huge, "the log keeps it whole"


def test_a_long_session_walks_only_its_tail(store: JsonlStore) -> None:
    session = chat(store, 200, pad=" and some more words to say" * 6)
    counted: list[Any] = []

    class Counting(ModelSizes):
        def count_message(self, model: str, message: Any, key: Any = None) -> int:
            counted.append(key)
            return super().count_message(model, message, key)

    fitter = Fitter(Counting(override=2000), "s", MODEL)
    request = fitter.build(session.view, "sys")
    assert not request.complete and request.tokens <= fitter.window.limit
    assert len(counted) < 150, "the walk stops about two windows back, of 400 messages"
    assert request.messages[1]["role"] == "user", "a request starts with a turn"


# -- recall --------------------------------------------------------------------------------


def test_recall_finds_whole_words_in_any_case_rolled_back_ones_too(store: JsonlStore) -> None:
    session = chat(store, 2)
    start = session.checkpoints[0].record.id
    session.add_message("user", "The Zebra crossed, then a zebra again")
    session.add_message("assistant", "zebras are not zebra-like", end_turn="turn 3")
    session.restore(start)  # turn 3 is rolled back
    hits = search(session.records, "ZEBRA crossed", limit=5)
    assert hits[0].message.content == "The Zebra crossed, then a zebra again"
    assert (hits[0].words, hits[0].count) == (2, 3)
    assert len(hits) == 2, "`zebras` is another word; `zebra-like` holds zebra"
    assert [h.message for h in search(session.records, "zebra", limit=1)] == [hits[0].message]
    assert search(session.records, "!!!") == []


async def test_the_recall_tool_quotes_messages_with_their_seq(store: JsonlStore) -> None:
    session = chat(store, 3)
    session.add_compaction(compaction(last=6, messages=4))
    with using_session(session):
        text, ok = await recall.call(json.dumps({"query": "question 1"}))
    assert ok
    assert "--- #2 user" in text and "summarised" in text and "question 1" in text
    with using_session(session):
        none, ok = await recall.call(json.dumps({"query": "platypus"}))
    assert ok and "No message of this session" in none


def test_a_branch_carries_the_compaction_of_its_own_history(store: JsonlStore) -> None:
    from chatcli.session.branching import add_edited, switch

    session = chat(store, 4)  # messages 2,3 5,6 8,9 11,12
    record = session.add_compaction(compaction(last=6, messages=4))
    add_edited(session, 5, "question 2, asked another way", title="t")  # a branch after 3
    assert session.view.compaction is None, "that branch never held message 6"
    switch(session, 12)
    assert session.view.compaction == record, "switching back brings it back"
    assert Session.load(store, "s").view.compaction == record
