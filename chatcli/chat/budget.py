"""The request a turn sends, within the model's context window.

A request is the system prompt (with the summary of a compaction, if one is in
force), the tool definitions, and the newest messages after the compaction,
as many as fit the window minus the reply reserve. A message too big to fit
on its own is cut in the request, with a note saying so; the log keeps it
whole. Walks only back from the newest message, about as far as two windows'
worth of tokens, so a 10,000-message session costs what a short one does.
Counts are cached per message (session id, seq) by the Sizer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatcli.chat.history import request_items
from chatcli.llm.context_window import Window
from chatcli.session.records import ChatMessage, CompactionRecord
from chatcli.session.replay import View

REQUEST_OVERHEAD = 3
"""Tokens every request costs beyond its messages (the reply's priming)."""

SUMMARY_SHARE = 4
"""A summary may take at most 1/SUMMARY_SHARE of the request budget; more is cut."""


class Sizer(Protocol):
    """Context windows and token counts (chatcli.llm.context_window.ModelSizes)."""

    def window(self, model: str) -> Window:
        """The model's window and reply reserve."""
        ...

    def count(self, model: str, text: str, key: Any = None) -> int:
        """Tokens of a text, cached under `key`."""
        ...

    def count_message(self, model: str, message: Mapping[str, Any], key: Any = None) -> int:
        """Tokens of one chat message, cached under `key`."""
        ...


@dataclass
class Request:
    """What one model call sends, and how it fits."""

    messages: list[dict[str, Any]]
    tokens: int
    """Estimated tokens of the request (messages and tool definitions)."""
    window: Window
    complete: bool
    """Every message after the compaction is in the request (nothing left out)."""
    left_out: int = 0
    """Messages after the compaction that did not fit (the oldest ones)."""
    cut: list[int] = field(default_factory=list)
    """Seqs of the messages cut short in this request."""


class Fitter:
    """Builds requests for one session and model (pure but for the Sizer's cache)."""

    def __init__(self, sizes: Sizer, session_id: str, model: str) -> None:
        self.sizes = sizes
        self.session_id = session_id
        self.model = model
        self.window = sizes.window(model)

    # -- costs ---------------------------------------------------------------

    def cost(self, message: ChatMessage) -> int:
        """Tokens of one message as a request carries it (cached by seq)."""
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            item["tool_calls"] = message.tool_calls
        if message.name:
            item["name"] = message.name
        return self.sizes.count_message(self.model, item, key=(self.session_id, message.seq))

    def text_cost(self, text: str) -> int:
        """Tokens of a text that may repeat (a system prompt, a summary), cached by its hash."""
        return self.sizes.count(self.model, text, key=("text", hash(text)))

    def tools_cost(self, tools: list[dict[str, Any]] | None) -> int:
        """Tokens of the tool definitions (their JSON: more than providers count)."""
        if not tools:
            return 0
        return self.text_cost(json.dumps(tools, sort_keys=True))

    def summary_cap(self) -> int:
        """The most tokens a summary takes in a request."""
        return max(32, self.window.limit // SUMMARY_SHARE)

    def system_text(self, system: str, compaction: CompactionRecord | None) -> str:
        """The system prompt with the compaction's summary (cut to its share) after it."""
        if compaction is None:
            return system
        summary = compaction.summary.strip()
        cost = self.text_cost(summary)
        if cost > self.summary_cap():
            summary = cut_text(summary, cost, self.summary_cap(), what="summary")
        block = (
            f"Summary of the conversation so far (its first {compaction.messages} messages, "
            "which this request leaves out; the recall tool can quote any of them "
            f"word for word):\n{summary}"
        )
        return f"{system}\n\n{block}" if system else block

    # -- the request ---------------------------------------------------------------

    def recent(self, view: View, budget: int) -> tuple[list[ChatMessage], list[int], bool]:
        """Messages after the compaction, newest last, walked back until their tokens pass
        `budget`; with their costs and whether the walk reached the compaction."""
        stop = view.compaction.last if view.compaction is not None else 0
        out: list[ChatMessage] = []
        costs: list[int] = []
        total = 0
        node = view.head
        while node is not None and node.message.seq > stop and total <= budget:
            cost = self.cost(node.message)
            out.append(node.message)
            costs.append(cost)
            total += cost
            node = node.parent
        reached = node is None or node.message.seq <= stop
        out.reverse()
        costs.reverse()
        return out, costs, reached

    def build(
        self,
        view: View,
        system: str,
        tools: list[dict[str, Any]] | None = None,
    ) -> Request:
        """The request for the view now: as many of the newest messages as fit."""
        limit = self.window.limit
        system_text = self.system_text(system, view.compaction)
        fixed = self.tools_cost(tools) + REQUEST_OVERHEAD
        if system_text:
            fixed += self.text_cost(system_text) + 4
        room = max(0, limit - fixed)
        cap = max(32, room)  # a message bigger than all the room there is gets cut
        messages, costs, reached = self.recent(view, 2 * limit)
        start, total = len(messages), 0
        while start > 0 and total + min(costs[start - 1], cap + 40) <= room:
            start -= 1
            total += min(costs[start], cap + 40)
        start = turn_start(messages, start)
        if start == len(messages) and messages:  # not even the newest fits: send it cut
            start = len(messages) - 1
        chosen = messages[start:]
        items = request_items(chosen)
        cost_of = {m.seq: c for m, c in zip(messages, costs, strict=True)}
        out: list[dict[str, Any]] = []
        if system_text:
            out.append({"role": "system", "content": system_text})
        tokens, cut = fixed, []
        for seq, item in items:
            cost = cost_of[seq]
            if cost > cap and item.get("content"):
                item = {**item, "content": cut_text(str(item["content"]), cost, cap)}
                cost = self.sizes.count_message(self.model, item, key=(self.session_id, seq, cap))
                cut.append(seq)
            out.append(item)
            tokens += cost
        return Request(
            messages=out,
            tokens=tokens,
            window=self.window,
            complete=reached and start == 0,
            left_out=start + (0 if reached else 1),
            cut=cut,
        )


def turn_start(messages: list[ChatMessage], start: int) -> int:
    """`start` moved forward to the first user message at or after it (a request begins
    with a turn), unless none is left, then it stays."""
    for index in range(start, len(messages)):
        if messages[index].role == "user":
            return index
    return start


def cut_text(text: str, tokens: int, cap: int, *, what: str = "message") -> str:
    """`text` (of `tokens` tokens) cut to about `cap` tokens: its start and its end, with a
    note in between saying what was left out and where it is kept."""
    per_token = len(text) / max(1, tokens)
    keep = max(0, int(cap * per_token * 0.85) - 200)
    head, tail = keep * 2 // 3, keep // 3
    left = len(text) - head - tail
    note = (
        f"\n[… {left} characters of this {what} are left out of the request to fit the "
        "context window; the session log keeps it whole, and the recall tool can quote it …]\n"
    )
    return text[:head] + note + (text[len(text) - tail :] if tail else "")


def context_json(request: Request, view: View) -> dict[str, Any]:
    """How full the context is, as `sessions show --json` reports it."""
    window = request.window
    compaction = view.compaction
    return {
        "window": window.tokens,
        "reserve": window.reserve,
        "source": window.source,
        "used": request.tokens,
        "messages_sent": sum(1 for m in request.messages if m.get("role") != "system"),
        "compactions": view.compactions,
        "summarised": compaction.messages if compaction is not None else 0,
        "summarised_to": compaction.last if compaction is not None else None,
    }
