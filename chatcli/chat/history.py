"""The active view as the message list a model is sent."""

from __future__ import annotations

from typing import Any

from chatcli.session.records import ChatMessage


def model_messages(system: str, messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """OpenAI-style messages: the system prompt, then the conversation.

    Failed replies with no text are left out; an assistant's tool calls whose
    results were never saved (a cancelled turn) are dropped so providers accept
    the history, and so are tool results whose call is not in `messages`.
    """
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    out += [item for _seq, item in request_items(messages)]
    return out


def request_items(messages: list[ChatMessage]) -> list[tuple[int, dict[str, Any]]]:
    """(seq, OpenAI-style message) for each message a request can carry (see model_messages)."""
    answered = {m.tool_call_id for m in messages if m.role == "tool" and m.tool_call_id}
    asked: set[str] = set()
    out: list[tuple[int, dict[str, Any]]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.status != "complete" and not m.content and not m.tool_calls:
            continue
        item: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.role == "assistant" and m.tool_calls:
            calls = [c for c in m.tool_calls if c.get("id") in answered]
            if calls:
                item["tool_calls"] = calls
                asked.update(str(c.get("id")) for c in calls)
            elif not m.content:
                continue
        if m.role == "tool":
            if m.tool_call_id not in asked:
                continue  # its call was left out of the request (or never saved)
            item["tool_call_id"] = m.tool_call_id
            if m.name:
                item["name"] = m.name
        out.append((m.seq, item))
    return out
