"""Turning litellm, openai and httpx failures into one plain `ModelError`.

litellm wraps transport failures in status-code classes (a refused connection
arrives as InternalServerError, a cut stream as MidStreamFallbackError), so
the cause chain is read first and the litellm class second.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chatcli.errors import ModelError
from chatcli.llm.loader import redact
from chatcli.llm.providers import key_env_var, provider_of

logger = logging.getLogger("chatcli.llm")

Words = tuple[str, str, str]  # kind, message, hint


def missing_key(model: str, var: str) -> ModelError:
    """The error for a provider whose key variable is not set."""
    return ModelError(*_missing_key_words(model, var))


def _missing_key_words(model: str, var: str) -> Words:
    provider = provider_of(model) or "this provider"
    return (
        "missing_key",
        f"No API key for {provider}: {var} is not set.",
        f"Set {var} in your environment and try again.",
    )


@dataclass(frozen=True)
class CallInfo:
    """What the failed call was, for the words of its error."""

    model: str
    api_base: str | None
    api_key: str | None = field(repr=False)
    """The key the caller configured (None: the provider's variable, if set, was used)."""
    timeout: float
    env_key: str | None = field(default=None, repr=False)
    """The key taken from the provider's variable in the injected environment."""

    @property
    def where(self) -> str:
        return self.api_base or f"the {provider_of(self.model) or 'model'} API"


def to_model_error(exc: BaseException, call: CallInfo) -> ModelError:
    """Map a failed call to a ModelError, logging the details (never the key)."""
    for cause in _causes(exc):
        if isinstance(cause, ModelError):  # raised by our own code under litellm
            return cause
    kind, message, hint = _describe(exc, call)
    detail = f"{type(exc).__name__}: {exc}"
    for key in (call.api_key, call.env_key):
        if key:
            detail = detail.replace(key, "***")
    logger.warning("model call failed (%s) model=%s: %s", kind, call.model, redact(detail))
    return ModelError(kind, message, hint)


def unexpected_error(exc: Exception, call: CallInfo) -> ModelError:
    """A failure no mapping knows: logged with its traceback, named by type."""
    logger.error("unexpected model failure model=%s", call.model, exc_info=exc)
    return ModelError(
        "unknown",
        f"The model call failed with {type(exc).__name__}.",
        "See the log file for details.",
    )


def _describe(exc: BaseException, call: CallInfo) -> Words:
    chain = list(_causes(exc))
    return (
        _transport_failure(chain, call)
        or _refusal(exc, chain, call)
        or ("unknown", f"The model call failed with {type(exc).__name__}.", "See the log file.")
    )


def _transport_failure(chain: list[BaseException], call: CallInfo) -> Words | None:
    """Failures of the connection itself (litellm files these under status codes)."""
    import httpx
    import openai
    from litellm import exceptions as lx

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    where = call.where
    missing = next((e for e in chain if isinstance(e, ImportError)), None)
    if missing is not None:
        name = missing.name or "a package"
        return (
            "not_installed",
            f"litellm needs the Python package {name}, which is not installed.",
            f"Install it with: pip install {name}",
        )
    if has(json.JSONDecodeError):
        return (
            "malformed",
            f"{where} sent a reply chatcli could not read (bad JSON in the stream).",
            "Check that the server speaks the OpenAI chat API.",
        )
    if has(httpx.TimeoutException, openai.APITimeoutError, lx.Timeout, TimeoutError):
        return (
            "timeout",
            f"{where} sent nothing for {call.timeout:g} seconds, so chatcli gave up.",
            "Try again, or raise the timeout.",
        )
    if has(httpx.ConnectError, ConnectionRefusedError, httpx.UnsupportedProtocol, httpx.InvalidURL):
        return (
            "connection",
            f"Could not connect to {where}.",
            "Check that the server is running and the address is right.",
        )
    if has(httpx.ReadError, httpx.RemoteProtocolError, lx.MidStreamFallbackError):
        return (
            "stream_cut",
            "The reply was cut off before it finished.",
            "Try again; the connection to the model dropped mid-reply.",
        )
    return None


def _refusal(exc: BaseException, chain: list[BaseException], call: CallInfo) -> Words | None:
    """The provider (or litellm) answered, and the answer was no."""
    import openai
    from litellm import exceptions as lx

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    model, where, var = call.model, call.where, key_env_var(call.model)
    no_key = call.api_key is None and not call.env_key
    if _is_missing_credentials(chain, openai.OpenAIError, openai.APIError) or (
        has(lx.AuthenticationError) and no_key
    ):
        if var:
            return _missing_key_words(model, var)
        return (
            "missing_key",
            f"No API key was given for {model!r}.",
            "Set the provider's API key in your environment and try again.",
        )
    if has(lx.AuthenticationError, lx.PermissionDeniedError):
        check = f"Check {var}" if var and call.api_key is None else "Check the API key"
        return ("auth", f"{where} rejected the API key.", f"{check} and try again.")
    if has(lx.BadRequestError) and "LLM Provider NOT provided" in str(exc):
        return (
            "unknown_model",
            f"litellm knows no provider for the model {model!r}.",
            "Write the model as provider/model, for example openai/gpt-4o-mini.",
        )
    if has(lx.NotFoundError):
        return (
            "unknown_model",
            f"{where} has no model {model!r}.",
            "Check the model name and the provider prefix, for example openai/gpt-4o-mini.",
        )
    if has(lx.RateLimitError):
        seconds = retry_after(chain)
        wait = f"Wait {seconds} seconds (Retry-After)" if seconds is not None else "Wait a moment"
        return ("rate_limit", f"{where} is rate-limiting requests.", f"{wait} and try again.")
    if has(lx.ContextWindowExceededError):
        return (
            "context_window",
            f"The conversation is too long for {model!r}.",
            "Start a new session or restore an earlier checkpoint.",
        )
    status = _status(chain)
    if status is not None and status >= 500:
        return ("server", f"{where} had an internal error (HTTP {status}).", "Try again later.")
    if has(lx.BadRequestError):
        return (
            "bad_request",
            f"{where} refused the request as malformed.",
            "See the log file for the details it gave.",
        )
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what litellm wrapped, and its causes, each once."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (getattr(e, "original_exception", None), e.__cause__, e.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _is_missing_credentials(
    chain: list[BaseException], base: type[BaseException], api_error: type[BaseException]
) -> bool:
    # The openai client raises a bare OpenAIError (no HTTP status) when no key is found.
    return any(
        isinstance(e, base) and not isinstance(e, api_error) and "api_key" in str(e) for e in chain
    )


def _status(chain: list[BaseException]) -> int | None:
    for e in chain:
        response = getattr(e, "response", None)
        code = getattr(response, "status_code", None) or getattr(e, "status_code", None)
        if isinstance(code, int):
            return code
        if isinstance(code, str) and code.isdigit():
            return int(code)
    return None


def retry_after(chain: list[BaseException]) -> int | None:
    """Whole seconds from a Retry-After (or retry-after-ms) header in the chain."""
    for e in chain:
        for headers in _headers_of(e):
            ms = headers.get("retry-after-ms")
            if ms is not None:
                try:
                    return max(0, math.ceil(float(ms) / 1000))
                except ValueError:
                    pass
            value = headers.get("retry-after")
            if value is not None:
                return _parse_retry_after(str(value))
    return None


def _headers_of(e: BaseException) -> Iterator[Any]:
    response = getattr(e, "response", None)
    for headers in (
        getattr(e, "litellm_response_headers", None),
        getattr(e, "headers", None),
        getattr(response, "headers", None),
    ):
        if headers is not None and hasattr(headers, "get"):
            if isinstance(headers, dict):  # plain dicts are case-sensitive
                headers = {str(k).lower(): v for k, v in headers.items()}
            yield headers


def _parse_retry_after(value: str) -> int | None:
    try:
        return max(0, math.ceil(float(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, math.ceil(when.timestamp() - time.time()))
