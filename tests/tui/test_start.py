"""Start-up from the command line: a skeleton first, then the workspace, then the session.

`chatcli` hands ChatApp a workspace factory; the factory runs in a thread after
the first frame. A `--resume` session that can't be opened ends the app with
the error (cli.py prints it as one sentence) and return code 1.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from chatcli.chat.workspace import Workspace
from chatcli.config import Settings
from chatcli.errors import ChatcliError, SessionNotFound
from chatcli.session import Session
from chatcli.tui.app import ChatApp, WorkspaceFactory
from chatcli.tui.screens.chat_screen import ChatScreen
from chatcli.tui.screens.skeleton_screen import SkeletonScreen
from chatcli.tui.start import Start
from chatcli.tui.support.marks import FIRST_PAINT, MARKS_ENV, READY
from tests.tui.conftest import wait_for
from tests.tui.fakes import FakeModel, frozen_clock, make_workspace
from tests.tui.test_sessions import seed, shown


class CountingFactory:
    """A workspace factory that counts how often it (and `open_session`) ran."""

    def __init__(self, workspace: Workspace, *, error: ChatcliError | None = None) -> None:
        self.workspace, self.error = workspace, error
        self.gate = threading.Event()
        self.gate.set()
        self.built = 0
        self.opened: list[str] = []
        real_open = workspace.open_session

        def open_session(session_id: str) -> Session[Any]:
            self.opened.append(session_id)
            return real_open(session_id)

        workspace.open_session = open_session  # type: ignore[method-assign]

    def __call__(self) -> Workspace:
        self.gate.wait(5)
        self.built += 1
        if self.error is not None:
            raise self.error
        return self.workspace


def app_on(factory: Callable[[], Workspace], start: Start) -> ChatApp:
    return ChatApp(WorkspaceFactory(factory), start, clock=frozen_clock)


async def test_the_first_frame_is_a_skeleton_then_the_chat_screen(workspace: Workspace) -> None:
    factory = CountingFactory(workspace)
    factory.gate.clear()  # the workspace takes its time
    app = app_on(factory, Start())
    async with app.run_test() as pilot:
        await pilot.pause(0.1)
        assert isinstance(app.screen, SkeletonScreen) and factory.built == 0
        factory.gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat screen")
        assert factory.built == 1
        assert app.chat.controller.session is None and len(app.screen_stack) == 2


async def test_resume_opens_the_session_once(workspace: Workspace) -> None:
    session = seed(workspace, "about cats", ("tell me about cats", "they purr"))
    factory = CountingFactory(workspace)
    app = app_on(factory, Start(mode="resume", session_id=session.id))
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: shown(app) == ["tell me about cats", "they purr"])
        assert factory.opened == [session.id]


async def test_resume_of_a_missing_session_ends_the_app_with_the_error(
    workspace: Workspace,
) -> None:
    app = app_on(CountingFactory(workspace), Start(mode="resume", session_id="no-such-session"))
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.failure is not None, what="the failure")
    assert isinstance(app.failure, SessionNotFound)
    assert "No session named 'no-such-session'" in app.failure.sentence()
    assert app.return_code == 1


async def test_a_bad_config_ends_the_app_with_the_error(workspace: Workspace) -> None:
    bad = ChatcliError("Bad setting 'timeout' in config.toml.")
    app = app_on(CountingFactory(workspace, error=bad), Start())
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.failure is not None, what="the failure")
    assert app.failure is bad and app.return_code == 1


async def test_the_offline_model_is_called_out_under_the_status_bar(tmp_path: Any) -> None:
    ws = make_workspace(tmp_path, FakeModel(), settings=Settings(model="local/qwen-tiny"))
    tiny = ws.new_session(title="tiny")
    tiny.add_message("user", "hi")
    hosted = ws.new_session(title="hosted", model="openai/test-model")
    hosted.add_message("user", "hello")
    app = app_on(lambda: ws, Start(mode="resume", session_id=tiny.id))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: app.chat.controller.session is not None)
        note = app.chat.query_one("#model-note", Static)
        assert note.display
        assert "local/qwen-tiny is a tiny offline model" in str(note.render())
        assert "not for real work" in str(note.render())
        app.chat.open_session(hosted.id)
        await wait_for(
            pilot,
            lambda: (
                app.chat.controller.session is not None
                and app.chat.controller.session.id == hosted.id
            ),
        )
        await pilot.pause()
        assert not note.display


async def test_the_offline_model_notice_is_shown_once_then_folds_into_the_status_bar(
    tmp_path: Any,
) -> None:
    """At 80x24 two rows for good are too many: the notice stays until the first message
    to that model, then the status bar's ⚠ (with the notice as its tooltip) says it, in
    this run and the next ones."""
    from chatcli.tui.widgets.status_bar import StatusBar
    from tests.tui.conftest import send

    ws = make_workspace(tmp_path, FakeModel(), settings=Settings(model="local/gemma3-270m"))
    app = app_on(lambda: ws, Start())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        note = app.chat.query_one("#model-note", Static)
        await wait_for(pilot, lambda: note.display)
        assert "tiny offline model" in str(note.render())
        await send(pilot, "hello")
        await wait_for(pilot, lambda: not note.display)
        bar = app.chat.query_one(StatusBar)
        assert str(bar.render()).startswith(" ⚠ local/gemma3-270m ")
        assert bar.tooltip is not None and "not for real work" in str(bar.tooltip)
    state_file = ws.paths.ui_state_file
    assert oct(state_file.stat().st_mode & 0o777) == "0o600"

    again = app_on(lambda: ws, Start(mode="continue"))
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen))  # built by a worker
        await wait_for(pilot, lambda: again.chat.controller.session is not None)
        await pilot.pause(0.2)
        assert not again.chat.query_one("#model-note", Static).display
        assert str(again.chat.query_one(StatusBar).render()).startswith(" ⚠ local/")


async def test_the_model_layer_warms_up_only_after_the_first_paint(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """litellm's import (`Workspace.warm_up`) would hold the GIL for ~2 s: never before the
    first frame, nor before the session asked for is on screen."""
    marks = tmp_path / "marks"
    monkeypatch.setenv(MARKS_ENV, str(marks))
    session = seed(workspace, "warm", ("a question", "an answer"))
    reached: list[list[str]] = []

    def warm_up() -> None:
        reached.append(marks.read_text().split()[::2] if marks.exists() else [])

    workspace.warm_up = warm_up  # type: ignore[method-assign]
    app = app_on(CountingFactory(workspace), Start(mode="resume", session_id=session.id))
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: reached, what="the warm-up")
        assert shown(app) == ["a question", "an answer"]

    assert len(reached) == 1
    assert reached[0][:2] == [FIRST_PAINT, READY]
