"""Load bench_search.py's conversations into simonw/llm's logs database.

Run by the Python of the bench's llm venv (it imports llm, not chatcli):
`python bench_search_llm.py CONVERSATIONS.json LLM_USER_PATH`. llm's own
migrations make the schema and llm's own `message_hash` names each message;
each turn gets the rows `LogStore.log` writes for a plain text turn (its
thread, its user and assistant messages and their text parts, its `turns`
row, its `turn_search` row, which the FTS triggers index), in bulk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import sqlite_utils  # type: ignore[import-not-found]
from llm.logs import message_hash  # type: ignore[import-not-found]
from llm.migrations import migrate  # type: ignore[import-not-found]
from llm.parts import assistant, user  # type: ignore[import-not-found]
from llm.utils import monotonic_ulid  # type: ignore[import-not-found]

MODEL = "gpt-4o-mini"


def main() -> None:
    conversations = json.loads(Path(sys.argv[1]).read_text())
    db = sqlite_utils.Database(Path(sys.argv[2]) / "logs.db")
    migrate(db)
    threads, messages, parts, turns, search = [], [], [], [], []
    for conversation in conversations:
        thread = str(monotonic_ulid()).lower()
        parent = None
        first = conversation["turns"][0][0]
        for prompt, reply, ts in conversation["turns"]:
            asked = message_hash(user(prompt), parent)
            answered = message_hash(assistant(reply), asked)
            messages += [(asked, parent, "user"), (answered, asked, "assistant")]
            parts += [(asked, 0, "text", prompt), (answered, 0, "text", reply)]
            turn = str(monotonic_ulid()).lower()
            when = ts.replace("Z", "+00:00").replace("T", " ")
            turns.append((turn, thread, asked, answered, MODEL, when))
            search.append((turn, prompt, reply))
            parent = answered
        threads.append((thread, first[:40], parent, when))
    with db.conn:
        db.conn.executemany(
            "insert into messages (hash, parent_hash, role) values (?, ?, ?)", messages
        )
        db.conn.executemany(
            "insert into parts (message_hash, position, type, text) values (?, ?, ?, ?)", parts
        )
        db.conn.executemany(
            "insert into threads (id, name, tip_message_hash, datetime_utc) values (?, ?, ?, ?)",
            threads,
        )
        db.conn.executemany(
            "insert into turns (id, thread_id, parent_message_hash, tip_message_hash, model,"
            " datetime_utc) values (?, ?, ?, ?, ?, ?)",
            turns,
        )
        db.conn.executemany(
            "insert into turn_search (turn_id, prompt, response) values (?, ?, ?)", search
        )
    print(f"  llm: {len(turns)} turns in {len(threads)} threads", file=sys.stderr)


if __name__ == "__main__":
    main()
