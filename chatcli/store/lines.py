"""Turning stored bytes into numbered records, with file-and-line errors."""

from __future__ import annotations

from chatcli.errors import CorruptLog
from chatcli.session.records import BadLine, NewerRecord, Record, SessionRecord, parse_line


def parse_numbered(
    lines: list[bytes], *, where: str, last_seq: int, session_id: str | None = None
) -> list[Record]:
    """Parse complete lines that must continue after `last_seq` (seq == line number).

    When `last_seq` is 0 the first line must be the session line for `session_id`.
    Raises CorruptLog naming `where` and the line number.
    """
    out: list[Record] = []
    expected = last_seq + 1
    for raw in lines:
        try:
            record = parse_line(raw)
        except NewerRecord as exc:
            raise CorruptLog(where, expected, exc.reason, "The file was not changed.") from None
        except BadLine as exc:
            raise CorruptLog(where, expected, exc.reason) from None
        if record.seq != expected:
            raise CorruptLog(where, expected, f"seq is {record.seq}, expected {expected}")
        if expected == 1:
            if not isinstance(record, SessionRecord):
                raise CorruptLog(where, 1, "the first line is not a session line")
            if session_id is not None and record.id != session_id:
                raise CorruptLog(where, 1, f"the session line names {record.id!r}")
        elif isinstance(record, SessionRecord):
            raise CorruptLog(where, expected, "a second session line")
        out.append(record)
        expected += 1
    return out
