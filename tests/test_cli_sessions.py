"""`chatcli sessions …` and `chatcli paths`, as a person runs them.

Most checks use click's CliRunner (fast); the tests marked "real entry point"
run the installed `chatcli` console script in a subprocess.
"""

from __future__ import annotations

import json
import re
import stat
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
    make_old_session,
    make_session,
    run_cli,
    sessions_dir,
    store_for,
)

COMMANDS = (
    "list",
    "show",
    "new",
    "checkpoint",
    "checkpoints",
    "restore",
    "fork",
    "rename",
    "export",
    "delete",
    "prune",
    "doctor",
    "copy",
    "tree",
    "switch",
)
SUMMARY_KEYS = {"id", "title", "model", "created", "updated", "messages"}
SHOW_KEYS = {
    "id",
    "title",
    "model",
    "agent",
    "created",
    "updated",
    "parent",
    "state",
    "messages",
    "checkpoints",
}
MESSAGE_KEYS = {"seq", "role", "content", "status"}
OPTIONAL_MESSAGE_KEYS = {"tool_calls", "tool_call_id", "model", "usage", "name", "error"}
CHECKPOINT_KEYS = {"id", "label", "at", "auto", "ts", "digest"}
OLD = "2020-01-02T03:04:05.000000Z"
TURNS = [("first question", "first answer"), ("second question", "second answer")]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home)


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> Run:
    return invoke(["sessions", *args], env, stdin=stdin)


def file_of(home: Path, session_id: str) -> Path:
    return sessions_dir(home) / f"{session_id}.jsonl"


def contents(run: Run) -> list[str]:
    return [m["content"] for m in run.json()["messages"]]


# -- help -----------------------------------------------------------------------


def test_sessions_help_lists_every_command_real_entry_point(env: dict[str, str]) -> None:
    out = run_cli(["sessions", "--help"], env).ok().stdout
    assert "Usage: chatcli sessions" in out
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", out, re.M), f"{name} missing from:\n{out}"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_sessions_command_has_help(env: dict[str, str], name: str) -> None:
    run = cli(env, name, "--help").ok()
    assert run.stdout.startswith(f"Usage: chatcli sessions {name}")
    assert "--help" in run.stdout


# -- new, list --------------------------------------------------------------------


def test_new_prints_the_id_and_creates_the_log(home: Path, env: dict[str, str]) -> None:
    fresh = cli(env, "new").ok().stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", fresh)
    assert log_lines(home, fresh)[0]["type"] == "session"

    made = cli(env, "new", "--id", "demo", "--title", "My demo", "--json").ok().json()
    assert made["id"] == "demo" and made["title"] == "My demo"
    header = log_lines(home, "demo")[0]
    assert (header["id"], header["title"], header["seq"]) == ("demo", "My demo", 1)

    assert cli(env, "new", "--id", "plain").ok().stdout == "plain\n"
    assert_one_error_line(cli(env, "new", "--id", "demo"), "already exists")
    assert log_lines(home, "demo") == [header]


def test_list_is_newest_first_with_exact_json_keys(home: Path, env: dict[str, str]) -> None:
    assert cli(env, "list", "--json").ok().json() == []
    assert "No sessions" in cli(env, "list").ok().stdout
    first = make_session(home, "first", TURNS[:1], title="First")
    make_session(home, "second", TURNS, title="Second")
    make_session(home, "third", title="Third")
    first.add_message("user", "a later word")  # first is now the most recently updated

    rows = cli(env, "list", "--json").ok().json()
    assert [r["id"] for r in rows] == ["first", "third", "second"]
    for row in rows:
        assert set(row) == SUMMARY_KEYS
    by_id = {r["id"]: r for r in rows}
    assert by_id["first"]["messages"] == 3
    assert by_id["second"] == {
        "id": "second",
        "title": "Second",
        "model": "openai/test-model",
        "created": log_lines(home, "second")[0]["created"],
        "updated": log_lines(home, "second")[-1]["ts"],
        "messages": 4,
    }
    assert [r["id"] for r in cli(env, "list", "--json", "--limit", "2").ok().json()] == [
        "first",
        "third",
    ]
    text = cli(env, "list").ok().stdout.splitlines()
    assert [line.split()[0] for line in text] == ["first", "third", "second"]
    assert_usage_error(cli(env, "list", "--limit", "0"), "--limit")


def test_list_search_matches_message_content_not_only_titles(
    home: Path, env: dict[str, str]
) -> None:
    make_session(home, "zoo", [("Tell me about the Capybara", "It is a rodent.")], title="Animals")
    make_session(home, "food", [("Soup recipe?", "Boil water.")], title="Cooking")

    def found(*args: str) -> list[str]:
        return [r["id"] for r in cli(env, "list", "--json", *args).ok().json()]

    assert found("--search", "capybara") == ["zoo"]  # in a message, any case
    assert found("--search", "rodent") == ["zoo"]  # in a reply
    assert found("--search", "cooking") == ["food"]  # in a title
    assert found("--search", "nowhere") == []
    assert "No session mentions 'nowhere'" in cli(env, "list", "--search", "nowhere").ok().stdout


# -- show, checkpoint, checkpoints ------------------------------------------------


def test_show_json_has_the_documented_shape(home: Path, env: dict[str, str]) -> None:
    session = make_session(home, "shape", TURNS[:1], title="Shape")
    session.add_message("user", "remember Ada")
    call = {"id": "call_1", "type": "function", "function": {"name": "remember", "arguments": "{}"}}
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "cost": None}
    session.add_message("assistant", "", tool_calls=[call], model="openai/test-model", usage=usage)
    session.add_message("tool", "Remembered.", tool_call_id="call_1", name="remember")
    session.update_state(lambda m: m.model_copy(update={"facts": {"name": "Ada"}}))
    marked = session.checkpoint("after tool")

    shown = cli(env, "show", "shape", "--json").ok().json()
    assert set(shown) == SHOW_KEYS
    assert (shown["id"], shown["title"], shown["model"]) == ("shape", "Shape", "openai/test-model")
    assert shown["parent"] is None
    assert shown["state"] == {"facts": {"name": "Ada"}}
    assert shown["updated"] == log_lines(home, "shape")[-1]["ts"]
    for message in shown["messages"]:
        assert MESSAGE_KEYS <= set(message) <= MESSAGE_KEYS | OPTIONAL_MESSAGE_KEYS
    assert [m["seq"] for m in shown["messages"]] == [2, 3, 4, 5, 6]
    assert [m["role"] for m in shown["messages"]] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
    ]
    assert shown["messages"][0] == {
        "seq": 2,
        "role": "user",
        "content": "first question",
        "status": "complete",
    }
    assert shown["messages"][3]["tool_calls"] == [call]
    assert shown["messages"][3]["usage"] == usage
    assert shown["messages"][3]["model"] == "openai/test-model"
    assert shown["messages"][4]["tool_call_id"] == "call_1"
    (cp,) = shown["checkpoints"]
    assert set(cp) == CHECKPOINT_KEYS
    assert (cp["id"], cp["label"], cp["at"], cp["auto"]) == (marked.id, "after tool", 7, False)
    assert (cp["ts"], cp["digest"]) == (marked.ts, marked.digest)

    page = cli(env, "show", "shape").ok().stdout
    assert "# Shape" in page and "first question" in page and "first answer" in page


def test_checkpoint_prints_its_id_and_checkpoints_lists_them(
    home: Path, env: dict[str, str]
) -> None:
    make_session(home, "cps", TURNS[:1])
    assert "No checkpoints yet" in cli(env, "checkpoints", "cps").ok().stdout
    first = cli(env, "checkpoint", "cps", "--label", "one").ok().stdout.strip()
    assert first == "cp4"
    line = log_lines(home, "cps")[-1]
    assert (line["type"], line["id"], line["label"], line["at"]) == ("checkpoint", first, "one", 3)

    make_session_add(home, "cps", "more")  # then a second checkpoint
    second = cli(env, "checkpoint", "cps", "-l", "two", "--json").ok().json()
    assert set(second) == CHECKPOINT_KEYS
    assert (second["label"], second["at"], second["auto"]) == ("two", 5, False)

    listed = cli(env, "checkpoints", "cps", "--json").ok().json()
    assert [c["id"] for c in listed] == [first, second["id"]]
    assert all(set(c) == CHECKPOINT_KEYS for c in listed)
    assert listed[1] == second
    text = cli(env, "checkpoints", "cps").ok().stdout
    assert first in text and "one" in text and "two" in text and "manual" in text


def test_checkpoints_are_numbered_with_their_turn_and_unlabelled_ones_get_a_name(
    home: Path, env: dict[str, str]
) -> None:
    session = make_session(home, "nums", TURNS[:1])
    session.checkpoint("")  # an old-style manual checkpoint with no label at all
    make_session_add(home, "nums", "a second question, asked at some length to be cut")
    made = cli(env, "checkpoint", "nums").ok().stdout.strip()  # no --label
    line = log_lines(home, "nums")[-1]
    assert (line["id"], line["auto"]) == (made, False)
    assert line["label"] == "turn 2: a second question, asked at some length to be cut"

    rows = cli(env, "checkpoints", "nums").ok().stdout.splitlines()
    assert rows[0].split() == ["#", "id", "age", "kind", "turn", "msgs", "label"]
    first, second = (row.split() for row in rows[1:])
    assert first[:2] == ["1", "cp4"] and first[4:6] == ["1", "2"]
    assert " ".join(first[6:]) == f"(turn 1: {TURNS[0][0]})"  # named when shown
    assert second[:2] == ["2", made] and second[4:6] == ["2", "3"]

    said = cli(env, "restore", "nums", "1").ok().stdout  # "checkpoint 1"
    assert "to cp4" in said
    assert log_lines(home, "nums")[-1] == {**log_lines(home, "nums")[-1], "checkpoint": "cp4"}
    assert cli(env, "restore", "nums", "#2").ok().stdout.count(made) == 1
    assert_one_error_line(cli(env, "restore", "nums", "3"), "no checkpoint '3'")


def make_session_add(home: Path, session_id: str, text: str) -> None:
    from chatcli.session import Session

    Session.load(store_for(home), session_id).add_message("user", text)


# -- restore, fork, rename ---------------------------------------------------------


def test_restore_rolls_back_keeps_every_line_and_can_be_undone(
    home: Path, env: dict[str, str]
) -> None:
    make_session(home, "rb", TURNS, checkpoint_every_turn=True)
    early, late = (c["id"] for c in cli(env, "checkpoints", "rb", "--json").ok().json())
    before = file_of(home, "rb").read_bytes()
    assert [r["messages"] for r in cli(env, "list", "--json").ok().json()] == [4]

    said = cli(env, "restore", "rb", early).ok().stdout
    assert "2 messages in view (was 4)" in said
    assert contents(cli(env, "show", "rb", "--json").ok()) == ["first question", "first answer"]
    assert [r["messages"] for r in cli(env, "list", "--json").ok().json()] == [2]
    after = file_of(home, "rb").read_bytes()
    assert after.startswith(before), "a restore only appends"
    last = log_lines(home, "rb")[-1]
    assert (last["type"], last["checkpoint"]) == ("restore", early)

    cli(env, "restore", "rb", late).ok()
    shown = cli(env, "show", "rb", "--json").ok()
    assert contents(shown) == [q for turn in TURNS for q in turn]
    assert [r["messages"] for r in cli(env, "list", "--json").ok().json()] == [4]
    assert file_of(home, "rb").read_bytes().startswith(after)

    assert_one_error_line(cli(env, "restore", "rb", "cp999"), "cp999")


def test_fork_at_a_checkpoint_starts_a_new_session_with_that_view(
    home: Path, env: dict[str, str]
) -> None:
    make_session(home, "mother", TURNS, title="Mother", checkpoint_every_turn=True)
    early = cli(env, "checkpoints", "mother", "--json").ok().json()[0]["id"]
    mother_bytes = file_of(home, "mother").read_bytes()

    child = cli(env, "fork", "mother", "--at", early).ok().stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", child) and child != "mother"
    shown = cli(env, "show", child, "--json").ok().json()
    assert shown["parent"] == {"session": "mother", "checkpoint": early}
    assert [m["content"] for m in shown["messages"]] == ["first question", "first answer"]
    assert file_of(home, "mother").read_bytes() == mother_bytes

    whole = cli(env, "fork", "mother", "--json").ok().json()
    assert whole["parent"] == "mother" and whole["id"] not in (child, "mother")
    again = cli(env, "show", whole["id"], "--json").ok().json()
    assert again["parent"] == {"session": "mother", "checkpoint": None}
    assert len(again["messages"]) == 4
    assert_one_error_line(cli(env, "fork", "mother", "--at", "nope"), "nope")


def test_rename_changes_the_title(home: Path, env: dict[str, str]) -> None:
    make_session(home, "named", title="Old title")
    assert cli(env, "rename", "named", "New title").ok().stdout == ""
    assert cli(env, "show", "named", "--json").ok().json()["title"] == "New title"
    assert cli(env, "list", "--json").ok().json()[0]["title"] == "New title"
    assert log_lines(home, "named")[-1]["type"] == "meta"


# -- export ---------------------------------------------------------------------------


def test_export_md_json_and_jsonl(home: Path, env: dict[str, str]) -> None:
    make_session(home, "exp", TURNS, title="Export me", checkpoint_every_turn=True)
    md = cli(env, "export", "exp").ok().stdout
    assert md.startswith("# Export me")
    for text in ("first question", "second answer"):
        assert text in md
    assert cli(env, "export", "exp", "--format", "md").stdout == md

    as_json = cli(env, "export", "exp", "--format", "json").ok().stdout
    shown = cli(env, "show", "exp", "--json").ok().stdout
    assert json.loads(as_json) == json.loads(shown)
    assert as_json == shown

    raw = file_of(home, "exp").read_bytes()
    assert cli(env, "export", "exp", "-f", "jsonl").ok().stdout.encode() == raw

    out = home / "out.jsonl"
    wrote = cli(env, "export", "exp", "-f", "jsonl", "-o", str(out)).ok()
    assert out.read_bytes() == raw
    assert str(out) in wrote.stderr and wrote.stdout == ""
    assert_usage_error(cli(env, "export", "exp", "--format", "pdf"), "pdf")


def test_export_jsonl_of_a_hand_written_log_keeps_every_value(
    home: Path, env: dict[str, str]
) -> None:
    """A log another tool wrote (other key order, spacing) exports line for line.

    The export re-serialises records, so it is byte-equal only to logs chatcli
    wrote itself; here every exported line holds every value of the original."""
    sessions_dir(home).mkdir(parents=True, mode=0o700)
    lines = [
        {"type": "session", "seq": 1, "ts": OLD, "id": "hand", "created": OLD, "title": "By hand"},
        {"seq": 2, "type": "message", "ts": OLD, "role": "user", "content": "héllo"},
    ]
    raw = "".join(json.dumps(line) + "\n" for line in lines).encode()
    file_of(home, "hand").write_bytes(raw)
    assert cli(env, "show", "hand", "--json").ok().json()["messages"][0]["content"] == "héllo"
    exported = [
        json.loads(x) for x in cli(env, "export", "hand", "-f", "jsonl").ok().stdout.splitlines()
    ]
    assert len(exported) == len(lines)
    for original, out in zip(lines, exported, strict=True):
        assert out == {**out, **original}


# -- delete, prune ----------------------------------------------------------------------


def test_delete_refuses_without_yes_when_there_is_no_tty(home: Path, env: dict[str, str]) -> None:
    make_session(home, "keep", TURNS[:1])
    before = file_of(home, "keep").read_bytes()
    refused = cli(env, "delete", "keep")
    assert_one_error_line(refused, "--yes")
    assert file_of(home, "keep").read_bytes() == before

    said = cli(env, "delete", "keep", "--yes").ok().stdout
    assert "Deleted keep" in said
    assert not file_of(home, "keep").exists()
    assert cli(env, "list", "--json").ok().json() == []
    assert_one_error_line(cli(env, "delete", "keep", "--yes"), "keep")


def test_prune_lists_dry_runs_and_deletes_only_old_sessions(
    home: Path, env: dict[str, str]
) -> None:
    assert "No session is older than 30d" in cli(env, "prune", "--older-than", "30d").ok().stdout
    make_old_session(home, "ancient", OLD, title="Ancient")
    make_old_session(home, "older", "2019-06-01T00:00:00.000000Z")
    make_session(home, "recent", TURNS[:1])
    files = {p.name: p.read_bytes() for p in sessions_dir(home).glob("*.jsonl")}

    dry = cli(env, "prune", "--older-than", "30d", "--dry-run").ok().stdout
    listed = [line.split()[0] for line in dry.splitlines()[:-1]]
    assert listed == ["older", "ancient"]  # oldest first
    assert "2 session(s) would be deleted (dry run)" in dry
    assert {p.name: p.read_bytes() for p in sessions_dir(home).glob("*.jsonl")} == files

    assert_one_error_line(cli(env, "prune", "--older-than", "30d"), "--yes")
    assert {p.name for p in sessions_dir(home).glob("*.jsonl")} == set(files)

    done = cli(env, "prune", "--older-than", "4w", "--yes").ok().stdout
    assert "Deleted 2 session(s)" in done
    assert [p.name for p in sessions_dir(home).glob("*.jsonl")] == ["recent.jsonl"]
    assert [r["id"] for r in cli(env, "list", "--json").ok().json()] == ["recent"]


# -- doctor -------------------------------------------------------------------------------


def healthy(home: Path, session_id: str) -> list[bytes]:
    """A 7-line log: session, two turns, a checkpoint after each."""
    make_session(home, session_id, TURNS, checkpoint_every_turn=True)
    lines = file_of(home, session_id).read_bytes().splitlines(keepends=True)
    assert len(lines) == 7 and json.loads(lines[3])["type"] == "checkpoint"
    return lines


def test_doctor_reports_each_problem_with_file_and_line(home: Path, env: dict[str, str]) -> None:
    healthy(home, "fine")
    lines = healthy(home, "badline")
    lines[2] = b'{"seq": 3, "type": "message", "role": \n'
    file_of(home, "badline").write_bytes(b"".join(lines))

    lines = healthy(home, "gap")
    del lines[2]  # line 3 now says seq 4
    file_of(home, "gap").write_bytes(b"".join(lines))

    lines = healthy(home, "tampered")
    record = json.loads(lines[3])
    record["digest"] = "0" * len(record["digest"])
    lines[3] = json.dumps(record).encode() + b"\n"
    file_of(home, "tampered").write_bytes(b"".join(lines))

    lines = healthy(home, "torn")
    file_of(home, "torn").write_bytes(b"".join(lines) + b'{"seq": 8, "type": "mess')

    assert "0 with problems" in cli(env, "doctor", "fine").ok().stdout
    expected = {
        "badline": (3, "JSON"),
        "gap": (3, "seq is 4, expected 3"),
        "tampered": (4, "digest"),
        "torn": (8, "unterminated"),
    }
    report = cli(env, "doctor")
    assert report.code == 1 and "Traceback" not in report.output
    assert "Checked 5 session(s): 4 with problems." in report.stdout
    for sid, (line, words) in expected.items():
        prefix = f"{file_of(home, sid)}:{line}: "
        hits = [row for row in report.stdout.splitlines() if row.startswith(prefix)]
        assert hits and words in hits[0], f"no {prefix}…{words} in:\n{report.stdout}"
        alone = cli(env, "doctor", sid)
        assert alone.code == 1 and alone.stdout.startswith(prefix), alone
    assert f"{file_of(home, 'fine')}:" not in report.stdout


def test_doctor_repair_moves_a_torn_tail_aside_without_losing_bytes(
    home: Path, env: dict[str, str]
) -> None:
    good = b"".join(healthy(home, "torn"))
    tail = b'{"seq": 8, "type": "message", "role": "user", "content": "half'
    file_of(home, "torn").write_bytes(good + tail)

    repaired = cli(env, "doctor", "torn", "--repair")
    assert repaired.code == 0, repaired
    assert "moved the torn last line to" in repaired.stdout
    (aside,) = sessions_dir(home).glob("torn.jsonl.corrupt-*")
    assert aside.read_bytes() == tail
    assert str(aside) in repaired.stdout
    assert file_of(home, "torn").read_bytes() == good
    assert "0 with problems" in cli(env, "doctor", "torn").ok().stdout
    assert len(cli(env, "show", "torn", "--json").ok().json()["messages"]) == 4

    lines = healthy(home, "middle")
    lines[2] = b"garbage\n"
    broken = b"".join(lines)
    file_of(home, "middle").write_bytes(broken)
    fixed = cli(env, "doctor", "middle", "--repair")
    assert fixed.code == 0 and f"{file_of(home, 'middle')}:3:" in fixed.stdout, fixed
    (kept,) = sessions_dir(home).glob("middle.jsonl.before-repair-*")
    assert kept.read_bytes() == broken, "the damaged log is kept whole"
    assert not list(sessions_dir(home).glob("middle.jsonl.corrupt-*"))
    assert "0 with problems" in cli(env, "doctor", "middle").ok().stdout


# -- copy ----------------------------------------------------------------------------------


def test_copy_to_another_folder_keeps_every_line(home: Path, env: dict[str, str]) -> None:
    make_session(home, "src", TURNS, checkpoint_every_turn=True)
    other = home / "elsewhere"
    said = cli(env, "copy", "src", "--to", str(other)).ok().stdout
    assert "Copied src (7 lines)" in said
    assert (other / "src.jsonl").read_bytes() == file_of(home, "src").read_bytes()
    assert_one_error_line(cli(env, "copy", "src", "--to", str(other)), "already exists")
    assert_one_error_line(cli(env, "copy", "src", "--to", "ftp://x"), "ftp://x")


# -- bad input ------------------------------------------------------------------------------

ID_COMMANDS = [
    ["show", "{id}"],
    ["show", "{id}", "--json"],
    ["checkpoint", "{id}"],
    ["checkpoints", "{id}"],
    ["restore", "{id}", "cp1"],
    ["fork", "{id}"],
    ["rename", "{id}", "x"],
    ["export", "{id}"],
    ["delete", "{id}", "--yes"],
    ["doctor", "{id}"],
    ["copy", "{id}", "--to", "files"],
    ["new", "--id", "{id}"],
    ["tree", "{id}"],
    ["switch", "{id}", "2"],
]


@pytest.mark.parametrize("bad_id", ["../x", "a" * 65, "a b", ".hidden/x"])
@pytest.mark.parametrize("args", ID_COMMANDS, ids=lambda a: "-".join(a[:2]).replace("{id}", "ID"))
def test_every_command_refuses_a_malformed_id(
    home: Path, env: dict[str, str], args: list[str], bad_id: str
) -> None:
    make_session(home, "x", TURNS[:1])
    run = cli(env, *(a.replace("{id}", bad_id) for a in args))
    assert_one_error_line(run, "not a valid session id")
    assert sorted(p.name for p in sessions_dir(home).iterdir() if p.is_file()) in (
        ["x.jsonl"],
        [".index.json", "x.jsonl"],
    )
    assert not (home / "data" / "x.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sessions", "show", "nobody"], ["'nobody'", "sessions list"]),
        (["sessions", "show", "../x"], ["not a valid session id"]),
        (["sessions", "show", "a" * 65], ["not a valid session id"]),
        (["sessions", "show", "corrupt"], ["corrupt.jsonl:3:", "doctor"]),
        (["sessions", "prune", "--older-than", "soon"], ["'soon' is not a duration"]),
        (["sessions", "restore", "corrupt", "cp4"], ["corrupt.jsonl:3:"]),
    ],
    ids=["unknown", "dotdot", "too-long", "corrupt", "bad-duration", "restore-corrupt"],
)
def test_bad_input_is_one_line_real_entry_point(
    home: Path, env: dict[str, str], args: list[str], words: list[str]
) -> None:
    lines = healthy(home, "corrupt")
    lines[2] = b"{oops\n"
    file_of(home, "corrupt").write_bytes(b"".join(lines))
    before = file_of(home, "corrupt").read_bytes()
    assert_one_error_line(run_cli(args, env), *words)
    assert file_of(home, "corrupt").read_bytes() == before, "an error never rewrites a log"


def test_limit_zero_is_a_usage_error_real_entry_point(env: dict[str, str]) -> None:
    assert_usage_error(run_cli(["sessions", "list", "--limit", "0"], env), "--limit")


def test_a_corrupt_session_does_not_break_the_listing(home: Path, env: dict[str, str]) -> None:
    make_session(home, "good", TURNS[:1])
    lines = healthy(home, "bad")
    lines[4] = b"\x00\x01\n"
    file_of(home, "bad").write_bytes(b"".join(lines))
    text = cli(env, "list").ok().stdout
    assert "good" in text and "bad.jsonl:5:" in text
    assert {r["id"] for r in cli(env, "list", "--json").ok().json()} == {"good", "bad"}


# -- the real entry point, end to end --------------------------------------------------------


def test_a_session_lifecycle_real_entry_point(home: Path, env: dict[str, str]) -> None:
    def run(*args: str) -> Run:
        return run_cli(["sessions", *args], env).ok()

    assert run("new", "--id", "life", "--title", "Life").stdout == "life\n"
    make_session_add(home, "life", "hello there")
    cp = run("checkpoint", "life", "--label", "start").stdout.strip()
    make_session_add(home, "life", "second thought")
    rows = run("list", "--json").json()
    assert [(r["id"], r["messages"]) for r in rows] == [("life", 2)]
    run("restore", "life", cp)
    shown = run("show", "life", "--json").json()
    assert [m["content"] for m in shown["messages"]] == ["hello there"]
    child = run("fork", "life", "--at", cp).stdout.strip()
    assert run("show", child, "--json").json()["parent"] == {"session": "life", "checkpoint": cp}
    run("rename", child, "Child")
    assert (
        run("export", "life", "-f", "jsonl").stdout.encode() == file_of(home, "life").read_bytes()
    )
    assert "0 with problems" in run("doctor").stdout
    assert "Deleted" in run("delete", child, "--yes").stdout
    refused = run_cli(["sessions", "delete", "life"], env)
    assert refused.code != 0 and file_of(home, "life").exists()
    assert [r["id"] for r in run("list", "--json").json()] == ["life"]


def test_paths_honours_the_environment_real_entry_point(home: Path, env: dict[str, str]) -> None:
    out = run_cli(["paths"], env).ok().stdout
    rows = {line[:12].strip(): line[12:].strip() for line in out.splitlines()}
    assert rows["config file"] == str(home / "config" / "config.toml")
    assert rows["agents"] == str(home / "config" / "agents")
    assert rows["data"] == str(home / "data")
    assert rows["sessions"] == str(home / "data" / "sessions")
    assert rows["exports"] == str(home / "data" / "exports")  # where F4 offers to write
    assert rows["window"] == str(home / "data" / "ui-state.json")
    assert rows["log file"].startswith(str(home / "data"))
    assert rows["log file"].endswith(".log")
    assert not (home / "data").exists(), "`chatcli paths` only shows; it creates nothing"


# -- permissions -----------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_files_are_private_even_under_umask_000_real_entry_point(
    home: Path, env: dict[str, str]
) -> None:
    def run(*args: str) -> Run:
        return run_cli(["sessions", *args], env, umask=0)

    run("new", "--id", "priv").ok()
    run("checkpoint", "priv").ok()
    run("rename", "priv", "Private").ok()
    run("fork", "priv", "--json").ok()
    run("list").ok()
    with file_of(home, "priv").open("ab") as fh:
        fh.write(b'{"seq": 5, "ty')
    run("doctor", "--repair").ok()

    root = sessions_dir(home)
    found: dict[str, Any] = {}
    for path in [root, *root.rglob("*")]:
        found[str(path.relative_to(home))] = oct(mode(path))
        want = 0o700 if path.is_dir() else 0o600
        assert mode(path) == want, f"{path} is {oct(mode(path))}, want {oct(want)}"
    assert any(name.endswith(".jsonl") for name in found)
    assert any(".corrupt-" in name for name in found)
    assert mode(home / "data") & 0o077 == 0, "the data folder is private too"
