"""An offline model behind litellm: ``local/gemma3-270m``, served by its own engine process.

``ensure_registered()`` adds a ``local`` provider to litellm's custom-provider
map. `LiteLLMModel` passes the `LocalEngine` it was given as litellm's
``client`` argument, and the handler here writes the chat as a transcript
(``transcript.py``: the model is a base model, with no chat template), counts
its tokens, and streams the reply from the engine's ``/v1/completions`` over
loopback HTTP. llama.cpp itself runs in the engine process
(``local_server.py``, supervised by ``local_engine.py``), so a native crash
there is one `ModelError` here, never the end of chatcli. litellm is imported
only when first needed; the model cannot call tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatcli.errors import ModelError
from chatcli.llm import loader, transcript
from chatcli.llm.local_engine import CONTEXT_WINDOW, LocalEngine, is_installed
from chatcli.llm.model_file import not_installed

if TYPE_CHECKING:
    from litellm.types.utils import GenericStreamingChunk

LOCAL_MODEL = "local/gemma3-270m"
"""The one offline model, as litellm names it."""

PROVIDER = "local"
_MODEL_NAME = LOCAL_MODEL.removeprefix(f"{PROVIDER}/")
_DEFAULT_TIMEOUT = 120.0

__all__ = [
    "CONTEXT_WINDOW",
    "LOCAL_MODEL",
    "LocalEngine",
    "ensure_registered",
    "is_available",
    "not_installed",
]

log = logging.getLogger(__name__)

_lock = threading.Lock()
"""Guards registration."""


@dataclass(frozen=True)
class Sampling:
    """How the reply is drawn: greedy (temperature 0) with a repeat penalty.

    A tiny base model drifts at any temperature: at 0.2 the two-turn "My name
    is Ada." ... "What is my name?" chat answered "Ada" 9 times in 12 (the rest
    copied "Sam" from the worked example); greedy answered "Ada" every time, and
    the same way each time. A caller can still pass ``temperature``.
    """

    max_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 0.9
    top_k: int = 40
    repeat_penalty: float = 1.15
    seed: int | None = None


def is_available() -> bool:
    """Whether the engine and the model packages are installed (nothing is imported)."""
    return is_installed()


def ensure_registered() -> None:
    """Register the ``local`` provider with litellm (idempotent, thread-safe)."""
    litellm = loader.load()  # configured quiet and offline (no price-list fetch)
    with _lock:
        if any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
            return
        litellm.custom_provider_map.append(
            {"provider": PROVIDER, "custom_handler": _handler_class()()}
        )


@dataclass(frozen=True)
class _Request:
    engine: LocalEngine
    messages: list[Mapping[str, Any]]
    stop: list[str]
    sampling: Sampling
    timeout: float


def _request(
    *,
    model: str,
    messages: list[Any],
    optional_params: Mapping[str, Any] | None = None,
    client: object = None,
    timeout: object = None,
    **_: Any,
) -> _Request:
    """Check the model name and the engine, and read the options litellm passes on."""
    name = model.removeprefix(f"{PROVIDER}/")
    if name != _MODEL_NAME:
        raise ModelError(
            "unknown_model", f"There is no offline model named {model!r}.", f"Use {LOCAL_MODEL}."
        )
    if not isinstance(client, LocalEngine):
        raise ModelError(
            "not_configured",
            "The offline model was called without its engine.",
            "Call it through LiteLLMModel(local=LocalEngine(models_dir)).",
        )
    params = optional_params or {}
    base = Sampling()
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
    temperature = params.get("temperature")
    top_p = params.get("top_p")
    sampling = Sampling(
        max_tokens=int(max_tokens) if max_tokens else base.max_tokens,
        temperature=float(temperature) if temperature is not None else base.temperature,
        top_p=float(top_p) if top_p is not None else base.top_p,
        seed=int(params["seed"]) if params.get("seed") is not None else None,
    )
    seconds = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None
    return _Request(
        client,
        list(messages),
        transcript.stop_sequences(params.get("stop")),
        sampling,
        seconds or _DEFAULT_TIMEOUT,
    )


def _generate(request: _Request, cancel: threading.Event) -> Iterator[GenericStreamingChunk]:
    """Stream the reply as litellm chunks; the last one is empty, finished and has usage."""
    from chatcli.llm.local_client import EngineClient

    process = request.engine.process()  # starts the engine if none is running
    sampling = request.sampling
    with EngineClient(process, request.timeout) as client:
        budget = process.n_ctx - sampling.max_tokens
        prompt = transcript.build_prompt(request.messages)  # chatcli fitted it to n_ctx
        prompt_tokens = client.count(prompt)
        if prompt_tokens > budget:  # the engine's tokenizer counts more than litellm's did
            raise ModelError(
                "context_window",
                f"The conversation is too long for the offline model ({prompt_tokens} "
                f"tokens of {budget}).",
                "Shorten the message, or run /compact (chatcli sessions compact ID).",
            )
        body: dict[str, Any] = {
            "prompt": prompt,
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": sampling.top_k,
            "repeat_penalty": sampling.repeat_penalty,
            "stop": request.stop,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        trim = transcript.ReplyTrimmer()
        finish_reason = "stop"
        usage: Mapping[str, Any] = {}
        for event in client.complete(body):
            if cancel.is_set():
                return  # closes the stream; the engine stops generating
            usage = event.get("usage") or usage
            for choice in event.get("choices") or ():
                piece = trim.feed(str(choice.get("text") or ""))
                if piece:
                    yield _chunk(piece)
                finish_reason = choice.get("finish_reason") or finish_reason
    completion_tokens = int(usage.get("completion_tokens") or 0)
    yield {
        **_chunk("", finished=True, reason=finish_reason),
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _chunk(text: str, *, finished: bool = False, reason: str = "") -> GenericStreamingChunk:
    return {
        "text": text,
        "is_finished": finished,
        "finish_reason": reason,
        "usage": None,
        "index": 0,
        "tool_use": None,
    }


async def _agenerate(request: _Request) -> AsyncIterator[GenericStreamingChunk]:
    """``_generate`` on a worker thread, its chunks handed to the event loop as they come."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[GenericStreamingChunk | None] = asyncio.Queue()
    cancel = threading.Event()

    def put(item: GenericStreamingChunk | None) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def produce() -> None:
        try:
            for chunk in _generate(request, cancel):
                put(chunk)
        finally:
            put(None)

    worker = loop.run_in_executor(None, produce)
    try:
        while (chunk := await queue.get()) is not None:
            yield chunk
        await worker  # re-raises what went wrong on the thread
    finally:
        cancel.set()  # a reader that stopped early stops the thread at the next token
        worker.add_done_callback(_retrieve)


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a worker's failure as seen: the reader that would have raised it is gone."""
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.debug("offline model stopped after its reader left: %r", exc)


_HTTP_STATUS = {"unknown_model": 404, "context_window": 400, "not_installed": 503}
"""How a ModelError reaches litellm, so it maps it to NotFoundError, ServiceUnavailableError..."""


def _handler_class() -> type[Any]:
    """The litellm ``CustomLLM`` subclass; built on demand so litellm loads lazily."""
    from litellm.llms.custom_llm import CustomLLM, CustomLLMError
    from litellm.types.utils import ModelResponse, Usage

    @contextlib.contextmanager
    def as_litellm_errors() -> Iterator[None]:
        try:
            yield
        except ModelError as exc:
            status = _HTTP_STATUS.get(exc.kind, 500)
            raise CustomLLMError(status, exc.sentence()) from exc  # type: ignore[no-untyped-call]

    def finish(response: ModelResponse, chunks: list[GenericStreamingChunk]) -> ModelResponse:
        last, choice = chunks[-1], response.choices[0]
        choice.message.content = "".join(chunk["text"] for chunk in chunks)
        choice.finish_reason = "length" if last["finish_reason"] == "length" else "stop"
        response.model = LOCAL_MODEL
        if (usage := last["usage"]) is not None:
            response.usage = Usage(  # type: ignore[attr-defined]
                prompt_tokens=usage["prompt_tokens"],
                completion_tokens=usage["completion_tokens"],
                total_tokens=usage["total_tokens"],
            )
        return response

    class LocalLLM(CustomLLM):
        """litellm's view of the offline model: text in, text out, no tools.

        litellm always passes keyword arguments; model, messages,
        optional_params, client (the LocalEngine), timeout and model_response
        are read.
        """

        def completion(self, *args: Any, **kwargs: Any) -> Any:
            with as_litellm_errors():
                chunks = list(_generate(_request(**kwargs), threading.Event()))
            return finish(kwargs["model_response"], chunks)

        def streaming(self, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
            with as_litellm_errors():
                yield from _generate(_request(**kwargs), threading.Event())

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            with as_litellm_errors():
                chunks = [chunk async for chunk in _agenerate(_request(**kwargs))]
            return finish(kwargs["model_response"], chunks)

        async def astreaming(  # type: ignore[override]
            self, *args: Any, **kwargs: Any
        ) -> AsyncIterator[GenericStreamingChunk]:
            with as_litellm_errors():
                async for chunk in _agenerate(_request(**kwargs)):
                    yield chunk

    return LocalLLM
