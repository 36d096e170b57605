"""`LiteLLMModel`: the ChatModel that streams through litellm's real client."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatcli.errors import ModelError
from chatcli.llm.errors import CallInfo, missing_key, to_model_error, unexpected_error
from chatcli.llm.events import ModelEvent, StreamEnd, TextDelta, ToolCall, Usage
from chatcli.llm.loader import is_loaded, load
from chatcli.llm.providers import key_env_var, key_from_env, missing_key_var

if TYPE_CHECKING:
    from chatcli.llm.local_engine import LocalEngine

logger = logging.getLogger("chatcli.llm")

NO_KEY = "no-key-required"
"""Sent to an explicit api_base when no key is configured (clients insist on one)."""


@dataclass(frozen=True)
class LiteLLMModel:
    """Streams chat completions through litellm; settings go with each request."""

    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never shown or logged
    timeout: float = 60.0
    local: LocalEngine | None = field(default=None, repr=False, compare=False)
    """The offline model's engine, for ``local/...`` models (built by the wiring)."""
    environ: Mapping[str, str] | None = field(default=None, repr=False, compare=False)
    """Where provider keys (``OPENAI_API_KEY``, …) are read when `api_key` is unset: the
    wiring hands in its environment; None reads the process's at each call."""

    async def stream(
        self,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[ModelEvent]:
        """Yield the reply's text as it arrives, then one StreamEnd.

        Raises ModelError on any failure, before or during the stream. If the
        caller is cancelled, the HTTP stream is closed and CancelledError
        propagates.
        """
        api_base, api_key = self.api_base or None, self.api_key or None  # "" means unset
        env = os.environ if self.environ is None else self.environ
        if api_key is None and api_base is None:
            var = missing_key_var(model, env)
            if var is not None:
                raise missing_key(model, var)
        if not is_loaded():
            await asyncio.to_thread(load)  # ~2 s the first time; keep the loop responsive
        litellm = load()
        local = self._local_engine(model)
        env_key = key_from_env(model, env) if api_key is None and local is None else None
        call = CallInfo(model, api_base, api_key, self.timeout, env_key)
        request: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": self.timeout,
            "max_retries": 0,  # a chat app shows the error; the person decides to retry
        }
        if tools:
            request["tools"] = tools
        if local is not None:
            request["client"] = local  # litellm hands it to the local provider's handler
        else:
            if api_base is not None:
                request["api_base"] = api_base
                if api_key is None and env_key is None and key_env_var(model) is not None:
                    api_key = NO_KEY  # local OpenAI-compatible servers usually want none
            if (api_key or env_key) is not None:
                request["api_key"] = api_key or env_key  # litellm never reads os.environ for it
        with _as_model_error(call):
            response = await litellm.acompletion(**request)
        assembler = _Assembler(model)
        finished = False
        try:
            while True:
                with _as_model_error(call):
                    chunk = await anext(response, _END)
                if chunk is _END:
                    finished = True
                    break
                for text in assembler.feed(chunk):
                    yield TextDelta(text)
        finally:
            if not finished:  # cancelled or failed: hang up; a finished one keeps its connection
                await response.aclose()
        yield assembler.end()

    def _local_engine(self, model: str) -> LocalEngine | None:
        """The engine for a ``local/`` model (its provider registered), else None."""
        if not model.startswith("local/"):
            return None
        from chatcli.llm import local

        if self.local is None:
            raise ModelError(
                "not_configured",
                "This program did not set up the offline model.",
                "Give LiteLLMModel a LocalEngine (local=...).",
            )
        if not self.local.is_available():
            raise local.not_installed()
        local.ensure_registered()
        return self.local


_END = object()


@contextmanager
def _as_model_error(call: CallInfo) -> Iterator[None]:
    """Re-raise any failure of the block as a ModelError (cancellation passes through)."""
    try:
        yield
    except ModelError:
        raise
    except _call_errors() as exc:
        raise to_model_error(exc, call) from exc
    except Exception as exc:  # last resort: logged with its traceback, named to the user
        raise unexpected_error(exc, call) from exc


def _call_errors() -> tuple[type[BaseException], ...]:
    """What a litellm call may raise, by class (imported lazily with litellm)."""
    import httpx
    import openai
    from litellm import exceptions as lx

    return (
        openai.OpenAIError,
        httpx.HTTPError,
        json.JSONDecodeError,
        OSError,
        lx.ModelNotMappedError,
        lx.BudgetExceededError,
        ImportError,  # litellm imports optional packages (e.g. mcp for tools) mid-call
    )


class _Assembler:
    """Collects text, tool-call deltas, usage and finish reason from chunks."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.calls: dict[Any, dict[str, str]] = {}
        self.usage: Usage | None = None
        self.finish_reason: str | None = None

    def feed(self, chunk: Any) -> list[str]:
        texts: list[str] = []
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = _usage(self.model, usage)
        for choice in getattr(chunk, "choices", None) or []:
            if choice.finish_reason:
                self.finish_reason = str(choice.finish_reason)
            delta = choice.delta
            if delta is None:
                continue
            if delta.content:
                texts.append(str(delta.content))
            for tool_call in getattr(delta, "tool_calls", None) or []:
                self._add_tool_delta(tool_call)
        return texts

    def _add_tool_delta(self, delta: Any) -> None:
        key = delta.index if delta.index is not None else (delta.id or len(self.calls) - 1)
        if key not in self.calls:
            self.calls[key] = {"id": "", "name": "", "arguments": ""}
        slot = self.calls[key]
        if delta.id:
            slot["id"] = delta.id
        function = delta.function
        if function is not None:
            if function.name and not slot["name"]:  # some providers repeat it
                slot["name"] = function.name
            if function.arguments:
                slot["arguments"] += function.arguments

    def end(self) -> StreamEnd:
        calls = tuple(
            ToolCall(id=c["id"] or f"call_{n}", name=c["name"], arguments=c["arguments"])
            for n, c in enumerate(self.calls.values())
        )
        return StreamEnd(tool_calls=calls, usage=self.usage, finish_reason=self.finish_reason)


def _usage(model: str, usage: Any) -> Usage:
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    total = int(getattr(usage, "total_tokens", 0) or prompt + completion)
    return Usage(prompt, completion, total, _cost(model, usage, prompt, completion))


def _cost(model: str, usage: Any, prompt: int, completion: int) -> float | None:
    """The call's price from litellm's bundled price list; None when it has none."""
    cost = getattr(usage, "cost", None)
    if isinstance(cost, int | float):
        return float(cost)
    litellm = load()
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt, completion_tokens=completion
        )
    except litellm.exceptions.ModelNotMappedError:
        return None
    except Exception:  # pricing must never break a reply
        logger.warning("could not price model %s", model, exc_info=True)
        return None
    return float(prompt_cost) + float(completion_cost)
