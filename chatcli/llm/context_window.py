"""How many tokens a model takes, and how many a text costs it (litellm's counter).

A model's window, first match wins:

1. `CHATCLI_CONTEXT_WINDOW` (tokens), for every model, when it is set;
2. litellm's model info (`max_input_tokens`), when litellm knows the model;
3. `context_window` in `[models."NAME"]` in config.toml;
4. the offline model's engine context size (its `n_ctx`);
5. `DEFAULT_CONTEXT_WINDOW`.

Part of the window is kept for the reply (`Window.reserve`). Counting uses
`litellm.token_counter`, which works offline (litellm ships its tokenizers).
litellm loads on the first count, not at import.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatcli.llm.loader import load

if TYPE_CHECKING:
    from chatcli.llm.local_engine import LocalEngine

logger = logging.getLogger("chatcli.llm")

DEFAULT_CONTEXT_WINDOW = 8192
"""Tokens assumed for a model nothing else describes (small enough for most servers)."""

MAX_REPLY_RESERVE = 4096
"""At most this many tokens of a window are kept for the reply."""

LOCAL_TRANSCRIPT_TOKENS = 160
"""What the offline model's transcript adds around the messages (preamble, worked example)."""

MESSAGE_OVERHEAD = 4
"""Tokens a chat message costs beyond its text (role and separators; litellm counts 3-4)."""


@dataclass(frozen=True)
class Window:
    """A model's context window in tokens, and the part of it kept for the reply."""

    tokens: int
    reserve: int
    source: str
    """Where the size came from: `CHATCLI_CONTEXT_WINDOW`, `litellm`, `config`,
    `offline engine` or `default`."""

    @property
    def limit(self) -> int:
        """The most a request may hold: the window minus the reply reserve."""
        return max(1, self.tokens - self.reserve)


def reply_reserve(window: int, max_output: int | None = None) -> int:
    """Tokens kept for the reply: the model's output limit, at most a quarter of the window."""
    quarter = max(1, window // 4)
    if max_output and max_output > 0:
        return min(max_output, quarter, MAX_REPLY_RESERVE)
    return min(quarter, MAX_REPLY_RESERVE)


class ModelSizes:
    """Windows and token counts for every model one program talks to.

    Counts are cached per (model, key): a caller passes a key that names an
    unchanging text (a session id and a message seq), so a turn on a long
    session counts only what is new."""

    def __init__(
        self,
        *,
        override: int | None = None,
        configured: Mapping[str, int] | None = None,
        local: LocalEngine | None = None,
        default: int = DEFAULT_CONTEXT_WINDOW,
    ) -> None:
        self.override = override
        self.configured = dict(configured or {})
        self.local = local
        self.default = default
        self._counts: dict[tuple[str, Any], int] = {}
        self._windows: dict[str, Window] = {}
        self._lock = threading.Lock()

    def window(self, model: str) -> Window:
        """The window of `model` (see the module doc for the order)."""
        found = self._windows.get(model)
        if found is None:
            found = self._windows[model] = self._find_window(model)
        return found

    def _find_window(self, model: str) -> Window:
        local = model.startswith("local/")
        if self.override:
            return self._sized(self.override, None, "CHATCLI_CONTEXT_WINDOW", local)
        if not local:
            info = _model_info(model)
            tokens = info.get("max_input_tokens") or info.get("max_tokens")
            if isinstance(tokens, int) and tokens > 0:
                output = info.get("max_output_tokens")
                return self._sized(tokens, output if isinstance(output, int) else None, "litellm")
        configured = self.configured.get(model)
        if configured:
            return self._sized(configured, None, "config", local)
        if local and self.local is not None:
            return self._sized(self.local.n_ctx, None, "offline engine", local)
        return self._sized(self.default, None, "default", local)

    @staticmethod
    def _sized(tokens: int, output: int | None, source: str, local: bool = False) -> Window:
        if local:  # the engine's reply length, and the transcript wrapped around the messages
            from chatcli.llm.local import Sampling

            reserve = Sampling().max_tokens + LOCAL_TRANSCRIPT_TOKENS
            return Window(tokens, min(reserve, tokens // 2), source)
        return Window(tokens, reply_reserve(tokens, output), source)

    def count(self, model: str, text: str, key: Any = None) -> int:
        """Tokens of `text` for `model`; cached under `key` when one is given."""
        if key is not None:
            cached = self._counts.get((model, key))
            if cached is not None:
                return cached
        tokens = _token_count(model, text) if text else 0
        if key is not None:
            with self._lock:
                self._counts[(model, key)] = tokens
        return tokens

    def count_message(self, model: str, message: Mapping[str, Any], key: Any = None) -> int:
        """Tokens of one OpenAI-style message: its text, tool calls and the overhead."""
        if key is not None:
            cached = self._counts.get((model, key))
            if cached is not None:
                return cached
        text = str(message.get("content") or "")
        if message.get("tool_calls"):
            text += json.dumps(message["tool_calls"], ensure_ascii=False)
        tokens = self.count(model, text) + MESSAGE_OVERHEAD + (1 if message.get("name") else 0)
        if key is not None:
            with self._lock:
                self._counts[(model, key)] = tokens
        return tokens


def _model_info(model: str) -> dict[str, Any]:
    """litellm's model info, or {} when it does not know the model."""
    litellm = load()
    try:
        info: Any = litellm.get_model_info(model)
    except Exception:  # litellm raises a bare Exception for a model it does not map
        logger.debug("litellm has no model info for %s", model, exc_info=True)
        return {}
    return dict(info) if isinstance(info, Mapping) else {}


def _token_count(model: str, text: str) -> int:
    litellm = load()
    try:
        return int(litellm.token_counter(model=model, text=text))
    except Exception:  # a tokenizer litellm cannot load: a cautious estimate, logged
        logger.warning("token_counter failed for %s; estimating", model, exc_info=True)
        return len(text.encode()) // 3 + 1
