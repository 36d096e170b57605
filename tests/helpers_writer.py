"""A session writer run as a subprocess by the crash-safety and concurrency tests.

Two modes:

`python helpers_writer.py crash <root>` reads a JSON list of trials on stdin,
`[{"id": ..., "delay": seconds, "after_create": bool, "slow": bool}, ...]`.
For each trial it forks a writer child (so a trial costs a fork, not an
interpreter start-up) that creates session `id` and appends messages until it
is killed. After each append returns the child prints `ack <id> <seq> <i>`.
The parent sleeps `delay` (counted from the fork, or from the moment the
session exists when `after_create`), sends SIGKILL, reaps the child and prints
`killed <id> <signal>`.
With `slow`, every write reaches the disk in small pieces with pauses in
between, the way a slow or busy disk behaves, so kills often land mid-line.

`python helpers_writer.py append <root> <id> <name> <count>` loads session
`id`, prints `ready`, waits for a line on stdin, then appends `count` messages
`<name>:<i>` and prints `done <count>`.

The content of message `i` written by crash writer `id` is `content(id, i)`,
so the test can check every line it finds, acknowledged or not.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from chatcli.session import Session
from chatcli.store import JsonlStore

SLOW_CHUNK = 16
SLOW_PAUSE = 0.0002
MAX_APPENDS = 2000


def content(session_id: str, i: int) -> str:
    """What crash writer `session_id` puts in its `i`-th message (100-600 bytes)."""
    return f"{session_id}#{i}:" + "ü" * (50 + (i * 97) % 250)


def say(line: str) -> None:
    """One line to stdout in a single write (atomic on a pipe), unbuffered."""
    os.write(1, f"{line}\n".encode())


def _slow_write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:SLOW_CHUNK])
        view = view[written:]
        time.sleep(SLOW_PAUSE)


def _go_slow() -> None:
    import chatcli.store.files as files
    import chatcli.store.jsonl as jsonl

    files.write_all = _slow_write_all  # used by create_private
    jsonl.write_all = _slow_write_all  # used by append


def crash_writer(root: Path, session_id: str, slow: bool, created: int) -> None:
    """Create a session, tell fd `created` it exists, append to it until killed."""
    if slow:
        _go_slow()
    session = Session.create(JsonlStore(root), session_id=session_id)
    say(f"ack {session_id} 1 0")
    os.write(created, b"c")
    for i in range(1, MAX_APPENDS):
        message = session.add_message("user", content(session_id, i))
        say(f"ack {session_id} {message.seq} {i}")
    say(f"exhausted {session_id}")


def run_child(root: Path, trial: dict[str, object], created: int) -> None:
    """The forked writer: never returns into the parent's loop."""
    code = 2
    try:
        crash_writer(root, str(trial["id"]), bool(trial["slow"]), created)
        code = 0
    except Exception:
        traceback.print_exc()  # the test shows this if the child was not killed
        raise
    finally:
        os._exit(code)


def crash(root: Path) -> None:
    """Run every trial on stdin: fork a writer, kill it after `delay`, reap it."""
    trials = json.load(sys.stdin)
    JsonlStore(root)  # import everything before the first fork
    for trial in trials:
        sys.stdout.flush()
        sys.stderr.flush()
        created_r, created_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(created_r)
            run_child(root, trial, created_w)
        os.close(created_w)
        if trial["after_create"]:
            os.read(created_r, 1)  # returns early (empty) if the child died
        time.sleep(float(trial["delay"]))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(created_r)
        how = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)
        say(f"killed {trial['id']} {how}")


def append(root: Path, session_id: str, name: str, count: int) -> None:
    """Append `count` messages to an existing session once told to go."""
    session = Session.load(JsonlStore(root, lock_timeout=60.0), session_id)
    say("ready")
    sys.stdin.readline()
    for i in range(count):
        session.add_message("user", f"{name}:{i}")
    say(f"done {count}")


def main(argv: list[str]) -> None:
    mode, root = argv[0], Path(argv[1])
    if mode == "crash":
        crash(root)
    elif mode == "append":
        append(root, argv[2], argv[3], int(argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
