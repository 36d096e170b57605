"""The layers hold at run time, not only on paper: what each entry point imports.

Each check runs a fresh interpreter, since this test process may have loaded
litellm or textual already.
"""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import chatcli
import chatcli.tui
from tests.cli_helpers import BIN, cli_env

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("litellm", "textual")


def loaded_after(code: str) -> set[str]:
    """Top-level packages of HEAVY that `code` pulled into sys.modules."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    modules = json.loads(proc.stdout.splitlines()[-1])
    return {m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY}


def imported_by_command(args: list[str], tmp_path: Path) -> set[str]:
    """Modules `python -X importtime -m chatcli ARGS` imported (the real main)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "chatcli", *args],
        env=cli_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", proc.stderr, re.M)
    assert "chatcli.cli" in names, proc.stderr[-2000:]
    return set(names)


def test_the_core_imports_neither_textual_nor_litellm() -> None:
    code = "import chatcli.session, chatcli.store, chatcli.chat, chatcli.config, chatcli.paths"
    assert loaded_after(code) == set()


def test_every_module_outside_llm_and_tui_imports_neither() -> None:
    """Walk the whole package, so a new module can't quietly pull in a heavy import."""
    names = [
        m.name
        for m in pkgutil.walk_packages(chatcli.__path__, "chatcli.")
        if not m.name.startswith(("chatcli.tui", "chatcli.__main__"))
    ]
    assert "chatcli.cli" in names and "chatcli.store.jsonl" in names
    assert loaded_after("\n".join(f"import {n}" for n in names)) == set()


def test_the_chat_controller_runs_without_textual() -> None:
    """The chat screen's controller is tested without a terminal: it must not need one."""
    assert loaded_after("import chatcli.chat.controller") == set()


def test_the_tui_is_grouped_into_screens_widgets_commands_and_support() -> None:
    tui = Path(chatcli.tui.__file__).parent
    packages = {p.name for p in tui.iterdir() if (p / "__init__.py").exists()}
    assert packages == {"screens", "widgets", "commands", "support"}
    screens = [p.name for p in (tui / "screens").glob("*.py") if p.name != "__init__.py"]
    helpers = {  # the chat screen's parts
        "chat_actions.py",
        "chat_view.py",
        "chat_search.py",
        "chat_memory.py",
        "chat_branches.py",
    }
    assert all(name.endswith("_screen.py") for name in screens if name not in helpers), screens
    loose = sorted(p.name for p in tui.glob("*.py"))
    assert loose == ["__init__.py", "app.py", "start.py"], loose


def test_the_tui_does_not_import_litellm() -> None:
    """The chat window paints before litellm loads (it loads in a worker, later)."""
    tui = [m.name for m in pkgutil.walk_packages(chatcli.tui.__path__, "chatcli.tui.")]
    if "chatcli.tui.app" not in tui:
        tui.append("chatcli.tui")  # the app module is not there yet: check the package
    loaded = loaded_after("\n".join(f"import {n}" for n in ["chatcli.tui", *tui]))
    assert "litellm" not in loaded


@pytest.mark.parametrize(
    "args", [["--help"], ["sessions", "list"], ["sessions", "--help"], ["paths"]], ids=" ".join
)
def test_quick_commands_do_not_import_litellm(args: list[str], tmp_path: Path) -> None:
    names = imported_by_command(args, tmp_path)
    assert not {n for n in names if n.split(".")[0] == "litellm"}


def test_import_linter_contracts_pass() -> None:
    tool = BIN / "lint-imports"
    assert tool.exists(), f"import-linter is not installed next to {sys.executable}"
    proc = subprocess.run(
        [str(tool), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"Contracts: \d+ kept, 0 broken", proc.stdout), proc.stdout
    for contract in (
        "Layers",
        "Only llm imports litellm",
        "Only tui imports textual",
        "TUI layers: app -> screens -> widgets -> commands -> support",
        "The TUI's plain parts need no Textual",
    ):
        assert contract in proc.stdout, f"contract {contract!r} is missing from pyproject.toml"
