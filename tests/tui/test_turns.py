"""A turn in the TUI: send and stream, stop it, fail it, tools and the state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatcli.chat.workspace import Workspace
from chatcli.errors import ModelError
from chatcli.session import Session
from chatcli.tui.app import ChatApp
from chatcli.tui.screens.chat_screen import ChatScreen
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.notes import ErrorNote
from chatcli.tui.widgets.prompt_input import PromptInput
from chatcli.tui.widgets.state_pane import StatePane
from chatcli.tui.widgets.status_bar import StatusBar
from tests.tui.conftest import wait_for
from tests.tui.fakes import FakeModel, Scripted


def stored(app: ChatApp) -> Session[Any]:
    """The open session as the store has it now (a fresh read of the log)."""
    session = app.chat.controller.session
    assert session is not None
    return Session.load(session.store, session.id)


def turn_done(app: ChatApp) -> bool:
    return app.chat.turn_worker is not None and app.chat.turn_worker.is_finished


async def test_enter_sends_and_the_reply_streams_in(make_app: Any, model: FakeModel) -> None:
    model.script.append(
        Scripted(pieces=["Hello ", "Ada, ", "nice ", "to ", "meet ", "you."], gate_after=3)
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"Hi, I am Ada", "enter")
        await wait_for(pilot, model.at_gate.is_set, what="the reply to start")
        conversation = app.chat.query_one(Conversation)
        await wait_for(pilot, lambda: conversation.streaming is not None)
        stream = conversation.streaming
        assert stream is not None and stream.has_class("-streaming")
        await wait_for(pilot, lambda: stream.streamed_text == "Hello Ada, nice ")
        assert app.chat.query_one(PromptInput).text == ""  # sent: the prompt is clear
        assert "replying" in app.chat.query_one(StatusBar).status.busy

        model.gate.set()
        await wait_for(pilot, lambda: turn_done(app), what="the turn to end")
        await pilot.pause()
        session = stored(app)
        assert [(m.role, m.content, m.status) for m in session.messages] == [
            ("user", "Hi, I am Ada", "complete"),
            ("assistant", "Hello Ada, nice to meet you.", "complete"),
        ]
        assert [c.record.auto for c in session.checkpoints] == [True]
        blocks = conversation.blocks
        assert [b.message.role for b in blocks if b.message] == ["user", "assistant"]
        assert conversation.streaming is None and not blocks[-1].has_class("-streaming")
        assert app.focused is app.chat.query_one(PromptInput)
        assert app.chat.query_one(StatusBar).status.usage.total_tokens == 20


async def test_no_file_is_written_before_the_first_message(
    make_app: Any, workspace: Workspace
) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause(0.3)
        assert workspace.sessions() == []
        assert app.chat.controller.session is None
        await pilot.press(*"first", "enter")
        await wait_for(pilot, lambda: turn_done(app))
        assert [s.messages for s in workspace.sessions()] == [2]


async def test_escape_stops_the_reply_and_keeps_it_marked_interrupted(
    make_app: Any, model: FakeModel
) -> None:
    model.script.append(Scripted(pieces=["Once ", "upon ", "a ", "time"], gate_after=2))
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press(*"Tell me a story", "enter")
        await wait_for(pilot, model.at_gate.is_set)
        await pilot.press("escape")
        await wait_for(pilot, lambda: turn_done(app))
        await pilot.pause()
        session = stored(app)
        reply = session.messages[-1]
        assert (reply.role, reply.content, reply.status) == (
            "assistant",
            "Once upon ",
            "interrupted",
        )
        assert session.checkpoints[-1].record.metadata == {"status": "interrupted"}
        block = app.chat.query_one(Conversation).blocks[-1]
        assert block.has_class("-interrupted") and block.message == reply
        assert any("interrupted" in n.message for n in app._notifications)
        assert app.chat.query_one(PromptInput).text == ""  # the prompt was sent


async def test_a_model_error_is_a_toast_a_marked_message_and_the_text_stays(
    make_app: Any, model: FakeModel
) -> None:
    error = ModelError("rate_limit", "The API is rate-limiting requests.", "Wait and retry.")
    model.fail(error, "Partial ")
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press(*"Will this fail?", "enter")
        await wait_for(pilot, lambda: turn_done(app))
        await pilot.pause()
        reply = stored(app).messages[-1]
        assert (reply.content, reply.status) == ("Partial ", "error")
        assert reply.error == error.sentence()
        toasts = [n for n in app._notifications if n.severity == "error"]
        assert [t.message for t in toasts] == [error.sentence()]
        block = app.chat.query_one(Conversation).blocks[-1]
        assert block.has_class("-error")
        assert app.chat.query_one(PromptInput).text == "Will this fail?"
        assert isinstance(app.screen, ChatScreen)  # no traceback, still chatting


async def test_without_a_model_the_turn_fails_in_words(
    tmp_path: Path, model: FakeModel, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatcli.config import Settings
    from tests.tui.fakes import make_workspace

    monkeypatch.setattr("chatcli.chat.workspace.local_model_available", lambda: False)
    ws = make_workspace(tmp_path, model, settings=Settings())
    app = make_app(ws=ws)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.chat.controller.model_problem is not None)
        await pilot.pause()
        assert type(app.screen).__name__ == "NoModelScreen"
        await pilot.press("escape")
        await pilot.press(*"hello", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "NoModelScreen"  # shown again, text kept
        await pilot.press("escape")
        assert app.chat.query_one(PromptInput).text == "hello"
        assert ws.sessions() == []


@pytest.mark.parametrize(
    ("environ", "local", "expected"),
    [({}, True, "local/gemma3-270m"), ({"OPENAI_API_KEY": "sk-x"}, False, "openai/gpt-4o-mini")],
    ids=["offline model", "provider key"],
)
async def test_the_status_bar_names_the_model_that_will_answer_before_the_first_message(
    tmp_path: Path,
    model: FakeModel,
    make_app: Any,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    local: bool,
    expected: str,
) -> None:
    from chatcli.config import Settings
    from tests.tui.fakes import make_workspace

    monkeypatch.setattr("chatcli.chat.workspace.local_model_available", lambda: local)
    ws = make_workspace(tmp_path, model, settings=Settings())  # no model configured
    ws.environ = environ
    app = make_app(ws=ws)
    async with app.run_test(size=(120, 36)) as pilot:
        bar = app.chat.query_one(StatusBar)
        await wait_for(pilot, lambda: bar.status.model == expected, what=expected)
        assert bar.status.agent == "default"
        assert "no model" not in str(bar.render())
        assert ws.sessions() == []  # nothing sent, nothing written


async def test_a_tool_call_updates_the_state_pane_and_shows_inline(
    make_app: Any, model: FakeModel
) -> None:
    model.call_tool("remember", {"key": "name", "value": "Ada"})
    model.say("I will remember that, Ada.")
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press(*"My name is Ada", "enter")
        await wait_for(pilot, lambda: turn_done(app))
        await pilot.pause()
        session = stored(app)
        assert session.view.state == {"facts": {"name": "Ada"}}
        assert session.view.state_record is not None
        assert session.view.state_record.by == "tool:remember"
        pane = app.chat.query_one(StatePane)
        assert pane.state == {"facts": {"name": "Ada"}}
        assert pane.record is not None and pane.record.by == "tool:remember"
        roles = [b.message.role for b in app.chat.query_one(Conversation).blocks if b.message]
        assert roles == ["user", "assistant", "tool", "assistant"]
        tool_block = app.chat.query_one(Conversation).blocks[2]
        assert len(tool_block.query(".state-note")) == 1


async def test_up_on_an_empty_prompt_recalls_earlier_prompts(make_app: Any) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        for text in ("one", "two"):
            await pilot.press(*text, "enter")
            await wait_for(pilot, lambda: turn_done(app))
        prompt = app.chat.query_one(PromptInput)
        await pilot.press("up")
        assert prompt.text == "two"
        await pilot.press("up")
        assert prompt.text == "one"
        await pilot.press("down")
        assert prompt.text == "two"
        await pilot.press("down")
        assert prompt.text == ""


async def test_ctrl_j_inserts_a_newline_and_enter_sends_both_lines(
    make_app: Any, model: FakeModel
) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press(*"line one", "ctrl+j", *"line two")
        assert app.chat.query_one(PromptInput).text == "line one\nline two"
        await pilot.press("enter")
        await wait_for(pilot, lambda: turn_done(app))
        assert stored(app).messages[0].content == "line one\nline two"


async def test_typing_stays_possible_while_a_reply_streams(make_app: Any, model: FakeModel) -> None:
    model.script.append(Scripted(pieces=["a"] * 50, gate_after=10))
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press(*"go", "enter")
        await wait_for(pilot, model.at_gate.is_set)
        await pilot.press(*"next")
        assert app.chat.query_one(PromptInput).text == "next"
        assert app.chat.query_one(Conversation).streaming is not None
        model.gate.set()
        await wait_for(pilot, lambda: turn_done(app))
        assert stored(app).messages[-1].content == "a" * 50
        assert app.chat.query_one(PromptInput).text == "next"
        assert not app.chat.query(ErrorNote)


async def test_enter_typed_right_after_fast_text_sends_all_of_it(make_app: Any) -> None:
    """Keys that arrive in one burst (a fast typist, tmux send-keys) keep their order."""
    from textual import events

    app = make_app()
    async with app.run_test() as pilot:
        for char in "burst":
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("enter", "\r"))
        await wait_for(pilot, lambda: turn_done(app))
        assert stored(app).messages[0].content == "burst"


async def test_a_tool_line_wraps_instead_of_being_cut(make_app: Any, model: FakeModel) -> None:
    from textual.widgets._collapsible import CollapsibleTitle

    model.call_tool("remember", {"name": "Ada"})  # no "key": the tool refuses the arguments
    model.say("Sorry, let me try that again.")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"My name is Ada", "enter")
        await wait_for(pilot, lambda: turn_done(app))
        await pilot.pause()
        result = stored(app).messages[2]
        assert result.role == "tool" and result.content.startswith("error: ")
        assert len(result.content) > 60  # longer than one line of the conversation
        block = app.chat.query_one(Conversation).blocks[2]
        title = block.query_one(".tool-result").query_one(CollapsibleTitle)
        shown = " ".join(str(title.render()).split())
        assert " ".join(result.content.split()) in shown  # every word of it, none cut
        assert title.region.height >= 2 and title.region.right <= 80


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
async def test_toasts_cover_neither_the_status_bar_nor_the_prompt(
    make_app: Any, size: tuple[int, int]
) -> None:
    from textual.widgets._toast import Toast

    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        app.notify("Checkpoint #3 (cp9) saved: “turn 2: What is in the message?”.")
        app.notify(
            "http://127.0.0.1:8080/v1 is rate-limiting requests. Wait 20 seconds "
            "(Retry-After) and try again.",
            title="The reply failed",
            severity="error",
        )
        await wait_for(  # laid out after a refresh or two; a loaded machine takes longer
            pilot,
            lambda: [t.region.area > 0 for t in app.screen.query(Toast)] == [True, True],
            what="both toasts on screen",
        )
        toasts = list(app.screen.query(Toast))
        prompt = app.chat.query_one(PromptInput).region
        status = app.chat.query_one(StatusBar).region
        for toast in toasts:
            assert toast.region.area > 0
            assert not toast.region.overlaps(prompt), (toast.region, prompt)
            assert not toast.region.overlaps(status), (toast.region, status)
