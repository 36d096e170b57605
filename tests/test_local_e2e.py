"""The real offline model end to end through `chatcli ask` (needs chatcli[local])."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatcli.chat.agent import PromptRenderer, builtin_source
from chatcli.chat.history import model_messages
from chatcli.session import Session
from chatcli.store import JsonlStore
from tests.conftest import require_local_model

pytestmark = pytest.mark.local_model


@pytest.fixture(autouse=True, scope="module")
def _local_model_installed() -> None:
    require_local_model()


LOCAL = "local/gemma3-270m"


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")  # assembled once for the module


@pytest.fixture
def env(tmp_path: Path, models_dir: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    clean.pop("CHATCLI_MODEL", None)
    return {
        **clean,
        "CHATCLI_DATA_DIR": str(tmp_path / "data"),
        "CHATCLI_CONFIG_DIR": str(tmp_path / "config"),
        "CHATCLI_MODELS_DIR": str(models_dir),
    }


def chatcli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatcli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_with_no_key_the_offline_model_answers_and_remembers_across_processes(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = chatcli(env, "ask", "My name is Ada.")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip(), "the model streamed no reply"
    assert "Traceback" not in first.stderr and "llama" not in first.stderr.lower()
    session_id = first.stderr.split("session: ", 1)[1].split()[0]

    second = chatcli(env, "ask", "-s", session_id, "What is my name?")
    assert second.returncode == 0, second.stderr
    assert "Ada" in second.stdout

    saved = Session.load(JsonlStore(tmp_path / "data" / "sessions"), session_id)
    assert saved.model == LOCAL  # chosen because no key and no model was configured
    replies = [m for m in saved.messages if m.role == "assistant"]
    assert len(replies) == 2 and all(m.status == "complete" for m in replies)
    assert replies[0].usage and replies[0].usage["completion_tokens"] > 0


def test_after_a_restore_the_fact_is_gone_from_the_prompt(
    env: dict[str, str], tmp_path: Path
) -> None:
    made = chatcli(env, "sessions", "new", "--id", "ada", "--title", "restore test")
    assert made.returncode == 0, made.stderr
    before = chatcli(
        env, "sessions", "checkpoint", "ada", "--label", "before the fact"
    ).stdout.strip()
    told = chatcli(env, "ask", "-s", "ada", "-m", LOCAL, "My name is Ada.")
    assert told.returncode == 0, told.stderr
    assert chatcli(env, "sessions", "restore", "ada", before).returncode == 0

    store = JsonlStore(tmp_path / "data" / "sessions")
    restored = Session.load(store, "ada")
    system = asyncio.run(PromptRenderer().render(builtin_source(), restored.view.state))
    prompt = json.dumps(model_messages(system, restored.messages))
    assert "Ada" not in prompt  # what the model is sent next

    asked = chatcli(env, "ask", "-s", "ada", "-m", LOCAL, "What is my name?")
    assert asked.returncode == 0, asked.stderr
    assert "Ada" not in asked.stdout
    assert "My name is Ada." in (tmp_path / "data" / "sessions" / "ada.jsonl").read_text()  # kept
