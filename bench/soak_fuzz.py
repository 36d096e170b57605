"""Corrupted copies of real session logs, for bench/soak.py's fuzz phase.

`templates()` writes a few realistic sessions through the library (messages,
tool calls, state, checkpoints, a restore, a rename, a fork) and returns their
logs as bytes. `mutate()` damages a copy: byte flips, truncations, insertions
(newlines, braces, NUL, invalid UTF-8), lines deleted, repeated or swapped,
and values of the wrong type or shape (a seq as a string, a `ts` without a
zone, a `function` that is not an object, an unknown record type).
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatcli.session import Memory, Session
from chatcli.store import JsonlStore

_INSERTS = [b"\n", b"{", b"}", b"\x00", b"\xff\xfe", b'"', b"\\", b"\n\n", b"\xc3", b" " * 9]
_BAD_VALUES: list[Any] = [
    "2",
    -1,
    None,
    1.5,
    [],
    {},
    "yesterday",
    "2026-01-01T00:00:00",
    "x" * 300,
    True,
    10**30,
    "\u202e",
]
_FIELDS = ["seq", "ts", "type", "role", "content", "id", "at", "digest", "state", "checkpoint"]


def templates() -> list[bytes]:
    """The logs of a few sessions written the way chatcli writes them."""
    with tempfile.TemporaryDirectory(prefix="chatcli-soak-templates-") as folder:
        store = JsonlStore(Path(folder))
        plain: Session[Any] = Session.create(store, session_id="plain", title="Plain", model="m")
        for n in range(6):
            plain.add_message("user", f'question {n} with ünïcode and "quotes"\nand lines')
            plain.add_message("assistant", f"answer {n} ```py\nprint({n})\n```", model="m")
            plain.checkpoint(f"turn {n}", auto=True)
        tools: Session[Any] = Session.create(store, session_id="tools", title="Tools")
        tools.add_message("user", "remember my name is Ada")
        tool_call = {"id": "call_1", "type": "function", "function": {"name": "remember"}}
        tool_call["function"]["arguments"] = json.dumps({"key": "name", "value": "Ada"})
        tools.add_message("assistant", "", tool_calls=[tool_call])
        tools.set_state(Memory(facts={"name": "Ada"}), by="tool:remember")
        tools.add_message("tool", "ok", tool_call_id="call_1")
        tools.add_message("assistant", "Hello Ada.")
        mark = tools.checkpoint("named")
        tools.add_message("user", "forget it")
        tools.restore(mark.id)
        tools.rename("Renamed")
        forked = tools.fork(mark.id, session_id="forked")
        forked.add_message("user", "in the fork")
        return [store.path(i).read_bytes() for i in ("plain", "tools", "forked")]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """`data` with one kind of damage (most often) or up to three."""
    for _ in range(1 if rng.random() < 0.6 else rng.randint(2, 3)):
        data = rng.choice(_MUTATIONS)(data, rng)
    return data


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if out:
            at = rng.randrange(len(out))
            out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _insert(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(_INSERTS) + data[at:]


def _lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 3:
        return data
    a, b = rng.randrange(len(lines) - 1), rng.randrange(len(lines) - 1)
    how = rng.choice(["delete", "repeat", "swap"])
    if how == "delete":
        del lines[a]
    elif how == "repeat":
        lines.insert(a, lines[a])
    else:
        lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


def _edit_record(
    data: bytes, rng: random.Random, edit: Callable[[dict[str, Any]], None], prefer: bytes = b"{"
) -> bytes:
    """`data` with `edit` applied to one of its JSON lines: one holding `prefer` if any."""
    lines = data.split(b"\n")
    whole = [i for i, line in enumerate(lines) if line.startswith(b"{") and prefer in line]
    whole = whole or [i for i, line in enumerate(lines) if line.startswith(b"{")]
    rng.shuffle(whole)
    for at in whole[:1]:
        try:
            record = json.loads(lines[at])
        except ValueError:
            return data
        if isinstance(record, dict):
            edit(record)
            lines[at] = json.dumps(record, ensure_ascii=False).encode()
    return b"\n".join(lines)


def _retype(data: bytes, rng: random.Random) -> bytes:
    def edit(record: dict[str, Any]) -> None:
        record[rng.choice(_FIELDS)] = rng.choice(_BAD_VALUES)

    return _edit_record(data, rng, edit)


def _bad_ts(data: bytes, rng: random.Random) -> bytes:
    def edit(record: dict[str, Any]) -> None:
        key = rng.choice(["ts", "ts", "created"])
        record[key] = rng.choice(["yesterday", "2026-01-01T00:00:00", "2026-13-45T99:00:00Z", 0])

    return _edit_record(data, rng, edit)


def _bad_tool_calls(data: bytes, rng: random.Random) -> bytes:
    def edit(record: dict[str, Any]) -> None:
        if record.get("type") == "message":
            record["tool_calls"] = rng.choice(
                [[{"function": "x"}], "calls", [None], [{"id": 1}], [{"function": {"name": 3}}]]
            )
        else:
            record["type"] = rng.choice(["future", "", 7, "message"])

    return _edit_record(data, rng, edit, prefer=b'"role":"assistant"')


_MUTATIONS = [_flip, _truncate, _insert, _lines, _retype, _retype, _bad_ts, _bad_tool_calls]
