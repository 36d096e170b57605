"""The TUI's first paint never waits for litellm: importing the app does not load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_does_not_import_litellm_or_the_dialogs() -> None:
    code = (
        "import sys, chatcli.tui.app, chatcli.tui.start\n"
        "heavy = ['litellm', 'openai', 'textual.widgets._markdown', 'chatcli.tui.screens.restore_screen']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_start_is_importable_without_textual() -> None:
    code = "import sys, chatcli.tui.start; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_first_paint_imports_neither_pydantic_nor_the_other_commands() -> None:
    """`chatcli` paints a skeleton before the settings, the store and `ask`/`sessions` load."""
    code = (
        "import sys, chatcli.cli, chatcli.cli.flags, chatcli.session.ids, chatcli.tui.app\n"
        "import chatcli.tui.screens.skeleton_screen, chatcli.tui.start\n"
        "heavy = ['pydantic', 'chatcli.config', 'chatcli.cli.ask', 'chatcli.cli.sessions',\n"
        "         'chatcli.cli.wiring', 'chatcli.tui.screens.chat_screen']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
