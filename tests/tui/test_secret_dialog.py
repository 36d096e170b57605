"""A key in the prompt: the window asks first (send as typed, send redacted, or edit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatcli.chat.workspace import Workspace
from chatcli.config import Settings
from chatcli.llm import LiteLLMModel
from chatcli.paths import Paths
from chatcli.session import Session
from chatcli.store import JsonlStore
from chatcli.tui.app import ChatApp
from chatcli.tui.screens.secret_screen import SecretScreen
from chatcli.tui.widgets.prompt_input import PromptInput
from tests.fake_keys import github_classic, openai_project
from tests.model_server import ModelServer
from tests.tui.conftest import wait_for
from tests.tui.fakes import MODEL, FakeModel, frozen_clock, make_workspace


def saved_user_messages(app: ChatApp) -> list[str]:
    session = app.chat.controller.session
    if session is None:
        return []
    stored = Session.load(session.store, session.id)
    return [m.content for m in stored.messages if m.role == "user"]


def turn_done(app: ChatApp) -> bool:
    return app.chat.turn_worker is not None and app.chat.turn_worker.is_finished


async def submit(pilot: Any, text: str) -> None:
    pilot.app.chat.query_one(PromptInput).load_text(text)
    await pilot.press("enter")
    await pilot.pause()


async def test_send_redacted_saves_and_sends_the_redacted_text(
    make_app: Any, model: FakeModel
) -> None:
    key = openai_project()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, f"my key is {key}, why 401?")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="the dialog")
        assert model.calls == [] and saved_user_messages(app) == []  # nothing yet
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "1 OpenAI API key" in shown and key not in shown

        await pilot.press("r")
        await wait_for(pilot, lambda: turn_done(app), what="the turn")
        assert saved_user_messages(app) == ["my key is [redacted], why 401?"]
        assert model.calls[-1][-1] == {"role": "user", "content": "my key is [redacted], why 401?"}
        assert app.chat.query_one(PromptInput).text == ""


async def test_send_as_typed_sends_the_key(make_app: Any, model: FakeModel) -> None:
    key = github_classic()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, f"token {key}")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="the dialog")
        await pilot.click("#secret-send-button")
        await wait_for(pilot, lambda: turn_done(app), what="the turn")
        assert saved_user_messages(app) == [f"token {key}"]


async def test_edit_goes_back_to_the_prompt_with_the_text_intact(
    make_app: Any, model: FakeModel
) -> None:
    text = f"here: {openai_project()}\nand more"
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, text)
        await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="the dialog")
        await pilot.press("escape")
        await pilot.pause()
        prompt = app.chat.query_one(PromptInput)
        assert app.screen is app.chat and prompt.has_focus
        assert prompt.text == text
        assert app.chat.turn_worker is None and model.calls == [] and saved_user_messages(app) == []


async def test_no_dialog_for_ordinary_text_or_when_the_guard_is_off(
    tmp_path: Path, model: FakeModel
) -> None:
    off = make_workspace(tmp_path, model, settings=Settings(model=MODEL, secret_guard=False))
    key = openai_project()
    app = ChatApp(off, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "commit 3f786850e387550fdab836ed7e6dc881de23001b")
        await wait_for(pilot, lambda: turn_done(app), what="the first turn")
        first = app.chat.turn_worker
        await submit(pilot, f"as typed {key}")
        await wait_for(pilot, lambda: app.chat.turn_worker is not first and turn_done(app))
        assert not isinstance(app.screen, SecretScreen)
        assert saved_user_messages(app)[-1] == f"as typed {key}"


async def test_the_redacted_text_is_what_reaches_a_real_model_request(
    tmp_path: Path, model_server: ModelServer
) -> None:
    key = openai_project()
    paths = Paths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    workspace = Workspace(
        settings=Settings(model=MODEL, api_base=model_server.url),
        paths=paths,
        store=JsonlStore(paths.sessions_dir),
        model=LiteLLMModel(api_base=model_server.url, api_key="test", timeout=10.0),
        environ={},
    )
    model_server.reply_text("Rotate it.")
    app = ChatApp(workspace, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, f"is {key} valid?")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="the dialog")
        await pilot.press("enter")  # the focused button: send redacted
        await wait_for(pilot, lambda: turn_done(app), timeout=30, what="the turn")
    (request,) = model_server.requests
    users = [m["content"] for m in request.body["messages"] if m["role"] == "user"]
    assert users == ["is [redacted] valid?"]
    on_disk = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert key.encode() not in on_disk and b"is [redacted] valid?" in on_disk
