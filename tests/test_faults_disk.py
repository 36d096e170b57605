"""A full disk, a read-only disk, no permission: one sentence each, and nothing lost.

issue 9, section 2. Real faults: a 256 KiB tmpfs filled to the last byte, a
tmpfs remounted read-only, folders and files that belong to someone else
(checked by a process the kernel holds to file modes). Every failing command
exits non-zero with exactly one line on stderr naming the path and what to do,
and no acknowledged line changes.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatcli.chat.agent import load_agent
from chatcli.chat.engine import ChatEngine
from chatcli.chat.rescue import Rescue
from chatcli.errors import ReplyKept
from chatcli.llm import LiteLLMModel, configure_logging
from chatcli.session import ChatMessage, Session
from chatcli.session.records import dump_line
from chatcli.store import JsonlStore
from tests.cli_helpers import cli_env, invoke, make_session, run_cli
from tests.conftest_model import TEST_KEY
from tests.fault_mounts import (
    assert_one_sentence,
    fill,
    remount_readonly,
    restricted_uid,
    run_restricted,
    tmpfs,
)
from tests.model_server import ModelServer, Reply, split_tokens

MODEL = "openai/test-model"
REPLY = "The answer, which the person reads before it is saved, is forty-two. " * 90
"""Longer than a page: the page the user's line took cannot hold it on a full disk."""
TURN = [("a question", "an answer")]
PAD_TS = "2026-01-01T00:00:00.000000Z"


@pytest.fixture
def disk() -> Iterator[Path]:
    """A 256 KiB tmpfs: the data folder of the test."""
    with tmpfs("256k") as point:
        try:
            yield point
        finally:
            configure_logging(None)  # in-process runs pointed litellm's log at this disk


@pytest.fixture
def home(disk: Path, tmp_path: Path) -> Path:
    """`home/data` is the tmpfs (a link, for the helpers that write there); config is not."""
    (tmp_path / "data").symlink_to(disk)
    return tmp_path


@pytest.fixture
def env(home: Path, disk: Path) -> dict[str, str]:
    return cli_env(home, CHATCLI_API_KEY=TEST_KEY, CHATCLI_DATA_DIR=str(disk))


def sessions(home: Path) -> Path:
    return (home / "data").resolve() / "sessions"


def page_aligned(home: Path, session_id: str) -> Session[Any]:
    """A session whose log ends exactly at a 4 KiB page: on a full tmpfs, any append
    needs a new page (within a page's slack, a "full" tmpfs still takes bytes)."""
    session = make_session(home, session_id, TURN)
    size = (sessions(home) / f"{session_id}.jsonl").stat().st_size
    probe = ChatMessage(seq=session.view.last_seq + 1, ts=PAD_TS, role="user", content="")
    pad = (-size - len(dump_line(probe))) % 4096
    session.add_message("user", "x" * pad, ts=PAD_TS)
    assert (sessions(home) / f"{session_id}.jsonl").stat().st_size % 4096 == 0
    return session


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` but the filler and chatcli's own log."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name not in ("filler", "chatcli.log")
    }


def no_debris(folder: Path) -> None:
    """No temporary file, and no `.corrupt-*` file (empty or not), was left behind."""
    names = [p.name for p in folder.rglob("*")]
    assert not [n for n in names if n.endswith(".tmp")], names
    assert not [n for n in names if ".corrupt-" in n], names


# -- a full disk -----------------------------------------------------------------------------


def test_a_full_disk_is_one_sentence_for_each_command_and_nothing_changes(
    home: Path, env: dict[str, str], disk: Path
) -> None:
    page_aligned(home, "s")
    page_aligned(home, "torn")
    with open(sessions(home) / "torn.jsonl", "ab") as fh:
        fh.write(b'{"type":"message","seq":5,"ro')  # a writer needs space to move this aside
    lines = (sessions(home) / "torn.jsonl").read_bytes()
    make_session(home, "mid", TURN)
    mid = (sessions(home) / "mid.jsonl").read_bytes().splitlines(keepends=True)
    (sessions(home) / "mid.jsonl").write_bytes(b"".join([mid[0], b"garbage\n", *mid[2:]]))
    invoke(["sessions", "list"], env).ok()  # the index exists
    fill(disk)
    before = snapshot(disk)
    full = "the disk is full. Free some space on that disk, then try again."

    assert_one_sentence(invoke(["sessions", "checkpoint", "s"], env), "s.jsonl", full)
    assert_one_sentence(invoke(["sessions", "checkpoint", "torn"], env), "torn.jsonl", full)
    assert_one_sentence(run_cli(["sessions", "new", "--id", "t"], env), "t.jsonl", full)
    assert_one_sentence(invoke(["sessions", "rename", "s", "x"], env), "s.jsonl", full)
    for sid in ("torn", "mid"):
        repair = invoke(["sessions", "doctor", sid, "--repair"], env)
        assert_one_sentence(repair, f"{sid}.jsonl", full)
    asked = invoke(
        ["ask", "-m", MODEL, "--api-base", "http://127.0.0.1:9/v1", "-s", "s", "hi"], env
    )
    assert_one_sentence(asked, "s.jsonl", full)

    assert snapshot(disk) == before, "a refused write changes nothing"
    assert (sessions(home) / "torn.jsonl").read_bytes() == lines
    assert not (sessions(home) / "t.jsonl").exists()
    no_debris(disk)
    invoke(["sessions", "list"], env).ok()
    invoke(["sessions", "show", "s"], env).ok()


class FillingServer(ModelServer):
    """Fills the disk when a request arrives: the user's line is saved, the reply is not."""

    def __init__(self, disk: Path) -> None:
        super().__init__()
        self.disk = disk

    def next_reply(self, body: dict[str, Any]) -> Reply:
        fill(self.disk)
        return Reply(text=split_tokens(REPLY))


def test_a_reply_the_disk_cannot_take_is_kept_and_recovered_real_entry_point(
    home: Path, env: dict[str, str], disk: Path
) -> None:
    page_aligned(home, "s")
    log_before = (sessions(home) / "s.jsonl").read_bytes()
    with FillingServer(disk) as server:
        run = run_cli(["ask", "-m", MODEL, "--api-base", server.url, "-s", "s", "hi"], env)
    assert run.stdout.strip() == REPLY.strip(), "the person was shown the whole reply"
    line = assert_one_sentence(run, "The reply could not be saved", "the disk is full")
    kept = Path(line.split("so it is kept in ")[1].split(". Once")[0])
    assert kept.parent == home / "config" / "recovered", "the data disk is full: kept elsewhere"
    assert f"'chatcli sessions recover {kept}'" in line
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    saved = json.loads(kept.read_bytes())
    assert saved["session"] == "s" and saved["message"]["content"] == REPLY
    assert saved["message"]["role"] == "assistant"
    log = (sessions(home) / "s.jsonl").read_bytes()
    assert log.startswith(log_before) and b'"content":"hi"' in log, "the user's line is kept"
    no_debris(disk)
    assert not (disk / "recovered").exists() or not list((disk / "recovered").iterdir())

    (disk / "filler").unlink()
    said = invoke(["sessions", "recover", str(kept)], env).ok().stdout
    assert "Added the kept reply to s" in said and not kept.exists()
    shown = invoke(["sessions", "show", "s", "--json"], env).ok().json()
    assert shown["messages"][-1]["content"] == REPLY
    assert [m["content"] for m in shown["messages"]][-2:] == ["hi", REPLY]


async def _turn(session: Session[Any], server: ModelServer, rescue: Rescue) -> list[Any]:
    model = LiteLLMModel(api_base=server.url, api_key=TEST_KEY, timeout=10.0)
    engine = ChatEngine(
        session,
        model,
        model_name=MODEL,
        agent=load_agent("default", Path("/nonexistent")),
        rescue=rescue,
    )
    return [event async for event in engine.send("hi")]


async def test_the_engine_retries_a_reply_and_saves_it_when_space_comes_back(
    home: Path, disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI's path: chat/engine.py saves the reply; a retry after space is freed works."""
    session = page_aligned(home, "s")
    kept_in = Path(tempfile.mkdtemp())
    pauses: list[float] = []

    def pause(seconds: float) -> None:  # space frees up while the engine waits
        pauses.append(seconds)
        if len(pauses) == 2:
            (disk / "filler").unlink()

    monkeypatch.setattr("chatcli.chat.rescue.time.sleep", pause)
    with FillingServer(disk) as server:
        await _turn(session, server, Rescue([kept_in]))
    assert len(pauses) == 2, "failed twice, saved on the third try"
    assert not list(kept_in.iterdir())
    assert Session.load(JsonlStore(sessions(home)), "s").messages[-1].content == REPLY
    no_debris(disk)


async def test_the_engine_keeps_a_reply_it_cannot_save(home: Path, disk: Path) -> None:
    session = page_aligned(home, "s")
    kept_in = Path(tempfile.mkdtemp())
    with FillingServer(disk) as server, pytest.raises(ReplyKept) as caught:
        await _turn(session, server, Rescue([disk / "recovered", kept_in], delays=(0.01, 0.01)))
    (kept,) = kept_in.iterdir()
    assert caught.value.kept == str(kept) and str(kept) in caught.value.sentence()
    assert json.loads(kept.read_bytes())["message"]["content"] == REPLY
    assert not list((disk / "recovered").iterdir()), "no empty file where it did not fit"
    no_debris(disk)


# -- a read-only disk -------------------------------------------------------------------------


def test_a_read_only_data_folder_lists_and_shows_and_refuses_writes_in_one_sentence(
    home: Path, env: dict[str, str], disk: Path
) -> None:
    for made in (make_session(home, "s", TURN), make_session(home, "u", TURN)):
        assert isinstance(made.store, JsonlStore)
        made.store.forget(made.id)  # files open for writing keep a remount from happening
    remount_readonly(disk)  # before any listing: the index cannot be written either
    before = snapshot(disk)
    for _ in range(2):
        listing = run_cli(["sessions", "list"], env).ok().stdout
        assert {row.split()[0] for row in listing.splitlines()} == {"s", "u"}
    invoke(["sessions", "show", "s"], env).ok()
    invoke(["sessions", "export", "s", "--format", "md"], env).ok()
    ro = "the file system is read-only. Make it writable, or point CHATCLI_DATA_DIR"
    assert_one_sentence(run_cli(["sessions", "checkpoint", "s"], env), ro)
    assert_one_sentence(invoke(["sessions", "new", "--id", "t"], env), "t.lock", ro)
    assert_one_sentence(invoke(["sessions", "rename", "s", "x"], env), "s.lock", ro)
    args = ["ask", "-m", MODEL, "--api-base", "http://127.0.0.1:9/v1", "-s", "s", "hi"]
    assert_one_sentence(run_cli(args, env), ro)
    assert_one_sentence(invoke(["sessions", "delete", "s", "--yes"], env), ro)
    assert snapshot(disk) == before


# -- permission denied -------------------------------------------------------------------------


@pytest.fixture
def shared_home() -> Iterator[Path]:
    """A folder a restricted process can reach (pytest's own are private to root)."""
    root = Path(tempfile.mkdtemp(prefix="chatcli-perm-"))
    os.chmod(root, 0o755)
    try:
        yield root
    finally:
        for path in sorted(root.rglob("*"), reverse=True):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o700)
        shutil.rmtree(root)


def restricted_env(home: Path) -> dict[str, str]:
    me = restricted_uid()
    for name in ("data", "config"):
        (home / name).mkdir(exist_ok=True)
        os.chown(home / name, me, me)
    return cli_env(home, HOME=str(home))


def test_permission_denied_is_one_sentence_and_one_file_never_breaks_the_listing(
    shared_home: Path,
) -> None:
    env = restricted_env(shared_home)
    me = restricted_uid()
    other = 65534 if me == 0 else 0
    assert run_restricted(["sessions", "new", "--id", "mine"], env).ok().stdout.strip() == "mine"
    folder = shared_home / "data" / "sessions"
    store = JsonlStore(folder)
    make_session(shared_home, "theirs", TURN)  # as root: give it to someone else, 0600
    os.chown(folder / "theirs.jsonl", other, other)
    os.chown(folder / "mine.jsonl", me, me)

    listing = run_restricted(["sessions", "list"], env).ok().stdout
    rows = {row.split()[0]: row for row in listing.splitlines()}
    assert set(rows) == {"mine", "theirs"}
    assert "theirs.jsonl: permission denied" in rows["theirs"]
    denied = "permission denied. Give your user access to it (ls -l shows its owner and mode)"
    shown = run_restricted(["sessions", "show", "theirs"], env)
    assert_one_sentence(shown, f"Cannot open {folder / 'theirs.jsonl'}: {denied}")

    os.chmod(folder / "theirs.jsonl", 0o644)  # readable, but its mode cannot be narrowed by us
    run_restricted(["sessions", "show", "theirs"], env).ok()
    assert stat.S_IMODE((folder / "theirs.jsonl").stat().st_mode) == 0o644

    os.chown(folder, other, other)  # the sessions folder: someone else's, open to all
    os.chmod(folder, 0o777)
    made = run_restricted(["sessions", "new", "--id", "x"], env)
    assert_one_sentence(made, f"Cannot make private (chmod 700) the folder {folder}", denied)
    os.chmod(folder, 0o700)  # and now closed to us
    for args in (["sessions", "list"], ["sessions", "show", "mine"], ["sessions", "new"]):
        assert_one_sentence(run_restricted(args, env), str(folder), "permission denied")
    del store
