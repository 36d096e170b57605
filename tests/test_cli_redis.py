"""Every `chatcli sessions` command, and `chatcli ask`, unchanged on a real Redis store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import assert_one_error_line, cli_env, invoke, run_cli
from tests.model_server import ModelServer
from tests.redis_server import RedisServer, unique_prefix


@pytest.fixture
def env(
    tmp_path: Path, redis_server: RedisServer, request: pytest.FixtureRequest
) -> dict[str, str]:
    """The shared server, with a key prefix of this test's own set in config.toml."""
    config = tmp_path / "config"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'redis_prefix = "{unique_prefix(request.node.name)}"\n')
    return cli_env(tmp_path, CHATCLI_STORE=redis_server.url)


def test_the_sessions_commands_work_on_redis(env: dict[str, str], tmp_path: Path) -> None:
    sid = (
        invoke(["sessions", "new", "--id", "shared", "--title", "On Redis"], env)
        .ok()
        .stdout.strip()
    )
    assert sid == "shared"
    first = invoke(["sessions", "checkpoint", sid, "--label", "empty"], env).ok().stdout.strip()
    listed = invoke(["sessions", "list", "--json"], env).ok().json()
    assert [(s["id"], s["title"], s["messages"]) for s in listed] == [("shared", "On Redis", 0)]

    invoke(["sessions", "rename", sid, "Renamed"], env).ok()
    shown = invoke(["sessions", "show", sid, "--json"], env).ok().json()
    assert shown["title"] == "Renamed" and [c["id"] for c in shown["checkpoints"]] == [first]

    child = invoke(["sessions", "fork", sid, "--at", first, "--json"], env).ok().json()
    assert invoke(["sessions", "show", child["id"], "--json"], env).ok().json()["parent"] == {
        "session": sid,
        "checkpoint": first,
    }
    assert invoke(["sessions", "restore", sid, first], env).ok().code == 0
    assert invoke(["sessions", "doctor", sid], env).ok().stdout.endswith("0 with problems.\n")
    jsonl = invoke(["sessions", "export", sid, "--format", "jsonl"], env).ok().stdout
    assert [json.loads(line)["type"] for line in jsonl.splitlines()][-1] == "restore"

    # copy to files and back: the same lines
    invoke(["sessions", "copy", sid, "--to", "files"], env).ok()
    on_disk = (tmp_path / "data" / "sessions" / f"{sid}.jsonl").read_text()
    assert on_disk == jsonl
    invoke(["sessions", "delete", sid, "--yes"], env).ok()
    assert_one_error_line(invoke(["sessions", "show", sid], env), "shared")
    files = {**env, "CHATCLI_STORE": "files"}
    invoke(["sessions", "copy", sid, "--to", env["CHATCLI_STORE"]], files).ok()
    assert invoke(["sessions", "export", sid, "--format", "jsonl"], env).ok().stdout == jsonl


def test_a_stopped_redis_is_one_clear_sentence(
    tmp_path: Path, redis_server_factory: type[RedisServer]
) -> None:
    server = redis_server_factory().start()
    env = cli_env(tmp_path, CHATCLI_STORE=server.url)
    invoke(["sessions", "new", "--id", "kept"], env).ok()
    server.stop()
    line = assert_one_error_line(invoke(["sessions", "list"], env), "Redis", str(server.port))
    assert "Traceback" not in line
    server.start()
    assert [s["id"] for s in invoke(["sessions", "list", "--json"], env).ok().json()] == ["kept"]


def test_ask_persists_a_turn_in_redis(env: dict[str, str], model_server: ModelServer) -> None:
    model_server.reply_text("Stored in Redis.")
    run = run_cli(
        ["ask", "-s", "remote", "-m", "openai/test-model", "--api-base", model_server.url, "hello"],
        {**env, "CHATCLI_API_KEY": "sk-test"},
    ).ok()
    assert run.stdout.strip() == "Stored in Redis."
    shown = invoke(["sessions", "show", "remote", "--json"], env).ok().json()
    assert [(m["role"], m["content"]) for m in shown["messages"]] == [
        ("user", "hello"),
        ("assistant", "Stored in Redis."),
    ]
    assert shown["checkpoints"] and shown["checkpoints"][-1]["auto"]
