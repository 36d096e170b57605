"""`chatcli ask` with a key pasted into the prompt: redacted unless asked otherwise.

Against the loopback model server, which records each request: what reaches
the session log and what reaches the model must be the same redacted text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import Run, cli_env, invoke, log_messages, run_cli
from tests.fake_keys import github_classic, openai_project
from tests.model_server import ModelServer

MODEL = "openai/test-model"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, CHATCLI_API_KEY="test-key-for-the-loopback-server")


def ask(env: dict[str, str], server: ModelServer, *args: str, stdin: str | None = None) -> Run:
    return invoke(["ask", "-m", MODEL, "--api-base", server.url, *args], env, stdin=stdin)


def sent(server: ModelServer) -> str:
    """The last user message of the last request the model server received."""
    messages = server.requests[-1].body["messages"]
    return str([m for m in messages if m["role"] == "user"][-1]["content"])


def written(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (home / "data").rglob("*") if p.is_file())


def test_keys_in_the_prompt_are_redacted_in_the_log_and_the_request_with_one_note(
    tmp_path: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    openai, github = openai_project(), github_classic()
    prompt = f"Why does {openai} fail? My GitHub token is {github}, password: Tr0ub4dor&3"
    model_server.reply_text("Rotate those.")

    run = ask(env, model_server, "-s", "leak", prompt).ok()

    redacted = "Why does [redacted] fail? My GitHub token is [redacted], password: [redacted]"
    notes = [line for line in run.stderr.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: replaced 3 secrets (OpenAI API key, GitHub token, password) in the prompt "
        "with [redacted]; --allow-secrets sends it as typed."
    ]
    assert sent(model_server) == redacted
    assert log_messages(tmp_path, "leak")[0]["content"] == redacted
    for secret in (openai, github, "Tr0ub4dor&3"):
        assert secret not in run.output
        assert secret.encode() not in written(tmp_path)  # sessions, index and log file
        assert secret not in json.dumps(model_server.requests[-1].body)


def test_allow_secrets_sends_the_prompt_as_typed(
    tmp_path: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    key = openai_project()
    model_server.reply_text("OK.")
    run = ask(env, model_server, "--allow-secrets", "-s", "mine", f"use {key}").ok()
    assert "note:" not in run.stderr
    assert sent(model_server) == f"use {key}"
    assert log_messages(tmp_path, "mine")[0]["content"] == f"use {key}"


@pytest.mark.parametrize("where", ["environment", "config.toml"])
def test_the_guard_can_be_turned_off(
    tmp_path: Path, env: dict[str, str], model_server: ModelServer, where: str
) -> None:
    if where == "environment":
        env["CHATCLI_SECRET_GUARD"] = "0"
    else:
        config = tmp_path / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "config.toml").write_text("secret_guard = false\n")
    key = github_classic()
    model_server.reply_text("OK.")
    run = ask(env, model_server, "-s", "off", f"token {key}").ok()
    assert "note:" not in run.stderr
    assert sent(model_server) == f"token {key}"


def test_a_prompt_from_stdin_is_redacted_too_real_entry_point(
    tmp_path: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    key = openai_project()
    model_server.reply_text("Done.")
    run = run_cli(
        ["ask", "-m", MODEL, "--api-base", model_server.url, "--json", "-s", "piped", "-"],
        env,
        stdin=f"OPENAI_API_KEY={key}\n",
    ).ok()
    assert json.loads(run.stdout)["reply"] == "Done."
    assert "note: replaced 1 OpenAI API key in the prompt" in run.stderr
    assert key not in run.output
    assert sent(model_server) == "OPENAI_API_KEY=[redacted]\n"
    assert key.encode() not in written(tmp_path)


def test_a_prompt_without_secrets_is_sent_untouched(
    tmp_path: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    prompt = "commit 3f786850e387550fdab836ed7e6dc881de23001b broke session 123e4567-e89b-12d3-a456-426614174000"
    model_server.reply_text("Let me look.")
    run = ask(env, model_server, "-s", "plain", prompt).ok()
    assert "note:" not in run.stderr
    assert sent(model_server) == prompt
