"""Settings: config.toml, then CHATCLI_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatcli.config import load_settings
from chatcli.errors import ConfigError
from chatcli.paths import resolve_paths


def test_paths_follow_the_environment(tmp_path: Path) -> None:
    paths = resolve_paths(
        {"CHATCLI_DATA_DIR": str(tmp_path / "d"), "CHATCLI_CONFIG_DIR": str(tmp_path / "c")}
    )
    assert paths.sessions_dir == tmp_path / "d" / "sessions"
    assert paths.config_file == tmp_path / "c" / "config.toml"
    assert paths.agents_dir == tmp_path / "c" / "agents"
    assert not (tmp_path / "d").exists()  # nothing is created by looking


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    paths = resolve_paths(
        {"CHATCLI_DATA_DIR": str(tmp_path / "d"), "CHATCLI_CONFIG_DIR": str(tmp_path / "c")}
    )
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(
        'model = "openai/from-file"\napi_base = "http://127.0.0.1:1/v1"\nagent = "coder"\n'
        '[keymap]\ncheckpoint = "ctrl+k"\n'
    )
    from_file = load_settings(paths, {})
    assert (from_file.model, from_file.agent, from_file.keymap) == (
        "openai/from-file",
        "coder",
        {"checkpoint": "ctrl+k"},
    )
    env = {"CHATCLI_MODEL": "openai/from-env", "CHATCLI_API_KEY": "sk-secret"}
    from_env = load_settings(paths, env)
    assert from_env.model == "openai/from-env" and from_env.api_base == "http://127.0.0.1:1/v1"
    assert from_env.api_key is not None and from_env.api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(from_env)
    flagged = from_env.with_overrides(model="openai/from-flag", api_base=None)
    assert flagged.model == "openai/from-flag" and flagged.api_base == "http://127.0.0.1:1/v1"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("model = [", "Cannot read"),
        ("timeout = -3", "timeout"),
        ("no_such_setting = 1", "no_such_setting"),
    ],
)
def test_a_bad_config_is_one_clear_sentence(tmp_path: Path, text: str, words: str) -> None:
    paths = resolve_paths(
        {"CHATCLI_DATA_DIR": str(tmp_path / "d"), "CHATCLI_CONFIG_DIR": str(tmp_path / "c")}
    )
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {})
    sentence = caught.value.sentence()
    assert words in sentence and str(paths.config_file) in sentence and "\n" not in sentence


def test_a_bad_variable_is_named_not_the_file(tmp_path: Path) -> None:
    paths = resolve_paths(
        {"CHATCLI_DATA_DIR": str(tmp_path / "d"), "CHATCLI_CONFIG_DIR": str(tmp_path / "c")}
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {"CHATCLI_CONTEXT_WINDOW": "lots"})
    sentence = caught.value.sentence()
    assert sentence.startswith(
        "Bad setting 'context_window' in $CHATCLI_CONTEXT_WINDOW (the environment): "
    )
    assert str(paths.config_file) not in sentence and "\n" not in sentence
