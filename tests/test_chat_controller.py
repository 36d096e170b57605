"""ChatController without a terminal: the session, the turn's state, the actions, following.

The real Workspace, ChatEngine and a JSONL store in a temp folder; only the
model is scripted (tests.fake_model). No Textual anywhere in these tests.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from chatcli.chat.controller import ChatController
from chatcli.chat.events import MessageSaved, TurnEvent
from chatcli.chat.turn_state import TurnPhase, TurnState
from chatcli.chat.workspace import Workspace
from chatcli.errors import ChatcliError, ModelError
from chatcli.session import RestoreRecord, Session
from tests.fake_model import MODEL, FakeModel, Scripted, make_workspace


@pytest.fixture
def model() -> FakeModel:
    return FakeModel()


@pytest.fixture
def workspace(tmp_path: Path, model: FakeModel) -> Workspace:
    return make_workspace(tmp_path, model)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def turn(controller: ChatController, text: str) -> list[tuple[TurnEvent, TurnState]]:
    """Run one turn; every event with the controller's turn state right after it."""
    controller.begin_turn(text)
    seen = [(event, controller.turn) async for event in controller.run_turn(text)]
    return seen


def stored(controller: ChatController) -> Session[Any]:
    session = controller.session
    assert session is not None
    return Session.load(session.store, session.id)


async def test_the_first_message_creates_the_session_and_the_turn_walks_its_phases(
    workspace: Workspace,
) -> None:
    controller = ChatController(workspace)
    assert controller.session is None and controller.model_name == MODEL
    assert controller.refusal("checkpoint") == "Nothing to checkpoint yet: send a message first."

    seen = await turn(controller, "hello")

    phases = [state.phase for _event, state in seen]
    assert phases[0] is TurnPhase.WAITING  # the user message is saved first
    assert TurnPhase.REPLYING in phases
    assert controller.turn.running  # until the face says the turn is over
    assert controller.refusal() is not None
    end = controller.end_turn()
    assert (end.give_back, end.failure, end.stopped) == (None, None, False)
    assert controller.turn == TurnState()
    assert [(m.role, m.content) for m in stored(controller).messages] == [
        ("user", "hello"),
        ("assistant", "You said: hello"),
    ]
    assert controller.tally.usage.total_tokens == 0  # the face tallies what it shows
    session = controller.session
    assert session is not None
    controller.tally.update(session.records)
    assert controller.tally.usage.total_tokens == 20


async def test_a_tool_call_is_its_own_phase(workspace: Workspace, model: FakeModel) -> None:
    model.call_tool("remember", {"key": "name", "value": "Ada"})
    model.say("Noted, Ada.")
    controller = ChatController(workspace)
    seen = await turn(controller, "I am Ada")
    tools = [state.tool for _event, state in seen if state.phase is TurnPhase.TOOL]
    assert tools and set(tools) == {"remember"}
    assert seen[-1][1].phase is TurnPhase.REPLYING and seen[-1][1].tool is None
    assert stored(controller).view.state == {"facts": {"name": "Ada"}}


async def test_a_failed_turn_gives_the_text_back(workspace: Workspace, model: FakeModel) -> None:
    error = ModelError("rate_limit", "The API is rate-limiting requests.", "Wait and retry.")
    model.fail(error, "Part")
    controller = ChatController(workspace)
    seen = await turn(controller, "will it fail?")
    assert seen[-1][1].phase is TurnPhase.FAILED
    assert controller.turn.error == error.sentence()
    end = controller.end_turn()
    assert end.give_back == "will it fail?" and end.failure is None
    assert stored(controller).messages[-1].status == "error"


async def test_stopping_after_the_message_is_saved_keeps_it(
    workspace: Workspace, model: FakeModel
) -> None:
    model.script.append(Scripted(pieces=["Once ", "upon ", "a time"], gate_after=2))
    controller = ChatController(workspace)
    controller.begin_turn("a story")

    async def consume() -> None:
        async for _event in controller.run_turn("a story"):
            pass

    task = asyncio.ensure_future(consume())
    await asyncio.wait_for(model.at_gate.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    end = controller.end_turn(stopped=True)
    assert end.stopped and end.give_back is None  # the prompt reached the log
    reply = stored(controller).messages[-1]
    assert (reply.content, reply.status) == ("Once upon ", "interrupted")
    assert not controller.io.locked()


async def test_stopping_before_the_message_is_saved_gives_the_text_back(
    workspace: Workspace,
) -> None:
    controller = ChatController(workspace)
    await controller.io.acquire()  # another action holds the lock: the turn waits for it
    controller.begin_turn("queued")

    async def consume() -> None:
        async for _event in controller.run_turn("queued"):
            pass

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    controller.io.release()
    end = controller.end_turn(stopped=True)
    assert end.give_back == "queued"
    assert controller.session is None and workspace.sessions() == []


async def test_a_crash_is_reported_once_and_gives_the_text_back(workspace: Workspace) -> None:
    controller = ChatController(workspace)
    await turn(controller, "hi")
    end = controller.end_turn(crash="Something went wrong: OSError: disk full")
    assert end.failure == "Something went wrong: OSError: disk full"
    assert end.give_back == "hi"


async def test_only_one_turn_at_a_time(workspace: Workspace) -> None:
    controller = ChatController(workspace)
    controller.begin_turn("one")
    with pytest.raises(ChatcliError):
        controller.begin_turn("two")
    assert controller.refusal("fork") == "Wait for the reply to finish (Esc stops it)."


async def test_checkpoint_restore_and_undo(workspace: Workspace) -> None:
    controller = ChatController(workspace)
    for text in ("first", "second"):
        await turn(controller, text)
        controller.end_turn()
    done = await controller.checkpoint("mine")
    session = stored(controller)
    assert session.checkpoints[-1].record.label == "mine"
    assert done.note == f"Checkpoint #3 ({session.checkpoints[-1].record.id}) saved: “mine”."
    assert not done.switched

    first_turn = session.checkpoints[0].record.id
    done = await controller.restore(first_turn)
    assert isinstance(stored(controller).records[-1], RestoreRecord)
    assert len(stored(controller).messages) == 2
    assert "2 messages rolled back" in done.note


async def test_fork_and_new_switch_the_open_session(workspace: Workspace) -> None:
    controller = ChatController(workspace)
    await turn(controller, "shared")
    controller.end_turn()
    original = controller.session
    assert original is not None

    done = await controller.fork()
    assert done.switched and controller.session is not None
    assert controller.session.id != original.id
    assert controller.session.parent is not None
    assert controller.session.parent.session == original.id
    assert controller.engine is not None and controller.engine.session is controller.session

    done = controller.new_session()
    assert done.switched and controller.session is None and controller.engine is None
    assert controller.pending_model == MODEL  # the new session keeps the model in use


async def test_rename_and_model_before_and_after_the_first_message(
    workspace: Workspace, model: FakeModel
) -> None:
    controller = ChatController(workspace)
    await controller.rename("Early title")
    await controller.set_model("openai/other")
    assert controller.session is None and controller.model_name == "openai/other"
    await turn(controller, "hi")
    controller.end_turn()
    session = stored(controller)
    assert (session.title, session.model) == ("Early title", "openai/other")

    await controller.rename("Later title")
    await controller.set_model("openai/third")
    session = stored(controller)
    assert (session.title, session.model) == ("Later title", "openai/third")
    assert controller.model_name == "openai/third"


async def test_open_and_open_latest(workspace: Workspace) -> None:
    controller = ChatController(workspace)
    done = await controller.open_latest()
    assert done.switched and controller.session is None and "No sessions yet" in done.note
    older = workspace.new_session(title="older")
    newer = workspace.new_session(title="newer")
    newer.add_message("user", "bump")
    await controller.open_latest()
    assert controller.session is not None and controller.session.id == newer.id
    await controller.open(older.id)
    assert controller.session is not None and controller.session.id == older.id
    assert controller.engine is None  # built later, once the session shows
    await controller.build_engine()
    assert controller.engine is not None


async def test_the_flag_model_applies_to_opened_sessions_not_the_new_session_model(
    workspace: Workspace,
) -> None:
    stored_session = workspace.new_session(title="old", model="openai/old")
    controller = ChatController(workspace, model="openai/flag")
    await controller.open(stored_session.id)
    await controller.build_engine()
    assert controller.model_name == "openai/flag"
    assert Session.load(workspace.store, stored_session.id).model == "openai/flag"


async def test_following_takes_in_another_windows_lines_and_says_so_for_a_minute(
    workspace: Workspace,
) -> None:
    clock = Clock()
    controller = ChatController(workspace, monotonic=clock)
    await turn(controller, "mine")
    controller.end_turn()
    assert controller.session is not None
    other = Session.load(workspace.store, controller.session.id)  # a second window
    other.add_message("user", "theirs")

    followed = await controller.follow()
    assert followed.count == 1 and followed.problem == ""
    assert controller.session.messages[-1].content == "theirs"
    assert controller.shared
    clock.now += 61
    assert not controller.shared
    assert (await controller.follow()).count == 0


async def test_following_waits_while_a_turn_runs(workspace: Workspace) -> None:
    controller = ChatController(workspace)
    await turn(controller, "mine")
    controller.end_turn()
    assert controller.session is not None
    Session.load(workspace.store, controller.session.id).add_message("user", "theirs")
    controller.begin_turn("next")
    assert (await controller.follow()).count == 0  # not now: the turn holds the session
    controller.end_turn()
    assert (await controller.follow()).count == 1


async def test_editing_the_state_creates_the_session_and_writes_by_user(
    workspace: Workspace,
) -> None:
    controller = ChatController(workspace)
    record = await controller.save_state({"facts": {"name": "Ada"}})
    assert record is not None and record.by == "user"
    assert stored(controller).view.state == {"facts": {"name": "Ada"}}
    assert await controller.save_state({"facts": {"name": "Ada"}}) is None  # unchanged


async def test_an_edit_that_does_not_fit_says_which_field_and_writes_nothing(
    workspace: Workspace,
) -> None:
    controller = ChatController(workspace)
    with pytest.raises(ChatcliError) as refused:
        await controller.save_state({"facts": 5})
    assert "facts: input should be a valid dictionary" in refused.value.sentence()
    assert controller.session is None and workspace.sessions() == []


def test_turn_state_is_a_pure_function_of_the_events() -> None:
    from chatcli.chat.events import ReplyStarted, ToolCalled, ToolFinished, TurnFailed
    from chatcli.session import ChatMessage

    state = TurnState.sending("hi")
    assert state.running and not state.saved
    user = ChatMessage(role="user", content="hi")
    state = state.after(MessageSaved(user))
    assert state.phase is TurnPhase.WAITING and state.saved
    state = state.after(ReplyStarted("m"))
    assert (state.phase, state.model) == (TurnPhase.REPLYING, "m")
    state = state.after(ToolCalled("c1", "forget", {}))
    assert (state.phase, state.tool) == (TurnPhase.TOOL, "forget")
    state = state.after(ToolFinished("c1", "forget", "ok", True))
    assert (state.phase, state.tool) == (TurnPhase.REPLYING, None)
    failed = state.after(TurnFailed(ModelError("network", "Offline.")))
    assert failed.phase is TurnPhase.FAILED and failed.error == "Offline."
    assert failed.text == "hi"
