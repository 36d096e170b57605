"""User memory in the window: "This session" and "Everywhere" in the state pane, each
entry with where it came from; edit, forget, add and undo in place; jump to the session
an entry came from; the toast for each write the model makes; the approval dialog; the
restore preview saying user memory is not rolled back.

The first test runs the real path (litellm's client against the loopback server); the
others use the scripted model for speed, and check what the log holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from chatcli.chat.workspace import Workspace
from chatcli.config import Settings
from chatcli.llm import LiteLLMModel
from chatcli.paths import Paths
from chatcli.session import Session
from chatcli.session.user_memory import UserMemory
from chatcli.store import JsonlStore
from chatcli.store.user_memory import memory_store_for
from chatcli.tui.app import ChatApp
from chatcli.tui.screens.ask_text_screen import AskTextScreen
from chatcli.tui.screens.memory_approval_screen import MemoryApprovalScreen
from chatcli.tui.screens.restore_screen import RestoreScreen
from chatcli.tui.start import Start
from chatcli.tui.widgets.memory_rows import MemoryRows
from tests.model_server import ModelServer
from tests.tui.conftest import send, wait_for
from tests.tui.fakes import MODEL, FakeModel, frozen_clock, make_workspace


def toasts(app: ChatApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def rows(app: ChatApp) -> MemoryRows:
    return app.chat.query_one(MemoryRows)


def memory_of(ws: Workspace) -> UserMemory[Any]:
    """User memory as another process would read it (a handle of its own)."""
    fresh: UserMemory[Any] = UserMemory(memory_store_for(ws.store, ws.paths.memory_dir))
    fresh.refresh()
    return fresh


async def test_a_real_model_remembers_for_every_session_and_the_pane_shows_where_from(
    tmp_path: Path, model_server: ModelServer
) -> None:
    model_server.remember("city", "Lisbon", scope="user")
    model_server.reply_text("Noted: you live in Lisbon.")
    paths = Paths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    workspace = Workspace(
        settings=Settings(model="openai/test-model", api_base=model_server.url),
        paths=paths,
        store=JsonlStore(paths.sessions_dir),
        model=LiteLLMModel(api_base=model_server.url, api_key="sk-test", timeout=10.0),
        environ={},
    )
    app = ChatApp(workspace, clock=frozen_clock)
    async with app.run_test(size=(140, 40)) as pilot:
        await send(pilot, "I live in Lisbon", timeout=30)
        await wait_for(pilot, lambda: rows(app).row_count == 1, what="the entry in the pane")
        assert any("Remembered city = Lisbon for every session" in t for t in toasts(app))
        (entry,) = rows(app).entries
        session = app.chat.controller.session
        assert session is not None
        assert (entry.key, entry.value, entry.session) == ("city", "Lisbon", session.id)
        assert (
            entry.origin.startswith("from 'I live in Lisbon', ") and "by the model" in entry.origin
        )
        assert session.view.state == {}  # "This session" never got it
    (kept,) = memory_of(workspace).entries()
    assert (kept.by, kept.record.session) == ("tool:remember", session.id)


async def test_with_approval_ask_the_window_asks_first(tmp_path: Path) -> None:
    model = FakeModel()
    settings = Settings(model=MODEL, memory_approval="ask")
    ws = make_workspace(tmp_path, model, settings=settings)
    model.call_tool("remember", {"key": "city", "value": "Lisbon", "scope": "user"})
    model.say("As you wish.")
    model.call_tool("remember", {"key": "name", "value": "Ada", "scope": "user"})
    model.say("Kept.")
    app = ChatApp(ws, clock=frozen_clock)
    async with app.run_test(size=(120, 36)) as pilot:
        await send(pilot, "I live in Lisbon", wait=False)
        await wait_for(pilot, lambda: isinstance(app.screen, MemoryApprovalScreen), what="dialog")
        assert "city = Lisbon" in str(app.screen.query_one("#memory-question").render())
        await pilot.press("n")
        await wait_for(pilot, lambda: not app.chat.controller.turn.running, what="the turn")
        assert memory_of(ws).entries() == []
        session = app.chat.controller.session
        assert session is not None
        results = [m.content for m in session.messages if m.role == "tool"]
        assert results == ["The user declined: not saved for every session (city = Lisbon)."]

        await send(pilot, "I am Ada", wait=False)
        await wait_for(pilot, lambda: isinstance(app.screen, MemoryApprovalScreen), what="dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: rows(app).row_count == 1, what="the entry")
    assert [(e.key, e.value) for e in memory_of(ws).entries()] == [("name", "Ada")]


async def test_edit_forget_add_and_undo_in_place(tmp_path: Path) -> None:
    model = FakeModel()
    ws = make_workspace(tmp_path, model)
    ws.user_memory.set("city", "Lisbon", by="cli")
    app = ChatApp(ws, clock=frozen_clock)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: rows(app).row_count == 1, what="the entry")
        await pilot.press("f8")
        await wait_for(pilot, lambda: app.focused is rows(app), what="F8 to reach the list")

        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, AskTextScreen), what="the editor")
        app.screen.query_one("#ask-input").value = "Porto"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: rows(app).entries[0].value == "Porto", what="the edit")
        assert memory_of(ws).entries()[0].by == "user"

        await pilot.press("d")
        await wait_for(pilot, lambda: rows(app).row_count == 0, what="the forget")
        await pilot.press("u")
        await wait_for(pilot, lambda: rows(app).row_count == 1, what="the undo")
        assert rows(app).entries[0].value == "Porto"

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AskTextScreen), what="the adder")
        app.screen.query_one("#ask-input").value = "name = Ada"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: rows(app).row_count == 2, what="the new entry")
    history = memory_of(ws).history()
    assert [(r.by, r.undoes) for r in history] == [("cli", None)] + [("user", None)] * 2 + [
        ("user", 4),
        ("user", None),
    ]
    assert memory_of(ws).state.facts == {"city": "Porto", "name": "Ada"}


async def test_o_opens_the_session_an_entry_came_from(tmp_path: Path) -> None:
    model = FakeModel()
    ws = make_workspace(tmp_path, model)
    Session.create(ws.store, session_id="trip", title="Trip to Lisbon", model=MODEL)
    ws.user_memory.set("city", "Lisbon", by="tool:remember", session="trip", message=2)
    app = ChatApp(ws, clock=frozen_clock)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: rows(app).row_count == 1, what="the entry")
        assert rows(app).entries[0].origin.startswith("from 'Trip to Lisbon', ")
        await pilot.press("f8", "o")
        await wait_for(
            pilot,
            lambda: (
                app.chat.controller.session is not None and app.chat.controller.session.id == "trip"
            ),
            what="the session it came from",
        )


async def test_the_restore_preview_says_user_memory_stays(tmp_path: Path) -> None:
    model = FakeModel()
    ws = make_workspace(tmp_path, model)
    app = ChatApp(ws, Start(), clock=frozen_clock)
    async with app.run_test(size=(120, 36)) as pilot:
        model.say("Hello.")
        await send(pilot, "hi")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, RestoreScreen), what="the picker")
        await pilot.pause()
        preview = str(app.screen.query_one("#restore-preview").render())
        assert "User memory (Everywhere) is not rolled back." in " ".join(preview.split())


async def _noop(_pilot: Pilot[Any]) -> None:
    return None


async def test_a_damaged_memory_log_is_one_toast_and_the_window_goes_on(tmp_path: Path) -> None:
    model = FakeModel()
    ws = make_workspace(tmp_path, model)
    ws.user_memory.set("city", "Lisbon", by="cli")
    with open(ws.paths.memory_dir / "user.jsonl", "ab") as fh:
        fh.write(b"not json\n")
    app = ChatApp(ws, clock=frozen_clock)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await wait_for(pilot, lambda: any("user.jsonl" in t for t in toasts(app)), what="toast")
        await pilot.pause(1.2)  # the log is looked at every half second: no toast again
        assert sum("user.jsonl" in t for t in toasts(app)) == 1
        said = next(t for t in toasts(app) if "user.jsonl" in t)
        assert "user.jsonl:3: not valid JSON" in said and "doctor --repair" in said
