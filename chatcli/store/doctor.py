"""`chatcli sessions doctor`: every line, seq continuity, checkpoint digests, stray files.

A file doctor calls clean is one every other command reads: lines are parsed
and replayed exactly as loading does (records are validated when parsed), and
more is checked on top (every bad line, not just the first; digests).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from chatcli.errors import ChatcliError, CorruptLog, StoreIOError
from chatcli.session.records import BadLine, Record, SessionRecord, parse_line
from chatcli.session.store import Store
from chatcli.session.verify import Problem, verify_records
from chatcli.store.files import open_log, stale_temps
from chatcli.store.jsonl import JsonlStore

TORN = "unterminated last line"

Verify = Callable[[list[Record], str], list[Problem]]
"""What checks a log's records beyond parsing: `verify_records` for sessions
(`chatcli.session.user_memory.verify_memory` for the user-memory log)."""


def diagnose(store: Store, session_id: str, verify: Verify = verify_records) -> list[Problem]:
    """Everything wrong with one session's log (an empty list when it is healthy)."""
    if isinstance(store, JsonlStore):
        return diagnose_file(store.path(session_id), session_id, verify)
    where = store.location(session_id)
    try:
        records, _ = store.read(session_id)
    except CorruptLog as exc:
        return [Problem(exc.path, exc.line, exc.reason)]
    return verify(records, where)


def diagnose_file(path: Path, session_id: str, verify: Verify = verify_records) -> list[Problem]:
    """Check a JSONL log line by line, reporting every bad line, not just the first."""
    try:
        fd, info = open_log(path, os.O_RDONLY, session_id)
    except ChatcliError as exc:
        return [Problem(str(path), 0, exc.sentence())]
    try:
        data = os.pread(fd, info.st_size, 0)
    except OSError as exc:
        return [Problem(str(path), 0, StoreIOError.of(exc, "read", path).sentence())]
    finally:
        os.close(fd)
    return diagnose_bytes(data, str(path), session_id, verify)


def diagnose_bytes(
    data: bytes, where: str, session_id: str, verify: Verify = verify_records
) -> list[Problem]:
    """Every problem of a log's bytes, each at its line."""
    problems: list[Problem] = []
    end = data.rfind(b"\n") + 1
    lines = data[:end].split(b"\n")[:-1] if end else []
    records: list[Record] = []
    for number, raw in enumerate(lines, start=1):
        try:
            record = parse_line(raw)
        except BadLine as exc:
            problems.append(Problem(where, number, exc.reason))
            continue
        if record.seq != number:
            problems.append(Problem(where, number, f"seq is {record.seq}, expected {number}"))
        if number == 1 and not (isinstance(record, SessionRecord) and record.id == session_id):
            problems.append(Problem(where, 1, "the first line is not this session's session line"))
        elif number > 1 and isinstance(record, SessionRecord):
            problems.append(Problem(where, number, "a second session line"))
        records.append(record)
    if end < len(data):
        problems.append(
            Problem(
                where,
                len(lines) + 1,
                f"{TORN} ({len(data) - end} bytes): an interrupted write; --repair moves it aside",
            )
        )
    if not lines:
        problems.append(Problem(where, 1, "the session line is missing"))
    if not any(p.line <= len(lines) for p in problems):
        problems.extend(verify(records, where))
    return problems


def is_torn_tail(problem: Problem) -> bool:
    """Whether --repair can fix this problem by moving the torn tail aside."""
    return problem.reason.startswith(TORN)


def stray_files(store: JsonlStore) -> list[Problem]:
    """Temporary files whose writer is gone (a kill -9 mid-create or mid-save)."""
    out: list[Problem] = []
    for path, target, pid in stale_temps(store.root):
        live = store.root / target
        try:
            same = os.path.samefile(path, live)
        except OSError:
            same = False
        what = f"a second name of {target}" if same else f"an unfinished copy of {target}"
        out.append(
            Problem(
                str(path),
                0,
                f"a temporary file left by process {pid}, which is gone ({what}); "
                "--repair removes it",
            )
        )
    return out


def remove_stray(problem: Problem) -> None:
    """Remove a file `stray_files` reported."""
    try:
        Path(problem.where).unlink(missing_ok=True)
    except OSError as exc:
        raise StoreIOError.of(exc, "remove", problem.where) from None
