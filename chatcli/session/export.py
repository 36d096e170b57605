"""A session as Markdown, JSON (the `sessions show --json` shape) or its raw JSONL."""

from __future__ import annotations

import json
from typing import Any

from chatcli.session.records import ChatMessage, CompactionRecord, dump_line
from chatcli.session.session import Session

FORMATS = ("md", "json", "jsonl")


def message_json(m: ChatMessage) -> dict[str, Any]:
    """One message: seq, role, content, status, plus the optional fields it has."""
    out: dict[str, Any] = {"seq": m.seq, "role": m.role, "content": m.content, "status": m.status}
    for key in ("tool_calls", "tool_call_id", "name", "model", "usage", "error"):
        value = getattr(m, key)
        if value is not None:
            out[key] = value
    return out


def session_json(session: Session[Any]) -> dict[str, Any]:
    """The active view and its checkpoints as JSON-ready data."""
    view = session.view
    parent = view.header.parent
    return {
        "id": session.id,
        "title": session.title,
        "model": session.model,
        "agent": session.agent,
        "created": view.header.created,
        "updated": view.updated,
        "parent": {"session": parent.session, "checkpoint": parent.checkpoint} if parent else None,
        "state": view.state,
        "compaction": compaction_json(view.compaction) if view.compaction else None,
        "messages": [message_json(m) for m in session.messages],
        "checkpoints": [checkpoint_json(s.record) for s in session.checkpoints],
    }


def compaction_json(record: CompactionRecord) -> dict[str, Any]:
    """The compaction in force: what its summary covers, and the summary."""
    return {
        "seq": record.seq,
        "ts": record.ts,
        "first": record.first,
        "last": record.last,
        "messages": record.messages,
        "model": record.model,
        "tokens_before": record.tokens_before,
        "tokens_after": record.tokens_after,
        "manual": record.manual,
        "summary": record.summary,
    }


def checkpoint_json(record: Any) -> dict[str, Any]:
    """A checkpoint: id, label, at, auto, ts, digest."""
    return {
        "id": record.id,
        "label": record.label,
        "at": record.at,
        "auto": record.auto,
        "ts": record.ts,
        "digest": record.digest,
    }


def to_markdown(session: Session[Any]) -> str:
    """A readable transcript of the active view."""
    lines = [f"# {session.title or session.id}", ""]
    lines.append(f"- session: `{session.id}`")
    if session.model:
        lines.append(f"- model: `{session.model}`")
    lines.append(f"- created: {session.view.header.created}")
    lines.append("")
    for m in session.messages:
        mark = "" if m.status == "complete" else f" ({m.status})"
        if m.role == "tool":
            lines += [
                f"### tool result: {m.name or m.tool_call_id}",
                "",
                "```",
                m.content,
                "```",
                "",
            ]
            continue
        lines += [f"## {m.role}{mark}", ""]
        if m.content:
            lines += [m.content, ""]
        for call in m.tool_calls or []:
            fn = call["function"]  # checked when the line was read
            lines += [f"- calls `{fn['name']}` with `{fn.get('arguments', '')}`"]
        if m.tool_calls:
            lines.append("")
        if m.error:
            lines += [f"> error: {m.error}", ""]
        compaction = session.view.compaction
        if compaction is not None and m.seq == compaction.last:
            lines += [
                f"> The {compaction.messages} messages above are summarised in requests to the "
                "model (they stay here, whole):",
                ">",
                *[f"> {line}" if line else ">" for line in compaction.summary.splitlines()],
                "",
            ]
    for repair in session.view.repairs:
        lines += [
            f"> line {repair.line} could not be read ({repair.reason}); its {repair.length} "
            f"bytes are kept in `{repair.kept}` at offset {repair.offset}.",
            "",
        ]
    if session.view.state:
        lines += ["## state", "", "```json", json.dumps(session.view.state, indent=2), "```", ""]
    return "\n".join(lines)


def export(session: Session[Any], fmt: str) -> str:
    """The session in `fmt` (md, json or jsonl)."""
    if fmt == "md":
        return to_markdown(session)
    if fmt == "json":
        return json.dumps(session_json(session), indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return b"".join(dump_line(r) for r in session.records).decode()
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
