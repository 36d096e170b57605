"""A long reply streams into bounded Markdown segments, split only where it is safe."""

from __future__ import annotations

from typing import Any

from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.streamed_markdown import SEGMENT_CHARS, StreamedMarkdown, safe_break
from tests.tui.conftest import wait_for
from tests.tui.fakes import FakeModel, Scripted


def test_a_break_falls_after_a_blank_line_outside_fences_and_lists() -> None:
    text = "Intro.\n\n```python\nx = 1\n\ny = 2\n```\n\n- a\n\n- b\n\nOutro."
    cut = safe_break(text, 0)
    assert cut is not None and text[cut:] == "Outro."
    assert safe_break("one\n\n```\ncode\n\nmore", 0) == len("one\n\n")
    assert safe_break("no blank line at all", 0) is None
    assert safe_break("a\n\n    indented code", 0) is None


async def test_a_long_reply_is_split_into_segments_that_add_up(
    make_app: Any, model: FakeModel
) -> None:
    paragraph = "Checkpoints keep every turn restorable, and nothing is deleted. " * 4
    pieces = [paragraph + "\n\n" for _ in range(12)] + ["```python\nprint('done')\n```\n"]
    model.script.append(Scripted(pieces=pieces, gate_after=len(pieces)))
    app = make_app()
    async with app.run_test() as pilot:
        app.chat.query_one("#prompt").load_text("long one")
        await pilot.press("enter")
        await wait_for(pilot, model.at_gate.is_set)
        conversation = app.chat.query_one(Conversation)
        body = conversation.query_one(StreamedMarkdown)
        await wait_for(pilot, lambda: body.text == "".join(pieces))
        assert body.segments >= len(body.text) // (SEGMENT_CHARS + len(paragraph)) > 1
        model.gate.set()
        await wait_for(
            pilot, lambda: app.chat.turn_worker is not None and app.chat.turn_worker.is_finished
        )
        assert app.chat.controller.session is not None
        assert app.chat.controller.session.messages[-1].content == "".join(pieces)


async def test_text_written_after_the_widget_is_gone_is_kept_and_raises_nothing() -> None:
    from textual.app import App, ComposeResult

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield StreamedMarkdown()

    app = One()
    async with app.run_test() as pilot:
        body = app.query_one(StreamedMarkdown)
        await body.write("First paragraph.\n\n")
        await body.remove()
        await pilot.pause()
        long = "A paragraph that goes on. " * 20 + "\n\n"
        for _ in range(SEGMENT_CHARS // len(long) + 2):  # past a segment's end: a new one
            await body.write(long)
        assert body.text.startswith("First paragraph.\n\n") and body.text.endswith(long)
