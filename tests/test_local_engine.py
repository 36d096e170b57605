"""The offline model's engine runs in its own process: its crash is a sentence, not chatcli's end.

These run the real supervisor (`LocalEngine`), litellm's real client and the
real handler against tests/fake_engine.py, which speaks llama.cpp's server
protocol and can be told to die mid-reply, so they need no model and run
everywhere. The same checks against the real engine are in test_local_model.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from chatcli.chat.agent import load_agent
from chatcli.chat.engine import ChatEngine
from chatcli.chat.events import TurnFailed
from chatcli.errors import ModelError
from chatcli.llm import LiteLLMModel, StreamEnd, TextDelta
from chatcli.llm.local import LOCAL_MODEL, LocalEngine
from chatcli.llm.local_engine import describe_exit
from chatcli.session import Session
from chatcli.store import JsonlStore
from tests.cli_helpers import assert_one_error_line, cli_env, invoke, log_messages
from tests.fake_engine import NOISE
from tests.local_engines import FAKE_ENGINE, MakeEngine

HELLO = [{"role": "user", "content": "Hello there"}]
RESEND = "Your message is saved; send it again to restart the model."


async def reply(model: LiteLLMModel, messages: list[dict[str, Any]] = HELLO) -> str:
    events = [event async for event in model.stream(LOCAL_MODEL, messages)]
    assert isinstance(events[-1], StreamEnd)
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def failure(model: LiteLLMModel, kill: Any = None) -> tuple[ModelError, str]:
    """Stream until the ModelError; `kill()` runs once "Fake reply" has arrived (the stall)."""
    text = ""
    with pytest.raises(ModelError) as caught:
        async for event in model.stream(LOCAL_MODEL, HELLO):
            if isinstance(event, TextDelta):
                text += event.text
                if text == "Fake reply" and kill is not None:
                    await asyncio.to_thread(kill)
    return caught.value, text


def ended(pid: int) -> bool:
    """Whether `pid` is gone, or a zombie someone else must reap (not ours: see reaped())."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def reaped(pid: int) -> bool:
    """Whether our child `pid` has been waited for: no zombie is left."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def wait_until(condition: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


# -- a reply, and where it runs --------------------------------------------------------


async def test_the_reply_streams_from_a_separate_process(
    fake_local_model: LiteLLMModel, fake_engine: LocalEngine
) -> None:
    events = [event async for event in fake_local_model.stream(LOCAL_MODEL, HELLO)]

    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert "".join(texts) == "Fake reply to: Hello there"
    assert len(texts) > 1  # piece by piece
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.usage is not None
    assert end.usage.completion_tokens == 5 and end.usage.prompt_tokens > 0
    assert fake_engine.pid is not None and fake_engine.pid != os.getpid()
    assert fake_engine.n_ctx == 2048


def test_nothing_the_engine_prints_reaches_the_terminal(
    fake_engine: LocalEngine, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    fake_engine.process()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    log = (tmp_path / "logs" / "chatcli.log").read_text()
    assert NOISE in log and f"{NOISE} (fd 1)" in log  # print(), sys.stderr and a raw fd-1 write
    assert (tmp_path / "logs" / "chatcli.log").stat().st_mode & 0o777 == 0o600


def test_a_link_at_the_log_file_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "chatcli.log").symlink_to(target)
    engine = LocalEngine(
        tmp_path,
        log_file=tmp_path / "logs" / "chatcli.log",
        command=[sys.executable, str(FAKE_ENGINE)],
    )
    try:
        assert engine.process().pid is not None  # it runs, with its output discarded
    finally:
        engine.stop()
    assert target.read_text() == ""


def test_concurrent_first_requests_start_one_engine(fake_engine: LocalEngine) -> None:
    pids: list[int | None] = []

    def start() -> None:
        pids.append(fake_engine.process().pid)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(pids) == 4 and len(set(pids)) == 1


# -- the engine dies mid-reply -------------------------------------------------------


async def test_killing_the_engine_mid_reply_is_one_sentence_and_the_next_request_restarts_it(
    make_fake_engine: MakeEngine, once: Path
) -> None:
    engine = make_fake_engine(then="stall")
    model = LiteLLMModel(local=engine, timeout=30.0)
    once.touch()
    first = engine.process().pid
    assert first is not None

    error, text = await failure(model, lambda: os.kill(first, signal.SIGKILL))

    assert text == "Fake reply"  # what arrived before the kill
    assert error.kind == "engine_stopped"
    assert error.sentence() == f"The offline model stopped (signal 9, SIGKILL). {RESEND}"
    assert reaped(first)  # the supervisor waited for it: no zombie
    assert engine.pid is None

    assert await reply(model) == "Fake reply to: Hello there"
    assert engine.pid not in (None, first)  # a new engine


@pytest.mark.parametrize(
    ("then", "words"),
    [
        ("SIGSEGV", "stopped (signal 11, SIGSEGV)."),
        ("SIGABRT", "stopped (signal 6, SIGABRT)."),
        ("exit3", "stopped (exit code 3)."),
    ],
)
async def test_a_crash_inside_the_engine_names_how_it_ended(
    make_fake_engine: MakeEngine, once: Path, then: str, words: str
) -> None:
    engine = make_fake_engine(then=then)
    model = LiteLLMModel(local=engine, timeout=30.0)
    once.touch()

    error, text = await failure(model)

    assert text == "Fake reply"
    assert error.sentence() == f"The offline model {words} {RESEND}"
    assert await reply(model) == "Fake reply to: Hello there"


async def test_an_engine_that_stops_sending_is_stopped_and_replaced(
    make_fake_engine: MakeEngine, once: Path
) -> None:
    engine = make_fake_engine(then="stall")
    model = LiteLLMModel(local=engine, timeout=1.0)
    once.touch()
    first = engine.process().pid
    assert first is not None

    error, _ = await failure(model)

    assert error.kind == "timeout"
    assert error.sentence() == (
        f"The offline model sent nothing for 1 seconds, so chatcli stopped it. {RESEND}"
    )
    assert reaped(first)
    assert await reply(model) == "Fake reply to: Hello there"


async def test_an_engine_that_cannot_start_says_why(make_fake_engine: MakeEngine) -> None:
    model = LiteLLMModel(local=make_fake_engine("--fail-start"), timeout=30.0)

    error, _ = await failure(model)

    assert error.kind == "engine_start"
    assert error.sentence() == (
        "The offline model could not start (RuntimeError: fake load failure). "
        "The log file has the engine's own messages."
    )


async def test_a_missing_engine_program_is_a_sentence(tmp_path: Path) -> None:
    engine = LocalEngine(tmp_path, command=[str(tmp_path / "no-such-engine")])

    error, _ = await failure(LiteLLMModel(local=engine))

    assert error.kind == "engine_start" and "could not run" in error.message


def test_exits_are_described_in_words() -> None:
    assert describe_exit(-11) == "signal 11, SIGSEGV"
    assert describe_exit(-9) == "signal 9, SIGKILL"
    assert describe_exit(3) == "exit code 3"


# -- the engine goes when chatcli goes -----------------------------------------------

PARENT = """
import sys, time
from pathlib import Path
from chatcli.llm.local import LocalEngine
engine = LocalEngine(Path(sys.argv[1]), command=[sys.executable, sys.argv[2]])
print(engine.process().pid, flush=True)
if sys.argv[3] == "wait":
    time.sleep(600)
"""


def start_parent(tmp_path: Path, how: str) -> tuple[subprocess.Popen[str], int]:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path), str(FAKE_ENGINE), how],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    line = parent.stdout.readline()
    assert line.strip().isdigit(), line
    return parent, int(line)


def test_the_engine_dies_with_a_killed_chatcli(tmp_path: Path) -> None:
    parent, engine = start_parent(tmp_path, "wait")
    assert not ended(engine)

    parent.kill()
    parent.wait(10)

    assert wait_until(lambda: ended(engine)), "the engine outlived chatcli's kill -9"


def test_the_engine_is_stopped_when_chatcli_exits(tmp_path: Path) -> None:
    parent, engine = start_parent(tmp_path, "exit")

    assert parent.wait(30) == 0
    assert wait_until(lambda: ended(engine), 5), "the engine outlived chatcli's exit"


def test_stop_ends_the_engine_and_reaps_it(fake_engine: LocalEngine) -> None:
    pid = fake_engine.process().pid
    assert pid is not None

    fake_engine.stop()

    assert reaped(pid) and ended(pid)
    assert fake_engine.pid is None


# -- what a person sees: a turn, and `chatcli ask` -------------------------------------


async def test_a_turn_keeps_the_message_when_the_engine_dies_and_the_next_turn_answers(
    fake_local_model: LiteLLMModel, once: Path, tmp_path: Path
) -> None:
    session = Session.create(JsonlStore(tmp_path / "sessions"), model=LOCAL_MODEL)
    agent = load_agent("default", tmp_path / "agents")
    engine = ChatEngine(session, fake_local_model, model_name=LOCAL_MODEL, agent=agent)
    once.touch()

    events = [event async for event in engine.send("Hello there")]

    failed = [e.error.sentence() for e in events if isinstance(e, TurnFailed)]
    assert failed == [f"The offline model stopped (signal 11, SIGSEGV). {RESEND}"]
    saved = Session.load(session.store, session.id).messages
    assert [(m.role, m.content, m.status) for m in saved] == [
        ("user", "Hello there", "complete"),
        ("assistant", "Fake reply", "error"),
    ]

    again = [event async for event in engine.send("Hello there")]

    assert not [e for e in again if isinstance(e, TurnFailed)]
    last = Session.load(session.store, session.id).messages[-1]
    assert (last.role, last.content, last.status) == (
        "assistant",
        "Fake reply to: Hello there",
        "complete",
    )


def test_chatcli_ask_says_the_engine_stopped_in_one_line_and_keeps_the_message(
    wired_fake_engine: list[LocalEngine], once: Path, tmp_path: Path
) -> None:
    env = cli_env(tmp_path)
    once.touch()

    run = invoke(["ask", "-m", LOCAL_MODEL, "-s", "crash", "Hello there"], env)

    line = assert_one_error_line(run, "The offline model stopped (signal 11, SIGSEGV).")
    assert line == f"chatcli: The offline model stopped (signal 11, SIGSEGV). {RESEND}"
    assert run.code == 1 and run.stdout.startswith("Fake reply")
    saved = [(m["role"], m["content"], m["status"]) for m in log_messages(tmp_path, "crash")]
    assert saved == [("user", "Hello there", "complete"), ("assistant", "Fake reply", "error")]

    again = invoke(["ask", "-m", LOCAL_MODEL, "-s", "crash", "Hello there"], env).ok()

    assert again.stdout == "Fake reply to: Hello there\n"
    assert len(wired_fake_engine) == 2  # each `ask` wires its own engine
