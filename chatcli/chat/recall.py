"""The `recall` tool: the session's whole raw history, searched word by word.

It reads the session's records, not the active view, so messages a compaction
summarised and messages a restore rolled back are found too, and returns them
verbatim with their seq numbers. Whole words, any case; the messages holding
the most of the query's words (then the most occurrences) come first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chatcli.chat.tools import Toolset, forget, remember, tool
from chatcli.session.context import current_session
from chatcli.session.records import ChatMessage, Record
from chatcli.session.replay import Node

MAX_LIMIT = 20
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Hit:
    """One message that matches, and how well."""

    message: ChatMessage
    words: int
    """How many of the query's distinct words it holds."""
    count: int
    """How many times they occur in it."""


def search(records: Sequence[Record], query: str, limit: int = 5) -> list[Hit]:
    """Messages of `records` holding the query's words (whole words, any case), best first.

    Results of earlier recalls are not searched (they only repeat other messages)."""
    words = sorted({w.lower() for w in WORD.findall(query)})
    if not words:
        return []
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    hits: list[Hit] = []
    for record in records:
        if not isinstance(record, ChatMessage) or record.role == "system":
            continue
        if record.role == "tool" and record.name == "recall":
            continue
        found = pattern.findall(record.content)
        if found:
            hits.append(Hit(record, len({f.lower() for f in found}), len(found)))
    hits.sort(key=lambda h: (-h.words, -h.count, -h.message.seq))
    return hits[:limit]


def active_seqs(head: Node | None) -> set[int]:
    """Seqs of the messages in the active view."""
    out: set[int] = set()
    node = head
    while node is not None:
        out.add(node.message.seq)
        node = node.parent
    return out


def describe(hits: list[Hit], query: str, active: set[int], summarised_to: int) -> str:
    """The tool's answer: each match verbatim under a line naming its seq and role."""
    if not hits:
        return f"No message of this session holds the words of {query!r}."
    lines = [f"{len(hits)} message{'s' if len(hits) != 1 else ''} matching {query!r}, best first:"]
    for hit in hits:
        m = hit.message
        where = ""
        if m.seq not in active:
            where = ", rolled back"
        elif m.seq <= summarised_to:
            where = ", summarised"
        lines += ["", f"--- #{m.seq} {m.role} ({m.ts[:19]}Z{where}) ---", m.content]
    return "\n".join(lines)


@tool
def recall(query: str, limit: int = 5) -> str:
    """Search this whole session's history for words, including messages that were
    summarised away or rolled back, and get the matching messages word for word with
    their seq numbers (#12). Use it to quote or check something said earlier that the
    summary leaves out. `query`: a few words (any case, whole words); `limit`: at most 20."""
    session = current_session()
    hits = search(session.records, query, max(1, min(limit, MAX_LIMIT)))
    view = session.view
    last = view.compaction.last if view.compaction is not None else 0
    return describe(hits, query, active_seqs(view.head), last)


DEFAULT_TOOLS = Toolset([remember, forget, recall])
"""The tools every session offers: its memory (remember, forget) and recall."""
