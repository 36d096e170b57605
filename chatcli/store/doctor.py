"""`chatcli sessions doctor`: every line, seq continuity, checkpoint digests."""

from __future__ import annotations

import os
from pathlib import Path

from chatcli.errors import ChatcliError, CorruptLog
from chatcli.session.records import BadLine, Record, SessionRecord, parse_line
from chatcli.session.store import Store
from chatcli.session.verify import Problem, verify_records
from chatcli.store.files import open_nofollow
from chatcli.store.jsonl import JsonlStore


def diagnose(store: Store, session_id: str) -> list[Problem]:
    """Everything wrong with one session's log (an empty list when it is healthy)."""
    if isinstance(store, JsonlStore):
        return diagnose_file(store.path(session_id), session_id)
    where = store.location(session_id)
    try:
        records, _ = store.read(session_id)
    except CorruptLog as exc:
        return [Problem(exc.path, exc.line, exc.reason)]
    return verify_records(records, where)


def diagnose_file(path: Path, session_id: str) -> list[Problem]:
    """Check a JSONL log line by line, reporting every bad line, not just the first."""
    where = str(path)
    try:
        fd = open_nofollow(path, os.O_RDONLY)
    except FileNotFoundError:
        return [Problem(where, 0, "the file does not exist")]
    except ChatcliError as exc:
        return [Problem(where, 0, exc.sentence())]
    try:
        data = os.pread(fd, os.fstat(fd).st_size, 0)
    finally:
        os.close(fd)
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
        records.append(record)
    if end < len(data):
        problems.append(
            Problem(
                where,
                len(lines) + 1,
                f"unterminated last line ({len(data) - end} bytes): an interrupted write; "
                "--repair moves it aside",
            )
        )
    if not lines:
        problems.append(Problem(where, 1, "the session line is missing"))
    if not any(p.line <= len(lines) for p in problems):
        problems.extend(verify_records(records, where))
    return problems


def is_torn_tail(problem: Problem) -> bool:
    """Whether --repair can fix this problem by moving the torn tail aside."""
    return problem.reason.startswith("unterminated last line")
