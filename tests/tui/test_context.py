"""The window and long sessions: the status bar's context figure, the compaction
marker, and /compact (the real ChatEngine and litellm's token counter; a scripted model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatcli.config import Settings
from chatcli.errors import ModelError
from chatcli.llm import preload
from chatcli.llm.events import ModelEvent
from chatcli.session import Session
from chatcli.tui.app import ChatApp
from chatcli.tui.start import Start
from chatcli.tui.widgets.compaction_marker import CompactionMarker
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.status_bar import StatusBar
from tests.tui import scenes
from tests.tui.conftest import send, wait_for
from tests.tui.fakes import MODEL, FakeModel, frozen_clock, make_workspace

LONG = "Here is a fairly long message about the harbour, the ferries and the gulls. " * 4


def status_text(app: ChatApp) -> str:
    return str(app.chat.query_one(StatusBar).render())


def compaction_lines(session_id: str, app: ChatApp) -> list[Any]:
    session = Session.load(app.chat.workspace.store, session_id)
    return [r for r in session.records if r.type == "compaction"]


async def test_turns_in_a_small_window_compact_and_the_marker_says_so(
    tmp_path: Path, model: FakeModel
) -> None:
    ws = make_workspace(tmp_path, model, settings=Settings(model=MODEL, context_window=1500))
    app = ChatApp(ws, Start(), clock=frozen_clock)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        for n in range(8):
            await send(pilot, f"Turn {n}. {LONG}", timeout=20)
        session = app.chat.controller.session
        assert session is not None
        assert compaction_lines(session.id, app), "the window forced a compaction"
        marker = app.chat.query_one(CompactionMarker)
        record = session.view.compaction
        assert record is not None and marker.record is record
        assert f"{record.messages} earlier messages summarised" in str(marker.title)
        assert "ctx " in status_text(app) and "/1.5k" in status_text(app)
        toasts = [n.message for n in app._notifications]
        assert any("earlier messages summarised" in t for t in toasts), toasts
        blocks = app.chat.query_one(Conversation).blocks
        after = next(i for i, b in enumerate(blocks) if b.seq == record.last)
        conversation = app.chat.query_one(Conversation)
        children = list(conversation.children)
        assert children.index(marker) == children.index(blocks[after]) + 1, "right after it"
        summary_calls = [c for c in model.calls if "running summary" in c[0]["content"]]
        assert len(summary_calls) == len(compaction_lines(session.id, app))


@pytest.fixture
def compacted(tmp_path: Path) -> scenes.Scene:
    """The snapshot's scene: built before the test's event loop runs."""
    preload()  # the window loads litellm in a worker after its first paint
    return scenes.compacted(tmp_path)


async def test_the_marker_opens_to_the_summary_and_the_status_bar_shows_the_window(
    compacted: scenes.Scene,
) -> None:
    scene = compacted
    app = scene.app
    async with app.run_test(size=scene.size) as pilot:
        await wait_for(pilot, lambda: app.chat.view.context is not None, timeout=10)
        marker = app.chat.query_one(CompactionMarker)
        assert marker.collapsed
        assert "4 earlier messages summarised" in str(marker.title)
        marker.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click("CompactionMarker CollapsibleTitle")
        await wait_for(pilot, lambda: not marker.collapsed)
        shown = " ".join(str(s.render()) for s in marker.query(".compaction-summary"))
        assert "tram 28 early in the morning" in shown
        assert "ctx " in status_text(app) and "/8.2k" in status_text(app)


async def test_slash_compact_summarises_all_but_the_last_turn(
    tmp_path: Path, model: FakeModel
) -> None:
    ws = make_workspace(tmp_path, model)
    app = ChatApp(ws, Start(), clock=frozen_clock)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await send(pilot, "/compact")
        await pilot.pause(0.2)
        assert any("Nothing to compact yet" in n.message for n in app._notifications)
        for n in range(3):
            await send(pilot, f"question {n}")
        session = app.chat.controller.session
        assert session is not None
        model.say("The user asked three questions.")
        await send(pilot, "/compact")
        await wait_for(pilot, lambda: session.view.compaction is not None, timeout=10)
        record = session.view.compaction
        assert record is not None and record.manual and record.messages == 4
        assert record.summary == "The user asked three questions."
        await wait_for(pilot, lambda: bool(app.chat.query(CompactionMarker)))
        assert any("4 earlier messages summarised" in n.message for n in app._notifications)
        assert len(session.messages) == 6, "every message stays in the view"


class NoSummaries(FakeModel):
    """The scripted model, failing every summary request (the turns still answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def stream(
        self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
    ) -> AsyncIterator[ModelEvent]:
        if messages and "running summary" in str(messages[0].get("content")):
            self.refused += 1
            raise ModelError("server", "The server had an internal error (HTTP 500).")
        async for event in super().stream(model, messages, tools):
            yield event


async def test_a_failed_summary_is_a_warning_and_the_turn_still_answers(
    tmp_path: Path,
) -> None:
    model = NoSummaries()
    ws = make_workspace(tmp_path, model, settings=Settings(model=MODEL, context_window=1500))
    app = ChatApp(ws, Start(), clock=frozen_clock)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        for n in range(6):
            await send(pilot, f"Turn {n}. {LONG}", timeout=20)
        session = app.chat.controller.session
        assert session is not None
        assert model.refused >= 1
        assert session.messages[-1].content.startswith("You said: Turn 5")
        warned = [n.message for n in app._notifications if "could not be summarised" in n.message]
        assert len(warned) == model.refused, "one sentence per turn that left messages out"
        assert session.view.compaction is None
        assert len(session.messages) == 12, "the log keeps every message"
