"""The search screen: hits as you type, Enter opens the session at the hit.

Sessions are written to a real JSONL store; the index is the real one under the
workspace's data dir.
"""

from __future__ import annotations

from typing import Any

from chatcli.chat.workspace import Workspace
from chatcli.session import Session
from chatcli.session.records import ChatMessage, SessionRecord
from chatcli.tui.screens.chat_screen import ChatScreen
from chatcli.tui.screens.off_branch_screen import OffBranchScreen
from chatcli.tui.screens.search_screen import SearchScreen
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.hit_rows import HitRows
from chatcli.tui.widgets.notes import LaterMarker
from tests.tui.conftest import send, wait_for


def seed(workspace: Workspace, title: str, *pairs: tuple[str, str]) -> Session[Any]:
    session = workspace.new_session(title=title)
    for user, reply in pairs:
        session.add_message("user", user)
        session.add_message("assistant", reply)
        session.checkpoint(user, auto=True)
    return session


def long_session(workspace: Workspace, turns: int, needle_at: int) -> str:
    """A session of `turns` turns (written in one go) whose turn `needle_at` says 'okapi'."""
    lines: list[Any] = [SessionRecord(id="long", title="A long one")]
    for n in range(turns):
        word = "okapi" if n == needle_at else "filler"
        lines.append(ChatMessage(role="user", content=f"question {n} about a {word}"))
        lines.append(ChatMessage(role="assistant", content=f"answer {n}"))
    workspace.store.create(lines)
    return "long"


def found_block(app: Any) -> Any:
    blocks = [b for b in app.chat.query_one(Conversation).blocks if b.has_class("-found")]
    return blocks[0] if blocks else None


async def test_typing_shows_hits_and_enter_opens_the_session_at_the_hit(
    make_app: Any, workspace: Workspace
) -> None:
    seed(workspace, "Zoo", ("tell me about the capybara", "a large rodent"))
    seed(workspace, "Food", ("soup recipe", "boil water"))
    long_session(workspace, turns=1500, needle_at=20)  # 3,000 messages; the hit is #42
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        rows = screen.query_one(HitRows)
        await pilot.press(*"capy")  # the last word is a prefix while typing
        await wait_for(pilot, lambda: rows.row_count == 1, what="the capybara hit")
        assert rows.hits[0].title == "Zoo"
        assert "capybara" in rows.row_text(0, 1, 80).plain
        for _ in "capy":
            await pilot.press("backspace")
        await pilot.press(*"okapi")
        await wait_for(pilot, lambda: rows.hits and rows.hits[0].session == "long")
        assert (rows.hits[0].seq, rows.hits[0].active) == (42, True)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: found_block(app) is not None, what="the found message")
        block = found_block(app)
        assert block.message.seq == 42 and "okapi" in block.message.content
        assert app.chat.controller.session.id == "long"
        conversation = app.chat.query_one(Conversation)
        await pilot.pause(0.1)
        top, height = conversation.scroll_y, conversation.scrollable_content_region.height
        assert top <= block.virtual_region.y < top + height  # on screen
        assert conversation.query_one(LaterMarker).display  # 2,900-odd later ones not mounted
        # a new turn goes back to the newest messages
        await send(pilot, "back to now")
        await wait_for(pilot, lambda: found_block(app) is None)
        assert conversation.blocks[-1].message.content != "answer 20"


async def test_slash_search_and_a_rolled_back_hit_offers_its_checkpoint(
    make_app: Any, workspace: Workspace
) -> None:
    session = seed(workspace, "Branches", ("first turn", "fine"))
    first = session.checkpoints[0].record.id
    session.add_message("user", "ask about the quokka")
    session.add_message("assistant", "a happy marsupial")
    session.checkpoint("quokka turn", auto=True)
    session.restore(first)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await send(pilot, "/search quokka")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        rows = app.screen.query_one(HitRows)
        await wait_for(pilot, lambda: rows.row_count == 1)
        assert (rows.hits[0].seq, rows.hits[0].active) == (5, False)
        assert "rolled back" in rows.row_text(0, 0, 100).plain
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OffBranchScreen))
        found = app.screen.query(".off-branch-message.-found").first()
        assert "ask about the quokka" in str(found.render())
        await pilot.press("r")  # restore the checkpoint that holds it
        await wait_for(pilot, lambda: found_block(app) is not None, what="the restored hit")
        assert found_block(app).message.content == "ask about the quokka"
        stored = Session.load(workspace.store, session.id)
        assert [m.content for m in stored.view.messages()][-1] == "a happy marsupial"


async def test_escape_goes_back_and_bad_queries_are_just_text(
    make_app: Any, workspace: Workspace
) -> None:
    seed(workspace, "Zoo", ("tell me about the capybara", "a large rodent"))
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        rows = app.screen.query_one(HitRows)
        await pilot.press(*'capybara ) ( * - "')  # operators and an open quote: just text
        await wait_for(pilot, lambda: rows.row_count == 1)
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)


async def test_a_first_build_shows_progress_and_hits_come_when_it_is_done(
    make_app: Any, workspace: Workspace
) -> None:
    from textual.widgets import ProgressBar

    for n in range(300):
        workspace.store.create(
            [SessionRecord(id=f"s{n}"), ChatMessage(role="user", content=f"note marker{n}")]
        )
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        assert not workspace.search_index().exists()  # the window painted without it
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        bar = app.screen.query_one(ProgressBar)
        rows = app.screen.query_one(HitRows)
        await pilot.press(*"marker299")
        await wait_for(pilot, lambda: bar.total == 300, what="the progress bar's total")
        await wait_for(pilot, lambda: [h.session for h in rows.hits] == ["s299"], timeout=20)
        await wait_for(pilot, lambda: not bar.display)
