"""Loading litellm lazily, quietly and offline, and routing its logs to a file.

litellm takes about two seconds to import, so nothing imports it at module
import time: `preload()` does, once, from any thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from types import ModuleType

# litellm's own loggers plus the HTTP stack under it; none may reach a terminal.
ROUTED_LOGGERS = (
    "LiteLLM",
    "LiteLLM Router",
    "LiteLLM Proxy",
    "litellm",
    "openai",
    "httpx",
    "httpcore",
    "chatcli.llm",
)

_lock = threading.Lock()
_litellm: ModuleType | None = None
_handler: logging.Handler | None = None
"""The handler the wiring handed in (None: records are dropped)."""
_DROP = logging.NullHandler()

logging.getLogger("chatcli.llm").addHandler(logging.NullHandler())


def is_loaded() -> bool:
    """Whether litellm has been imported by `preload()`."""
    return _litellm is not None


def preload() -> None:
    """Import and set up litellm. Idempotent and safe to call from a worker thread."""
    load()


def load() -> ModuleType:
    """The litellm module, importing it (offline, without .env loading) on first use."""
    global _litellm
    if _litellm is not None:
        return _litellm
    with _lock:
        if _litellm is None:
            with _import_environment():
                import litellm

            litellm.suppress_debug_info = True
            setattr(litellm, "set_verbose", False)  # noqa: B010 - not re-exported for mypy
            _apply_logging()
            _litellm = litellm
    return _litellm


@contextlib.contextmanager
def _import_environment() -> Iterator[None]:
    """What litellm reads from the environment while it imports, and only then: the
    bundled price list (no fetch; a value the person set wins) and no `.env` loading.

    litellm takes these only as environment variables, so they are set for the
    import and put back after it: the process's environment is left as it was."""
    wanted = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_MODE": "PRODUCTION"}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ["LITELLM_MODE"] = wanted["LITELLM_MODE"]
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", wanted["LITELLM_LOCAL_MODEL_COST_MAP"])
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def configure_logging(handler: logging.Handler | None) -> None:
    """Send litellm's (and chatcli.llm's) log records to `handler`, or drop them (None).

    The wiring hands in chatcli's own log handler (`private_files.log_handler`),
    so there is one log file; a filter redacts anything shaped like a key.
    Handlers litellm attached to stderr/stdout are removed and propagation is
    off, so nothing reaches the terminal. Safe to call before or after
    `preload()`; a later call replaces the earlier handler (its owner closes it).
    """
    global _handler
    with _lock:
        _handler = handler
        _apply_logging()


def _apply_logging() -> None:
    handler = _handler if _handler is not None else _DROP
    handler.addFilter(_REDACT)  # once: a filter already there is not added again
    handler._chatcli_log = True  # type: ignore[attr-defined]
    for name in ROUTED_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if _is_terminal_or_ours(old):
                logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        # litellm's DEBUG records carry whole requests; keep the file to what matters.
        logging.getLogger(name).setLevel(logging.WARNING)


def _is_terminal_or_ours(handler: logging.Handler) -> bool:
    if getattr(handler, "_chatcli_log", False):
        return True
    if isinstance(handler, logging.FileHandler):
        return False  # someone else's file: left alone
    return isinstance(handler, (logging.NullHandler, logging.StreamHandler))


_SECRET = re.compile(
    r"(?i)(bearer\s+|api[_-]?key['\"]?\s*[:=]\s*['\"]?|x-api-key['\"]?\s*[:=]\s*['\"]?)"
    r"[^\s'\",}]+"
    r"|\b(?:sk|gsk|xai|pk)-[A-Za-z0-9_\-]{8,}|\bAIza[0-9A-Za-z_\-]{20,}"
)


def redact(text: str) -> str:
    """Text with anything shaped like an API key replaced by ``***``."""
    return _SECRET.sub(lambda m: (m.group(1) or "") + "***", text)


class RedactKeys(logging.Filter):
    """Rewrites each record's message so no API key reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_REDACT = RedactKeys()
