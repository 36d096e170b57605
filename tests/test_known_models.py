"""The model picker's list: litellm's own catalogue, only for providers whose keys are set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chatcli.llm.known_models import known_models

ROOT = Path(__file__).resolve().parents[1]


def test_only_chat_models_of_providers_with_a_key() -> None:
    assert known_models({}) == []
    openai = known_models({"OPENAI_API_KEY": "sk-x"})
    assert "openai/gpt-4o-mini" in openai
    assert all(m.startswith("openai/") for m in openai)
    assert not any("embedding" in m or "dall-e" in m or "tts" in m for m in openai)
    both = known_models({"OPENAI_API_KEY": "sk-x", "ANTHROPIC_API_KEY": "sk-y"})
    assert any(m.startswith("anthropic/claude") for m in both) and set(openai) <= set(both)


def test_importing_it_does_not_import_litellm() -> None:
    code = "import sys, chatcli.llm.known_models; print('litellm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
