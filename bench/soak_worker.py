"""The writer processes bench/soak.py runs (and kills). Not for running by hand.

`python soak_worker.py crash STORE` reads trials on stdin (a JSON list of
`{"id", "delay", "after_create", "slow"}`) and, for each, forks a child that
creates session `id` and then, until it is SIGKILLed after `delay` seconds,
appends messages, checkpoints, and creates side sessions `<id>-c<i>`. After
each write returns it prints an acknowledgement:

    ack create <session> 1
    ack msg <session> <seq> <i>      (content: tests.helpers_writer.content(id, i))
    ack cp <session> <seq> <checkpoint id>

then `killed <id> <signal>` once reaped. A ChatcliError in a child (a Redis
server killed under it) is `error <id> <sentence>`; anything else is a traceback.

`python soak_worker.py append STORE ID NAME COUNT` loads session ID, prints
`ready`, waits for a line on stdin, appends COUNT messages `NAME:<i>` (a
checkpoint every tenth), printing `ack msg ID <seq> NAME:<i>` for each, then `done`.

STORE is `jsonl:<sessions folder>` or `redis:<url>#<key prefix>`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatcli.errors import ChatcliError  # noqa: E402
from chatcli.session import Session, Store  # noqa: E402
from chatcli.store import JsonlStore  # noqa: E402
from tests.helpers_writer import content, say  # noqa: E402

MAX_WRITES = 3000


def open_store(spec: str) -> Store:
    """The store named by `jsonl:<folder>` or `redis:<url>#<prefix>`."""
    kind, _, where = spec.partition(":")
    if kind == "jsonl":
        return JsonlStore(Path(where), lock_timeout=60.0)
    if kind == "redis":
        from chatcli.store.redis import RedisStore

        url, _, prefix = where.partition("#")
        return RedisStore.from_url(url, prefix=prefix, timeout=2.0)
    raise SystemExit(f"unknown store {spec!r}")


def go_slow() -> None:
    """Every JSONL write reaches the disk in small pieces (tests.helpers_writer's slow disk)."""
    import chatcli.store.files as files
    import chatcli.store.jsonl as jsonl
    from tests.helpers_writer import _slow_write_all

    files.write_all = _slow_write_all
    jsonl.write_all = _slow_write_all  # type: ignore[attr-defined]


def writer(spec: str, session_id: str, slow: bool, created: int) -> None:
    """Create a session, tell fd `created`, then write to it until killed."""
    if slow and spec.startswith("jsonl:"):
        go_slow()
    store = open_store(spec)
    session: Session[Any] = Session.create(store, session_id=session_id)
    say(f"ack create {session_id} 1")
    os.write(created, b"c")
    for i in range(1, MAX_WRITES):
        step = i % 5
        if step == 3:
            mark = session.checkpoint(f"cp{i}")
            say(f"ack cp {session_id} {mark.seq} {mark.id}")
        elif step == 4:
            side = f"{session_id}-c{i}"
            Session.create(store, session_id=side, title=f"side {i}")
            say(f"ack create {side} 1")
        else:
            message = session.add_message("user", content(session_id, i))
            say(f"ack msg {session_id} {message.seq} {i}")
    say(f"exhausted {session_id}")


def child(spec: str, trial: dict[str, Any], created: int) -> None:
    """The forked writer: never returns into the parent's loop."""
    code = 3
    try:
        writer(spec, str(trial["id"]), bool(trial.get("slow")), created)
        code = 0
    except ChatcliError as exc:
        say(f"error {trial['id']} {exc.sentence()}")
        code = 1
    except Exception:
        traceback.print_exc()
        raise
    finally:
        os._exit(code)


def crash(spec: str) -> None:
    trials = json.load(sys.stdin)
    open_store(spec)  # import everything before the first fork
    for trial in trials:
        sys.stdout.flush()
        sys.stderr.flush()
        created_r, created_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(created_r)
            child(spec, trial, created_w)
        os.close(created_w)
        if trial.get("after_create"):
            os.read(created_r, 1)  # returns early (empty) if the child died
        time.sleep(float(trial["delay"]))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(created_r)
        how = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)
        say(f"killed {trial['id']} {how}")


def append(spec: str, session_id: str, name: str, count: int) -> None:
    session: Session[Any] = Session.load(open_store(spec), session_id)
    say("ready")
    sys.stdin.readline()
    for i in range(count):
        message = session.add_message("user", f"{name}:{i}")
        say(f"ack msg {session_id} {message.seq} {name}:{i}")
        if i % 10 == 9:
            session.checkpoint(f"{name}-{i}")
    say("done")


def main(argv: list[str]) -> None:
    mode, spec = argv[0], argv[1]
    if mode == "crash":
        crash(spec)
    elif mode == "append":
        append(spec, argv[2], argv[3], int(argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
