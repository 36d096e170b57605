"""LogTally: what a face sums over a session's log, kept up to date as lines arrive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatcli.llm.events import Usage
from chatcli.session.records import ChatMessage, Record, StateRecord

NO_USAGE = Usage(prompt_tokens=0, completion_tokens=0, total_tokens=0, cost=None)


def add_usage(total: Usage, usage: Mapping[str, Any] | None) -> Usage:
    """`total` plus one message's `usage` JSON (missing or odd values count as 0)."""
    if not usage:
        return total
    prompt = total.prompt_tokens + _count(usage.get("prompt_tokens"))
    completion = total.completion_tokens + _count(usage.get("completion_tokens"))
    cost = usage.get("cost")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        total_cost: float | None = (total.cost or 0.0) + float(cost)
    else:
        total_cost = total.cost
    return Usage(prompt, completion, prompt + completion, total_cost)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class LogTally:
    """Totals over a log, taken in line by line.

    `usage`: tokens and cost over every reply (rolled-back turns cost money too).
    `states`: tool-made state lines keyed by the seq of the message after them; a
    tool writes its state line while it runs, just before its result message, so
    the conversation shows the change under that result.
    """

    def __init__(self) -> None:
        self.seen = 0
        self.usage = NO_USAGE
        self.states: dict[int, list[StateRecord]] = {}
        self._pending: list[StateRecord] = []

    def update(self, records: Sequence[Record]) -> None:
        """Take in the lines after the ones already seen."""
        for record in records[self.seen :]:
            if isinstance(record, StateRecord):
                if record.by.startswith("tool:"):
                    self._pending.append(record)
            elif isinstance(record, ChatMessage):
                if record.usage:
                    self.usage = add_usage(self.usage, record.usage)
                if self._pending:
                    self.states[record.seq] = self._pending
                    self._pending = []
        self.seen = len(records)
