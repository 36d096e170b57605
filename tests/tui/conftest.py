"""Fixtures for the TUI tests: a scripted model, a real workspace, app helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from chatcli.chat.workspace import Workspace
from chatcli.tui.app import ChatApp
from chatcli.tui.start import Start
from tests.tui.fakes import FakeModel, frozen_clock, make_workspace


@pytest.fixture
def model() -> FakeModel:
    return FakeModel()


@pytest.fixture
def workspace(tmp_path: Path, model: FakeModel) -> Workspace:
    return make_workspace(tmp_path, model)


@pytest.fixture
def make_app(workspace: Workspace) -> Callable[..., ChatApp]:
    def make(start: Start | None = None, ws: Workspace | None = None) -> ChatApp:
        return ChatApp(ws or workspace, start or Start(), clock=frozen_clock)

    return make


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 5.0, what: str = ""
) -> None:
    """Let the app run until `condition()` is true (fail after `timeout` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def send(pilot: Pilot[Any], text: str, *, wait: bool = True, timeout: float = 5.0) -> None:
    """Put `text` in the prompt and press Enter (then wait for the turn, unless told not to)."""
    from chatcli.tui.widgets.prompt_input import PromptInput

    app = pilot.app
    assert isinstance(app, ChatApp)
    app.chat.query_one(PromptInput).load_text(text)
    before = app.chat.turn_worker
    await pilot.press("enter")
    if wait and not text.lstrip().startswith("/"):
        await wait_for(
            pilot,
            lambda: (
                app.chat.turn_worker is not before
                and app.chat.turn_worker is not None
                and app.chat.turn_worker.is_finished
            ),
            timeout=timeout,
            what=f"the turn for {text!r}",
        )
        await pilot.pause()
