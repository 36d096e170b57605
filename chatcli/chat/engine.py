"""A turn: the user's words in, the model's reply (and tool calls) out, all persisted.

Order (docs/architecture.md, "A turn, step by step"): append the user message;
render the system prompt with the state; stream the reply; run tool calls and
loop; append the reply once (partial ones as interrupted/error); end with an
automatic checkpoint.
Store writes run in a thread and are shielded from cancellation. A reply the
person was shown is never lost: its save is retried, and kept in a recovery
file when the log cannot take it (chatcli.chat.rescue).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from chatcli.chat.agent import Agent, PromptRenderer
from chatcli.chat.events import (
    BranchStarted,
    CheckpointSaved,
    MessageSaved,
    ReplyDelta,
    ReplyStarted,
    StateChanged,
    ToolCalled,
    ToolFinished,
    TurnEvent,
    TurnFailed,
    TurnFinished,
)
from chatcli.chat.history import model_messages
from chatcli.chat.rescue import Rescue, fallback_rescue
from chatcli.chat.tools import Toolset
from chatcli.chat.user_scope import UserScope, using_user_scope
from chatcli.errors import ChatcliError, ModelError
from chatcli.llm import ChatModel
from chatcli.llm.events import StreamEnd, TextDelta, ToolCall, Usage
from chatcli.session import branching
from chatcli.session.context import using_session
from chatcli.session.records import ChatMessage, CheckpointRecord, Role, StateRecord, Status
from chatcli.session.session import Session

log = logging.getLogger("chatcli.chat")
T = TypeVar("T")

NO_MODEL = ModelError(
    "no_model",
    "No model is configured.",
    "Set CHATCLI_MODEL (or a provider key such as OPENAI_API_KEY), or install the offline "
    "model with: pip install 'chatcli[local]'.",
)


async def _io(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a store write in a thread; cancellation cannot abandon it half-done."""
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task  # let the write finish, then let the cancel through
        raise


class ChatEngine:
    """Runs turns for one session with one model client, agent and toolset."""

    def __init__(
        self,
        session: Session[Any],
        model: ChatModel,
        *,
        model_name: str | None,
        agent: Agent,
        tools: Toolset | None = None,
        max_tool_rounds: int = 8,
        rescue: Rescue | None = None,
        user: UserScope | None = None,
    ) -> None:
        """`user`: user memory as prompts (`@user`) and the memory tools reach it."""
        self.session = session
        self.model = model
        self.model_name = model_name
        self.agent = agent
        self.tools = tools or Toolset()
        self.max_tool_rounds = max_tool_rounds
        self.rescue = rescue or fallback_rescue()
        self.user = user
        self._renderer = PromptRenderer()

    def set_model(self, name: str) -> None:
        """Use `name` from the next turn on, and record it in the session."""
        self.model_name = name
        if self.session.model != name:
            self.session.update_meta(model=name)

    async def edit_state(self, data: dict[str, Any]) -> StateRecord | None:
        """A person's edit of the state, written as a state line made "by user"."""
        new = self.session._validate_state(data)
        return await _io(self.session.set_state, new, "user")

    async def system_prompt(self) -> str:
        """The agent's prompt rendered with the current state and user memory."""
        source = self.session.view.system_prompt or self.agent.source
        user: dict[str, Any] = {}
        if self.user is not None:  # what other sessions and processes kept, too
            await _io(self.user.memory.refresh)
            user = self.user.memory.state_dict
        return await self._renderer.render(source, self.session.view.state, user)

    async def send(self, text: str) -> AsyncIterator[TurnEvent]:
        """Run one turn; yields events as they happen (see chatcli.chat.events)."""
        turn = _Turn(_label(text))
        user = await _io(self.session.add_message, "user", text, title=turn.label)
        async for event in self._turn(turn, user):
            yield event

    async def edit(self, seq: int, text: str) -> AsyncIterator[TurnEvent]:
        """Edit and resend user message `seq`: a new branch starts where it was, with
        `text`, and the model answers it; the old branch stays as a sibling."""
        turn = _Turn(_label(text))
        user = await _io(branching.add_edited, self.session, seq, text, title=turn.label)
        async for event in self._turn(turn, user):
            yield event

    async def regenerate(self) -> AsyncIterator[TurnEvent]:
        """A new reply to the last user message, on a new branch (the old reply stays)."""
        user = await _io(branching.start_regeneration, self.session)
        yield BranchStarted(user.seq)
        async for event in self._turn(_Turn(_label(user.content)), None):
            yield event

    async def _turn(self, turn: _Turn, user: ChatMessage | None) -> AsyncIterator[TurnEvent]:
        if user is not None:
            yield MessageSaved(user)
        try:
            async for event in self._rounds(turn):
                yield event
        except (asyncio.CancelledError, GeneratorExit):
            if turn.checkpoint is None:
                await _io(self._checkpoint, turn, "interrupted")
            raise
        if turn.checkpoint is None:
            await _io(self._checkpoint, turn, turn.status)
        assert turn.checkpoint is not None
        yield CheckpointSaved(turn.checkpoint)
        yield TurnFinished(turn.status, turn.prompt, turn.completion, turn.cost)

    def _checkpoint(self, turn: _Turn, status: str) -> None:
        """The end-of-turn checkpoint, when no final message carried it."""
        turn.status = status
        turn.checkpoint = self.session.checkpoint(
            turn.label, auto=True, metadata={"status": status}
        )

    def _save_last(self, turn: _Turn, status: Status, **fields: Any) -> ChatMessage:
        """Append the turn's last message together with its automatic checkpoint."""
        turn.status = status
        saved = self._save(
            "assistant",
            status=status,
            model=self.model_name,
            end_turn=turn.label,
            end_metadata={"status": status},
            **fields,
        )
        record = self.session.checkpoints[-1].record
        turn.checkpoint = record if record.at == saved.seq else None
        return saved

    def _save(
        self,
        role: Role,
        *,
        end_turn: str | None = None,
        end_metadata: dict[str, Any] | None = None,
        **fields: Any,
    ) -> ChatMessage:
        """Append a message the person has seen; ReplyKept if only a recovery file took it."""
        draft = ChatMessage(role=role, **fields)
        return self.rescue.save(
            self.session.id,
            lambda: self.session.add_message(
                role, end_turn=end_turn, end_metadata=end_metadata, **fields
            ),
            draft,
        )

    async def _rounds(self, turn: _Turn) -> AsyncIterator[TurnEvent]:
        if not self.model_name:
            turn.status = "error"
            yield TurnFailed(NO_MODEL)
            return
        for _round in range(self.max_tool_rounds):
            try:
                system = await self.system_prompt()
            except ChatcliError as exc:
                turn.status = "error"
                yield TurnFailed(ModelError("prompt", exc.message, exc.hint))
                return
            messages = model_messages(system, self.session.messages)
            yield ReplyStarted(self.model_name)
            parts: list[str] = []
            end: StreamEnd | None = None
            try:
                async for chunk in self.model.stream(
                    self.model_name, messages, self.tools.schemas() or None
                ):
                    if isinstance(chunk, TextDelta):
                        parts.append(chunk.text)
                        yield ReplyDelta(chunk.text)
                    else:
                        end = chunk
            except asyncio.CancelledError:
                await _io(self._save_last, turn, "interrupted", content="".join(parts))
                raise
            except ModelError as exc:
                log.info("model error (%s): %s", exc.kind, exc.message)
                yield MessageSaved(await self._save_failure(turn, parts, exc))
                yield TurnFailed(exc)
                return
            if end is None:
                error = ModelError("stream_cut", "The reply stream ended without finishing.")
                yield MessageSaved(await self._save_failure(turn, parts, error))
                yield TurnFailed(error)
                return
            turn.add(end.usage)
            content, usage = "".join(parts), _usage_json(end.usage)
            if not end.tool_calls:
                yield MessageSaved(
                    await _io(self._save_last, turn, "complete", content=content, usage=usage)
                )
                return
            reply = await _io(
                self._save,
                "assistant",
                content=content,
                tool_calls=[_call_json(c) for c in end.tool_calls],
                model=self.model_name,
                usage=usage,
            )
            yield MessageSaved(reply)
            for call in end.tool_calls:
                async for event in self._run_tool(call):
                    yield event
        turn.status = "error"
        error = ModelError(
            "tool_loop",
            f"The model kept calling tools for {self.max_tool_rounds} rounds.",
            "Ask again, or raise max_tool_rounds in config.toml.",
        )
        yield TurnFailed(error)

    async def _run_tool(self, call: ToolCall) -> AsyncIterator[TurnEvent]:
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError:
            arguments = {}
        yield ToolCalled(call.id, call.name, arguments if isinstance(arguments, dict) else {})
        before = self.session.view.state_record
        tool = self.tools.get(call.name)
        if tool is None:
            result, ok = f"error: there is no tool named {call.name!r}", False
        else:
            with using_session(self.session), using_user_scope(self.user):
                try:
                    result, ok = await tool.call(call.arguments)
                except ChatcliError as exc:
                    result, ok = f"error: {exc.sentence()}", False
        after = self.session.view.state_record
        if after is not None and after is not before:
            yield StateChanged(after)
        for outcome in self.user.drain() if self.user is not None else []:
            yield outcome
        yield ToolFinished(call.id, call.name, result, ok)
        saved = await _io(self._save, "tool", content=result, tool_call_id=call.id, name=call.name)
        yield MessageSaved(saved)

    async def _save_failure(self, turn: _Turn, parts: list[str], error: ModelError) -> ChatMessage:
        return await _io(
            self._save_last, turn, "error", content="".join(parts), error=error.sentence()
        )


class _Turn:
    """What one turn has done so far: its status, token totals and checkpoint."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.status = "complete"
        self.prompt = 0
        self.completion = 0
        self.cost: float | None = None
        self.checkpoint: CheckpointRecord | None = None

    def add(self, usage: Usage | None) -> None:
        if usage is None:
            return
        self.prompt += usage.prompt_tokens
        self.completion += usage.completion_tokens
        if usage.cost is not None:
            self.cost = (self.cost or 0.0) + usage.cost


def _call_json(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def _usage_json(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cost": usage.cost,
    }


def _label(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 60 else line[:57] + "..."
