"""The offline model's engine dies mid-reply: the window stays up, says so, and the next send answers.

The real TUI, ChatEngine, LiteLLMModel, litellm handler and engine supervisor,
with tests/fake_engine.py as the engine process (it dies by SIGSEGV part-way
through its first reply).
"""

from __future__ import annotations

from pathlib import Path

from chatcli.chat.workspace import Workspace
from chatcli.config import Settings
from chatcli.llm import LiteLLMModel
from chatcli.llm.local import LOCAL_MODEL, LocalEngine
from chatcli.paths import Paths
from chatcli.session import Session
from chatcli.store import JsonlStore
from chatcli.tui.app import ChatApp
from chatcli.tui.screens.chat_screen import ChatScreen
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.prompt_input import PromptInput
from tests.tui.conftest import send
from tests.tui.fakes import frozen_clock

STOPPED = (
    "The offline model stopped (signal 11, SIGSEGV). "
    "Your message is saved; send it again to restart the model."
)


def app_on(tmp_path: Path, engine: LocalEngine) -> ChatApp:
    paths = Paths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    workspace = Workspace(
        settings=Settings(model=LOCAL_MODEL),
        paths=paths,
        store=JsonlStore(paths.sessions_dir),
        model=LiteLLMModel(local=engine, timeout=30.0),
        environ={},
    )
    return ChatApp(workspace, clock=frozen_clock)


def saved(app: ChatApp) -> list[tuple[str, str, str]]:
    session = app.chat.controller.session
    assert session is not None
    return [(m.role, m.content, m.status) for m in Session.load(session.store, session.id).messages]


async def test_the_window_stays_up_shows_the_error_and_the_next_send_restarts_the_engine(
    tmp_path: Path, fake_engine: LocalEngine, once: Path
) -> None:
    once.touch()
    first = fake_engine.process().pid
    app = app_on(tmp_path, fake_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Hello there", timeout=60)  # the first call imports litellm

        assert saved(app) == [
            ("user", "Hello there", "complete"),
            ("assistant", "Fake reply", "error"),
        ]
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == [STOPPED]
        assert isinstance(app.screen, ChatScreen) and app.is_running
        assert app.chat.query_one(Conversation).blocks[-1].has_class("-error")
        assert app.chat.query_one(PromptInput).text == "Hello there"  # ready to send again

        await send(pilot, "Hello there", timeout=30)

        assert saved(app)[-1] == ("assistant", "Fake reply to: Hello there", "complete")
        assert fake_engine.pid not in (None, first)  # a new engine answered
