"""A damaged log is reported, by file and line number, and never changed.

Hand-made damage checks each kind of fault lands on the right line; hypothesis
then throws random bytes and mutated valid logs at the loader, which may only
load them (reading every whole line) or raise CorruptLog naming the file and a
line that exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chatcli.errors import CorruptLog
from chatcli.session import Memory, Session
from chatcli.store import JsonlStore

LOADER_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def build_log(store: JsonlStore, session_id: str, messages: int = 9) -> bytes:
    """A healthy log with every kind of line: 1 session line + `messages` + extras."""
    session = Session.create(store, session_id=session_id, title="healthy", model="m")
    session.add_message("system", "be kind")
    for n in range(1, messages):
        session.add_message("user" if n % 2 else "assistant", f"message {n} ✓")
        if n == 3:
            session.update_state(lambda m: Memory(facts={**m.facts, "n": "3"}))
            point = session.checkpoint("three")
        if n == 6:
            session.restore(point.id)
    session.rename("still healthy")
    return store.path(session_id).read_bytes()


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def edit(line: bytes, **fields: object) -> bytes:
    data = json.loads(line)
    data.update(fields)
    return json.dumps(data).encode()


def assert_reported(err: CorruptLog, path: Path, data: bytes) -> None:
    """The error names the file and a whole line of it (line 1 when there is none)."""
    whole_lines = data.count(b"\n")
    assert err.path == str(path)
    assert 1 <= err.line <= max(1, whole_lines), (err.line, whole_lines)
    assert err.sentence().startswith(f"{path}:{err.line}: ")


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return build_log(JsonlStore(tmp_path_factory.mktemp("healthy")), "h")


@pytest.fixture(scope="module")
def loader_store(tmp_path_factory: pytest.TempPathFactory) -> JsonlStore:
    store = JsonlStore(tmp_path_factory.mktemp("loader") / "sessions")
    Session.create(store, session_id="h")  # makes the folders
    return store


def load_bytes(store: JsonlStore, data: bytes) -> Session[Memory] | CorruptLog:
    """Put `data` at session `h`, load it; the loader must not change the file."""
    path = store.path("h")
    path.write_bytes(data)
    try:
        loaded: Session[Memory] | CorruptLog = Session.load(store, "h")
    except CorruptLog as err:
        assert_reported(err, path, data)
        loaded = err
    else:
        # A log that loads has had every whole line applied, none skipped.
        assert loaded.view.last_seq == data.count(b"\n")
        assert len(loaded.records) == data.count(b"\n")
    assert path.read_bytes() == data
    return loaded


# -- hand-made damage --------------------------------------------------------

Damage = Callable[[list[bytes]], list[bytes]]

DAMAGE: dict[str, tuple[Damage, int]] = {
    "not json": (lambda ls: [*ls[:4], b"{not json", *ls[5:]], 5),
    "binary": (lambda ls: [*ls[:4], b"\x00\xff\xfe garbage", *ls[5:]], 5),
    "invalid utf-8 in a string": (lambda ls: [*ls[:4], ls[4][:-2] + b'\xff"}', *ls[5:]], 5),
    "unknown type": (lambda ls: [*ls[:4], edit(ls[4], type="telepathy"), *ls[5:]], 5),
    "bad role": (lambda ls: [*ls[:4], edit(ls[4], role="narrator"), *ls[5:]], 5),
    "seq changed": (lambda ls: [*ls[:4], edit(ls[4], seq=50), *ls[5:]], 5),
    "seq zero": (lambda ls: [*ls[:4], edit(ls[4], seq=0), *ls[5:]], 5),
    "line dropped": (lambda ls: [*ls[:4], *ls[5:]], 5),
    "line duplicated": (lambda ls: [*ls[:5], ls[4], *ls[5:]], 6),
    "lines swapped": (lambda ls: [*ls[:4], ls[5], ls[4], *ls[6:]], 5),
    "empty line": (lambda ls: [*ls[:4], b"", *ls[4:]], 5),
    "session line removed": (lambda ls: ls[1:], 1),
    "second session line": (lambda ls: [*ls[:4], edit(ls[0], seq=5), *ls[5:]], 5),
    "session line names another id": (lambda ls: [edit(ls[0], id="other"), *ls[1:]], 1),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_each_kind_of_damage_is_reported_at_its_line(
    loader_store: JsonlStore, healthy: bytes, kind: str
) -> None:
    damage, line = DAMAGE[kind]
    data = join(damage(lines_of(healthy)))

    err = load_bytes(loader_store, data)

    assert isinstance(err, CorruptLog)
    assert err.line == line, err.sentence()


def test_a_restore_naming_an_unknown_checkpoint_is_reported_at_its_line(
    loader_store: JsonlStore, healthy: bytes
) -> None:
    lines = lines_of(healthy)
    (where,) = [n for n, line in enumerate(lines) if json.loads(line)["type"] == "restore"]
    lines[where] = edit(lines[where], checkpoint="cp-nowhere")

    err = load_bytes(loader_store, join(lines))

    assert isinstance(err, CorruptLog)
    assert err.line == where + 1
    assert "cp-nowhere" in err.reason


def test_an_empty_file_or_a_lone_torn_line_reports_line_one(loader_store: JsonlStore) -> None:
    for data in [b"", b'{"type":"session","seq":1,"id":"h"']:
        err = load_bytes(loader_store, data)
        assert isinstance(err, CorruptLog) and err.line == 1


def test_a_torn_last_line_is_ignored_by_readers(loader_store: JsonlStore, healthy: bytes) -> None:
    loaded = load_bytes(loader_store, healthy + b'{"type":"message","seq":')

    assert isinstance(loaded, Session)
    assert loaded.title == "still healthy"


def test_a_bad_line_in_the_middle_fails_load_and_append_and_the_file_is_unchanged(
    tmp_path: Path,
) -> None:
    store = JsonlStore(tmp_path / "sessions")
    early = Session.create(store, session_id="mid")
    early.add_message("user", "one")
    early.add_message("user", "two")  # `early` has read up to line 3
    later = Session.load(store, "mid")
    for n in range(3, 9):
        later.add_message("user", f"message {n}")
    path = store.path("mid")
    lines = lines_of(path.read_bytes())
    lines[4] = b'{"type":"message","seq":5,"role":"user","content":"cut'
    damaged = join(lines) + b'{"type":"message","seq":10,"ro'  # and a torn tail
    path.write_bytes(damaged)

    with pytest.raises(CorruptLog) as loading:
        Session.load(store, "mid")
    with pytest.raises(CorruptLog) as appending:
        early.add_message("user", "must not be written")
    with pytest.raises(CorruptLog) as refreshing:
        early.refresh()

    for caught in (loading, appending, refreshing):
        assert caught.value.line == 5
        assert caught.value.sentence().startswith(f"{path}:5: ")
        assert "not changed" in caught.value.sentence()
    assert path.read_bytes() == damaged
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(".")) == [
        "mid.jsonl"
    ]  # the torn tail was not moved aside either: nothing was written


def test_a_listing_reports_a_damaged_session_instead_of_failing(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")
    build_log(store, "good")
    build_log(store, "bad")
    path = store.path("bad")
    lines = lines_of(path.read_bytes())
    lines[2] = b"]]]"
    path.write_bytes(join(lines))

    found = {s.id: s for s in store.summaries()}

    assert found["good"].problem is None
    assert found["good"].messages > 0
    assert found["bad"].problem is not None
    assert f"{path}:3:" in found["bad"].problem


# -- hypothesis: anything at all ----------------------------------------------


@LOADER_SETTINGS
@given(data=st.binary(max_size=3000))
def test_random_bytes_load_or_raise_corrupt_log(loader_store: JsonlStore, data: bytes) -> None:
    load_bytes(loader_store, data)


@LOADER_SETTINGS
@given(tail=st.lists(st.binary(max_size=80), max_size=6), end=st.booleans())
def test_random_lines_after_a_valid_session_line(
    loader_store: JsonlStore, healthy: bytes, tail: list[bytes], end: bool
) -> None:
    first = healthy[: healthy.index(b"\n") + 1]
    loaded = load_bytes(loader_store, first + b"\n".join(tail) + (b"\n" if end else b""))
    event("loaded" if isinstance(loaded, Session) else "corrupt")


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 20),
    st.text(max_size=6),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers() | st.text(max_size=3), max_size=2),
)
RECORD_LIKE = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "state", "checkpoint", "restore", "meta", "session"])},
    optional={
        "role": st.sampled_from(["user", "assistant", "tool", "system", "x"]),
        "content": st.text(max_size=6) | JSON_VALUES,
        "state": st.dictionaries(st.text(max_size=4), JSON_VALUES) | JSON_VALUES,
        "id": st.sampled_from(["h", "cp3", "cp4", "x"]),
        "at": st.integers(0, 9) | JSON_VALUES,
        "digest": st.text(max_size=4) | JSON_VALUES,
        "checkpoint": st.sampled_from(["cp3", "cp4", "cp9"]),
        "title": st.text(max_size=4) | JSON_VALUES,
        "changes": JSON_VALUES,
        "tool_calls": JSON_VALUES,
        "ts": JSON_VALUES,
    },
)
SEQ = st.none() | st.integers(-1, 12)
"""None: the right seq for the line's place; a number: maybe not."""


@LOADER_SETTINGS
@given(records=st.lists(st.tuples(RECORD_LIKE, SEQ), max_size=6))
def test_random_record_like_lines_load_or_raise_corrupt_log(
    loader_store: JsonlStore, healthy: bytes, records: list[tuple[dict[str, object], int | None]]
) -> None:
    lines = lines_of(healthy)[:3]
    for record, seq in records:
        record["seq"] = len(lines) + 1 if seq is None else seq
        lines.append(json.dumps(record).encode())
    loaded = load_bytes(loader_store, join(lines))
    event("loaded" if isinstance(loaded, Session) else "corrupt")


# -- hypothesis: a valid log, damaged ------------------------------------------

INDEX = st.integers(0, 10**6)
MUTATION = st.one_of(
    st.tuples(st.just("flip"), INDEX, st.integers(1, 255)),
    st.tuples(st.just("insert"), INDEX, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), INDEX, st.integers(1, 40)),
    st.tuples(st.just("drop"), INDEX),
    st.tuples(st.just("duplicate"), INDEX),
    st.tuples(st.just("swap"), INDEX, INDEX),
    st.tuples(st.just("seq"), INDEX, st.integers(-2, 40)),
    st.tuples(st.just("no session line")),
    st.tuples(st.just("bad restore"), st.sampled_from(["cp1", "cp999", "", "x" * 70])),
    st.tuples(st.just("truncate"), INDEX),
)


def mutate(data: bytes, mutation: tuple[object, ...]) -> bytes:
    kind, *args = mutation
    lines = lines_of(data) + ([data[data.rfind(b"\n") + 1 :]] if not data.endswith(b"\n") else [])
    size, count = max(len(data), 1), max(len(lines), 1)
    if kind == "flip":
        at = int(args[0]) % size
        return data[:at] + bytes([data[at] ^ int(args[1])]) + data[at + 1 :] if data else data
    if kind == "insert":
        at = int(args[0]) % size
        return data[:at] + bytes(args[1]) + data[at:]  # type: ignore[arg-type]
    if kind == "delete":
        at = int(args[0]) % size
        return data[:at] + data[at + int(args[1]) :]
    if kind == "truncate":
        return data[: int(args[0]) % size]
    if kind == "drop":
        del lines[int(args[0]) % count]
    elif kind == "duplicate" and lines:
        at = int(args[0]) % count
        lines.insert(at, lines[at])
    elif kind == "swap" and lines:
        i, j = int(args[0]) % count, int(args[1]) % count
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "seq" and lines:
        at = int(args[0]) % count
        with suppress(ValueError, AttributeError):  # an earlier mutation broke this line
            lines[at] = edit(lines[at], seq=int(args[1]))
    elif kind == "no session line" and lines:
        del lines[0]
    elif kind == "bad restore":
        seq = len(lines) + 1
        lines.append(json.dumps({"type": "restore", "seq": seq, "checkpoint": args[0]}).encode())
    return join(lines)


@LOADER_SETTINGS
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_valid_logs_load_or_raise_corrupt_log(
    loader_store: JsonlStore, healthy: bytes, mutations: list[tuple[object, ...]]
) -> None:
    data = healthy
    for mutation in mutations:
        data = mutate(data, mutation)
    loaded = load_bytes(loader_store, data)
    event("loaded" if isinstance(loaded, Session) else "corrupt")
