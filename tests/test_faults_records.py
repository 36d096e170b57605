"""Records no reader can use are refused when parsed, and doctor agrees with every reader.

issue 9, section 2: a tool call whose `function` is not an object, a `ts` that
is not ISO 8601 with a zone. Each such line is a CorruptLog at its line number
for every command, and one bad file never breaks the listing of the others.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatcli.session import Session
from chatcli.session.records import BadLine, NewerRecord, parse_line
from tests.cli_helpers import Run, cli_env, invoke, run_cli, sessions_dir, store_for
from tests.fault_mounts import assert_one_sentence

TOOL_CALL_LINE = (
    b'{"type":"message","seq":2,"ts":"2026-01-01T00:00:00Z","role":"assistant",'
    b'"content":"","tool_calls":[{"function":"x"}]}\n'
)
READERS = [
    ["sessions", "show", "{id}"],
    ["sessions", "show", "{id}", "--json"],
    ["sessions", "export", "{id}", "--format", "md"],
    ["sessions", "export", "{id}", "--format", "json"],
    ["sessions", "export", "{id}", "--format", "jsonl"],
    ["sessions", "checkpoints", "{id}"],
    ["sessions", "checkpoints", "{id}", "--json"],
]
LISTERS = [
    ["sessions", "list"],
    ["sessions", "list", "--json"],
    ["sessions", "list", "--search", "q"],
    ["sessions", "prune", "--older-than", "1d", "--dry-run"],
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


def log_file(home: Path, session_id: str) -> Path:
    return sessions_dir(home) / f"{session_id}.jsonl"


def new_session(env: dict[str, str], session_id: str) -> None:
    assert invoke(["sessions", "new", "--id", session_id], env).ok().stdout.strip() == session_id


def a_rich_session(home: Path, session_id: str) -> None:
    """Every record type a person's session holds: tool calls, state, checkpoints, a restore."""
    session: Session[Any] = Session.create(store_for(home), session_id=session_id, title="q")
    session.add_message("user", "remember my name, q")
    call = {"id": "c1", "type": "function", "function": {"name": "remember", "arguments": "{}"}}
    session.add_message("assistant", "", tool_calls=[call], model="openai/m")
    session.add_message("tool", "ok", tool_call_id="c1", name="remember")
    session.update_state(lambda s: s.model_copy(update={"facts": {"name": "Ada"}}), by="tool:x")
    first = session.checkpoint("one")
    session.add_message("assistant", "Hello Ada", usage={"prompt_tokens": 3})
    session.restore(first.id)
    session.rename("renamed q")


def a_rich_log(home: Path) -> bytes:
    a_rich_session(home, "seed")
    return log_file(home, "seed").read_bytes()


# -- the repros ------------------------------------------------------------------------


def test_a_tool_call_whose_function_is_not_an_object_is_refused_by_every_command(
    tmp_path: Path, env: dict[str, str]
) -> None:
    new_session(env, "a")
    with log_file(tmp_path, "a").open("ab") as fh:
        fh.write(TOOL_CALL_LINE)
    where = f"{log_file(tmp_path, 'a')}:2:"
    for args in READERS:
        run = invoke([a.replace("{id}", "a") for a in args], env)
        assert_one_sentence(run, where, "function must be an object")
    doctor = invoke(["sessions", "doctor", "a"], env)
    assert doctor.code == 1 and f"{where} function must be an object" in doctor.stdout


@pytest.mark.parametrize("ts", ["yesterday", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z", 5])
def test_a_timestamp_without_a_zone_is_refused_and_the_listing_still_works(
    tmp_path: Path, env: dict[str, str], ts: object
) -> None:
    new_session(env, "good")
    new_session(env, "b")
    line = {"type": "message", "seq": 2, "ts": ts, "role": "user", "content": "x"}
    with log_file(tmp_path, "b").open("ab") as fh:
        fh.write(json.dumps(line).encode() + b"\n")
    where = f"{log_file(tmp_path, 'b')}:2:"
    for args in [*READERS, ["sessions", "checkpoint", "{id}"], ["sessions", "rename", "{id}", "t"]]:
        assert_one_sentence(invoke([a.replace("{id}", "b") for a in args], env), where)
    for _ in range(2):  # the second listing comes from the summary index
        listing = invoke(["sessions", "list"], env).ok().stdout
        rows_shown = [row.split()[0] for row in listing.splitlines()]
        assert rows_shown == ["good", "b"] and where in listing, listing
        rows = {r["id"]: r for r in invoke(["sessions", "list", "--json"], env).ok().json()}
        assert set(rows) == {"good", "b"} and rows["b"]["title"] == "(unreadable)"
        assert "would be deleted" not in invoke(LISTERS[3], env).ok().stdout
    doctor = invoke(["sessions", "doctor"], env)
    assert doctor.code == 1 and where in doctor.stdout and "1 with problems" in doctor.stdout


def test_a_summary_index_holding_a_bad_summary_is_not_believed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """An index written by an older chatcli cached `updated: "yesterday"`: it is read again."""
    new_session(env, "c")
    invoke(["sessions", "list"], env).ok()
    index = sessions_dir(tmp_path) / ".index.json"
    data = json.loads(index.read_bytes())
    data["sessions"]["c"][2]["updated"] = "yesterday"
    index.write_text(json.dumps(data))
    old_format = {"c": data["sessions"]["c"]}  # the format before version 2
    for planted in (data, old_format):
        index.write_text(json.dumps(planted))
        assert "c " in invoke(["sessions", "list"], env).ok().stdout
        invoke(LISTERS[3], env).ok()


def test_an_empty_id_is_refused_real_entry_point(env: dict[str, str]) -> None:
    assert_one_sentence(run_cli(["ask", "-s", "", "hi"], env), "'' is not a valid session id")
    assert_one_sentence(run_cli(["sessions", "doctor", ""], env), "'' is not a valid session id")
    assert not sessions_dir(Path(env["CHATCLI_DATA_DIR"]).parent).exists()


def test_a_record_type_from_a_newer_chatcli_names_the_upgrade(
    tmp_path: Path, env: dict[str, str]
) -> None:
    new_session(env, "n")
    with log_file(tmp_path, "n").open("ab") as fh:
        fh.write(b'{"type":"hologram","seq":2,"ts":"2026-01-01T00:00:00Z"}\n')
    run = invoke(["sessions", "show", "n"], env)
    assert_one_sentence(run, ":2:", "'hologram' record", "newer chatcli", "upgrade chatcli")
    with pytest.raises(NewerRecord):
        parse_line(b'{"type":"hologram","seq":2}')
    before = log_file(tmp_path, "n").read_bytes()
    refused = invoke(["sessions", "doctor", "n", "--repair"], env)
    assert_one_sentence(refused, "Upgrade chatcli instead of repairing")
    assert log_file(tmp_path, "n").read_bytes() == before


# -- doctor agrees with every reader ------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
TIMES = st.sampled_from(
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        "2026-13-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2024-02-29T12:00:00.5+02:00",
        "2025-02-29T12:00:00Z",
        "",
    ]
)


@st.composite
def damaged(draw: st.DrawFn, log: bytes) -> bytes:
    """The rich log with one value somewhere replaced, removed or added."""
    lines = log.splitlines(keepends=True)
    index = draw(st.integers(0, len(lines) - 1))
    record = json.loads(lines[index])
    target: Any = record
    keys = list(record)
    while True:  # walk down into nested objects and lists, sometimes
        key = draw(st.sampled_from(keys)) if keys else None
        value = target.get(key) if key is not None else None
        if isinstance(value, list) and value and draw(st.booleans()):
            value = value[0]
        if isinstance(value, dict) and value and draw(st.booleans()):
            target, keys = value, list(value)
            continue
        break
    action = draw(st.sampled_from(["replace", "time", "delete", "add"]))
    if action == "delete" and key is not None:
        del target[key]
    elif action == "add":
        target[draw(st.text(max_size=6))] = draw(JSON)
    elif key is not None:
        target[key] = draw(TIMES) if action == "time" else draw(JSON)
    lines[index] = json.dumps(record, allow_nan=True).encode() + b"\n"
    return b"".join(lines)


def _outcome(run: Run) -> bool:
    """True when a command succeeded; a failure must be exactly one sentence."""
    if run.code == 0:
        assert "Traceback" not in run.output
        return True
    assert_one_sentence(run)
    return False


@pytest.fixture(scope="module")
def rich_log(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return a_rich_log(tmp_path_factory.mktemp("seed"))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_doctor_never_calls_a_file_clean_that_another_command_fails_on(
    tmp_path: Path, rich_log: bytes, data: st.DataObject
) -> None:
    blob = data.draw(damaged(rich_log))
    home = Path(tempfile.mkdtemp(dir=tmp_path))
    env = cli_env(home)
    sessions_dir(home).mkdir(parents=True)
    (sessions_dir(home) / "seed.jsonl").write_bytes(blob)
    ran = {
        " ".join(a): _outcome(invoke([x.replace("{id}", "seed") for x in a], env)) for a in READERS
    }
    for args in LISTERS:
        assert _outcome(invoke(args, env)), f"{args} must list a damaged session, not fail"
    doctor = invoke(["sessions", "doctor", "seed"], env)
    assert "Traceback" not in doctor.output
    if doctor.code == 0:
        failed = [name for name, ok in ran.items() if not ok]
        assert not failed, f"doctor called it clean, but these failed: {failed}\n{blob!r}"
    if not all(ran.values()):
        assert doctor.code == 1, doctor
    # and whatever doctor found, --repair leaves a session every reader opens
    repaired = invoke(["sessions", "doctor", "seed", "--repair"], env)
    if repaired.code != 0:
        assert_one_sentence(repaired, "Upgrade chatcli")
        return
    for args in READERS:
        invoke([x.replace("{id}", "seed") for x in args], env).ok()
    kept = list(sessions_dir(home).glob("seed.jsonl.before-repair-*"))
    assert [p.read_bytes() for p in kept] == ([blob] if doctor.code else [])


def test_the_timestamp_check_accepts_only_what_every_reader_can_read() -> None:
    from datetime import datetime

    from chatcli.session.records import is_timestamp

    samples = [
        f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{zone}"
        for y in (0, 1, 1900, 2000, 2024, 2025, 9999)
        for m in (0, 1, 2, 4, 12, 13)
        for d in (0, 1, 28, 29, 30, 31, 32)
        for h, mi, s in ((0, 0, 0), (23, 59, 59), (24, 0, 0), (12, 60, 0))
        for frac in ("", ".5", ".123456")
        for zone in ("Z", "+02:00", "-23:59", "", "+24:00")
    ]
    accepted = 0
    for text in samples:
        if is_timestamp(text):
            accepted += 1
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            assert parsed.tzinfo is not None, text
    assert accepted > 1000
    for bad in ("yesterday", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2025-02-29T00:00:00Z"):
        assert not is_timestamp(bad)
        with pytest.raises(BadLine):
            parse_line(
                json.dumps({"type": "message", "seq": 2, "ts": bad, "role": "user"}).encode()
            )
