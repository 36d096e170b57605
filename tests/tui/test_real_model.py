"""The whole path: the TUI, the real ChatEngine and litellm's client, a loopback server."""

from __future__ import annotations

from pathlib import Path

from chatcli.chat.workspace import Workspace
from chatcli.config import Settings
from chatcli.llm import LiteLLMModel
from chatcli.paths import Paths
from chatcli.session import Session
from chatcli.store import JsonlStore
from chatcli.tui.app import ChatApp
from chatcli.tui.conversation import Conversation
from chatcli.tui.prompt import PromptInput
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
    session = app.chat.session
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
        await wait_for(pilot, lambda: app.chat.turn is not None and app.chat.turn.is_finished)
        model_server.release()
        role, content, status = saved(app)[-1]
        assert (role, status) == ("assistant", "interrupted")
        assert content and "This reply stalls half way through".startswith(content)
