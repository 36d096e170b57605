"""The composition root: every part is built once in cli/wiring.py and handed in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatcli.cli.wiring import workspace
from chatcli.llm import LiteLLMModel, loader


def test_one_environment_reaches_the_settings_the_model_client_and_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATCLI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHATCLI_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-for-the-wiring")

    ws = workspace(log=False)

    assert isinstance(ws.model, LiteLLMModel)
    assert ws.model.environ is ws.environ  # one copy, not a second read of os.environ
    assert ws.environ["OPENAI_API_KEY"] == "sk-for-the-wiring"
    assert ws.settings.model == "openai/gpt-4o-mini"
    assert ws.paths.data_dir == tmp_path / "data"
    assert ws.model.local is not None
    assert ws.model.local.models_dir == ws.paths.models_dir


def test_loading_litellm_leaves_the_process_environment_as_it_was() -> None:
    before = dict(os.environ)

    loader.load()

    assert loader.is_loaded()
    assert dict(os.environ) == before
