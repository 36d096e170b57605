"""Compaction: the oldest part of the active view summarised, so a session never ends.

When a turn's request would not fit the window, the model is asked to fold
the previous summary and the oldest messages after it into a new summary,
which is appended as a `compaction` line. Requests then carry the system
prompt, the summary and the newest messages (chatcli.chat.budget). The kept
part aims at half the room left, so compactions come every few turns, not every
turn. Nothing leaves the log: the messages stay in the view, exports and
`recall`, and a restore to a checkpoint before the compaction brings the
uncompacted view back.

If the summary cannot be made, the turn runs anyway with the oldest messages
left out of the request, and the person is told in one sentence.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from chatcli.chat.budget import REQUEST_OVERHEAD, Fitter, Request, Sizer, cut_text, turn_start
from chatcli.chat.events import Compacted, ContextMeasured, ContextNote, TurnEvent
from chatcli.chat.offload import run_io
from chatcli.errors import ModelError
from chatcli.llm import ChatModel, TextDelta
from chatcli.session.records import ChatMessage, CompactionRecord
from chatcli.session.replay import View
from chatcli.session.session import Session

SUMMARY_SYSTEM = (
    "You write the running summary of a long conversation between a user and an "
    "assistant, so that the assistant can carry on without the full text. Keep every "
    "fact, name, number, date, decision, preference, task and open question, and who "
    "said it; drop greetings and repetition. Write plain sentences, no preamble, at most "
    "{words} words."
)
"""The system prompt of a summary request ({words}: the summary's share of the window)."""

SPEAKERS = {"user": "User", "assistant": "Assistant", "tool": "Tool result", "system": "System"}


@dataclass(frozen=True)
class Fold:
    """What one compaction summarises, and what it leaves in requests."""

    messages: list[ChatMessage]
    """The messages the summary reads (oldest first)."""
    last: int
    """Seq of the newest message the summary covers."""
    covered: int
    """Messages of the view at or before `last`."""
    tokens_before: int
    tokens_after_without_summary: int
    """The request's tokens after the compaction, less the summary."""


def plan_fold(
    fitter: Fitter, view: View, system: str, tools: list[dict[str, Any]] | None, *, keep: int | None
) -> Fold | None:
    """The oldest messages after the compaction in force, up to a turn start that leaves
    about `keep` tokens of newest messages (None: half the room); None if none can go."""
    limit = fitter.window.limit
    fixed = fitter.tools_cost(tools) + REQUEST_OVERHEAD + 4 + fitter.text_cost(system)
    room = max(0, limit - fixed - fitter.summary_cap() - 60)
    target = room // 2 if keep is None else keep
    messages, costs, _reached = fitter.recent(view, budget=1 << 62)  # the whole uncompacted part
    split, kept = len(messages), 0
    while split > 0 and kept + costs[split - 1] <= target:
        split -= 1
        kept += costs[split]
    split = turn_start(messages, split)
    if split == len(messages):  # the newest turn alone passes the target: keep just that turn
        users = [i for i, m in enumerate(messages) if m.role == "user"]
        split = users[-1] if users else len(messages)
    if split == 0:
        return None
    budget = limit - fitter.text_cost(SUMMARY_SYSTEM) - fitter.summary_cap() - 80
    first, used = split, 0
    while first > 0 and used + min(costs[first - 1], budget // 2) <= budget:
        first -= 1
        used += min(costs[first], budget // 2)
    first = min(first, split - 1)
    return Fold(
        messages=messages[first:split],
        last=messages[split - 1].seq,
        covered=view.message_count - (len(messages) - split),
        tokens_before=fixed + sum(costs) + (fitter.summary_cap() if view.compaction else 0),
        tokens_after_without_summary=fixed + sum(costs[split:]),
    )


def summary_request(
    fitter: Fitter, previous: CompactionRecord | None, fold: Fold
) -> list[dict[str, Any]]:
    """The messages that ask the model for the new summary."""
    words = max(30, fitter.summary_cap() * 3 // 5)
    limit = fitter.window.limit
    share = max(32, (limit - fitter.summary_cap()) // 2)
    lines: list[str] = []
    for message in fold.messages:
        text = message.content
        if message.tool_calls:
            calls = ", ".join(str(c["function"]["name"]) for c in message.tool_calls)
            text = f"{text} [calls {calls}]".strip()
        if not text:
            continue
        cost = fitter.cost(message)
        if cost > share:
            text = cut_text(text, cost, share)
        lines.append(f"{SPEAKERS[message.role]} (#{message.seq}): {text}")
    earlier = previous.summary.strip() if previous is not None else "(none yet)"
    if previous is not None and fitter.text_cost(earlier) > fitter.summary_cap():
        earlier = cut_text(earlier, fitter.text_cost(earlier), fitter.summary_cap(), what="summary")
    body = (
        f"Summary so far:\n{earlier}\n\nThe conversation continues:\n\n"
        + "\n\n".join(lines)
        + "\n\nWrite the new summary of the whole conversation (it replaces the old one)."
    )
    return [
        {"role": "system", "content": SUMMARY_SYSTEM.format(words=words)},
        {"role": "user", "content": body},
    ]


class Compactor:
    """Fits a session's requests to the model's window, compacting when they would not."""

    def __init__(self, session: Session[Any], model: ChatModel, sizes: Sizer) -> None:
        self.session = session
        self.model = model
        self.sizes = sizes
        self.summary_calls = 0
        """Model calls spent on summaries (for the benchmark)."""
        self._fitters: dict[str, Fitter] = {}

    def fitter(self, model_name: str) -> Fitter:
        """The request builder for `model_name` (one per model: windows differ)."""
        found = self._fitters.get(model_name)
        if found is None:
            found = self._fitters[model_name] = Fitter(self.sizes, self.session.id, model_name)
        return found

    async def measure(
        self, model_name: str, system: str, tools: list[dict[str, Any]] | None
    ) -> Request:
        """The request the view would send now (nothing is compacted)."""
        fitter = self.fitter(model_name)
        return await asyncio.to_thread(fitter.build, self.session.view, system, tools)

    async def prepare(
        self, model_name: str, system: str, tools: list[dict[str, Any]] | None
    ) -> tuple[Request, list[TurnEvent]]:
        """The request for this round, compacting first when it would not fit.

        ModelError when the model cannot be called at all (its preflight: no key)."""
        preflight = getattr(self.model, "preflight", None)  # before litellm loads to count
        if preflight is not None:
            preflight(model_name)
        request = await self.measure(model_name, system, tools)
        events: list[TurnEvent] = []
        if not request.complete:
            try:
                record = await self.compact(model_name, system, tools)
            except ModelError as exc:
                record = None
                events.append(ContextNote(_left_out_sentence(request, exc)))
            if record is not None:
                events.append(Compacted(record))
                request = await self.measure(model_name, system, tools)
        events.append(ContextMeasured(request.tokens, request.window.tokens))
        return request, events

    async def compact(
        self,
        model_name: str,
        system: str,
        tools: list[dict[str, Any]] | None,
        *,
        manual: bool = False,
    ) -> CompactionRecord | None:
        """Summarise the oldest messages into a compaction line; None if there is nothing
        to summarise. ModelError when the summary call fails (nothing is written)."""
        fitter = self.fitter(model_name)
        view = self.session.view
        fold = await asyncio.to_thread(
            plan_fold, fitter, view, system, tools, keep=0 if manual else None
        )
        if fold is None:
            return None
        messages = summary_request(fitter, view.compaction, fold)
        self.summary_calls += 1
        parts: list[str] = []
        async for chunk in self.model.stream(model_name, messages, None):
            if isinstance(chunk, TextDelta):
                parts.append(chunk.text)
        summary = "".join(parts).strip()
        if not summary:
            raise ModelError("empty_summary", "The model wrote an empty summary.")
        summary_cost = min(fitter.text_cost(summary), fitter.summary_cap()) + 40
        record = CompactionRecord(
            summary=summary,
            first=fold.messages[0].seq,
            last=fold.last,
            messages=fold.covered,
            model=model_name,
            tokens_before=fold.tokens_before,
            tokens_after=fold.tokens_after_without_summary + summary_cost,
            manual=manual,
        )
        return await run_io(self.session.add_compaction, record)


def _left_out_sentence(request: Request, error: ModelError) -> str:
    kept = max(0, len(request.messages) - 1)
    why = error.message.rstrip(".")
    return (
        f"The older messages could not be summarised ({why}), so this reply sees only the "
        f"newest {kept} messages; the session keeps every one."
    )
