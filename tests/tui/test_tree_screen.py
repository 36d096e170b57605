"""The tree in the TUI: the tree screen (F9, /tree), flipping versions (1/2), regenerate (Alt+R), edit (F10).

The real engine and store run; the model is the scripted FakeModel (the real
litellm client against the loopback server is in tests/test_tree.py).
"""

from __future__ import annotations

from typing import Any

from chatcli.session import Session
from chatcli.tui.app import ChatApp
from chatcli.tui.screens.tree_screen import TreeScreen
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.message_block import MessageBlock
from chatcli.tui.widgets.prompt_input import PromptInput
from chatcli.tui.widgets.tree_rows import TreeRows
from tests.tui.conftest import send, wait_for
from tests.tui.fakes import FakeModel


def stored(app: ChatApp) -> Session[Any]:
    session = app.chat.controller.session
    assert session is not None
    return Session.load(session.store, session.id)


def shown(app: ChatApp) -> list[str]:
    blocks = app.chat.query_one(Conversation).blocks
    return [b.message.content for b in blocks if b.message is not None]


def headers(app: ChatApp) -> list[str]:
    return [
        str(b.query_one(".message-header").render())
        for b in app.chat.query_one(Conversation).blocks
    ]


def versions(index: int, count: int) -> str:
    """What a header ends with for version `index` of `count`: the angle-quoted 2/3."""
    return f"\u2039 {index}/{count} \u203a"


def turn_done(app: ChatApp) -> bool:
    return app.chat.turn_worker is not None and app.chat.turn_worker.is_finished


async def regenerated(pilot: Any, app: ChatApp, model: FakeModel) -> None:
    """Two turns, then Alt+R with a different reply."""
    model.say("Paris.").say("About 2 million.").say("Roughly 2.1 million.")
    await send(pilot, "Capital of France?")
    await send(pilot, "How many live there?")
    before = app.chat.turn_worker
    await pilot.press("alt+r")
    await wait_for(pilot, lambda: app.chat.turn_worker is not before and turn_done(app))
    await wait_for(pilot, lambda: shown(app)[-1:] == ["Roughly 2.1 million."])


async def test_regenerate_shows_one_of_two_and_the_keys_flip_between_them(
    make_app: Any, model: FakeModel
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await regenerated(pilot, app, model)
        assert model.calls[-1][-1] == {"role": "user", "content": "How many live there?"}
        assert [m["role"] for m in model.calls[-1] if m["role"] != "system"] == [
            "user",
            "assistant",
            "user",
        ], "the new reply is asked for with its own branch only"
        assert headers(app)[-1].endswith(versions(2, 2))
        assert "/2" not in headers(app)[0]

        await pilot.press("alt+left")
        await wait_for(pilot, lambda: shown(app)[-1:] == ["About 2 million."])
        assert headers(app)[-1].endswith(versions(1, 2))
        assert stored(app).messages[-1].content == "About 2 million.", "switched in the log"
        assert [r.type for r in stored(app).records[-1:]] == ["branch"]

        await pilot.press("alt+right")
        await wait_for(pilot, lambda: shown(app)[-1:] == ["Roughly 2.1 million."])
        assert headers(app)[-1].endswith(versions(2, 2))


async def test_the_tree_screen_shows_the_branches_and_enter_switches(
    make_app: Any, model: FakeModel
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await regenerated(pilot, app, model)
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, TreeScreen))
        screen = app.screen
        assert isinstance(screen, TreeScreen)
        rows = screen.query_one(TreeRows)
        assert [(r.prefix, r.role, r.active, r.run.count) for r in rows.rows] == [
            ("", "user", True, 3),
            ("├─", "assistant", False, 1),
            ("└─", "assistant", True, 1),
        ]
        assert rows.highlighted == 2, "the highlight starts on the active branch"
        preview = screen.query_one("#tree-preview")
        assert "shown now" in str(preview.render())

        await pilot.press("up")
        await wait_for(pilot, lambda: "About 2 million." in str(preview.render()))
        assert "Leaves the active view after" in str(preview.render())
        assert shown(app)[-1] == "Roughly 2.1 million.", "a preview changes nothing"

        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, TreeScreen))
        await wait_for(pilot, lambda: shown(app)[-1:] == ["About 2 million."])
        session = stored(app)
        assert session.messages[-1].content == "About 2 million."
        assert len(session.tree()) == 5, "nothing was deleted"

        await send(pilot, "/tree")  # the slash command opens it too
        await wait_for(pilot, lambda: isinstance(app.screen, TreeScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TreeScreen))


async def test_edit_a_picked_message_starts_a_sibling_branch(
    make_app: Any, model: FakeModel
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        model.say("Paris.").say("About 2 million.").say("About 11 million.")
        await send(pilot, "Capital of France?")
        await send(pilot, "How many live there?")
        await wait_for(pilot, lambda: shown(app)[-1:] == ["About 2 million."])
        await pilot.press("alt+up")  # pick the newest message, then go up to the question
        await pilot.press("up")
        focused = app.chat.focused
        assert isinstance(focused, MessageBlock) and focused.message is not None
        assert focused.message.content == "How many live there?"
        await pilot.press("enter")
        prompt = app.chat.query_one(PromptInput)
        await wait_for(pilot, lambda: prompt.text == "How many live there?")
        assert prompt.has_class("-editing") and app.chat.focused is prompt

        prompt.load_text("And the metro area?")
        before = app.chat.turn_worker
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.turn_worker is not before and turn_done(app))
        await wait_for(pilot, lambda: shown(app)[-1:] == ["About 11 million."])
        assert shown(app) == [
            "Capital of France?",
            "Paris.",
            "And the metro area?",
            "About 11 million.",
        ]
        assert [(m["role"], m["content"]) for m in model.calls[-1] if m["role"] != "system"] == [
            ("user", "Capital of France?"),
            ("assistant", "Paris."),
            ("user", "And the metro area?"),
        ]
        assert headers(app)[2].endswith(versions(2, 2))
        assert not prompt.has_class("-editing")
        tree = stored(app).tree()
        paris = tree.active_path()[1]
        assert [tree.nodes[s].message.content for s in tree.nodes[paris].children] == [
            "How many live there?",
            "And the metro area?",
        ]


async def test_bad_branch_requests_are_toasts(make_app: Any, model: FakeModel) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("alt+r")
        await pilot.pause()
        assert any("send a message first" in n.message for n in app._notifications)
        await send(pilot, "Hello")
        await send(pilot, "/edit 99")
        await wait_for(pilot, lambda: any("no message 99" in n.message for n in app._notifications))
        reply = stored(app).messages[-1].seq
        await send(pilot, f"/edit {reply}")
        await wait_for(
            pilot, lambda: any("not a user message" in n.message for n in app._notifications)
        )
        await pilot.press("alt+left")
        await wait_for(
            pilot, lambda: any("another version" in n.message for n in app._notifications)
        )
        await send(pilot, f"/edit {stored(app).messages[0].seq}")
        prompt = app.chat.query_one(PromptInput)
        assert prompt.text == "Hello" and prompt.has_class("-editing")
        await pilot.press("escape")
        assert prompt.text == "" and not prompt.has_class("-editing")
        assert len(stored(app).messages) == 2, "nothing was written"


async def test_each_turn_shows_below_the_reply_before_it(make_app: Any, model: FakeModel) -> None:
    """A streamed reply settles where it streamed: above the next turn's question
    (it once went in below the "later messages" marker, so the next question showed
    above it)."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        model.say("Paris.").say("About 2 million.")
        await send(pilot, "Capital of France?")
        await send(pilot, "How many live there?")
        await wait_for(pilot, lambda: shown(app)[-1:] == ["About 2 million."])
        conversation = app.chat.query_one(Conversation)
        order = [
            c.message.content
            for c in conversation.children
            if isinstance(c, MessageBlock) and c.message
        ]
        assert order == ["Capital of France?", "Paris.", "How many live there?", "About 2 million."]


async def test_a_fork_row_opens_the_fork(make_app: Any, model: FakeModel) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        model.say("Paris.")
        await send(pilot, "Capital of France?")
        parent = stored(app)
        fork = parent.fork(session_id="france-fork")
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, TreeScreen))
        rows = app.screen.query_one(TreeRows)
        assert [(r.role, r.fork.session if r.fork else None) for r in rows.rows] == [
            ("user", None),
            ("fork", "france-fork"),
        ]
        await pilot.press("down")
        preview = app.screen.query_one("#tree-preview")
        await wait_for(pilot, lambda: "france-fork" in str(preview.render()))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, TreeScreen))
        await wait_for(
            pilot,
            lambda: (
                app.chat.controller.session is not None
                and app.chat.controller.session.id == fork.id
            ),
        )
        assert stored(app).parent is not None and stored(app).parent.session == parent.id
