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
from pathlib import Path
from types import ModuleType

from chatcli.private_files import PrivateFileHandler

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
_log_file: Path | None = None
_handler: logging.Handler | None = None

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
            # Use the bundled price list (no fetch at import) and skip litellm's .env loading.
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ["LITELLM_MODE"] = "PRODUCTION"
            import litellm

            litellm.suppress_debug_info = True
            setattr(litellm, "set_verbose", False)  # noqa: B010 - not re-exported for mypy
            _apply_logging()
            _litellm = litellm
    return _litellm


def configure_logging(log_file: Path | None) -> None:
    """Send litellm's (and chatcli.llm's) log records to `log_file`, or drop them.

    The file is created 0600. Handlers litellm attached to stderr/stdout are
    removed and propagation is off, so nothing reaches the terminal. Safe to
    call before or after `preload()`; a later call replaces the earlier file.
    """
    global _log_file
    with _lock:
        _log_file = log_file
        _apply_logging()


def _apply_logging() -> None:
    global _handler
    if _handler is not None:
        with contextlib.suppress(OSError):  # a full disk under the old file must not stop us
            _handler.close()
    _handler = _file_handler(_log_file) if _log_file is not None else logging.NullHandler()
    _handler.addFilter(RedactKeys())
    for name in ROUTED_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if _is_terminal_or_ours(old):
                logger.removeHandler(old)
        logger.addHandler(_handler)
        logger.propagate = False
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        # litellm's DEBUG records carry whole requests; keep the file to what matters.
        logging.getLogger(name).setLevel(logging.WARNING)


def _is_terminal_or_ours(handler: logging.Handler) -> bool:
    if isinstance(handler, logging.FileHandler):
        return bool(getattr(handler, "_chatcli", False))
    if isinstance(handler, logging.NullHandler):
        return True
    return isinstance(handler, logging.StreamHandler)


def _file_handler(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = PrivateFileHandler(path)  # 0600, never through a link
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._chatcli = True  # type: ignore[attr-defined]
    return handler


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
