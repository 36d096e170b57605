"""History as a tree: `sessions tree`, `sessions switch`, `ask --regenerate`, `ask --edit`.

The turns go through litellm's real client to the loopback server in
tests/model_server.py, with scripted replies; the tree is read back from the log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import (
    Run,
    assert_one_error_line,
    assert_usage_error,
    cli_env,
    invoke,
    log_lines,
    make_session,
    sessions_dir,
    store_for,
)
from tests.model_server import ModelServer

MODEL = "openai/test-model"
KEY = "sk-test-NEVER-STORE-ME-tree-0a1b2c"
NODE_KEYS = {"seq", "role", "content", "parent", "children", "active"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home, CHATCLI_API_KEY=KEY)


def ask(env: dict[str, str], server: ModelServer, *args: str) -> Run:
    return invoke(["ask", "-m", MODEL, "--api-base", server.url, *args], env)


def sessions(env: dict[str, str], *args: str) -> Run:
    return invoke(["sessions", *args], env)


def tree_json(env: dict[str, str], sid: str) -> dict[str, Any]:
    out: dict[str, Any] = sessions(env, "tree", sid, "--json").ok().json()
    return out


def by_content(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["content"]: n for n in tree["nodes"]}


def shown(env: dict[str, str], sid: str) -> list[str]:
    return [m["content"] for m in sessions(env, "show", sid, "--json").ok().json()["messages"]]


def conversation(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in body["messages"] if m["role"] != "system"]


def two_turns(env: dict[str, str], server: ModelServer, sid: str = "t") -> None:
    server.reply_text("Paris.")
    server.reply_text("About 2 million.")
    ask(env, server, "-s", sid, "Capital of France?").ok()
    ask(env, server, "-s", sid, "How many people live there?").ok()


# -- the tests --------------------------------------------------------------


def test_regenerate_makes_a_sibling_reply_and_switch_brings_the_old_one_back(
    env: dict[str, str], model_server: ModelServer
) -> None:
    two_turns(env, model_server)
    model_server.reply_text("Roughly 2.1 million people.")
    run = ask(env, model_server, "-s", "t", "--regenerate").ok()
    assert run.stdout == "Roughly 2.1 million people.\n"
    regen = model_server.requests[-1]
    assert conversation(regen.body) == [
        ("user", "Capital of France?"),
        ("assistant", "Paris."),
        ("user", "How many people live there?"),
    ], "the new reply is asked for with the new branch's history only"

    tree = tree_json(env, "t")
    assert set(tree) == {"session", "nodes", "forks"} and tree["session"] == "t"
    assert all(set(n) == NODE_KEYS for n in tree["nodes"])
    nodes = by_content(tree)
    second = nodes["How many people live there?"]
    old, new = nodes["About 2 million."], nodes["Roughly 2.1 million people."]
    assert second["children"] == [old["seq"], new["seq"]]
    assert old["parent"] == new["parent"] == second["seq"]
    assert nodes["Capital of France?"]["parent"] is None
    assert (old["active"], new["active"], second["active"]) == (False, True, True)
    active = [n["seq"] for n in tree["nodes"] if n["active"]]
    assert active[-1] == new["seq"], "the active path ends at the new reply"
    assert shown(env, "t")[-1] == "Roughly 2.1 million people."

    switched = sessions(env, "switch", "t", str(old["seq"])).ok()
    assert "nothing was deleted" in switched.stdout
    assert shown(env, "t") == [
        "Capital of France?",
        "Paris.",
        "How many people live there?",
        "About 2 million.",
    ]
    after = by_content(tree_json(env, "t"))
    assert (
        after["About 2 million."]["active"] and not after["Roughly 2.1 million people."]["active"]
    )

    undo = switched.stdout.split("Undo with: chatcli ")[1].split()
    invoke(undo, env).ok()
    assert shown(env, "t")[-1] == "Roughly 2.1 million people.", "a switch can be undone"


def test_edit_starts_a_sibling_user_message_and_sends_only_its_branch(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    two_turns(env, model_server)
    second = by_content(tree_json(env, "t"))["How many people live there?"]
    model_server.reply_text("Around 11 million in the metro area.")
    run = ask(env, model_server, "-s", "t", "--edit", str(second["seq"]), "And the metro area?")
    assert run.ok().stdout == "Around 11 million in the metro area.\n"

    (request,) = model_server.requests[2:]
    assert conversation(request.body) == [
        ("user", "Capital of France?"),
        ("assistant", "Paris."),
        ("user", "And the metro area?"),
    ], "the request holds the first turn and the edited text, not the original"

    nodes = by_content(tree_json(env, "t"))
    edited = nodes["And the metro area?"]
    assert edited["parent"] == second["parent"] == nodes["Paris."]["seq"]
    assert nodes["Paris."]["children"] == [second["seq"], edited["seq"]]
    assert edited["active"] and not nodes["How many people live there?"]["active"]
    assert nodes["About 2 million."]["parent"] == second["seq"], "the old branch is kept whole"
    assert shown(env, "t") == [
        "Capital of France?",
        "Paris.",
        "And the metro area?",
        "Around 11 million in the metro area.",
    ]
    kinds = [line.get("kind") for line in log_lines(home, "t") if line["type"] == "branch"]
    assert kinds == ["edit"]


def test_a_fork_shows_up_in_the_parents_forks(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    two_turns(env, model_server)
    nodes = by_content(tree_json(env, "t"))
    first_reply = nodes["Paris."]["seq"]
    checkpoint = next(
        line["id"]
        for line in log_lines(home, "t")
        if line["type"] == "checkpoint" and line["at"] == first_reply
    )
    at_checkpoint = sessions(env, "fork", "t", "--at", checkpoint).ok().stdout.strip()
    from_now = sessions(env, "fork", "t").ok().stdout.strip()
    sessions(env, "new", "--id", "unrelated").ok()

    forks = tree_json(env, "t")["forks"]
    assert forks == [
        {"session": at_checkpoint, "at": first_reply},
        {"session": from_now, "at": nodes["About 2 million."]["seq"]},
    ]
    assert tree_json(env, at_checkpoint)["forks"] == []
    text = sessions(env, "tree", "t").ok().stdout
    assert f"fork {at_checkpoint}" in text and f"fork {from_now}" in text


# -- the picture ----------------------------------------------------------------------


def test_tree_text_folds_linear_runs_and_marks_the_active_branch(
    env: dict[str, str], model_server: ModelServer
) -> None:
    two_turns(env, model_server)
    model_server.reply_text("A new answer.")
    ask(env, model_server, "-s", "t", "--regenerate").ok()
    lines = sessions(env, "tree", "t").ok().stdout.splitlines()
    assert lines[0] == "t: 5 messages, 2 branches, 0 forks"
    assert lines[1].startswith("● #2..#6 user: Capital of France?  · 3 msgs · ")
    assert lines[2].startswith("├─○ #7 assistant: About 2 million.  · 1 msg · ")
    assert lines[3].startswith("└─● #10 assistant: A new answer.  · 1 msg · ")
    assert lines[4] == "Switch branch with: chatcli sessions switch t SEQ"


# -- refusals ---------------------------------------------------------------------------


def test_bad_branch_requests_are_one_sentence_and_change_nothing(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    two_turns(env, model_server)
    before = (sessions_dir(home) / "t.jsonl").read_bytes()
    reply = by_content(tree_json(env, "t"))["Paris."]["seq"]
    assert_one_error_line(sessions(env, "switch", "t", "99"), "no message 99", "sessions tree t")
    assert_one_error_line(ask(env, model_server, "-s", "t", "--edit", "99", "x"), "no message 99")
    assert_one_error_line(
        ask(env, model_server, "-s", "t", "--edit", str(reply), "x"),
        f"Message {reply}",
        "an assistant message, not a user message",
    )
    assert_one_error_line(ask(env, model_server, "-s", "nobody", "--regenerate"), "'nobody'")
    assert (sessions_dir(home) / "t.jsonl").read_bytes() == before
    assert not (sessions_dir(home) / "nobody.jsonl").exists()
    assert len(model_server.requests) == 2, "nothing was sent"

    sessions(env, "new", "--id", "empty").ok()
    assert_one_error_line(ask(env, model_server, "-s", "empty", "--regenerate"), "no message")
    assert_usage_error(ask(env, model_server, "--regenerate"), "-s ID")
    assert_usage_error(ask(env, model_server, "-s", "t", "--regenerate", "hi"), "no prompt")
    assert_usage_error(ask(env, model_server, "-s", "t", "--edit", "3"), "PROMPT")
    assert_usage_error(
        ask(env, model_server, "-s", "t", "--edit", "3", "--regenerate", "x"), "not both"
    )
    assert_one_error_line(sessions(env, "tree", "nobody"), "'nobody'")
    assert_usage_error(sessions(env, "switch", "t", "two"), "SEQ")


def test_the_varying_server_answers_a_regeneration_differently(
    env: dict[str, str],
) -> None:
    """`python -m tests.model_server --vary`, as a person tries regenerating by hand."""
    with ModelServer(vary=True) as server:
        assert ask(env, server, "-s", "v", "Hello").ok().stdout == "You said: Hello (take 1)\n"
        again = ask(env, server, "-s", "v", "--regenerate").ok()
        assert again.stdout == "You said: Hello (take 2)\n"
    tree = tree_json(env, "v")
    hello = by_content(tree)["Hello"]
    assert len(hello["children"]) == 2


def test_switch_to_the_active_branch_writes_nothing(home: Path, env: dict[str, str]) -> None:
    make_session(home, "t", [("q", "a")])
    before = (sessions_dir(home) / "t.jsonl").read_bytes()
    run = sessions(env, "switch", "t", "2").ok()
    assert "already on that branch" in run.stdout
    assert (sessions_dir(home) / "t.jsonl").read_bytes() == before


# -- doctor -----------------------------------------------------------------------------


def test_doctor_accepts_branch_lines_and_rejects_a_malformed_one(
    home: Path, env: dict[str, str], model_server: ModelServer
) -> None:
    two_turns(env, model_server)
    model_server.reply_text("Another.")
    ask(env, model_server, "-s", "t", "--regenerate").ok()
    assert "0 with problems" in sessions(env, "doctor", "t").ok().stdout

    path = sessions_dir(home) / "t.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    index = next(i for i, raw in enumerate(lines) if json.loads(raw)["type"] == "branch")
    for broken, words in [
        ({"at": 1}, "branch names message 1, which is not a message"),
        ({"at": 999}, "branch names message 999, which is not a message"),
        ({"at": "two"}, "at"),
        ({"kind": "teleport"}, "kind"),
    ]:
        record = json.loads(lines[index]) | broken
        path.write_bytes(b"".join([*lines[:index], json.dumps(record).encode() + b"\n"]))
        report = sessions(env, "doctor", "t")
        assert report.code == 1 and "Traceback" not in report.output, report
        assert f"{path}:{index + 1}: " in report.stdout and words in report.stdout, report
    path.write_bytes(b"".join(lines))
    assert "0 with problems" in sessions(env, "doctor", "t").ok().stdout


def test_older_logs_keep_their_meaning(home: Path) -> None:
    """A log with no branch line builds the same tree from restores alone."""
    from chatcli.session import Session

    session = make_session(home, "old", [("q1", "a1")], checkpoint_every_turn=True)
    first = session.checkpoints[-1].record.id
    session.add_message("user", "q2")
    session.add_message("assistant", "a2")
    session.restore(first)
    session.add_message("user", "q2 again")
    tree = Session.load(store_for(home), "old").tree()
    assert [tree.nodes[s].message.content for s in tree.active_path()] == ["q1", "a1", "q2 again"]
    a1 = tree.active_path()[1]
    assert [tree.nodes[s].message.content for s in tree.nodes[a1].children] == ["q2", "q2 again"]
