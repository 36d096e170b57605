"""The whole path: the TUI, the real ChatEngine and litellm's client, a loopback server
(and, marked local_model, the real offline model's engine process)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatcli.chat.workspace import Workspace
from chatcli.config import Settings
from chatcli.llm import LiteLLMModel
from chatcli.llm.local import LOCAL_MODEL, LocalEngine
from chatcli.paths import Paths
from chatcli.session import Session
from chatcli.store import JsonlStore
from chatcli.tui.app import ChatApp
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.prompt_input import PromptInput
from tests.conftest import require_local_model
from tests.model_server import ModelServer
from tests.tui.conftest import send, wait_for
from tests.tui.fakes import frozen_clock

MODEL = "openai/test-model"


def real_app(tmp_path: Path, server: ModelServer) -> ChatApp:
    paths = Paths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    workspace = Workspace(
        settings=Settings(model=MODEL, api_base=server.url),
        paths=paths,
        store=JsonlStore(paths.sessions_dir),
        model=LiteLLMModel(api_base=server.url, api_key="sk-test", timeout=10.0),
        environ={},
    )
    return ChatApp(workspace, clock=frozen_clock)


def saved(app: ChatApp) -> list[tuple[str, str, str]]:
    session = app.chat.controller.session
    assert session is not None
    return [(m.role, m.content, m.status) for m in Session.load(session.store, session.id).messages]


async def test_a_real_reply_streams_and_a_rate_limit_is_a_toast(
    tmp_path: Path, model_server: ModelServer
) -> None:
    model_server.reply_text("Hello from the loopback server.", delay=0.01)
    model_server.fail(429, retry_after=7)
    app = real_app(tmp_path, model_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Hi", timeout=30)  # the first call imports litellm
        assert saved(app) == [
            ("user", "Hi", "complete"),
            ("assistant", "Hello from the loopback server.", "complete"),
        ]
        blocks = app.chat.query_one(Conversation).blocks
        assert blocks[-1].message is not None and blocks[-1].message.status == "complete"

        await send(pilot, "again")
        assert saved(app)[-1][2] == "error"
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and "rate-limiting" in errors[0] and "7 seconds" in errors[0]
        assert app.chat.query_one(PromptInput).text == "again"


async def test_escape_during_a_real_stream_keeps_it_interrupted(
    tmp_path: Path, model_server: ModelServer
) -> None:
    model_server.stall(seconds=30, after_chunks=3, text="This reply stalls half way through")
    app = real_app(tmp_path, model_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Go slowly", wait=False)
        conversation = app.chat.query_one(Conversation)
        await wait_for(
            pilot,
            lambda: conversation.streaming is not None and conversation.streaming.streamed_text,
            timeout=15,
            what="the first tokens",
        )
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: app.chat.turn_worker is not None and app.chat.turn_worker.is_finished
        )
        model_server.release()
        role, content, status = saved(app)[-1]
        assert (role, status) == ("assistant", "interrupted")
        assert content and "This reply stalls half way through".startswith(content)


@pytest.mark.local_model
async def test_the_offline_model_answers_in_the_window_from_its_own_process(
    tmp_path: Path,
) -> None:
    require_local_model()
    paths = Paths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    engine = LocalEngine(Path(os.environ["CHATCLI_MODELS_DIR"]), log_file=paths.log_file)
    workspace = Workspace(
        settings=Settings(model=LOCAL_MODEL),
        paths=paths,
        store=JsonlStore(paths.sessions_dir),
        model=LiteLLMModel(local=engine, timeout=120.0),
        environ={},
    )
    app = ChatApp(workspace, clock=frozen_clock)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await send(pilot, "My name is Ada.", timeout=120)  # litellm, then the engine, start
            await send(pilot, "What is my name?", timeout=120)
            replies = [(c, s) for role, c, s in saved(app) if role == "assistant"]
            assert len(replies) == 2 and all(status == "complete" for _, status in replies)
            assert "Ada" in replies[1][0]
            assert engine.pid is not None and engine.pid != os.getpid()
    finally:
        engine.stop()
