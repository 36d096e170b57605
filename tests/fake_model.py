"""A scripted ChatModel for fast tests of the chat layer and the TUI, and a Workspace on it.

The real ChatEngine and Workspace run; only the model is fake. Each `stream`
call takes the next scripted reply: text pieces (optionally held at a gate so
a test can look mid-stream), tool calls, or a ModelError.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatcli.chat.workspace import Workspace
from chatcli.config import Settings
from chatcli.errors import ModelError
from chatcli.llm.events import ModelEvent, StreamEnd, TextDelta, ToolCall, Usage
from chatcli.paths import Paths
from chatcli.session.store import Store
from chatcli.store import JsonlStore

MODEL = "openai/test-model"


@dataclass
class Scripted:
    """One reply: text pieces, then tool calls, or an error after `error_after` pieces."""

    pieces: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    error: ModelError | None = None
    error_after: int = 0
    gate_after: int | None = None
    """Wait at `gate` after this many pieces (to look mid-stream, or to cancel)."""
    delay: float = 0.0
    usage: Usage | None = field(default_factory=lambda: Usage(12, 8, 20, 0.0004))


class FakeModel:
    """A ChatModel that plays scripted replies (or echoes the last user message)."""

    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.gate = asyncio.Event()
        self.calls: list[list[dict[str, Any]]] = []
        self.at_gate = asyncio.Event()

    def say(self, *pieces: str, **kw: Any) -> FakeModel:
        self.script.append(Scripted(pieces=list(pieces), **kw))
        return self

    def call_tool(self, name: str, args: dict[str, Any], *pieces: str) -> FakeModel:
        self.script.append(Scripted(pieces=list(pieces), tool_calls=[(name, args)]))
        return self

    def fail(self, error: ModelError, *pieces: str) -> FakeModel:
        self.script.append(Scripted(pieces=list(pieces), error=error, error_after=len(pieces)))
        return self

    async def stream(
        self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
    ) -> AsyncIterator[ModelEvent]:
        self.calls.append(messages)
        if self.script:
            reply = self.script.popleft()
        else:
            last = next(m["content"] for m in reversed(messages) if m["role"] == "user")
            reply = Scripted(pieces=[f"You said: {last}"])
        for n, piece in enumerate(reply.pieces):
            if reply.gate_after is not None and n == reply.gate_after:
                self.at_gate.set()
                await self.gate.wait()
            if reply.delay:
                await asyncio.sleep(reply.delay)
            yield TextDelta(piece)
        if reply.gate_after is not None and reply.gate_after >= len(reply.pieces):
            self.at_gate.set()
            await self.gate.wait()
        if reply.error is not None:
            raise reply.error
        calls = tuple(
            ToolCall(id=f"call_{i}", name=name, arguments=json.dumps(args))
            for i, (name, args) in enumerate(reply.tool_calls)
        )
        yield StreamEnd(calls, reply.usage, "tool_calls" if calls else "stop")


class FakeModelWorkspace(Workspace):
    """The real Workspace; `warm_up` has nothing to load, since the model is fake."""

    def warm_up(self) -> None:
        pass


def make_workspace(
    tmp_path: Path,
    model: Any,
    *,
    store: Store | None = None,
    settings: Settings | None = None,
) -> Workspace:
    """A real Workspace over a JSONL store in `tmp_path` (or `store`) and `model`."""
    paths = Paths(
        config_dir=tmp_path / "config", data_dir=tmp_path / "data", log_dir=tmp_path / "logs"
    )
    return FakeModelWorkspace(
        settings=settings or Settings(model=MODEL),
        paths=paths,
        store=store or JsonlStore(paths.sessions_dir),
        model=model,
        environ={},
    )
