"""One Session handle shared by threads (a UI and its workers): writes and refreshes interleave safely."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chatcli.session import Memory, Session
from chatcli.store import JsonlStore


def test_threads_writing_and_refreshing_one_handle_lose_nothing(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "sessions")
    session = Session.create(store, session_id="shared")
    other = Session.load(store, "shared")  # another window, writing from its own handle

    def write(handle: Session[Memory], name: str) -> None:
        for n in range(60):
            handle.add_message("user", f"{name}-{n}")

    def refresh() -> None:
        for _ in range(200):
            session.refresh()

    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [
            pool.submit(write, session, "a"),
            pool.submit(write, session, "b"),
            pool.submit(write, other, "c"),
            pool.submit(refresh),
        ]
        for job in jobs:
            job.result()  # re-raises what went wrong in the thread

    session.refresh()
    contents = [m.content for m in session.messages]
    assert sorted(contents) == sorted(f"{w}-{n}" for w in "abc" for n in range(60))
    for writer in "abc":  # each writer's messages keep its order
        mine = [c for c in contents if c.startswith(f"{writer}-")]
        assert mine == [f"{writer}-{n}" for n in range(60)]
    assert [r.seq for r in session.records] == list(range(1, 182))
    reloaded = Session.load(store, "shared")
    assert reloaded.view.digest() == session.view.digest()
