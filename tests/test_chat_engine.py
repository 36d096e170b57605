"""A turn through litellm's real client against the loopback server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from chatcli.chat.agent import load_agent
from chatcli.chat.engine import ChatEngine
from chatcli.chat.events import (
    CheckpointSaved,
    MessageSaved,
    ReplyDelta,
    StateChanged,
    ToolFinished,
    TurnEvent,
    TurnFailed,
    TurnFinished,
)
from chatcli.chat.tools import MEMORY_TOOLS
from chatcli.llm import LiteLLMModel
from chatcli.session import Session
from chatcli.store import JsonlStore
from tests.model_server import ModelServer

MODEL = "openai/test-model"


@pytest.fixture
def store(tmp_path: Path) -> JsonlStore:
    return JsonlStore(tmp_path / "sessions")


def engine_for(session: Session[Any], model: LiteLLMModel, tmp_path: Path) -> ChatEngine:
    agent = load_agent("default", tmp_path / "agents")
    return ChatEngine(session, model, model_name=MODEL, agent=agent, tools=MEMORY_TOOLS)


async def run(engine: ChatEngine, text: str) -> list[TurnEvent]:
    return [event async for event in engine.send(text)]


def roles(session: Session[Any]) -> list[tuple[str, str, str]]:
    return [(m.role, m.content, m.status) for m in Session.load(session.store, session.id).messages]


async def test_a_turn_streams_persists_and_checkpoints(
    store: JsonlStore, loopback_model: LiteLLMModel, model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.reply_text("Hello Ada, nice to meet you.")
    session = Session.create(store)
    events = await run(engine_for(session, loopback_model, tmp_path), "Hi, I am Ada")

    deltas = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert deltas == "Hello Ada, nice to meet you."
    assert len([e for e in events if isinstance(e, ReplyDelta)]) > 3  # token by token
    assert isinstance(events[0], MessageSaved) and events[0].message.role == "user"
    assert isinstance(events[-2], CheckpointSaved) and events[-2].record.auto
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.status == "complete"
    assert finished.prompt_tokens > 0 and finished.completion_tokens > 0

    assert roles(session) == [
        ("user", "Hi, I am Ada", "complete"),
        ("assistant", "Hello Ada, nice to meet you.", "complete"),
    ]
    reply = Session.load(store, session.id).messages[1]
    assert reply.model == MODEL and reply.usage and reply.usage["completion_tokens"] > 0
    assert reply.usage["cost"] is None  # an unknown model has no price, and no crash
    assert Session.load(store, session.id).title == "Hi, I am Ada"
    sent = model_server.requests[0].body
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][-1] == {"role": "user", "content": "Hi, I am Ada"}
    assert [t["function"]["name"] for t in sent["tools"]] == ["remember", "forget"]


async def test_remember_changes_state_and_the_next_prompt_shows_it(
    store: JsonlStore, loopback_model: LiteLLMModel, model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.reply_tool_calls([("remember", {"key": "name", "value": "Ada"})])
    model_server.reply_text("Noted, Ada.")
    model_server.reply_text("Your name is Ada.")
    session = Session.create(store)
    engine = engine_for(session, loopback_model, tmp_path)

    events = await run(engine, "My name is Ada.")
    changed = [e for e in events if isinstance(e, StateChanged)]
    assert len(changed) == 1 and changed[0].record.by == "tool:remember"
    assert [c.path for c in changed[0].record.changes] == ["facts.name"]
    results = [e for e in events if isinstance(e, ToolFinished)]
    assert results[0].ok and "Ada" in results[0].result
    assert Session.load(store, session.id).state.facts == {"name": "Ada"}

    # the tool round: the second request carries the call and its result
    second = model_server.requests[1].body["messages"]
    assert (
        second[-2]["role"] == "assistant"
        and second[-2]["tool_calls"][0]["function"]["name"] == "remember"
    )
    assert (
        second[-1]["role"] == "tool"
        and second[-1]["tool_call_id"] == second[-2]["tool_calls"][0]["id"]
    )
    assert "name: Ada" in second[0]["content"]  # the state reaches the system prompt at once

    await run(engine, "What is my name?")
    third = model_server.requests[2].body["messages"]
    assert "name: Ada" in third[0]["content"]


async def test_after_a_restore_only_the_restored_history_is_sent(
    store: JsonlStore, loopback_model: LiteLLMModel, model_server: ModelServer, tmp_path: Path
) -> None:
    session = Session.create(store)
    engine = engine_for(session, loopback_model, tmp_path)
    await run(engine, "first question")
    first_cp = session.checkpoints[-1].record.id
    model_server.reply_tool_calls([("remember", {"key": "secret", "value": "42"})])
    model_server.reply_text("ok")
    await run(engine, "remember the secret 42")
    session.restore(first_cp)
    await run(engine, "what do you know?")

    sent = model_server.requests[-1].body["messages"]
    contents = [m["content"] for m in sent[1:]]
    assert contents == ["first question", "You said: first question", "what do you know?"]
    assert "42" not in sent[0]["content"]  # the state was rolled back too
    assert "secret 42" in Path(store.path(session.id)).read_text()  # nothing was removed


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (lambda s: s.fail(401), "auth"),
        (lambda s: s.fail(429, retry_after=7), "rate_limit"),
        (lambda s: s.fail(500), "server"),
        (lambda s: s.cut_off(after_chunks=3), "stream_cut"),
        (lambda s: s.malformed(after_chunks=2), "malformed"),
    ],
)
async def test_model_errors_keep_the_users_message_and_the_partial_reply(
    store: JsonlStore,
    loopback_model: LiteLLMModel,
    model_server: ModelServer,
    tmp_path: Path,
    script: Any,
    kind: str,
) -> None:
    script(model_server)
    session = Session.create(store)
    events = await run(engine_for(session, loopback_model, tmp_path), "please answer")
    failed = [e for e in events if isinstance(e, TurnFailed)]
    assert len(failed) == 1 and failed[0].error.kind == kind
    sentence = failed[0].error.sentence()
    assert "\n" not in sentence and "Traceback" not in sentence and len(sentence) > 20
    assert isinstance(events[-1], TurnFinished) and events[-1].status == "error"
    saved = Session.load(store, session.id)
    assert saved.messages[0].content == "please answer"
    assert saved.messages[1].role == "assistant" and saved.messages[1].status == "error"
    assert saved.messages[1].error == failed[0].error.sentence()
    if kind == "stream_cut":
        assert saved.messages[1].content  # what arrived is kept
    if kind == "rate_limit":
        assert "7" in failed[0].error.sentence()
    assert saved.checkpoints[-1].record.metadata == {"status": "error"}


async def test_cancel_keeps_what_arrived_as_interrupted(
    store: JsonlStore, loopback_model: LiteLLMModel, model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.stall(seconds=30, after_chunks=2, text="Partial answer that never ends")
    session = Session.create(store)
    engine = engine_for(session, loopback_model, tmp_path)
    got: list[str] = []

    async def consume() -> None:
        async for event in engine.send("tell me a long story"):
            if isinstance(event, ReplyDelta):
                got.append(event.text)

    task = asyncio.create_task(consume())
    for _ in range(200):
        if len(got) >= 2:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    saved = Session.load(store, session.id)
    reply = saved.messages[-1]
    assert reply.role == "assistant" and reply.status == "interrupted"
    assert reply.content == "".join(got) and reply.content
    assert saved.checkpoints[-1].record.metadata == {"status": "interrupted"}
    assert model_server.wait_for_disconnect(5)


async def test_tool_rounds_are_bounded(
    store: JsonlStore, loopback_model: LiteLLMModel, model_server: ModelServer, tmp_path: Path
) -> None:
    for i in range(3):
        model_server.reply_tool_calls([("remember", {"key": f"k{i}", "value": "v"})])
    session = Session.create(store)
    engine = engine_for(session, loopback_model, tmp_path)
    engine.max_tool_rounds = 3
    events = await run(engine, "loop forever")
    failed = [e for e in events if isinstance(e, TurnFailed)]
    assert failed and failed[0].error.kind == "tool_loop"
    assert len(model_server.requests) == 3


async def test_a_bad_tool_call_is_answered_not_raised(
    store: JsonlStore, loopback_model: LiteLLMModel, model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.reply_tool_calls([("remember", {"key": "only-a-key"}), ("launch", {})])
    model_server.reply_text("sorry")
    session = Session.create(store)
    events = await run(engine_for(session, loopback_model, tmp_path), "do things")
    results = [e for e in events if isinstance(e, ToolFinished)]
    assert [r.ok for r in results] == [False, False]
    assert "value" in results[0].result and "no tool named 'launch'" in results[1].result
    assert Session.load(store, session.id).state.facts == {}
    assert isinstance(events[-1], TurnFinished) and events[-1].status == "complete"
