"""Session files are private, links are never followed, ids never escape the folder."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatcli.errors import InvalidSessionId, UnsafePath
from chatcli.session import ChatMessage, Cursor, Session, SessionRecord, list_sessions
from chatcli.store import JsonlStore

BAD_IDS = ["../x", "a/b", "", "x" * 65, "x\n", ".", "..", "../../etc/passwd", "a\x00b", "/abs"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under `root`, with file contents (None for folders and links)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        is_file = path.is_file() and not path.is_symlink()
        out[str(path.relative_to(root))] = path.read_bytes() if is_file else None
    return out


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_umask_000_still_gives_0700_folders_and_0600_files(tmp_path: Path, umask_000: None) -> None:
    root = tmp_path / "data" / "chatcli" / "sessions"
    store = JsonlStore(root)
    session = Session.create(store, session_id="private")
    session.add_message("user", "secret-ish")
    session.checkpoint("one")
    with store.path("private").open("ab") as fh:
        fh.write(b'{"type":"message","seq":5,"ro')  # a torn tail
    Session.load(store, "private").add_message("user", "moves the tail aside")
    session.fork(session_id="forked")
    list_sessions(store)  # writes the index

    (aside,) = root.glob("private.jsonl.corrupt-*")
    folders = [root, root / ".locks", root.parent, root.parent.parent]
    files = [
        store.path("private"),
        store.path("forked"),
        root / ".locks" / "private.lock",
        root / ".locks" / "forked.lock",
        aside,
        root / ".index.json",
    ]
    assert {str(f): mode(f) for f in folders} == {str(f): 0o700 for f in folders}
    assert {str(f): mode(f) for f in files} == {str(f): 0o600 for f in files}
    everything = [p for p in tmp_path.rglob("*") if p != tmp_path]
    assert all(mode(p) & 0o077 == 0 for p in everything), {str(p): oct(mode(p)) for p in everything}


def test_an_existing_sessions_folder_open_to_others_is_made_private(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    root.mkdir()
    root.chmod(0o755)

    Session.create(JsonlStore(root), session_id="s")

    assert mode(root) == 0o700


def planted(tmp_path: Path) -> tuple[JsonlStore, Path, Path]:
    """A store with one real session, and `victim.jsonl` linking to a valid log outside."""
    store = JsonlStore(tmp_path / "sessions")
    Session.create(store, session_id="real").add_message("user", "real")
    elsewhere = JsonlStore(tmp_path / "elsewhere")
    Session.create(elsewhere, session_id="victim").add_message("user", "outside")
    outside = elsewhere.path("victim")
    link = store.path("victim")
    link.symlink_to(outside)
    return store, link, outside


def test_a_link_at_a_session_path_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    store, link, outside = planted(tmp_path)
    before = (outside.read_bytes(), outside.stat().st_mtime_ns)
    header = SessionRecord(id="victim")
    message = ChatMessage(role="user", content="x")
    calls: dict[str, Callable[[], object]] = {
        "read": lambda: store.read("victim"),
        "append": lambda: store.append("victim", Cursor(1, 0), lambda _o: [message]),
        "create": lambda: store.create([header]),
        "Session.load": lambda: Session.load(store, "victim"),
        "Session.create": lambda: Session.create(store, session_id="victim"),
        "get_or_create": lambda: Session.get_or_create(store, "victim"),
    }

    for name, call in calls.items():
        with pytest.raises(UnsafePath) as caught:
            call()
        assert str(link) in caught.value.sentence(), name
        assert "link" in caught.value.sentence(), name

    assert (outside.read_bytes(), outside.stat().st_mtime_ns) == before
    assert link.is_symlink()
    assert not store.exists("victim")


def test_listing_skips_links(tmp_path: Path) -> None:
    store, _, _ = planted(tmp_path)
    (store.root / "dangling.jsonl").symlink_to(tmp_path / "nowhere.jsonl")

    assert store.ids() == ["real"]
    assert [s.id for s in store.summaries()] == ["real"]
    assert [s.id for s in list_sessions(store)] == ["real"]
    assert not (tmp_path / "nowhere.jsonl").exists()


def test_a_dangling_link_at_a_session_path_is_refused_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    store = JsonlStore(tmp_path / "sessions")
    Session.create(store, session_id="real")
    target = tmp_path / "would-be-created.jsonl"
    store.path("dangling").symlink_to(target)

    with pytest.raises(UnsafePath):
        Session.create(store, session_id="dangling")

    assert not target.exists()


def test_a_linked_sessions_folder_is_refused(tmp_path: Path) -> None:
    real = JsonlStore(tmp_path / "real-sessions")
    Session.create(real, session_id="s").add_message("user", "hello")
    linked_root = tmp_path / "sessions"
    linked_root.symlink_to(real.root, target_is_directory=True)
    store = JsonlStore(linked_root)
    before = tree(real.root)
    calls: dict[str, Callable[[], object]] = {
        "create": lambda: Session.create(store, session_id="new"),
        "read": lambda: store.read("s"),
        "append": lambda: store.append("s", Cursor(), lambda _o: []),
        "load": lambda: Session.load(store, "s"),
        "ids": store.ids,
        "summaries": store.summaries,
        "delete": lambda: store.delete("s"),
    }

    for name, call in calls.items():
        with pytest.raises(UnsafePath) as caught:
            call()
        assert str(linked_root) in caught.value.sentence(), name

    assert tree(real.root) == before


def test_a_linked_data_folder_above_the_sessions_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    (tmp_path / "data").symlink_to(tmp_path / "disk", target_is_directory=True)
    store = JsonlStore(tmp_path / "data" / "sessions")

    Session.create(store, session_id="s").add_message("user", "hi")

    assert [m.content for m in Session.load(store, "s").messages] == ["hi"]
    assert (tmp_path / "disk" / "sessions" / "s.jsonl").is_file()


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_a_bad_id_is_refused_before_any_file_is_touched(tmp_path: Path, bad: str) -> None:
    origin_store = JsonlStore(tmp_path / "origin")
    origin = Session.create(origin_store, session_id="origin")
    origin_before = tree(tmp_path)
    root = tmp_path / "sessions"
    store = JsonlStore(root)
    calls: dict[str, Callable[[], object]] = {
        "path": lambda: store.path(bad),
        "create": lambda: store.create([SessionRecord(id=bad)]),
        "read": lambda: store.read(bad),
        "append": lambda: store.append(bad, Cursor(), lambda _o: []),
        "delete": lambda: store.delete(bad),
        "exists": lambda: store.exists(bad),
        "Session.create": lambda: Session.create(store, session_id=bad),
        "Session.load": lambda: Session.load(store, bad),
        "get_or_create": lambda: Session.get_or_create(store, bad),
        "fork": lambda: origin.fork(session_id=bad),
    }

    for name, call in calls.items():
        with pytest.raises(InvalidSessionId) as caught:
            call()
        assert caught.value.session_id == bad, name
        assert repr(bad)[:60].rstrip("'") in caught.value.sentence(), name

    assert not root.exists()
    assert tree(tmp_path) == origin_before


def test_64_characters_are_accepted_and_65_refused(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")

    Session.create(store, session_id="x" * 64)
    with pytest.raises(InvalidSessionId):
        Session.create(store, session_id="x" * 65)

    assert store.ids() == ["x" * 64]
