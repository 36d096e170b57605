"""Opening sessions: -c, --resume ID, the resume picker, the sidebar, long histories."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chatcli.chat.workspace import Workspace
from chatcli.session import Session
from chatcli.tui.screens.chat_screen import ChatScreen
from chatcli.tui.screens.resume_screen import ResumeScreen
from chatcli.tui.start import Start
from chatcli.tui.widgets import conversation as conversation_module
from chatcli.tui.widgets.checkpoint_rows import CheckpointRows
from chatcli.tui.widgets.conversation import PAGE, Conversation
from chatcli.tui.widgets.notes import EarlierMarker
from chatcli.tui.widgets.prompt_input import PromptInput
from chatcli.tui.widgets.session_rows import SessionRows
from chatcli.tui.widgets.sessions_sidebar import SessionsSidebar
from chatcli.tui.widgets.state_pane import StatePane
from tests.tui.conftest import send, wait_for


def seed(workspace: Workspace, title: str, *pairs: tuple[str, str]) -> Session[Any]:
    """A stored session with these (user, assistant) exchanges and a checkpoint each."""
    session = workspace.new_session(title=title)
    for user, reply in pairs:
        session.add_message("user", user)
        session.add_message("assistant", reply)
        session.checkpoint(user, auto=True)
    return session


def shown(app: Any) -> list[str]:
    """The messages the conversation shows (none while the chat screen is being composed)."""
    found = app.chat.query(Conversation)
    blocks = found.first().blocks if found else []
    return [b.message.content for b in blocks if b.message]


async def test_continue_opens_the_most_recent_session(make_app: Any, workspace: Workspace) -> None:
    seed(workspace, "older", ("old question", "old answer"))
    newer = seed(workspace, "newer", ("new question", "new answer"))
    newer.update_state(lambda s: s.model_copy(update={"facts": {"k": "v"}}))
    app = make_app(Start(mode="continue"))
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.chat.controller.session is not None)
        await wait_for(pilot, lambda: shown(app) == ["new question", "new answer"])
        assert app.chat.controller.session.id == newer.id
        await wait_for(pilot, lambda: app.chat.query_one(StatePane).state == {"facts": {"k": "v"}})
        assert app.chat.query_one(CheckpointRows).row_count == 1
        assert app.focused is app.chat.query_one(PromptInput)


async def test_quitting_and_resuming_shows_the_same_session(
    make_app: Any, workspace: Workspace
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await send(pilot, "remember me")
        await send(pilot, "/checkpoint mine")
        await wait_for(pilot, lambda: len(app.chat.controller.session.checkpoints) == 2)
        session_id = app.chat.controller.session.id
        before = shown(app)
    again = make_app(Start(mode="resume", session_id=session_id))
    async with again.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: shown(again) == before)
        rows = again.chat.query_one(CheckpointRows)
        await wait_for(pilot, lambda: rows.row_count == 2)
        assert rows.snapshots[0].record.label == "mine"


async def test_resume_of_a_missing_session_says_so_and_starts_fresh(make_app: Any) -> None:
    app = make_app(Start(mode="resume", session_id="no-such-session"))
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app._notifications)
        assert any("No session named 'no-such-session'" in n.message for n in app._notifications)
        assert isinstance(app.screen, ChatScreen) and app.chat.controller.session is None


async def test_the_resume_picker_searches_content_and_previews(
    make_app: Any, workspace: Workspace
) -> None:
    seed(workspace, "about cats", ("tell me about cats", "they purr"))
    dogs = seed(workspace, "about dogs", ("and dogs?", "they bark at the mailman"))
    seed(workspace, "about fish", ("fish?", "they swim"))
    app = make_app(Start(mode="pick"))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        rows = app.screen.query_one(SessionRows)
        await wait_for(pilot, lambda: rows.row_count == 3)
        await pilot.press(*"mailman")  # typing searches: the search box has the focus
        await wait_for(pilot, lambda: rows.row_count == 1, what="the search")
        assert rows.summaries[0].id == dogs.id
        preview = app.screen.query_one("#resume-preview")
        await wait_for(pilot, lambda: "bark at the mailman" in str(preview.render()))
        await pilot.press("enter")  # opens the highlighted match
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: app.chat.controller.session is not None)
        assert app.chat.controller.session.id == dogs.id
        await wait_for(pilot, lambda: shown(app) == ["and dogs?", "they bark at the mailman"])


async def test_in_the_resume_picker_enter_opens_the_highlighted_row(
    make_app: Any, workspace: Workspace
) -> None:
    seed(workspace, "oldest", ("one", "1"))
    middle = seed(workspace, "middle", ("two", "2"))
    seed(workspace, "newest", ("three", "3"))
    app = make_app(Start(mode="pick"))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        rows = app.screen.query_one(SessionRows)
        await wait_for(pilot, lambda: rows.row_count == 3)
        assert rows.highlighted == 0
        await pilot.press("down")  # from the search box: moves the highlight
        assert app.focused is app.screen.query_one("#resume-input")
        highlighted = rows.highlighted_summary
        assert highlighted is not None and highlighted.id == middle.id
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: app.chat.controller.session is not None)
        assert app.chat.controller.session.id == middle.id


async def test_enter_right_after_typing_opens_the_first_match(
    make_app: Any, workspace: Workspace
) -> None:
    dogs = seed(workspace, "about dogs", ("and dogs?", "they bark at the mailman"))
    seed(workspace, "about cats", ("tell me about cats", "they purr"))  # the newest
    app = make_app(Start(mode="pick"))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        rows = app.screen.query_one(SessionRows)
        await wait_for(pilot, lambda: rows.row_count == 2)
        await pilot.press(*"bark", "enter")  # before the search has run (it waits 0.2 s)
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: app.chat.controller.session is not None)
        assert app.chat.controller.session.id == dogs.id


async def test_escape_in_the_resume_picker_starts_a_new_session(make_app: Any) -> None:
    app = make_app(Start(mode="pick"))
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen) and app.chat.controller.session is None


async def test_the_sidebar_filters_by_content_and_opens_a_session(
    make_app: Any, workspace: Workspace
) -> None:
    seed(workspace, "first", ("alpha question", "alpha answer"))
    second = seed(workspace, "second", ("beta question", "a zebra answer"))
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        rows = app.chat.query_one(SessionRows)
        await wait_for(pilot, lambda: rows.row_count == 2)
        assert [s.title for s in rows.summaries] == ["second", "first"]  # newest first
        app.chat.query_one("#session-search").focus()
        await pilot.press(*"zebra")
        await wait_for(pilot, lambda: rows.row_count == 1)
        await pilot.press("enter")
        assert app.focused is rows
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.controller.session is not None)
        assert app.chat.controller.session.id == second.id
        assert app.chat.query_one(SessionsSidebar).rows.current == second.id


async def test_sidebar_rows_tell_sessions_apart(
    make_app: Any, workspace: Workspace, tmp_path: Any
) -> None:
    """Same titles get their short ids, forks a mark before the title (truncation can't
    hide it), every row its update time and size, an unreadable log its id."""
    twin_a = seed(workspace, "My name is Ada. I live in Lisbon", ("hi", "hello"))
    twin_b = seed(workspace, "My name is Ada. I live in Lisbon", ("hi", "hello"), ("more", "ok"))
    fork = twin_b.fork()
    (workspace.paths.sessions_dir / "broken-one.jsonl").write_text("this is not json\n")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        rows = app.chat.query_one(SessionRows)
        await wait_for(pilot, lambda: rows.row_count == 4)
        lines = {
            s.id: (rows.row_text(i, 0, 30).plain, rows.row_text(i, 1, 30).plain)
            for i, s in enumerate(rows.summaries)
        }
        assert lines[fork.id][0].startswith("  ⑂ My name is Ada")
        first, second = lines[twin_a.id][1], lines[twin_b.id][1]
        assert first.endswith(twin_a.id[-6:]) and second.endswith(twin_b.id[-6:])
        assert "2 messages" in first and "4 messages" in second
        assert re.search(r"\d\d:\d\d · 4 messages", second)
        assert lines["broken-one"][0] == "  ✖ broken-one"
        assert "unreadable" in lines["broken-one"][1]
        assert not lines[fork.id][1].endswith(fork.id[-6:])  # its title is its own


def long_session(workspace: Workspace, messages: int) -> str:
    """A session of `messages` messages, "message 0" first, user and assistant in turn."""
    session = workspace.new_session(title="long")
    for n in range(messages):
        session.add_message("user" if n % 2 == 0 else "assistant", f"message {n}")
    return session.id


async def test_a_long_session_mounts_one_page_and_loads_more_at_the_top(
    make_app: Any, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversation_module, "FILL_AFTER", 0.001)  # as on a slow first layout
    app = make_app(Start(mode="resume", session_id=long_session(workspace, 150)))
    async with app.run_test(size=(100, 30)) as pilot:
        conversation = app.chat.query_one(Conversation)
        await wait_for(pilot, lambda: len(conversation.blocks) == PAGE)
        assert shown(app)[-1] == "message 149" and shown(app)[0] == f"message {150 - PAGE}"
        await pilot.pause(0.1)
        newest, top = conversation.blocks[-1].virtual_region, conversation.scroll_y
        bottom = top + conversation.scrollable_content_region.height
        assert top <= newest.y and newest.bottom <= bottom, (
            f"filling in keeps the newest in view: {top}/{conversation.max_scroll_y}"
        )
        assert app.chat.query_one(EarlierMarker).display
        conversation.scroll_home(animate=False, immediate=True)
        await wait_for(pilot, lambda: len(conversation.blocks) >= 2 * PAGE)
        await wait_for(pilot, lambda: conversation.scroll_y > 0)  # the reader stays put
        await pilot.pause(0.2)
        assert len(conversation.blocks) == 2 * PAGE  # and no more pages load by themselves
        assert shown(app)[0] == f"message {150 - 2 * PAGE}"


async def test_page_up_and_down_in_the_prompt_scroll_the_conversation(
    make_app: Any, workspace: Workspace
) -> None:
    app = make_app(Start(mode="resume", session_id=long_session(workspace, 60)))
    async with app.run_test(size=(100, 30)) as pilot:
        conversation = app.chat.query_one(Conversation)
        await wait_for(pilot, lambda: len(conversation.blocks) == PAGE)
        await wait_for(pilot, lambda: conversation.scroll_y == conversation.max_scroll_y > 0)
        end = conversation.scroll_y
        assert app.focused is app.chat.query_one(PromptInput)
        await pilot.press("pageup")
        await wait_for(pilot, lambda: conversation.scroll_y < end, what="scrolled up")
        assert end - conversation.scroll_y >= conversation.scrollable_content_region.height - 2
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: conversation.scroll_y == end, what="back at the end")
        assert app.focused is app.chat.query_one(PromptInput), "typing goes on in the prompt"


async def test_the_panes_the_person_showed_are_shown_again_after_a_restart(
    make_app: Any, workspace: Workspace
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.chat
        assert screen.has_class("-hide-state") and screen.has_class("-hide-checkpoints")
        await pilot.press("ctrl+t", "ctrl+g")  # show both (too narrow for them by default)
        await pilot.pause()
        assert not screen.has_class("-hide-state") and not screen.has_class("-hide-checkpoints")
        await wait_for(pilot, lambda: workspace.paths.ui_state_file.exists())
    again = make_app()
    async with again.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = again.chat
        assert not screen.has_class("-hide-state") and not screen.has_class("-hide-checkpoints")
        assert not screen.has_class("-hide-sidebar")  # untouched: it follows the width
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.has_class("-hide-state")
    third = make_app()
    async with third.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert third.chat.has_class("-hide-state")  # hidden, as last chosen
        assert not third.chat.has_class("-hide-checkpoints")
        assert third.chat.has_class("-hide-sidebar")  # 100 columns: too narrow for it
