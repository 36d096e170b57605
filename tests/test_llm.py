"""The model layer against litellm's real client and a scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatcli.errors import ModelError
from chatcli.llm import (
    LiteLLMModel,
    ModelEvent,
    StreamEnd,
    TextDelta,
    ToolCall,
    configure_logging,
    default_model_for_env,
    is_loaded,
    key_env_var,
    preload,
)
from chatcli.llm.local_engine import LocalEngine
from chatcli.private_files import log_handler, private_dir
from tests.conftest_model import TEST_KEY
from tests.model_server import ModelServer

HELLO = [{"role": "user", "content": "hello"}]
REMEMBER_TOOL = {
    "type": "function",
    "function": {
        "name": "remember",
        "description": "Store a fact.",
        "parameters": {
            "type": "object",
            "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
            "required": ["key", "value"],
        },
    },
}


async def collect(
    model: LiteLLMModel, name: str = "openai/test-model", **kwargs: Any
) -> list[ModelEvent]:
    return [event async for event in model.stream(name, kwargs.pop("messages", HELLO), **kwargs)]


async def failure(model: LiteLLMModel, name: str = "openai/test-model") -> ModelError:
    with pytest.raises(ModelError) as caught:
        await collect(model, name)
    return caught.value


def text_of(events: list[ModelEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)


# -- streaming ---------------------------------------------------------------


async def test_text_arrives_as_deltas_in_order_then_one_end_with_usage(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.reply_text(["Hel", "lo", " there", "!"])

    events = await collect(loopback_model)

    assert [e for e in events if isinstance(e, TextDelta)] == [
        TextDelta("Hel"),
        TextDelta("lo"),
        TextDelta(" there"),
        TextDelta("!"),
    ]
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert [e for e in events if isinstance(e, StreamEnd)] == [end]
    assert end.tool_calls == ()
    assert end.finish_reason == "stop"
    assert end.usage is not None
    assert end.usage.completion_tokens == 4
    assert end.usage.total_tokens == end.usage.prompt_tokens + 4


async def test_request_asks_for_usage_and_carries_messages_and_tools(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "My name is Ada."},
    ]

    await collect(loopback_model, messages=messages, tools=[REMEMBER_TOOL])

    (request,) = model_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "test-model"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["messages"] == messages
    assert request.body["tools"] == [REMEMBER_TOOL]
    assert request.has_authorization
    assert TEST_KEY not in json.dumps(request.headers)


async def test_echo_is_the_default_reply(loopback_model: LiteLLMModel) -> None:
    events = await collect(loopback_model, messages=[{"role": "user", "content": "ping"}])
    assert text_of(events) == "You said: ping"


async def test_two_parallel_tool_calls_are_assembled_from_their_deltas(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.reply_tool_calls(
        [("remember", {"key": "name", "value": "Ada"}), ("recall", {"key": "city"})],
        text="Noting that.",
    )

    events = await collect(loopback_model, tools=[REMEMBER_TOOL])

    assert text_of(events) == "Noting that."
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "tool_calls"
    assert end.tool_calls == (
        ToolCall("call_0_remember", "remember", json.dumps({"key": "name", "value": "Ada"})),
        ToolCall("call_1_recall", "recall", json.dumps({"key": "city"})),
    )


async def test_tool_calls_count_even_when_finish_reason_says_stop(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.reply_tool_calls(
        [("remember", '{"key": "k", "value": "v"}')], finish_reason="stop"
    )

    end = (await collect(loopback_model, tools=[REMEMBER_TOOL]))[-1]

    assert isinstance(end, StreamEnd)
    assert end.finish_reason in ("stop", "tool_calls")  # litellm >= 1.110 says tool_calls
    assert [(c.name, c.arguments) for c in end.tool_calls] == [
        ("remember", '{"key": "k", "value": "v"}')
    ]


async def test_cost_is_priced_for_a_known_model_and_none_for_an_unknown_one(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    known = (await collect(loopback_model, "openai/gpt-4o-mini"))[-1]
    unknown = (await collect(loopback_model, "openai/test-model"))[-1]

    assert isinstance(known, StreamEnd) and known.usage is not None
    assert isinstance(known.usage.cost, float) and known.usage.cost > 0
    assert isinstance(unknown, StreamEnd) and unknown.usage is not None
    assert unknown.usage.cost is None


# -- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "kind", "words"),
    [
        (lambda s: s.fail(401), "auth", "rejected the API key"),
        (lambda s: s.fail(404), "unknown_model", "has no model 'openai/test-model'"),
        (lambda s: s.fail(429, retry_after=7), "rate_limit", "Wait 7 seconds"),
        (lambda s: s.fail(429), "rate_limit", "Wait a moment"),
        (lambda s: s.fail(500), "server", "HTTP 500"),
        (lambda s: s.fail(503), "server", "HTTP 503"),
        (lambda s: s.cut_off(after_chunks=3), "stream_cut", "cut off"),
        (lambda s: s.malformed(after_chunks=2), "malformed", "bad JSON"),
    ],
    ids=["401", "404", "429-retry-after", "429", "500", "503", "cut-off", "malformed"],
)
async def test_server_failures_become_one_plain_model_error(
    model_server: ModelServer,
    loopback_model: LiteLLMModel,
    script: Any,
    kind: str,
    words: str,
) -> None:
    script(model_server)

    error = await failure(loopback_model)

    assert error.kind == kind
    assert words in error.sentence()
    assert error.hint and "\n" not in error.sentence()


async def test_text_before_a_cut_off_still_reaches_the_caller(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.cut_off(after_chunks=3, text="One two three four five")
    seen: list[ModelEvent] = []

    with pytest.raises(ModelError, match="cut off"):
        async for event in loopback_model.stream("openai/test-model", HELLO):
            seen.append(event)

    assert text_of(seen) == "One two"


async def test_connection_refused_names_the_address() -> None:
    api_base = f"http://127.0.0.1:{closed_port()}/v1"

    error = await failure(LiteLLMModel(api_base=api_base, api_key=TEST_KEY))

    assert error.kind == "connection"
    assert api_base in error.sentence()


async def test_a_silent_server_times_out(model_server: ModelServer) -> None:
    model_server.stall(seconds=10, after_chunks=1)
    started = time.monotonic()

    error = await failure(LiteLLMModel(api_base=model_server.url, api_key=TEST_KEY, timeout=0.5))

    assert error.kind == "timeout"
    assert "0.5 seconds" in error.sentence()
    assert time.monotonic() - started < 5


async def test_missing_key_is_caught_before_any_request(
    model_server: ModelServer, no_provider_keys: None
) -> None:
    error = await failure(LiteLLMModel(), "openai/gpt-4o-mini")

    assert error.kind == "missing_key"
    assert "OPENAI_API_KEY" in error.sentence()
    assert model_server.requests == []


async def test_an_explicit_api_base_needs_no_key(
    model_server: ModelServer, no_provider_keys: None
) -> None:
    """Local OpenAI-compatible servers (llama.cpp, vLLM, Ollama) usually take no key."""
    events = await collect(LiteLLMModel(api_base=model_server.url), "openai/test-model")

    assert text_of(events) == "You said: hello"
    assert model_server.requests[0].has_authorization  # a placeholder, never a real key


async def test_provider_keys_come_from_the_environment_handed_in(
    model_server: ModelServer, no_provider_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wiring hands LiteLLMModel its environment; the process's is not read."""
    injected = LiteLLMModel(api_base=model_server.url, environ={"OPENAI_API_KEY": "sk-handed-in"})
    await collect(injected, "openai/test-model")
    assert model_server.requests[-1].sent_key("sk-handed-in")

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-process")
    error = await failure(LiteLLMModel(environ={}), "openai/gpt-4o-mini")
    assert error.kind == "missing_key"
    assert len(model_server.requests) == 1  # refused before any request


async def test_a_model_with_no_known_provider_is_an_unknown_model(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    error = await failure(loopback_model, "nonsense-model")

    assert error.kind == "unknown_model"
    assert "provider/model" in error.sentence()
    assert model_server.requests == []


async def test_local_models_say_so_when_not_installed(
    monkeypatch: pytest.MonkeyPatch, model_server: ModelServer, tmp_path: Path
) -> None:
    monkeypatch.setattr("chatcli.llm.local_engine.is_installed", lambda: False)
    model = LiteLLMModel(api_base=model_server.url, local=LocalEngine(tmp_path))

    error = await failure(model, "local/gemma3-270m")

    assert error.kind == "not_installed"
    assert "pip install 'chatcli[local]'" in error.sentence()
    assert model_server.requests == []


async def test_a_local_model_without_an_engine_is_refused(loopback_model: LiteLLMModel) -> None:
    error = await failure(loopback_model, "local/gemma3-270m")

    assert error.kind == "not_configured"


# -- cancellation ----------------------------------------------------------------


async def test_cancelling_a_stalled_stream_is_prompt_and_hangs_up(
    model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.stall(seconds=30, after_chunks=2, text="Thinking hard about this")
    first = asyncio.Event()

    async def consume() -> None:
        async for event in loopback_model.stream("openai/test-model", HELLO):
            if isinstance(event, TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 10)
    started = time.monotonic()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 3)
    assert time.monotonic() - started < 5  # promptly, not after the 10 s stall
    assert await asyncio.to_thread(model_server.wait_for_disconnect, 3)


# -- quiet, lazy, logged ---------------------------------------------------------


async def test_litellm_writes_nothing_to_stdout_or_stderr(
    model_server: ModelServer, loopback_model: LiteLLMModel, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    model_server.reply_text("fine")
    model_server.fail(500)
    model_server.malformed()

    await collect(loopback_model)
    for _ in range(2):
        await failure(loopback_model)
    await failure(loopback_model, "nonsense-model")
    await asyncio.sleep(0.2)  # litellm logs failures from background tasks

    assert capfd.readouterr() == ("", "")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "chatcli.log"
    private_dir(path.parent)
    handler = log_handler(path)
    configure_logging(handler)
    try:
        yield path
    finally:
        configure_logging(None)
        handler.close()


async def test_error_details_go_to_a_private_log_file_without_the_key(
    model_server: ModelServer, loopback_model: LiteLLMModel, log_file: Path
) -> None:
    preload()
    model_server.fail(401)

    await failure(loopback_model)

    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    text = log_file.read_text()
    assert "AuthenticationError" in text
    assert TEST_KEY not in text
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logger = logging.getLogger(name)
        assert not logger.propagate
        assert all(
            isinstance(h, logging.FileHandler) or not isinstance(h, logging.StreamHandler)
            for h in logger.handlers
        )


def test_redaction_hides_anything_shaped_like_a_key(log_file: Path) -> None:
    logging.getLogger("LiteLLM").error("headers {'Authorization': 'Bearer %s'}", "abc.def")
    logging.getLogger("chatcli.llm").warning("api_key=%s", TEST_KEY)

    text = log_file.read_text()
    assert "abc.def" not in text
    assert TEST_KEY not in text
    assert text.count("***") == 2


def test_importing_chatcli_llm_does_not_import_litellm() -> None:
    code = "import chatcli.llm, sys; assert 'litellm' not in sys.modules, 'litellm imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_preload_is_silent_offline_and_idempotent() -> None:
    code = (
        "import threading\n"
        "from chatcli.llm import preload, is_loaded\n"
        "assert not is_loaded()\n"
        "threads = [threading.Thread(target=preload) for _ in range(3)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "preload()\n"
        "assert is_loaded()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")


def test_preload_in_this_process_marks_litellm_loaded() -> None:
    preload()
    preload()
    assert is_loaded()


# -- keys and defaults (no litellm) ------------------------------------------------


@pytest.mark.parametrize(
    ("model", "var"),
    [
        ("openai/gpt-4o-mini", "OPENAI_API_KEY"),
        ("gpt-4o-mini", "OPENAI_API_KEY"),
        ("anthropic/claude-3-5-haiku-latest", "ANTHROPIC_API_KEY"),
        ("gemini/gemini-2.0-flash", "GEMINI_API_KEY"),
        ("groq/llama-3.1-8b-instant", "GROQ_API_KEY"),
        ("openrouter/openai/gpt-4o-mini", "OPENROUTER_API_KEY"),
        ("local/gemma-3-270m", None),
        ("mystery/model", None),
        ("mystery-model", None),
    ],
)
def test_key_env_var(model: str, var: str | None) -> None:
    assert key_env_var(model) == var


@pytest.mark.parametrize(
    ("environ", "model"),
    [
        ({}, None),
        ({"OPENAI_API_KEY": "x"}, "openai/gpt-4o-mini"),
        ({"ANTHROPIC_API_KEY": "x"}, "anthropic/claude-3-5-haiku-latest"),
        ({"GEMINI_API_KEY": "x"}, "gemini/gemini-2.0-flash"),
        ({"DEEPSEEK_API_KEY": "x", "OPENAI_API_KEY": "x"}, "openai/gpt-4o-mini"),
        ({"OPENAI_API_KEY": ""}, None),
    ],
)
def test_default_model_for_env(environ: dict[str, str], model: str | None) -> None:
    assert default_model_for_env(environ) == model


# -- the server itself ---------------------------------------------------------------


def test_server_answers_plain_json_and_never_records_the_key_value(
    model_server: ModelServer,
) -> None:
    model_server.reply_text("Plain answer")
    request = urllib.request.Request(
        model_server.url + "/chat/completions",
        data=json.dumps({"model": "m", "messages": HELLO, "stream": False}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TEST_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.load(response)

    assert body["choices"][0]["message"]["content"] == "Plain answer"
    assert body["usage"]["total_tokens"] > 0
    (recorded,) = model_server.requests
    assert recorded.has_authorization
    assert TEST_KEY not in repr(recorded)


def test_server_runs_as_a_module_and_prints_its_url() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.model_server", "--port", "0", "--delay", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        done = threading.Event()

        def ask() -> None:
            data = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
            req = urllib.request.Request(url + "/chat/completions", data=data.encode())
            with urllib.request.urlopen(req, timeout=5) as response:
                assert json.load(response)["choices"][0]["message"]["content"] == "You said: hi"
            done.set()

        ask()
        assert done.is_set()
    finally:
        process.terminate()
        process.wait(timeout=5)
