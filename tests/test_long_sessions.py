"""Sessions of any length (issue 12): `chatcli ask` with a 2,000-token window, against
the loopback server through litellm's real client.

The server refuses any request over the window, as a provider does, and answers
chatcli's summary requests with a small extractive summary
(tests/model_server_context.py). Every turn must still answer, every raw word
must stay in the log, and compaction must be a point in history a restore can
undo.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatcli.llm.context_window import reply_reserve
from tests.cli_helpers import Run, cli_env, invoke, log_lines, log_messages
from tests.model_server import ModelServer
from tests.model_server_context import request_tokens

MODEL = "openai/test-model"
KEY = "sk-test-long-sessions-0123456789"
WINDOW = 2000
LIMIT = WINDOW - reply_reserve(WINDOW)
FILLER = (
    "The harbour was quiet that morning, and the ferries waited at their moorings while "
    "the fishmongers set out the day's catch on beds of crushed ice. A gull watched from "
    "the lamp post. Somebody was whistling an old tune near the customs house, and the "
    "smell of coffee drifted over from the kiosk by the pier where the taxis queue."
)


def turn_text(n: int) -> str:
    """About 400 characters; `aardvark` is said only in turn 1."""
    special = "My secret animal is the aardvark. " if n == 1 else ""
    return f"Turn {n}. {special}{FILLER}"[:420]


@pytest.fixture
def server() -> Any:
    with ModelServer(context_window=WINDOW) as s:
        yield s


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, CHATCLI_API_KEY=KEY, CHATCLI_CONTEXT_WINDOW=str(WINDOW))


def ask(env: dict[str, str], server: ModelServer, sid: str, text: str, *more: str) -> Run:
    return invoke(["ask", "-m", MODEL, "--api-base", server.url, "-s", sid, *more, text], env)


def chat_requests(server: ModelServer) -> list[dict[str, Any]]:
    """The turn requests the server got (not the summary requests)."""
    return [
        r.body
        for r in server.requests
        if not str(r.body["messages"][0].get("content", "")).startswith("You write the running")
    ]


def run_turns(env: dict[str, str], server: ModelServer, sid: str, turns: range) -> None:
    for n in turns:
        run = ask(env, server, sid, turn_text(n)).ok()
        assert run.stdout.startswith("You said: Turn"), run.output


def test_sixty_turns_in_a_two_thousand_token_window(
    tmp_path: Path, env: dict[str, str], server: ModelServer
) -> None:
    run_turns(env, server, "long", range(1, 61))

    assert len(chat_requests(server)) == 60, "no turn failed or was retried"
    for request in [r.body for r in server.requests]:
        assert request_tokens(request) <= LIMIT, "every request leaves the reply its reserve"
    users = [m["content"] for m in log_messages(tmp_path, "long") if m["role"] == "user"]
    assert users == [turn_text(n) for n in range(1, 61)], "every user message, verbatim"
    compactions = [line for line in log_lines(tmp_path, "long") if line["type"] == "compaction"]
    assert compactions, "the session was compacted"
    assert server.summaries == len(compactions)
    assert all(c["summary"].startswith("Summary:") for c in compactions)
    assert compactions[-1]["messages"] > compactions[0]["messages"]
    assert server.summaries <= 30, "compaction leaves headroom: not a summary every turn"

    md = invoke(["sessions", "export", "long", "--format", "md"], env).ok().stdout
    assert all(turn_text(n) in md for n in range(1, 61)), "the export shows every turn"

    shown = json.loads(invoke(["sessions", "show", "long", "--json"], env).ok().stdout)
    context = shown["context"]
    assert context["window"] == WINDOW and context["reserve"] == WINDOW - LIMIT
    assert 0 < context["used"] <= LIMIT
    assert context["compactions"] == len(compactions)
    assert context["summarised"] == compactions[-1]["messages"]
    assert invoke(["sessions", "doctor", "long"], env).ok()


def test_a_restore_before_a_compaction_brings_back_the_uncompacted_view(
    tmp_path: Path, env: dict[str, str], server: ModelServer
) -> None:
    run_turns(env, server, "r", range(1, 13))
    lines = log_lines(tmp_path, "r")
    first = next(line for line in lines if line["type"] == "compaction")
    before = [
        line["id"] for line in lines if line["type"] == "checkpoint" and line["seq"] < first["seq"]
    ][-1]

    def context() -> dict[str, Any]:
        shown = json.loads(invoke(["sessions", "show", "r", "--json"], env).ok().stdout)
        return dict(shown["context"])

    compacted = context()
    assert compacted["summarised"] > 0
    newest = [line for line in log_lines(tmp_path, "r") if line["type"] == "checkpoint"][-1]
    assert newest["seq"] > first["seq"], "the turn's own checkpoint holds the compaction"
    invoke(["sessions", "restore", "r", before], env).ok()
    restored = context()
    assert restored["summarised"] == 0, "the view from before the compaction has none"
    assert restored["used"] > compacted["used"], "requests carry the raw messages again"
    invoke(["sessions", "restore", "r", newest["id"]], env).ok()
    assert context()["summarised"] == compacted["summarised"], "restoring again undoes it"

    run = ask(env, server, "r", "And now?").ok()
    assert "You said: And now?" in run.stdout
    system = chat_requests(server)[-1]["messages"][0]["content"]
    assert "Summary of the conversation so far" in system


def test_recall_quotes_a_word_from_turn_one_after_compaction(
    tmp_path: Path, env: dict[str, str], server: ModelServer
) -> None:
    run_turns(env, server, "mem", range(1, 21))
    last_request = json.dumps(chat_requests(server)[-1])
    assert "aardvark" not in last_request, "turn 1 is summarised away by now"
    server.reply_tool_calls([("recall", {"query": "Aardvark"})])
    server.reply_text("Your secret animal is the aardvark.")
    run = ask(env, server, "mem", "What was my secret animal?").ok()
    assert "aardvark" in run.stdout
    tool_results = [m for m in chat_requests(server)[-1]["messages"] if m["role"] == "tool"]
    assert len(tool_results) == 1
    assert turn_text(1) in tool_results[0]["content"], "turn 1's text, verbatim"
    assert "#2 user" in tool_results[0]["content"], "with its seq"


def test_a_context_window_error_is_followed_by_a_compaction_and_a_retry(
    tmp_path: Path, env: dict[str, str], server: ModelServer
) -> None:
    run_turns(env, server, "cw", range(1, 4))
    assert not [line for line in log_lines(tmp_path, "cw") if line["type"] == "compaction"]
    server.fail(400, message="This model's maximum context length is 1000 tokens. However, ...")
    run = ask(env, server, "cw", turn_text(4)).ok()
    assert run.stdout.startswith("You said: Turn 4"), run.output
    kinds = [line["type"] for line in log_lines(tmp_path, "cw")]
    assert "compaction" in kinds
    assert server.summaries == 1
    replies = [m for m in log_messages(tmp_path, "cw") if m["role"] == "assistant"]
    assert [m["status"] for m in replies] == ["complete"] * 4, "the refused call left no error"


def test_a_failed_summary_still_answers_and_says_so(
    tmp_path: Path, env: dict[str, str], server: ModelServer
) -> None:
    server.fail_summaries = 100
    for n in range(1, 16):
        run = ask(env, server, "sf", turn_text(n)).ok()
        assert run.stdout.startswith(f"You said: Turn {n}"), run.output
    assert server.summaries >= 1
    notes = [line for line in run.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "could not be summarised" in notes[0], run.stderr
    for request in [r.body for r in server.requests if r.body is not None]:
        assert request_tokens(request) <= WINDOW
    assert not [line for line in log_lines(tmp_path, "sf") if line["type"] == "compaction"]
    users = [m["content"] for m in log_messages(tmp_path, "sf") if m["role"] == "user"]
    assert users == [turn_text(n) for n in range(1, 16)], "the log keeps every message"
