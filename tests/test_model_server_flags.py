"""`python -m tests.model_server` as a person runs it: scripted tools, errors and delays.

The server runs as its own process with the flags; chatcli talks to it through
litellm's real client, as it would to any OpenAI-compatible server.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import assert_one_error_line, cli_env, invoke
from tests.model_server import ModelServer

ROOT = Path(__file__).resolve().parents[1]
MODEL = "openai/test"


EVERY_FLAG = [
    *("--port", "0", "--delay", "0.005", "--tools", "--errors"),
    *("--fail", "503", "--remember", "city=Lisbon"),
]


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[str]:
    """The server with the test's flags (every kind, unless parametrized); yields its URL."""
    argv = getattr(request, "param", EVERY_FLAG)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.model_server", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def ask(env: dict[str, str], url: str, *args: str) -> dict[str, object]:
    run = invoke(["--api-base", url, "-m", MODEL, "ask", "--json", *args], env)
    out: dict[str, object] = run.json()
    return out


def test_scripted_tools_errors_and_echoes(served: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, CHATCLI_API_KEY="sk-test")
    first = invoke(["--api-base", served, "-m", MODEL, "ask", "hello"], env)
    assert_one_error_line(first, "503")  # --fail 503: the first request breaks

    out = ask(env, served, "-s", "me", "anything at all")  # --remember city=Lisbon is next
    assert out["state"] == {"facts": {"city": "Lisbon"}}
    assert out["reply"] == "Done: Remembered city = Lisbon."

    out = ask(env, served, "-s", "me", "remember my favourite drink is green tea")
    assert out["state"] == {"facts": {"city": "Lisbon", "favourite_drink": "green tea"}}
    out = ask(env, served, "-s", "me", "forget my city")
    assert out["state"] == {"facts": {"favourite_drink": "green tea"}}
    out = ask(env, served, "-s", "me", "What is in the message?")  # not a "remember"
    assert out["reply"] == "You said: What is in the message?"

    rate_limited = invoke(["--api-base", served, "-m", MODEL, "ask", "error 429 please"], env)
    assert_one_error_line(rate_limited, "rate-limiting", "5 seconds")
    cut = invoke(["--api-base", served, "-m", MODEL, "ask", "now cut off"], env)
    assert_one_error_line(cut, "cut off")


def test_fail_every_breaks_every_nth_request() -> None:
    server = ModelServer(fail_every=2)
    statuses = [server.next_reply({"messages": []}).status for _ in range(4)]
    assert statuses == [200, 500, 200, 500]


@pytest.mark.parametrize("served", [["--port", "0"]], indirect=True)
def test_with_no_flags_it_echoes(served: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, CHATCLI_API_KEY="sk-test")
    assert (
        ask(env, served, "remember my name is Ada")["reply"] == "You said: remember my name is Ada"
    )


@pytest.mark.parametrize(
    "served", [["--port", "0", "--tools", "--remember-user", "city=Lisbon"]], indirect=True
)
def test_remember_user_and_everywhere_script_the_user_scope(served: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, CHATCLI_API_KEY="sk-test")
    out = ask(env, served, "-s", "u1", "anything")
    assert out["state"] == {}  # kept for every session, not in this one's state
    listed = invoke(["memory", "list", "--json"], env).ok().json()
    assert [(e["key"], e["value"], e["session"]) for e in listed] == [("city", "Lisbon", "u1")]
    ask(env, served, "-s", "u1", "remember everywhere that my name is Ada")
    ask(env, served, "-s", "u1", "forget everywhere my city")
    listed = invoke(["memory", "list", "--json"], env).ok().json()
    assert [(e["key"], e["value"]) for e in listed] == [("name", "Ada")]


@pytest.mark.parametrize("served", [["--port", "0", "--forget-user", "city"]], indirect=True)
def test_forget_user_scripts_a_user_scope_forget(served: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, CHATCLI_API_KEY="sk-test")
    invoke(["memory", "set", "city", "Lisbon"], env).ok()
    ask(env, served, "-s", "u2", "anything")
    assert invoke(["memory", "list", "--json"], env).ok().json() == []
