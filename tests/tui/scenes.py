"""Deterministic scenes for snapshot tests and scripts/screenshots.py.

Every scene is a ChatApp over a StampedStore (fixed times, a realistic path)
and a scripted FakeModel, with sessions built through the real ChatEngine
before the app starts, plus an optional `run_before` that drives the app to
the moment the picture shows. Same code, same picture, every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from chatcli.chat.workspace import Workspace
from chatcli.errors import ModelError
from chatcli.session import Session
from chatcli.tui.app import ChatApp
from chatcli.tui.screens.restore_screen import RestoreScreen
from chatcli.tui.start import Start
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.prompt_input import PromptInput
from chatcli.tui.widgets.session_rows import SessionRows
from tests.tui.fakes import MODEL, FakeModel, Scripted, StampedStore, frozen_clock, make_workspace

RunBefore = Callable[[Pilot[Any]], Awaitable[None]]

CODE_REPLY = """Here is a function that reverses words, with a test:

```python
def reverse_words(text: str) -> str:
    \"\"\"Reverse the order of words, keeping single spaces.\"\"\"
    return " ".join(reversed(text.split()))


assert reverse_words("persistent memory rocks") == "rocks memory persistent"
```

`split()` with no argument also collapses runs of whitespace."""

STREAM_REPLY = [
    "Checkpoints ",
    "are ",
    "saved ",
    "at ",
    "the ",
    "end ",
    "of ",
    "every ",
    "turn. ",
    "A ",
    "**restore** ",
    "moves ",
    "the ",
    "view ",
    "back, ",
    "but ",
    "nothing ",
    "is ",
    "deleted: ",
    "the ",
    "rolled-back ",
    "turns ",
    "stay ",
    "in ",
    "the ",
    "log.",
]


@dataclass
class Scene:
    """An app ready to run, and how to bring it to the moment shown."""

    app: ChatApp
    size: tuple[int, int]
    run_before: RunBefore | None = None
    model: FakeModel = field(default_factory=FakeModel)


async def _until(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("scene never got ready")
        await pilot.pause(0.02)


def _workspace(tmp: Path, model: FakeModel) -> Workspace:
    return make_workspace(tmp, model, store=StampedStore())


def _session(ws: Workspace, session_id: str) -> Session[Any]:
    return Session.create(ws.store, session_id=session_id, model=MODEL, agent="default")


def _turns(ws: Workspace, session: Session[Any], *texts: str) -> None:
    async def run() -> None:
        engine = ws.engine_for(session)
        for text in texts:
            async for _event in engine.send(text):
                pass

    asyncio.run(run())


def _library(ws: Workspace, model: FakeModel) -> Session[Any]:
    """A few sessions for the sidebar; returns the code one (opened last)."""
    for sid, question, answer in (
        ("trip-planning", "Plan three days in Lisbon", "Day 1: Alfama and the castle."),
        ("sql-help", "Why is my JOIN slow?", "Check that both columns are indexed."),
    ):
        model.say(answer)
        _turns(ws, _session(ws, sid), question)
    model.say(*[CODE_REPLY[i : i + 40] for i in range(0, len(CODE_REPLY), 40)])
    code = _session(ws, "reverse-words")
    _turns(ws, code, "Write a Python function that reverses the words in a sentence.")
    return code


def _ready(app: ChatApp, messages: int) -> Callable[[], bool]:
    def check() -> bool:
        conversation = app.chat.query_one(Conversation)
        rows = app.chat.query_one(SessionRows)
        return (
            app.chat.controller.session is not None
            and len(conversation.blocks) >= messages
            and rows.row_count > 0
        )

    return check


def empty(tmp: Path) -> Scene:
    """A new session: nothing on disk yet."""
    model = FakeModel()
    app = ChatApp(_workspace(tmp, model), Start(), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await pilot.pause(0.2)

    return Scene(app, (100, 30), before, model)


def code_block(tmp: Path, size: tuple[int, int] = (120, 36)) -> Scene:
    """A conversation whose reply holds a highlighted code block."""
    model = FakeModel()
    ws = _workspace(tmp, model)
    session = _library(ws, model)
    app = ChatApp(ws, Start(mode="resume", session_id=session.id), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, _ready(app, 2))
        await pilot.pause(0.1)

    return Scene(app, size, before, model)


def mid_stream(tmp: Path) -> Scene:
    """A reply halfway through streaming."""
    scene = code_block(tmp)
    model, app = scene.model, scene.app
    model.script.append(Scripted(pieces=STREAM_REPLY, gate_after=14))
    ready = scene.run_before

    async def before(pilot: Pilot[Any]) -> None:
        assert ready is not None
        await ready(pilot)
        app.chat.query_one(PromptInput).load_text("How do checkpoints work?")
        await pilot.press("enter")
        await _until(pilot, model.at_gate.is_set)
        conversation = app.chat.query_one(Conversation)
        expected = "".join(STREAM_REPLY[:14])
        await _until(
            pilot,
            lambda: (
                conversation.streaming is not None
                and conversation.streaming.streamed_text == expected
            ),
        )
        await pilot.pause(0.2)

    return Scene(app, scene.size, before, model)


def tool_state(tmp: Path) -> Scene:
    """The state pane after the model called a tool to remember facts."""
    model = FakeModel()
    ws = _workspace(tmp, model)
    _library(ws, model)
    session = _session(ws, "about-me")
    model.script.append(Scripted(tool_calls=[("remember", {"key": "name", "value": "Ada"})]))
    model.call_tool("remember", {"key": "favourite_drink", "value": "green tea"})
    model.say("Nice to meet you, Ada. I'll remember that you like green tea.")
    _turns(ws, session, "Hi! I'm Ada and I drink green tea every morning.")
    app = ChatApp(ws, Start(mode="resume", session_id=session.id), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, _ready(app, 6))
        await pilot.pause(0.1)

    return Scene(app, (160, 45), before, model)


def _history(tmp: Path) -> tuple[Workspace, Session[Any], FakeModel]:
    model = FakeModel()
    ws = _workspace(tmp, model)
    _library(ws, model)
    session = _session(ws, "story-drafts")
    for answer in (
        "A lighthouse keeper finds a message in a bottle.",
        "The message is from her own future.",
        "She decides not to read the last line.",
    ):
        model.say(answer)
    _turns(ws, session, "Start a short story", "What is in the message?")
    session.checkpoint("before the twist")
    _turns(ws, session, "Add a twist ending")
    return ws, session, model


def checkpoints(tmp: Path) -> Scene:
    """The checkpoints pane after a restore, with the note in the conversation."""
    ws, session, model = _history(tmp)
    first = session.checkpoints[0].record.id
    session.restore(first)
    app = ChatApp(ws, Start(mode="resume", session_id=session.id), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, _ready(app, 2))
        await pilot.pause(0.1)

    return Scene(app, (160, 45), before, model)


def restore_picker(tmp: Path) -> Scene:
    """The restore picker: a checkpoint chosen, its preview and what it rolls back."""
    ws, session, model = _history(tmp)
    app = ChatApp(ws, Start(mode="resume", session_id=session.id), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, _ready(app, 6))
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: isinstance(app.screen, RestoreScreen))
        await pilot.press("down", "down")
        await pilot.pause(0.1)

    return Scene(app, (120, 36), before, model)


def error(tmp: Path) -> Scene:
    """A reply that failed: the toast, the marked message, the text back in the prompt."""
    scene = code_block(tmp)
    model, app = scene.model, scene.app
    model.fail(
        ModelError(
            "rate_limit",
            "http://127.0.0.1:8080/v1 is rate-limiting requests.",
            "Wait 20 seconds (Retry-After) and try again.",
        ),
        "Sure, ",
        "the ",
    )
    ready = scene.run_before

    async def before(pilot: Pilot[Any]) -> None:
        assert ready is not None
        await ready(pilot)
        app.chat.query_one(PromptInput).load_text("Now make it handle punctuation")
        await pilot.press("enter")
        await _until(
            pilot, lambda: app.chat.turn_worker is not None and app.chat.turn_worker.is_finished
        )
        await _until(pilot, lambda: app.chat.query_one(PromptInput).text != "")
        await pilot.pause(0.2)

    return Scene(app, scene.size, before, model)


def small(tmp: Path) -> Scene:
    """The code conversation in an 80x24 terminal (side panes hidden)."""
    scene = code_block(tmp, size=(80, 24))
    return scene


def resume_picker(tmp: Path) -> Scene:
    """`chatcli --resume`: sessions, newest first, with a preview."""
    model = FakeModel()
    ws = _workspace(tmp, model)
    _library(ws, model)
    app = ChatApp(ws, Start(mode="pick"), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, lambda: app.screen.query(SessionRows))
        rows = app.screen.query_one(SessionRows)
        await _until(pilot, lambda: rows.row_count == 3)
        preview = app.screen.query_one("#resume-preview")
        await _until(pilot, lambda: "reverses" in str(preview.render()))
        await pilot.pause(0.1)

    return Scene(app, (120, 30), before, model)


def help_screen(tmp: Path) -> Scene:
    """F1: every key with its id, and the slash commands."""
    scene = empty(tmp)

    async def before(pilot: Pilot[Any]) -> None:
        await pilot.pause(0.1)
        await pilot.press("f1")
        await pilot.pause(0.1)

    return Scene(scene.app, (100, 36), before, scene.model)


def slash_menu(tmp: Path) -> Scene:
    """Typing `/re` in the code conversation at 80x24: the commands that fit, above the prompt."""
    scene = code_block(tmp, size=(80, 24))
    ready = scene.run_before

    async def before(pilot: Pilot[Any]) -> None:
        assert ready is not None
        await ready(pilot)
        await pilot.press("/", "r", "e")
        await pilot.pause(0.1)

    return Scene(scene.app, scene.size, before, scene.model)


def help_small(tmp: Path) -> Scene:
    """F1 in an 80x24 terminal."""
    scene = help_screen(tmp)
    return Scene(scene.app, (80, 24), scene.run_before, scene.model)


def user_memory(tmp: Path) -> Scene:
    """Both scopes in the state pane: the session's facts, and what every session sees,
    each entry with where it came from (a session, by the model; the command line, by you)."""
    model = FakeModel()
    ws = _workspace(tmp, model)
    _library(ws, model)
    ws.user_memory.set("name", "Ada", by="cli")
    trip = Session.create(ws.store, session_id="trip", title="Trip to Lisbon", model=MODEL)
    model.script.append(
        Scripted(
            tool_calls=[
                ("remember", {"key": "city", "value": "Lisbon", "scope": "user"}),
                ("remember", {"key": "dates", "value": "May 3-6"}),
            ]
        )
    )
    model.say("Lisbon in May it is: I will keep that you live there for next time.")
    _turns(ws, trip, "I live in Lisbon; plan my trip for May 3-6.")
    app = ChatApp(ws, Start(mode="resume", session_id=trip.id), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        from chatcli.tui.widgets.memory_rows import MemoryRows

        await _until(pilot, _ready(app, 4))
        await _until(pilot, lambda: app.chat.query_one(MemoryRows).row_count == 2)
        await pilot.pause(0.1)

    return Scene(app, (160, 45), before, model)


SCENES: dict[str, Callable[[Path], Scene]] = {
    "empty": empty,
    "code-block": code_block,
    "mid-stream": mid_stream,
    "tool-state": tool_state,
    "checkpoints": checkpoints,
    "restore-picker": restore_picker,
    "error": error,
    "small-80x24": small,
    "resume-picker": resume_picker,
    "help": help_screen,
    "help-80x24": help_small,
    "slash-menu": slash_menu,
    "user-memory": user_memory,
}


def search_screen(tmp: Path) -> Scene:
    """Ctrl+F over the library, "day*" typed: the hits with their sessions and snippets."""
    from chatcli.tui.widgets.hit_rows import HitRows

    scene = code_block(tmp)
    ready = scene.run_before

    async def before(pilot: Pilot[Any]) -> None:
        assert ready is not None
        await ready(pilot)
        await pilot.press("ctrl+f")
        await _until(pilot, lambda: pilot.app.screen.query(HitRows))
        await pilot.press(*"lisbon day")
        rows = pilot.app.screen.query_one(HitRows)
        await _until(pilot, lambda: rows.row_count == 1)
        await pilot.pause(0.1)

    return Scene(scene.app, scene.size, before, scene.model)
