"""Slash commands, their key bindings, the restore picker and the help screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from chatcli.config import Settings
from chatcli.session import RestoreRecord, Session
from chatcli.tui.screens.ask_text_screen import AskTextScreen
from chatcli.tui.screens.chat_screen import ChatScreen
from chatcli.tui.screens.help_screen import HelpScreen
from chatcli.tui.screens.restore_screen import RestoreScreen
from chatcli.tui.widgets.checkpoint_rows import CheckpointRows
from chatcli.tui.widgets.checkpoints_pane import CheckpointsPane
from chatcli.tui.widgets.conversation import Conversation
from chatcli.tui.widgets.notes import RestoreNote
from chatcli.tui.widgets.prompt_input import PromptInput
from chatcli.tui.widgets.status_bar import StatusBar
from tests.tui.conftest import send, wait_for
from tests.tui.fakes import FakeModel, make_workspace


def stored(app: Any) -> Session[Any]:
    session = app.chat.controller.session
    assert session is not None
    return Session.load(session.store, session.id)


def toasts(app: Any, start: str) -> list[str]:
    """The notifications so far that start with `start`, oldest first."""
    return [n.message for n in app._notifications if n.message.startswith(start)]


def shown_contents(app: Any) -> list[str]:
    return [b.message.content for b in app.chat.query_one(Conversation).blocks if b.message]


async def test_slash_checkpoint_saves_a_labelled_checkpoint(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await send(pilot, "hello")
        await send(pilot, "/checkpoint before the big question")
        await wait_for(pilot, lambda: len(stored(app).checkpoints) == 2)
        record = stored(app).checkpoints[-1].record
        assert (record.label, record.auto) == ("before the big question", False)
        await wait_for(pilot, lambda: app.chat.query_one(CheckpointRows).row_count == 2)
        top = app.chat.query_one(CheckpointRows).snapshots[0]
        assert top.record.id == record.id  # newest first
        assert app.chat.query_one(PromptInput).text == ""


async def test_checkpoints_are_numbered_and_an_unlabelled_one_is_named_for_its_turn(
    make_app: Any,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await send(pilot, "hello there")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(stored(app).checkpoints) == 2)
        record = stored(app).checkpoints[-1].record
        assert (record.label, record.auto) == ("turn 1: hello there", False)
        await wait_for(pilot, lambda: toasts(app, "Checkpoint #2"))
        assert toasts(app, "Checkpoint #2") == [
            f"Checkpoint #2 ({record.id}) saved: “turn 1: hello there”."
        ]
        rows = app.chat.query_one(CheckpointRows)
        await wait_for(pilot, lambda: rows.row_count == 2)
        assert rows.row_text(0, 0, 60).plain.startswith(f" #2 {record.id}")
        assert rows.row_text(1, 0, 60).plain.startswith(" #1 ")
        assert rows.row_text(1, 1, 60).plain == "   turn 1 · hello there"
        await send(pilot, "/restore 1")  # "checkpoint 1": the picker opens on it
        await wait_for(pilot, lambda: isinstance(app.screen, RestoreScreen))
        chosen = app.screen.query_one(CheckpointRows).highlighted_snapshot
        assert chosen is not None and chosen.record.id == stored(app).checkpoints[0].record.id


async def test_ctrl_s_is_the_checkpoint_key_and_the_keymap_can_move_it(
    tmp_path: Path, model: FakeModel, make_app: Any
) -> None:
    ws = make_workspace(
        tmp_path, model, settings=Settings(model="openai/test-model", keymap={"checkpoint": "f9"})
    )
    app = make_app(ws=ws)
    async with app.run_test() as pilot:
        await send(pilot, "hello")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert len(stored(app).checkpoints) == 1  # ctrl+s no longer checkpoints
        await pilot.press("f9")
        await wait_for(pilot, lambda: len(stored(app).checkpoints) == 2)
        assert stored(app).checkpoints[-1].record.auto is False


async def test_unknown_slash_command_is_a_toast_and_keeps_the_text(make_app: Any) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await send(pilot, "/frobnicate now")
        await pilot.pause()
        assert app.chat.query_one(PromptInput).text == "/frobnicate now"
        assert any("Unknown command /frobnicate" in n.message for n in app._notifications)
        assert app.chat.controller.session is None  # nothing was sent


async def test_double_slash_sends_a_slash(make_app: Any) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await send(pilot, "//etc/hosts is a file")
        assert stored(app).messages[0].content == "/etc/hosts is a file"


async def test_restore_through_the_picker_and_undo_it(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first question")
        await send(pilot, "second question")
        assert len(stored(app).messages) == 4
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, RestoreScreen))
        picker = app.screen
        rows = picker.query_one(CheckpointRows)
        assert rows.highlighted == 0  # the newest checkpoint
        await pilot.press("down")  # the end of the first turn
        preview = str(picker.query_one("#restore-preview").render())
        assert "Rolls back 2 messages" in preview
        assert "first question" in preview
        target = rows.highlighted_snapshot
        assert target is not None
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: len(stored(app).messages) == 2)
        session = stored(app)
        assert isinstance(session.records[-1], RestoreRecord)
        assert session.records[-1].checkpoint == target.record.id
        await wait_for(pilot, lambda: shown_contents(app)[-1].startswith("You said: first"))
        note = app.chat.query_one(RestoreNote)
        assert note.info.plan.rolls_back == 2 and note.info.undo is not None
        said = str(note.render())
        assert "2 messages rolled back (kept in the session log)" in said
        assert f"restore {note.info.undo} (Ctrl+R) to undo" in said
        await wait_for(pilot, lambda: toasts(app, "Restored"))
        assert toasts(app, "Restored")[-1] == (
            f"Restored {target.record.id}: 2 messages rolled back (kept in the log)."
        )
        undo_id = note.info.undo

        # Undo: restore the checkpoint the note names.
        await send(pilot, "/restore")
        await wait_for(pilot, lambda: isinstance(app.screen, RestoreScreen))
        rows = app.screen.query_one(CheckpointRows)
        undo = next(i for i, s in enumerate(rows.snapshots) if s.record.id == note.info.undo)
        rows.highlighted = undo
        await pilot.pause()
        preview = str(app.screen.query_one("#restore-preview").render())
        assert "Brings back 2 messages; keeps 2 messages." in preview
        assert "Rolls back" not in preview
        await pilot.click("#restore-confirm")
        await wait_for(pilot, lambda: len(stored(app).messages) == 4)
        await wait_for(pilot, lambda: len(shown_contents(app)) == 4)
        assert shown_contents(app)[2] == "second question"
        # What came back is said as such: not "nothing was rolled back", not "0 messages".
        await wait_for(pilot, lambda: toasts(app, f"Restored {undo_id}"))
        assert toasts(app, f"Restored {undo_id}") == [
            f"Restored {undo_id}: 2 messages brought back."
        ]
        await wait_for(pilot, lambda: app.chat.query_one(RestoreNote).info.checkpoint == undo_id)
        said = str(app.chat.query_one(RestoreNote).render())
        assert "2 messages brought back — restore" in said and "to undo" in said
        assert "Nothing" not in said and "rolled back" not in said


async def test_escape_closes_the_picker_without_restoring(make_app: Any) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await send(pilot, "one")
        await send(pilot, "/restore")
        await wait_for(pilot, lambda: isinstance(app.screen, RestoreScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert not any(isinstance(r, RestoreRecord) for r in stored(app).records)


async def test_selecting_a_checkpoint_in_the_pane_opens_the_picker_on_it(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await send(pilot, "one")
        await send(pilot, "two")
        pane = app.chat.query_one(CheckpointsPane)
        rows = pane.query_one(CheckpointRows)
        rows.focus()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RestoreScreen))
        chosen = app.screen.query_one(CheckpointRows).highlighted_snapshot
        assert chosen is not None and chosen.record.id == rows.snapshots[1].record.id


async def test_fork_continues_in_a_new_session(make_app: Any, workspace: Any) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await send(pilot, "shared start")
        original = app.chat.controller.session.id
        await send(pilot, "/fork")
        await wait_for(pilot, lambda: app.chat.controller.session.id != original)
        fork = stored(app)
        assert fork.parent is not None and fork.parent.session == original
        assert [m.content for m in fork.messages] == [
            m.content for m in Session.load(fork.store, original).messages
        ]
        await send(pilot, "only in the fork")
        assert len(Session.load(fork.store, original).messages) == 2
        assert len(stored(app).messages) == 4
        assert app.chat.query_one(StatusBar).status.location == fork.location


async def test_new_rename_model_and_export(
    make_app: Any, workspace: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test() as pilot:
        await send(pilot, "hello")
        await send(pilot, "/rename Greetings")
        await wait_for(pilot, lambda: stored(app).title == "Greetings")
        await send(pilot, "/model openai/other-model")
        await wait_for(pilot, lambda: stored(app).model == "openai/other-model")
        assert app.chat.query_one(StatusBar).status.model == "openai/other-model"
        await send(pilot, "/new")
        await wait_for(pilot, lambda: app.chat.controller.session is None)
        assert app.chat.query_one(Conversation).blocks == []
        assert len(workspace.sessions()) == 1  # /new writes nothing until a message


async def test_export_asks_where_and_offers_the_exports_folder(
    make_app: Any, workspace: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        session_id = app.chat.controller.session.id
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, AskTextScreen))
        field = app.screen.query_one("#ask-input", Input)
        offered = workspace.paths.data_dir / "exports" / f"{session_id}.md"
        assert field.value == str(offered)
        assert ".md, .json or .jsonl" in str(app.screen.query_one("#ask-hint").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: offered.exists())
        assert "hello" in offered.read_text()
        assert oct(offered.stat().st_mode & 0o777) == "0o600"
        assert oct(offered.parent.stat().st_mode & 0o777) == "0o700"
        await wait_for(pilot, lambda: toasts(app, "Exported"))
        assert toasts(app, "Exported") == [f"Exported to {offered}."]  # says where
        assert list(tmp_path.glob("chatcli-*")) == []  # nothing dropped in the current folder

        await send(pilot, "/export json")  # the next name is free, and the format follows
        await wait_for(pilot, lambda: isinstance(app.screen, AskTextScreen))
        field = app.screen.query_one("#ask-input", Input)
        assert field.value == str(offered.with_suffix(".json"))
        field.value = "mine.jsonl"  # relative: the current folder; the extension picks jsonl
        await pilot.press("enter")
        mine = tmp_path / "mine.jsonl"
        await wait_for(pilot, lambda: mine.exists())
        assert mine.read_text().startswith('{"type":"session"')
        assert oct(mine.stat().st_mode & 0o777) == "0o600"

        await pilot.press("f4")  # an existing file is never overwritten
        await wait_for(pilot, lambda: isinstance(app.screen, AskTextScreen))
        app.screen.query_one("#ask-input", Input).value = str(mine)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("already exists" in t for t in toasts(app, "")))
        assert mine.read_text().startswith('{"type":"session"')


async def test_rename_without_a_title_asks_for_one(make_app: Any) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await send(pilot, "hello")
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, AskTextScreen))
        field = app.screen.query_one("#ask-input")
        field.value = "Asked title"
        await pilot.press("enter")
        await wait_for(pilot, lambda: stored(app).title == "Asked title")


async def test_f1_and_slash_help_show_every_binding(make_app: Any) -> None:
    from chatcli.tui.commands.registry import COMMANDS

    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[3] for row in rows] == [c.id for c in COMMANDS]  # each command once
        usages = {row[3]: row[1] for row in rows}
        assert usages["checkpoint"] == "/checkpoint [label]" and usages["fork"] == "/fork"
        await pilot.press("escape")
        await send(pilot, "/help")
        assert isinstance(app.screen, HelpScreen)


async def help_table(app: Any, pilot: Any) -> DataTable[Any]:
    """F1's table, laid out."""
    await pilot.press("f1")
    assert isinstance(app.screen, HelpScreen)
    await pilot.pause()
    return app.screen.query_one("#help-table", DataTable)


async def test_f1_at_100_columns_shows_every_id_whole(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(100, 36)) as pilot:
        table = await help_table(app, pilot)
        right_edge = sum(c.get_render_width(table) for c in table.columns.values())
        assert right_edge <= table.scrollable_content_region.width  # nothing cut, Id included


async def test_f1_at_80x24_shows_what_each_key_does_and_the_whole_hint(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await help_table(app, pilot)
        labels = [str(c.label) for c in table.columns.values()]
        what = labels.index("What it does")
        right_edge = sum(
            c.get_render_width(table) for c in list(table.columns.values())[: what + 1]
        )
        assert right_edge <= table.scrollable_content_region.width  # never cut at 80 columns
        from chatcli.tui.commands.registry import COMMANDS

        for i, command in enumerate(COMMANDS):  # wrapped, every word kept
            shown = str(table.get_row_at(i)[what])
            assert " ".join(shown.split()) == " ".join(command.help.split())
            assert str(table.get_row_at(i)[labels.index("Command")]) == command.usage
        hint = app.screen.query_one("#help-hint")
        dialog = app.screen.query_one("#help-dialog")
        assert "Esc closes" in str(hint.render())
        assert hint.region.height >= 2  # it wraps rather than running off the edge
        assert dialog.region.contains_region(hint.region)
        assert hint.region.bottom <= 24


async def test_command_palette_offers_the_commands(make_app: Any) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        titles = [c.title for c in app.get_system_commands(app.chat)]
        for name in ("checkpoint", "restore", "fork", "new", "rename", "model", "export", "help"):
            assert any(t.startswith(f"/{name}") for t in titles), name
        await send(pilot, "hello")
        command = next(
            c for c in app.get_system_commands(app.chat) if c.title.startswith("/checkp")
        )
        command.callback()
        await wait_for(pilot, lambda: len(stored(app).checkpoints) == 2)


async def test_typing_a_slash_offers_the_commands(make_app: Any) -> None:
    from chatcli.tui.widgets.slash_menu import SlashMenu

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        menu = app.chat.query_one(SlashMenu)
        prompt = app.chat.query_one(PromptInput)
        assert not menu.display
        await pilot.press("/")
        assert menu.display
        assert [c.slash for c in menu.commands] == [
            "checkpoint",
            "restore",
            "fork",
            "new",
            "search",
            "rename",
            "model",
            "export",
            "compact",
            "tree",
            "regenerate",
            "edit",
            "memory",
            "help",
        ]
        assert "/rename TITLE" in str(menu.render())
        await pilot.press("r", "e")
        assert [c.slash for c in menu.commands] == ["restore", "rename", "regenerate", "tree"]
        await pilot.press("down", "tab")  # the second one
        assert prompt.text == "/rename "
        assert not menu.display  # its argument is being typed now
        prompt.clear()
        await pilot.press(*"/he")
        assert [c.slash for c in menu.commands] == ["help", "checkpoint"]  # starts, then contains
        await pilot.press("enter")  # takes it, and it needs no argument: it runs
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await pilot.press(*"/exp")
        await pilot.press("escape")  # closes the list, keeps the text
        assert not menu.display and prompt.text == "/exp"
        assert isinstance(app.screen, ChatScreen)


async def test_f3_offers_recent_models_and_the_ones_litellm_knows_for_the_keys_set(
    tmp_path: Path, model: FakeModel, make_app: Any
) -> None:
    from textual.widgets import Input, OptionList

    from chatcli.tui.screens.model_screen import ModelScreen

    ws = make_workspace(tmp_path, model)
    ws.environ = {"OPENAI_API_KEY": "sk-test"}
    app = make_app(ws=ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        await send(pilot, "/model openai/earlier-choice")  # a recent one
        await wait_for(pilot, lambda: app.chat.controller.model_name == "openai/earlier-choice")
        await send(pilot, "/model openai/test-model")
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelScreen))
        dialog = app.screen
        # the first call imports litellm (a few seconds on a busy machine)
        await wait_for(pilot, lambda: len(dialog.models) > 10, timeout=60, what="litellm's list")
        offered = [name for name, _why in dialog.models]
        assert offered[:2] == ["openai/test-model", "openai/earlier-choice"]
        assert "openai/gpt-4o-mini" in offered
        assert not any(name.startswith("anthropic/") for name in offered)  # no key for it
        field = dialog.query_one(Input)
        field.value = "4o-mini"
        await pilot.pause()
        options = dialog.query_one(OptionList)
        shown = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert shown and all("4o-mini" in str(name) for name in shown)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: app.chat.controller.model_name == shown[0])
        assert stored(app).model == shown[0]
