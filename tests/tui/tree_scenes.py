"""Deterministic scenes of the history tree, for snapshot tests (see tests/tui/scenes.py).

A session built through the real ChatEngine: three turns, a regenerated reply,
an edited question (with its answer), a switch back, and a fork.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from chatcli.chat.workspace import Workspace
from chatcli.session import Session
from chatcli.tui.app import ChatApp
from chatcli.tui.screens.tree_screen import TreeScreen
from chatcli.tui.start import Start
from chatcli.tui.widgets.tree_rows import TreeRows
from tests.tui.fakes import FakeModel, frozen_clock
from tests.tui.scenes import Scene, _library, _ready, _session, _until, _workspace


def _drain(events: Any) -> None:
    async def run() -> None:
        async for _event in events:
            pass

    asyncio.run(run())


def _branched(ws: Workspace, model: FakeModel) -> Session[Any]:
    session = _session(ws, "lighthouse")
    engine = ws.engine_for(session)
    model.say("A lighthouse keeper finds a message in a bottle.")
    model.say("The message is from her own future.")
    model.say("She decides not to read the last line.")
    for text in ("Start a short story", "What is in the message?", "Add a twist ending"):
        _drain(engine.send(text))
    model.say("The bottle is empty: the message was the bottle itself.")
    _drain(engine.regenerate())
    second = next(m for m in session.messages if m.content == "What is in the message?")
    model.say("A map of an island that is not on any chart.")
    _drain(engine.edit(second.seq, "Who wrote the message?"))
    model.say("Her grandmother, sixty years ago.")
    _drain(engine.send("Why did she write it?"))
    twist = next(
        s for s, n in session.view.nodes.items() if n.message.content.startswith("The bottle")
    )
    session.switch(twist)
    session.fork(session_id="lighthouse-fork")
    return session


def tree_screen(tmp: Path, size: tuple[int, int] = (120, 36)) -> Scene:
    """The tree screen over the chat, the highlight on the edited branch (two rows below
    the active tip, past the fork)."""
    model = FakeModel()
    ws = _workspace(tmp, model)
    _library(ws, model)
    session = _branched(ws, model)
    app = ChatApp(ws, Start(mode="resume", session_id=session.id), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, _ready(app, 6))
        await pilot.press("f9")
        await _until(pilot, lambda: isinstance(app.screen, TreeScreen))
        rows = app.screen.query_one(TreeRows)
        await _until(pilot, lambda: rows.row_count > 0)
        await pilot.press("down", "down")
        await pilot.pause(0.1)

    return Scene(app, size, before, model)


def versions(tmp: Path, size: tuple[int, int] = (120, 36)) -> Scene:
    """The conversation on a regenerated reply: its header says 2/2."""
    model = FakeModel()
    ws = _workspace(tmp, model)
    _library(ws, model)
    session = _branched(ws, model)
    app = ChatApp(ws, Start(mode="resume", session_id=session.id), clock=frozen_clock)

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, _ready(app, 6))
        await pilot.pause(0.1)

    return Scene(app, size, before, model)
