"""Snapshot tests: one per distinct look. Update with `pytest --snapshot-update`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.tui import scenes


def check(snap_compare: Any, scene: scenes.Scene) -> None:
    assert snap_compare(scene.app, terminal_size=scene.size, run_before=scene.run_before)


def test_empty_session(snap_compare: Any, tmp_path: Path) -> None:
    """A new session: empty conversation, the prompt with its placeholder focused,
    the sessions sidebar saying there are none, the status bar naming the model and
    agent that will answer and saying the session is saved on its first message, and
    the footer keys."""
    check(snap_compare, scenes.empty(tmp_path))


def test_conversation_with_code_block(snap_compare: Any, tmp_path: Path) -> None:
    """A resumed conversation: "You" and "Assistant" blocks in different colours,
    the reply's Python code block syntax-highlighted, three sessions in the sidebar
    (the open one marked, each with its update time and message count), model, tokens and the session file in the status bar."""
    check(snap_compare, scenes.code_block(tmp_path))


def test_mid_stream(snap_compare: Any, tmp_path: Path) -> None:
    """A reply halfway in: the assistant block headed "replying…" with the first
    half of its text, and the status bar saying the model is replying (Esc stops)."""
    check(snap_compare, scenes.mid_stream(tmp_path))


def test_state_pane_after_a_tool_call(snap_compare: Any, tmp_path: Path) -> None:
    """Wide layout: under "This session" the state tree holds facts name=Ada and
    favourite_drink=green tea, the last change is by tool:remember; "Everywhere" (user
    memory) has nothing yet; the conversation shows the folded tool calls
    and results with their state changes inline; checkpoints pane on the right."""
    check(snap_compare, scenes.tool_state(tmp_path))


def test_checkpoints_after_a_restore(snap_compare: Any, tmp_path: Path) -> None:
    """The checkpoints pane lists every checkpoint newest first, numbered (#4 … #1), auto
    ones and the manual "before the twist", with times, turn numbers and prompts, the restored
    cp5 highlighted; the conversation shows the restored first turn and a note: "4
    messages rolled back (kept in the session log) — restore cp12 (Ctrl+R) to undo"."""
    check(snap_compare, scenes.checkpoints(tmp_path))


def test_restore_picker(snap_compare: Any, tmp_path: Path) -> None:
    """The restore picker over the chat: checkpoints on the left, numbered #4…#1 with
    their turns, #2 highlighted; on the right what it rolls back, the conversation it ends with, and
    its state; Cancel and Restore buttons."""
    check(snap_compare, scenes.restore_picker(tmp_path))


def test_error(snap_compare: Any, tmp_path: Path) -> None:
    """A failed reply: an error toast at the top right (over the conversation, clear of
    the prompt and the status bar) with the rate-limit sentence, the partial reply
    marked "✖ error" with the sentence under it, and the unsent text back in the prompt."""
    check(snap_compare, scenes.error(tmp_path))


def test_small_terminal_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """80x24: side panes hidden, the conversation readable, the code block intact,
    prompt, status bar and footer all visible."""
    check(snap_compare, scenes.small(tmp_path))


def test_resume_picker(snap_compare: Any, tmp_path: Path) -> None:
    """`chatcli --resume`: the search box focused (typing searches, its placeholder says
    ↑↓ choose and Enter opens), three sessions newest first with ages, the newest
    highlighted, and a preview of its last messages."""
    check(snap_compare, scenes.resume_picker(tmp_path))


def test_help_screen(snap_compare: Any, tmp_path: Path) -> None:
    """F1: one row per command: its keys (one per line), what it does, its slash
    command and its id for the keymap; under the table, how to close and remap."""
    check(snap_compare, scenes.help_screen(tmp_path))


def test_help_screen_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """F1 at 80x24: the keys and what they do fit; the slash and id columns run off to
    the right (the table scrolls); the hint wraps onto two lines inside the dialog."""
    check(snap_compare, scenes.help_small(tmp_path))


def test_slash_menu_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """80x24, `/re` typed: above the prompt, /restore (highlighted), /rename TITLE,
    /regenerate and /tree with what each does; the conversation above is unchanged."""
    check(snap_compare, scenes.slash_menu(tmp_path))


def test_search_screen(snap_compare: Any, tmp_path: Path) -> None:
    """Ctrl+F with "lisbon day" typed (the last word a prefix as you type): the search box
    focused, "1 match", and one hit: the trip-planning session's title, its time, "you ·
    #2", and the snippet "Plan three days in Lisbon" with "days" and "Lisbon" highlighted;
    Esc (Back) in the footer."""
    check(snap_compare, scenes.search_screen(tmp_path))


def test_user_memory_in_the_state_pane(snap_compare: Any, tmp_path: Path) -> None:
    """Wide layout, the state pane in two parts: "This session" holds facts.dates = May 3-6
    (last change by tool:remember); "Everywhere" lists city = Lisbon "from 'Trip to
    Lisbon', … by the model" and name = Ada "… by you, from the command line"."""
    check(snap_compare, scenes.user_memory(tmp_path))
