"""`chatcli ask` against a real OpenAI-compatible server on 127.0.0.1.

litellm costs seconds to import, so only a few tests run the console script in
a subprocess (streaming, stdin with -c and --json, a cut-off reply, a missing
key); the rest go through click's CliRunner in this process.
"""

from __future__ import annotations

import json
import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import (
    Run,
    assert_one_error_line,
    assert_usage_error,
    cli_env,
    console_script,
    invoke,
    log_lines,
    log_messages,
    make_session,
    run_cli,
)
from tests.model_server import ModelServer

MODEL = "openai/test-model"
KEY = "sk-test-NEVER-STORE-ME-5f1e2d3c4b5a"
MODEL_NO_KEY = "openai/gpt-4o-mini"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home, CHATCLI_API_KEY=KEY)


def ask_args(server: ModelServer | str, *args: str) -> list[str]:
    url = server if isinstance(server, str) else server.url
    return ["ask", "-m", MODEL, "--api-base", url, *args]


def ask(
    env: dict[str, str], server: ModelServer | str, *args: str, stdin: str | None = None
) -> Run:
    return invoke(ask_args(server, *args), env, stdin=stdin)


def announced_session(run: Run) -> str:
    """The `session: ID` line a new session prints on stderr."""
    found = re.findall(r"^session: ([A-Za-z0-9_-]+)$", run.stderr, re.M)
    assert len(found) == 1, run.stderr
    return str(found[0])


def system_prompt(body: dict[str, Any]) -> str:
    first: dict[str, Any] = body["messages"][0]
    assert first["role"] == "system"
    return str(first["content"])


def conversation(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in body["messages"] if m["role"] != "system"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def everything_written(home: Path) -> str:
    """Every byte chatcli left under the data folder (sessions, index, logs)."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in (home / "data").rglob("*") if p.is_file()
    )


# -- the real entry point ---------------------------------------------------------------


def test_ask_streams_the_reply_and_saves_the_turn_real_entry_point(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.stall(seconds=20, after_chunks=3, text="Streaming works fine.")
    proc = subprocess.Popen(
        [console_script(), *ask_args(model_server, "hello there")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        shown = b""
        deadline = time.monotonic() + 45
        while b"Streaming works" not in shown and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                shown += chunk
        assert shown == b"Streaming works", "the first tokens reach stdout before the reply ends"
        assert proc.poll() is None, "the reply is still streaming"
        model_server.release()
        rest, err = proc.communicate(timeout=45)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    run = Run(proc.returncode, (shown + rest).decode(), err.decode())
    run.ok()
    assert run.stdout == "Streaming works fine.\n"
    sid = announced_session(run)
    assert run.stderr.strip() == f"session: {sid}"

    lines = log_lines(home, sid)
    assert [(m["role"], m["content"], m["status"]) for m in log_messages(home, sid)] == [
        ("user", "hello there", "complete"),
        ("assistant", "Streaming works fine.", "complete"),
    ]
    assert lines[-1]["type"] == "checkpoint" and lines[-1]["auto"] is True
    assert lines[-1]["at"] == lines[-2]["seq"]
    (request,) = model_server.requests
    assert request.has_authorization
    assert conversation(request.body) == [("user", "hello there")]
    assert KEY not in everything_written(home)


def test_ask_continue_reads_stdin_and_prints_json_real_entry_point(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    make_session(home, "older", [("unrelated", "words")])
    make_session(home, "recent", [("What is 2+2?", "4.")])
    model_server.reply_text("Still 4.")
    run = run_cli(ask_args(model_server, "-c", "--json", "-"), env, stdin="And now?\n").ok()

    out = json.loads(run.stdout)
    assert set(out) == {"session", "reply", "state", "usage"}
    assert (out["session"], out["reply"], out["state"]) == ("recent", "Still 4.", {})
    assert out["usage"]["prompt_tokens"] > 0 and out["usage"]["completion_tokens"] > 0
    assert "session:" not in run.stderr, "-c names no new session"
    (request,) = model_server.requests
    assert conversation(request.body) == [
        ("user", "What is 2+2?"),
        ("assistant", "4."),
        ("user", "And now?\n"),
    ]
    assert [m["content"] for m in log_messages(home, "recent")][-2:] == ["And now?\n", "Still 4."]
    assert len(log_messages(home, "older")) == 2


def test_a_cut_off_reply_is_kept_as_an_error_real_entry_point(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.cut_off(after_chunks=3, text="Half of a reply that never ends")
    run = run_cli(ask_args(model_server, "tell me a story"), env)
    assert run.code == 1
    assert_one_error_line(run, "cut off")
    sid = announced_session(run)
    assert run.stdout.startswith("Half of")
    messages = log_messages(home, sid)
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "error"),
    ]
    assert messages[0]["content"] == "tell me a story"
    assert messages[1]["content"] == "Half of"
    assert log_lines(home, sid)[-1]["type"] == "checkpoint"


def test_no_api_key_names_the_variable_and_sends_nothing_real_entry_point(home: Path) -> None:
    """No key, no api base: refused before litellm is even imported, so nothing is sent."""
    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen()
    trap.settimeout(0.2)
    proxy = f"http://127.0.0.1:{trap.getsockname()[1]}"
    env = cli_env(home, HTTPS_PROXY=proxy, HTTP_PROXY=proxy, ALL_PROXY=proxy)
    env.pop("NO_PROXY")
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-X",
                "importtime",
                "-m",
                "chatcli",
                *["ask", "-m", MODEL_NO_KEY, "hi"],
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        with pytest.raises(TimeoutError):
            trap.accept()[0].close()  # nobody tried to reach any server
    finally:
        trap.close()
    imported = [line for line in proc.stderr.splitlines() if line.startswith("import time:")]
    messages = [line for line in proc.stderr.splitlines() if not line.startswith("import time:")]
    assert imported, "importtime output is missing"
    assert not [line for line in imported if re.search(r"\|\s+litellm\b", line)]
    run = Run(proc.returncode, proc.stdout, "\n".join(messages))
    assert_one_error_line(run, "OPENAI_API_KEY")
    sid = announced_session(run)
    assert [m["content"] for m in log_messages(home, sid) if m["role"] == "user"] == ["hi"]


# -- sessions: -s, -c, new ----------------------------------------------------------------


def test_session_flag_creates_the_session_then_appends_to_it(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.reply_text("One.")
    model_server.reply_text("Two.")
    first = ask(env, model_server, "-s", "mine", "count with me").ok()
    assert first.stdout == "One.\n" and first.stderr == ""
    assert [m["content"] for m in log_messages(home, "mine")] == ["count with me", "One."]
    ask(env, model_server, "-s", "mine", "go on").ok()
    assert [m["content"] for m in log_messages(home, "mine")] == [
        "count with me",
        "One.",
        "go on",
        "Two.",
    ]
    assert conversation(model_server.requests[1].body) == [
        ("user", "count with me"),
        ("assistant", "One."),
        ("user", "go on"),
    ]
    checkpoints = [line for line in log_lines(home, "mine") if line["type"] == "checkpoint"]
    assert len(checkpoints) == 2 and all(c["auto"] for c in checkpoints)
    assert_one_error_line(ask(env, model_server, "-s", "../etc", "hi"), "not a valid session id")


def test_continue_picks_the_most_recently_updated_session(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    early = make_session(home, "early", [("Early question", "Early answer")])
    make_session(home, "later", [("Later question", "Later answer")])
    early.add_message("user", "bumped")  # now "early" is the most recently updated
    early.add_message("assistant", "ok")
    ask(env, model_server, "-c", "which one?").ok()
    (request,) = model_server.requests
    said = [content for _, content in conversation(request.body)]
    assert said == ["Early question", "Early answer", "bumped", "ok", "which one?"]
    assert log_messages(home, "early")[-1]["content"] == "You said: which one?"
    assert len(log_messages(home, "later")) == 2


def test_without_s_or_c_each_ask_starts_a_new_session(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    one = announced_session(ask(env, model_server, "first").ok())
    two = announced_session(ask(env, model_server, "second").ok())
    assert one != two
    assert conversation(model_server.requests[1].body) == [("user", "second")]
    listed = invoke(["sessions", "list", "--json"], env).ok().json()
    assert {r["id"]: r["messages"] for r in listed} == {one: 2, two: 2}


def test_remember_tool_changes_the_state_and_the_next_system_prompt(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.reply_tool_calls([("remember", {"key": "name", "value": "Ada"})])
    model_server.reply_text("Nice to meet you.")
    out = ask(env, model_server, "--json", "-s", "ada", "Call me by my name").ok().json()
    assert out["state"]["facts"]["name"] == "Ada"
    assert out["reply"] == "Nice to meet you."
    first, after_tool = (r.body for r in model_server.requests)
    assert "Ada" not in system_prompt(first)
    assert {t["function"]["name"] for t in first["tools"]} >= {"remember", "forget"}
    assert "Ada" in system_prompt(after_tool)

    state_lines = [line for line in log_lines(home, "ada") if line["type"] == "state"]
    assert [(s["state"], s["by"]) for s in state_lines] == [
        ({"facts": {"name": "Ada"}}, "tool:remember")
    ]
    shown = invoke(["sessions", "show", "ada", "--json"], env).ok().json()
    assert shown["state"] == {"facts": {"name": "Ada"}}
    roles = [m["role"] for m in shown["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert shown["messages"][1]["tool_calls"][0]["function"]["name"] == "remember"

    ask(env, model_server, "-s", "ada", "Who am I?").ok()
    assert "Ada" in system_prompt(model_server.requests[2].body)


def test_flags_before_ask_are_honoured(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    """`chatcli --api-base URL -m MODEL ask …` is how people type it: it must not fall back
    to the default model (here there is none, so ignoring the flags fails the turn)."""
    model_server.reply_text("Heard you.")
    run = invoke(["--api-base", model_server.url, "-m", MODEL, "ask", "-s", "front", "hi"], env)
    assert run.ok().stdout == "Heard you.\n"
    (request,) = model_server.requests
    assert request.body["model"] == "test-model"
    assert log_lines(home, "front")[0]["model"] == MODEL

    # -c before `ask` continues too; a flag after `ask` wins over the same flag before it
    wrong = "http://127.0.0.1:9/v1"  # nothing listens there
    run = invoke(
        ["--api-base", wrong, "-m", MODEL, "-c", "ask", "--api-base", model_server.url, "again"],
        env,
    )
    assert run.ok().stdout == "You said: again\n"
    assert [m["content"] for m in log_messages(home, "front")][-2:] == ["again", "You said: again"]


def test_flags_before_other_subcommands_are_refused(env: dict[str, str]) -> None:
    assert_usage_error(invoke(["-m", MODEL, "sessions", "list"], env), "-m", "sessions")
    assert_usage_error(invoke(["--resume", "x", "ask", "hi"], env), "ask -s ID")


def test_ask_refuses_bad_arguments(env: dict[str, str], model_server: ModelServer) -> None:
    assert_usage_error(ask(env, model_server, "-s", "x", "-c", "hi"), "-c")
    assert_one_error_line(ask(env, model_server, "-", stdin="  \n"), "empty")
    assert model_server.requests == []


# -- model errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "kind", "words"),
    [
        (lambda s: s.fail(401), "auth", ["rejected the API key"]),
        (lambda s: s.fail(429, retry_after=7), "rate_limit", ["rate-limiting", "7 seconds"]),
        (lambda s: s.fail(500), "server", ["500"]),
        (lambda s: s.fail(404), "unknown_model", [MODEL]),
        (lambda s: s.cut_off(after_chunks=2), "stream_cut", ["cut off"]),
        (None, "connection", ["Could not connect"]),
    ],
    ids=["401", "429", "500", "404", "cut-off", "refused"],
)
def test_model_errors_are_one_sentence_and_keep_the_question(
    home: Path, env: dict[str, str], model_server: ModelServer, script: Any, kind: str, words: Any
) -> None:
    if script is None:
        target: ModelServer | str = f"http://127.0.0.1:{closed_port()}/v1"
    else:
        script(model_server)
        target = model_server
    run = ask(env, target, "--json", "my precious question")
    assert run.code == 1
    line = assert_one_error_line(run, *words)
    out = run.json()
    assert out["error"]["kind"] == kind
    assert line == f"chatcli: {out['error']['message']}"
    sid = announced_session(run)
    assert sid == out["session"]

    messages = log_messages(home, sid)
    assert (messages[0]["role"], messages[0]["content"]) == ("user", "my precious question")
    replies = [m for m in messages if m["role"] == "assistant"]
    assert [m["status"] for m in replies] == ["error"]
    assert replies[0]["content"] == out["reply"]
    if kind == "stream_cut":
        assert out["reply"] == "This"
    assert log_lines(home, sid)[-1]["type"] == "checkpoint"
    assert len(model_server.requests) == (0 if script is None else 1)


def test_the_api_key_never_reaches_a_session_an_export_or_the_log(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.reply_text(f"Echoing nothing secret, {KEY[:6]}")
    model_server.fail(401, message=f"Incorrect API key provided: {KEY}")
    ask(env, model_server, "-s", "sec", "hello").ok()
    failed = ask(env, model_server, "-s", "sec", "again")
    assert failed.code == 1 and KEY not in failed.output
    assert all(r.has_authorization for r in model_server.requests)

    paths = invoke(["paths"], env).ok().stdout
    log_file = Path(re.search(r"^log file\s+(\S+)$", paths, re.M).group(1))  # type: ignore[union-attr]
    assert log_file.is_file() and log_file.stat().st_size > 0, "the failure was logged"
    assert KEY not in log_file.read_text("utf-8")
    for fmt in ("md", "json", "jsonl"):
        assert KEY not in invoke(["sessions", "export", "sec", "-f", fmt], env).ok().stdout
    assert KEY not in everything_written(home)
