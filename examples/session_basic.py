"""Aixgo's session-basic on chatcli's library: every session call once, in order.

    python examples/session_basic.py                        # a JSONL store in a temporary folder
    python examples/session_basic.py --store ./sessions     # a folder of your own
    python examples/session_basic.py --store redis://127.0.0.1:6379/0
    python examples/session_basic.py -m openai/gpt-4o-mini  # and one turn with a model
    python examples/session_basic.py -m local/gemma-3-270m  # the offline model (chatcli[local])

Create (with an initial typed state), append, update the state, checkpoint,
restore, fork, the context helper, resume as a restarted process would, one
turn through `call_with_session` (with -m), list and delete. Every step is a
durable write: the log is fsynced (JSONL) or on an appendfsync-always Redis.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel

from chatcli.chat import call_with_session, current_session, current_state, model_client
from chatcli.session import Session, Store, list_sessions, using_session
from chatcli.store import JsonlStore

IDS = ("basic", "basic-fork")


class Profile(BaseModel):
    """What the session knows about the person: a typed state."""

    name: str = ""
    city: str = ""


def open_store(target: str) -> Store:
    """A JSONL folder (Aixgo's NewFileBackend) or a Redis URL (NewRedisBackend)."""
    if target.startswith(("redis://", "rediss://")):
        from chatcli.store.redis import RedisStore

        return RedisStore.from_url(target, prefix="chatcli-example:")
    return JsonlStore(Path(target))


def greeting() -> str:
    """Code that runs inside a session without being handed it, as a tool does."""
    profile: Profile = current_session().state  # typed, for code that knows the type
    plain = current_state()  # a plain dict, for code (templates) that does not
    return f"Hello {profile.name} from {plain['city']}!"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="a folder or a redis:// URL (default: a temp folder)")
    parser.add_argument("-m", "--model", default=os.environ.get("CHATCLI_MODEL"))
    parser.add_argument("--api-base", default=os.environ.get("CHATCLI_API_BASE"))
    args = parser.parse_args(argv)
    scratch = None if args.store else tempfile.mkdtemp(prefix="chatcli-basic-")
    try:
        return run(open_store(args.store or scratch or ""), args.model, args.api_base)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(store: Store, model: str | None, api_base: str | None) -> int:
    """Each call once, numbered as printed."""
    for old in IDS:  # a second run starts over
        if store.exists(old):
            store.delete(old)

    session = Session.create(
        store, session_id="basic", title="Session basics", state=Profile(name="Ada")
    )
    first = session.entries(type="state")[0]
    print(f"1. create: {session.id} in {session.location}")
    print(f"   initial state {session.state.model_dump()} (by {first.by})")

    session.add_message("user", "Hi, I'm Ada and I live in Lisbon.")
    session.add_message("assistant", "Nice to meet you, Ada!")
    print(f"2. append: {len(session.messages)} messages")

    session.update_state(lambda p: p.model_copy(update={"city": "Lisbon"}), by="example")
    print(f"3. state: {session.state.model_dump()}")

    mark = session.checkpoint("met Ada")
    print(f"4. checkpoint: {mark.id} ({mark.label!r}) at line {mark.at}")

    session.add_message("user", "Actually, I moved to Porto.")
    session.update_state(lambda p: p.model_copy(update={"city": "Porto"}), by="example")
    print(f"   then: {len(session.messages)} messages, city {session.state.city}")

    session.restore(mark.id)
    kept = len(session.entries(type="message"))
    print(f"5. restore {mark.id}: {len(session.messages)} messages, city {session.state.city}")
    print(f"   nothing is lost: the log still holds all {kept} messages")

    fork = session.fork(mark.id, session_id="basic-fork", title="Ada, another way")
    fork.add_message("user", "Let's talk about Lisbon.")
    print(f"6. fork: {fork.id} from {fork.parent.session if fork.parent else '?'}")
    print(f"   {len(fork.messages)} messages there, {len(session.messages)} here")

    with using_session(fork):
        print(f"7. context: {greeting()}")

    resumed = Session.load(store, "basic", Profile)
    types = ", ".join(r.type for r in resumed.entries())
    print(f"8. resume: {resumed.title!r}, state {resumed.state.model_dump()}")
    print(f"   entries: {types}")

    if model:
        reply = call_with_session(
            store,
            "default",
            "What is my name?",
            "basic",
            model=model_client(api_base=api_base),
            model_name=model,
        )
        print(f"9. call_with_session: {reply.text.strip() or reply.error}")
        if not reply.ok:
            return 1

    listed = [f"{s.id} ({s.messages} messages)" for s in list_sessions(store)]
    print(f"10. list: {', '.join(sorted(listed))}")

    for done in IDS:
        store.delete(done)
    left = [s.id for s in list_sessions(store) if s.id in IDS]
    print(f"11. delete: {', '.join(IDS)} deleted; {len(left)} left")
    return 0


if __name__ == "__main__":
    sys.exit(main())
