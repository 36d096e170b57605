"""User memory end to end: `chatcli memory …` and `chatcli ask` against the loopback model
server through litellm's real client, on the file store and on a real redis-server.

Each test runs once per backend (`backend`): files under the data dir, and Redis
(CHATCLI_STORE=redis://…, a key prefix of the test's own in config.toml).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import Run, assert_one_error_line, cli_env, invoke
from tests.model_server import ModelServer
from tests.redis_server import RedisServer, unique_prefix

MODEL = "openai/test-model"
KEY = "sk-test-NEVER-STORE-ME-memory-0123"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["files", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def config(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Path:
    """config.toml (for Redis: a key prefix of this test's own); tests may add lines."""
    folder = tmp_path / "config"
    folder.mkdir(parents=True)
    file = folder / "config.toml"
    prefix = unique_prefix(request.node.name) if backend == "redis" else "chatcli:"
    file.write_text(f'redis_prefix = "{prefix}"\n')
    return file


@pytest.fixture
def env(tmp_path: Path, backend: str, config: Path, request: pytest.FixtureRequest) -> Any:
    extra = {"CHATCLI_API_KEY": KEY}
    if backend == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        extra["CHATCLI_STORE"] = server.url
    return cli_env(tmp_path, **extra)


def ask(env: dict[str, str], server: ModelServer, *args: str) -> Run:
    return invoke(["ask", "-m", MODEL, "--api-base", server.url, *args], env)


def memory(env: dict[str, str], *args: str) -> Run:
    return invoke(["memory", *args], env)


def system_prompt(server: ModelServer, request: int = -1) -> str:
    first = server.requests[request].body["messages"][0]
    assert first["role"] == "system"
    return str(first["content"])


def test_a_fact_set_from_the_cli_reaches_the_next_system_prompt(
    env: dict[str, str], model_server: ModelServer
) -> None:
    assert memory(env, "set", "name", "Ada").ok().stdout == "Remembered name = Ada.\n"
    model_server.reply_text("Hello, Ada.")
    ask(env, model_server, "-s", "n1", "hi").ok()
    assert "name: Ada" in system_prompt(model_server)


def test_the_model_remembers_for_every_session_and_restores_leave_it(
    env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.reply_text("Hello.")
    ask(env, model_server, "-s", "s1", "hello").ok()  # checkpoint #1: before any memory
    model_server.reply_tool_calls(
        [
            ("remember", {"key": "city", "value": "Lisbon", "scope": "user"}),
            ("remember", {"key": "trip", "value": "May"}),  # the session's own state
        ]
    )
    model_server.reply_text("Noted.")
    turn = ask(env, model_server, "-s", "s1", "--json", "I live in Lisbon; the trip is in May")
    said = turn.ok().json()
    assert said["state"] == {"facts": {"trip": "May"}}  # user memory is not session state
    assert "note: the model remembered city = Lisbon for every session" in turn.stderr
    tool_results = [m for m in model_server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert tool_results[0]["content"] == "Remembered city = Lisbon for every session."

    (entry,) = memory(env, "list", "--json").ok().json()
    assert {k: entry[k] for k in ("key", "value", "by", "session")} == {
        "key": "city",
        "value": "Lisbon",
        "by": "tool:remember",
        "session": "s1",
    }
    log = invoke(["sessions", "export", "s1", "--format", "jsonl"], env).ok().stdout
    asked = [json.loads(line) for line in log.splitlines() if '"tool_calls"' in line]
    assert entry["seq"] == asked[0]["seq"]  # the message whose tool call kept it
    assert set(entry) == {"key", "value", "by", "session", "seq", "ts", "line"}

    model_server.reply_text("You live in Lisbon.")
    other = ask(env, model_server, "-s", "s2", "--json", "where do I live?").ok().json()
    assert "city: Lisbon" in system_prompt(model_server)
    assert other["state"] == {}  # s2's session state never heard of it

    first = invoke(["sessions", "checkpoints", "s1", "--json"], env).ok().json()[0]["id"]
    restored = invoke(["sessions", "restore", "s1", first], env).ok().stdout
    assert "User memory (chatcli memory) is not rolled back." in restored
    shown = invoke(["sessions", "show", "s1", "--json"], env).ok().json()
    assert shown["state"] == {}  # the session's state rolled back ...
    assert [e["key"] for e in memory(env, "list", "--json").ok().json()] == ["city"]  # ... not this

    model_server.reply_text("Hi again.")  # a fork shares user memory
    fork = invoke(["sessions", "fork", "s1", "--json"], env).ok().json()["id"]
    ask(env, model_server, "-s", fork, "hi").ok()
    assert "city: Lisbon" in system_prompt(model_server)

    assert memory(env, "forget", "city").ok().code == 0
    model_server.reply_text("I do not know.")
    ask(env, model_server, "-s", "s2", "where do I live now?").ok()
    assert "Lisbon" not in system_prompt(model_server)


def test_with_approval_ask_chatcli_ask_declines_and_says_how_to_allow_it(
    env: dict[str, str], config: Path, model_server: ModelServer
) -> None:
    with open(config, "a") as fh:
        fh.write('memory_approval = "ask"\n')
    model_server.remember("city", "Lisbon", scope="user")
    model_server.reply_text("Fine.")
    run = ask(env, model_server, "-s", "s1", "I live in Lisbon").ok()
    notes = [line for line in run.stderr.splitlines() if "memory_approval" in line]
    assert len(notes) == 1 and notes[0].startswith("note: ")
    assert "declined" in notes[0] and 'memory_approval = "auto"' in notes[0]
    assert "chatcli memory set city Lisbon" in notes[0]
    tool = [m for m in model_server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert tool[0]["content"].startswith("Not saved for every session (city = Lisbon)")
    assert memory(env, "list", "--json").ok().json() == []


def test_four_processes_writing_different_keys_at_once_keep_all(env: dict[str, str]) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.helpers_memory_writer", f"p{n}", "25"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        for writer in writers:  # all open, none has written (the log does not exist yet)
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        outputs = [writer.communicate(timeout=120) for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0 and out == "done 25\n", err
    listed = {e["key"]: e["value"] for e in memory(env, "list", "--json").ok().json()}
    assert listed == {f"p{n}-{i}": str(i) for n in range(4) for i in range(25)}
    history = memory(env, "history", "--json").ok().json()
    assert [r["seq"] for r in history] == list(range(2, 102))  # one line each, no gaps
    assert "User memory: no problem(s)." in invoke(["sessions", "doctor"], env).ok().stdout


def test_history_undo_and_export(env: dict[str, str]) -> None:
    memory(env, "set", "city", "Lisbon").ok()
    memory(env, "set", "city", "Porto").ok()
    assert memory(env, "undo").ok().stdout == "Undid #3 (city = Lisbon).\n"
    assert [e["value"] for e in memory(env, "list", "--json").ok().json()] == ["Lisbon"]
    history = memory(env, "history", "--json").ok().json()
    assert [(r["by"], r.get("undoes")) for r in history] == [("cli", None)] * 2 + [("cli", 3)]
    lines = memory(env, "history").ok().stdout.splitlines()
    assert len(lines) == 3 and "undid #3" in lines[2]
    exported = json.loads(memory(env, "export").ok().stdout)
    assert exported["state"] == {"facts": {"city": "Lisbon"}}
    raw = memory(env, "export", "--format", "jsonl").ok().stdout.splitlines()
    assert [json.loads(line)["type"] for line in raw] == ["session"] + ["memory"] * 3


def test_bad_input_is_one_sentence(env: dict[str, str]) -> None:
    assert_one_error_line(memory(env, "forget", "nothing"), "Nothing is remembered", "list")
    assert_one_error_line(memory(env, "undo"), "no change to undo")
    assert_one_error_line(memory(env, "set", " ", "x"), "cannot be a memory key")


def test_any_prompt_file_reads_user_memory_as_at_user(
    env: dict[str, str], tmp_path: Path, model_server: ModelServer
) -> None:
    agents = tmp_path / "config" / "agents"
    agents.mkdir(parents=True)
    (agents / "mine.prompt").write_text(
        "---\nconfig: {}\n---\nUser {{@user.facts.name}}; session {{@state.facts.name}}.\n"
    )
    memory(env, "set", "name", "Ada").ok()
    model_server.remember("name", "Bea")  # scope "session" (the default)
    model_server.reply_text("Hi.")
    ask(env, model_server, "--agent", "mine", "-s", "a1", "call me Bea here").ok()
    assert system_prompt(model_server, 0) == "User Ada; session ."
    assert system_prompt(model_server) == "User Ada; session Bea."


def test_doctor_finds_and_repairs_a_torn_memory_line(tmp_path: Path) -> None:
    """Files only: a Redis log has no torn lines (each line is one list element)."""
    env = cli_env(tmp_path)
    memory(env, "set", "name", "Ada").ok()
    log = tmp_path / "data" / "memory" / "user.jsonl"
    with open(log, "ab") as fh:
        fh.write(b'{"type":"memory","seq":3,"st')
    report = invoke(["sessions", "doctor"], env)
    assert report.code == 1 and "unterminated last line" in report.stdout
    fixed = invoke(["sessions", "doctor", "--repair"], env).ok().stdout
    assert "user memory: moved the torn last line to" in fixed
    assert "User memory: no problem(s)." in fixed
    assert [e["value"] for e in memory(env, "list", "--json").ok().json()] == ["Ada"]


def test_a_damaged_memory_line_is_one_sentence_and_doctor_names_it(tmp_path: Path) -> None:
    """Files only: a bad line in the middle of the memory log (Redis stores no torn bytes)."""
    env = cli_env(tmp_path)
    memory(env, "set", "name", "Ada").ok()
    log = tmp_path / "data" / "memory" / "user.jsonl"
    with open(log, "ab") as fh:
        fh.write(b"not json\n")
    assert_one_error_line(memory(env, "list"), "user.jsonl:3", "doctor --repair")
    report = invoke(["sessions", "doctor"], env)
    assert report.code == 1 and "user.jsonl:3: not valid JSON" in report.stdout
    assert log.read_bytes().endswith(b"not json\n")  # nothing was changed


def test_doctor_repair_sets_a_bad_memory_line_aside_and_keeps_every_byte(
    tmp_path: Path,
) -> None:
    """Files only. A bad line in the middle, and an undo of a change that is not the last:
    each gets a repair record; the changes around them still count."""
    env = cli_env(tmp_path)
    memory(env, "set", "name", "Ada").ok()
    log = tmp_path / "data" / "memory" / "user.jsonl"
    with open(log, "ab") as fh:
        fh.write(b"not json\n")
    memory_log = log.read_bytes()
    lines = memory_log.splitlines()
    set_city = json.loads(lines[1]) | {"seq": 4}
    set_city["changes"] = [{"path": "facts.city", "old": None, "new": "Porto"}]
    set_city.pop("state", None)
    bad_undo = {**set_city, "seq": 5, "undoes": 2, "changes": []}
    damaged = memory_log + b"".join(json.dumps(r).encode() + b"\n" for r in (set_city, bad_undo))
    log.write_bytes(damaged)

    fixed = invoke(["sessions", "doctor", "--repair"], env).ok().stdout
    assert "user memory: repaired" in fixed and "User memory: no problem(s)." in fixed
    assert "line 3 (9 bytes at offset" in fixed and "a repair record stands in for it" in fixed
    kept = next(log.parent.glob("user.jsonl.before-repair-*"))
    assert kept.read_bytes() == damaged, "every byte of the damaged log is kept"
    facts = {e["key"]: e["value"] for e in memory(env, "list", "--json").ok().json()}
    assert facts == {"name": "Ada", "city": "Porto"}
    repaired = [json.loads(line) for line in log.read_bytes().splitlines()]
    assert [r["type"] for r in repaired] == ["session", "memory", "repair", "memory", "repair"]
    assert memory(env, "set", "job", "engineer").ok(), "memory takes new changes again"
