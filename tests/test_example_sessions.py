"""examples/session_basic.py and examples/session_react.py, run as a person runs them.

Each runs in its own process; the model is the loopback server (litellm's real
client) or the offline model, the stores a real folder and a real redis-server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatcli.session import Session
from chatcli.store import JsonlStore
from tests.conftest import require_local_model
from tests.model_server import ModelServer
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "examples" / "session_basic.py"
REACT = ROOT / "examples" / "session_react.py"


def run(script: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


BASIC_STEPS = [
    "1. create: basic in ",
    "   initial state {'name': 'Ada', 'city': ''} (by create)",
    "2. append: 2 messages",
    "3. state: {'name': 'Ada', 'city': 'Lisbon'}",
    "4. checkpoint: cp6 ('met Ada') at line 5",
    "   then: 3 messages, city Porto",
    "5. restore cp6: 2 messages, city Lisbon",
    "   nothing is lost: the log still holds all 3 messages",
    "6. fork: basic-fork from basic",
    "   3 messages there, 2 here",
    "7. context: Hello Ada from Lisbon!",
    "8. resume: 'Session basics', state {'name': 'Ada', 'city': 'Lisbon'}",
    "   entries: session, state, message, message, state, checkpoint, message, state, "
    "checkpoint, restore",
]
BASIC_END = [
    "10. list: basic (2 messages), basic-fork (3 messages)",
    "11. delete: basic, basic-fork deleted; 0 left",
]


def assert_steps(out: str, expected: list[str]) -> None:
    lines = out.splitlines()
    assert len(lines) == len(expected), out
    for line, want in zip(lines, expected, strict=True):
        assert line.startswith(want) if want.endswith(" ") else line == want, (line, want)


def test_session_basic_walks_every_call_on_a_folder_and_leaves_it_empty(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"

    out = run(BASIC, "--store", str(folder))

    assert_steps(out, [*BASIC_STEPS, *BASIC_END])
    assert f"in {folder / 'basic.jsonl'}" in out
    assert not list(folder.glob("*.jsonl"))  # both sessions deleted at the end


def test_session_basic_runs_twice_on_redis(redis_server: RedisServer) -> None:
    for _ in range(2):  # a second run starts over
        out = run(BASIC, "--store", redis_server.url)
        assert_steps(out, [*BASIC_STEPS, *BASIC_END])
    assert "in redis://" in out


def test_session_basic_with_a_model_asks_one_turn_through_call_with_session(
    model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.reply_text("Your name is Ada.")
    env = {**os.environ, "CHATCLI_API_KEY": "sk-test"}

    out = run(
        BASIC, "--store", str(tmp_path), "-m", "openai/t", "--api-base", model_server.url, env=env
    )

    listed = "10. list: basic (4 messages), basic-fork (3 messages)"  # the turn added 2
    assert_steps(
        out, [*BASIC_STEPS, "9. call_with_session: Your name is Ada.", listed, BASIC_END[1]]
    )
    (request,) = model_server.requests
    sent = [(m["role"], m["content"]) for m in request.body["messages"][1:]]
    assert sent == [
        ("user", "Hi, I'm Ada and I live in Lisbon."),
        ("assistant", "Nice to meet you, Ada!"),
        ("user", "What is my name?"),
    ]  # the restored view: the rolled-back message is not sent


@pytest.mark.local_model
def test_session_basic_with_the_offline_model(tmp_path: Path) -> None:
    require_local_model()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}

    out = run(BASIC, "--store", str(tmp_path), "-m", "local/gemma3-270m", env=env)

    turn = next(line for line in out.splitlines() if line.startswith("9. "))
    assert turn.removeprefix("9. call_with_session: ").strip(), "the offline model said nothing"
    assert out.splitlines()[-1] == BASIC_END[-1]


# -- the ReAct agent -----------------------------------------------------------------------


def script_first_run(server: ModelServer) -> None:
    """Turn 1 plans (goal, arithmetic, budget, two steps); turn 2 ticks a step off."""
    server.reply_tool_calls([("set_goal", {"goal": "A weekend in Porto"})])
    server.reply_tool_calls([("calculate", {"expression": "2 * 85"})])
    server.reply_tool_calls([("set_budget", {"amount": 170})])
    server.reply_tool_calls([("add_step", {"text": "Book the hotel"})])
    server.reply_tool_calls([("add_step", {"text": "Buy train tickets"})])
    server.reply_text("Planned: 2 steps, budget 170.")
    server.reply_tool_calls([("complete_step", {"number": 1})])
    server.reply_text("Hotel done.")


def test_session_react_plans_over_turns_and_resumes_in_a_new_process(
    model_server: ModelServer, tmp_path: Path
) -> None:
    env = {**os.environ, "CHATCLI_DATA_DIR": str(tmp_path), "CHATCLI_API_KEY": "sk-test"}
    argv = ["-m", "openai/t", "--api-base", model_server.url]
    script_first_run(model_server)

    first = run(
        REACT, *argv, "Plan a weekend in Porto: 2 nights at 85", "The hotel is booked", env=env
    )

    assert "  action: calculate(expression='2 * 85')\n  observation: 170\n" in first
    assert "  answer: Planned: 2 steps, budget 170.\n" in first
    assert "turn 2: The hotel is booked\n  action: complete_step(number=1)\n" in first
    assert first.endswith(
        "plan: goal 'A weekend in Porto', 1/2 steps done, budget 170\n"
        "  1. [x] Book the hotel\n  2. [ ] Buy train tickets\n"
    )

    model_server.reply_tool_calls([("get_plan", {})])
    model_server.reply_text("Left: the train tickets.")
    second = run(REACT, *argv, "What is left to do?", env=env)

    assert second.startswith(
        "resuming react: 16 messages, goal 'A weekend in Porto', 1/2 steps done, budget 170\n"
    )
    observed = json.loads(second.split("observation: ", 1)[1].splitlines()[0])
    assert observed == {
        "goal": "A weekend in Porto",
        "steps": [
            {"text": "Book the hotel", "done": True},
            {"text": "Buy train tickets", "done": False},
        ],
        "budget": 170.0,
    }
    resumed = model_server.requests[-2].body["messages"]  # the restarted process's first request
    assert "- [x] Book the hotel" in resumed[0]["content"]  # the prompt renders the state
    users = [m["content"] for m in resumed if m["role"] == "user"]
    assert users == [
        "Plan a weekend in Porto: 2 nights at 85",
        "The hotel is booked",
        "What is left to do?",
    ]
    session = Session.load(JsonlStore(tmp_path / "sessions"), "react")
    assert [s.by for s in session.entries(type="state")] == [
        "create",
        "tool:set_goal",
        "tool:set_budget",
        "tool:add_step",
        "tool:add_step",
        "tool:complete_step",
    ]
    assert len(session.entries(type="checkpoint")) == 3  # one per turn


def test_session_react_killed_mid_turn_resumes_with_nothing_lost(
    model_server: ModelServer, tmp_path: Path
) -> None:
    env = {**os.environ, "CHATCLI_DATA_DIR": str(tmp_path), "CHATCLI_API_KEY": "sk-test"}
    argv = [sys.executable, str(REACT), "-m", "openai/t", "--api-base", model_server.url]
    model_server.reply_tool_calls([("add_step", {"text": "Pack"})])
    model_server.stall(seconds=60, text="Thinking about")  # the second request hangs
    proc = subprocess.Popen([*argv, "Add a step: pack"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(model_server.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(model_server.requests) == 2, "the second request never came"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        model_server.release()

    model_server.reply_text("You have one step: Pack.")
    out = run(REACT, "-m", "openai/t", "--api-base", model_server.url, "What is the plan?", env=env)

    assert out.startswith("resuming react: 3 messages, goal '(none)', 0/1 steps done")
    assert "  1. [ ] Pack" in out
    sent = [(m["role"], m.get("content")) for m in model_server.requests[-1].body["messages"][1:]]
    assert sent[0] == ("user", "Add a step: pack")
    assert sent[2] == ("tool", "Step 1 added: Pack")
    assert sent[-1] == ("user", "What is the plan?")


def test_session_react_by_hand_against_the_model_servers_call_and_reply_flags(
    tmp_path: Path,
) -> None:
    """The recipe in docs/library.md: the server's --call/--reply queue the agent's moves."""
    script = [
        *("--call", 'add_step={"text": "Book the hotel"}'),
        *("--call", 'calculate={"expression": "2 * 85 + 40"}'),
        *("--reply", "One step; 210 in all."),
    ]
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.model_server", *script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        env = {**os.environ, "CHATCLI_DATA_DIR": str(tmp_path), "CHATCLI_API_KEY": "sk-test"}
        out = run(REACT, "-m", "openai/t", "--api-base", url, "-s", "trip", "Plan it", env=env)
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert (
        "  action: add_step(text='Book the hotel')\n  observation: Step 1 added: Book the hotel\n"
        in out
    )
    assert "  observation: 210\n  answer: One step; 210 in all.\n" in out
    assert out.endswith("  1. [ ] Book the hotel\n")
