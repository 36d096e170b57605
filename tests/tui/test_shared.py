"""Two windows on one session, and editing the state by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatcli.session import ChatMessage, Session
from chatcli.tui.screens.chat_screen import ChatScreen
from chatcli.tui.screens.state_editor_screen import StateEditorScreen
from chatcli.tui.start import Start
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.state_pane import StatePane
from chatcli.tui.widgets.status_bar import StatusBar
from tests.tui.conftest import send, wait_for
from tests.tui.fakes import FakeModel, make_workspace


def shown(app: Any) -> list[str]:
    return [b.message.content for b in app.chat.query_one(Conversation).blocks if b.message]


async def test_two_windows_on_one_session_both_write_and_see_each_other(
    tmp_path: Path, make_app: Any
) -> None:
    # Two workspaces over the same folder: two JsonlStore objects, as two processes have.
    ws_a = make_workspace(tmp_path, FakeModel())
    ws_b = make_workspace(tmp_path, FakeModel())
    a = make_app(ws=ws_a)
    async with a.run_test(size=(100, 30)) as pilot_a:
        await send(pilot_a, "from window A")
        session_id = a.chat.controller.session.id
        b = make_app(Start(mode="resume", session_id=session_id), ws=ws_b)
        async with b.run_test(size=(100, 30)) as pilot_b:
            await wait_for(pilot_b, lambda: len(shown(b)) == 2)
            await send(pilot_b, "from window B")
            # window A follows the log every FOLLOW_SECONDS (0.5 s); the bound here is
            # generous because machines are noisy: speed belongs in bench/, not in tests
            await wait_for(pilot_a, lambda: "from window B" in shown(a), timeout=10)
            await wait_for(pilot_a, lambda: a.chat.query_one(StatusBar).status.shared)
            await send(pilot_a, "A again")
            # B may see the prompt one poll before the reply: wait for the reply too
            await wait_for(pilot_b, lambda: "You said: A again" in shown(b), timeout=10)
            assert shown(a) == shown(b)
    records = Session.load(ws_a.store, session_id).records
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    said = [r.content for r in records if isinstance(r, ChatMessage) and r.role == "user"]
    assert said == ["from window A", "from window B", "A again"]


async def test_editing_the_state_writes_a_line_by_user(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f5")
        assert isinstance(app.screen, StateEditorScreen)
        editor = app.screen.query_one("#state-json")
        editor.load_text("{not json")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, StateEditorScreen)
        assert "Not valid JSON" in str(app.screen.query_one("#state-error").render())
        editor.load_text('{"facts": {"name": 3}}')  # facts are strings: the model refuses it
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: "string" in str(app.screen.query_one("#state-error").render())
        )
        assert isinstance(app.screen, StateEditorScreen)
        editor.load_text('{"facts": 5}')  # says what is wrong with the edit, not "damage"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#state-error")
        await wait_for(
            pilot, lambda: "facts: input should be a valid dictionary" in str(error.render())
        )
        said = str(error.render())
        assert said.startswith("That edit does not fit the Memory state")
        assert "holds a state" not in said and "state type it was made with" not in said
        assert app.chat.controller.session is None  # nothing was written
        editor.load_text('{"facts": {"name": "Ada"}}')
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: app.chat.controller.session is not None)
        session = Session.load(app.chat.controller.session.store, app.chat.controller.session.id)
        record = session.view.state_record
        assert record is not None and record.by == "user"
        assert record.state == {"facts": {"name": "Ada"}}
        assert [c.path for c in record.changes] == ["facts.name"]
        pane = app.chat.query_one(StatePane)
        await wait_for(pilot, lambda: pane.state == {"facts": {"name": "Ada"}})
        assert pane.has_class("-by-user")
        assert "Last change by you" in str(pane.query_one("#state-change").render())
