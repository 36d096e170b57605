"""The model layer: the only part of chatcli that imports litellm, and only lazily.

Callers use the small `ChatModel` protocol; `LiteLLMModel` implements it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from chatcli.errors import ModelError
from chatcli.llm.events import ModelEvent, StreamEnd, TextDelta, ToolCall, Usage
from chatcli.llm.litellm_model import LiteLLMModel
from chatcli.llm.loader import configure_logging, is_loaded, preload
from chatcli.llm.providers import default_model_for_env, key_env_var


class ChatModel(Protocol):
    """Something that streams a chat reply."""

    def stream(
        self,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[ModelEvent]:
        """Yield TextDelta as tokens arrive, then exactly one StreamEnd.

        Implemented as an ``async def`` generator; raises ModelError on failure.
        """
        ...


__all__ = [
    "ChatModel",
    "LiteLLMModel",
    "ModelError",
    "ModelEvent",
    "StreamEnd",
    "TextDelta",
    "ToolCall",
    "Usage",
    "configure_logging",
    "default_model_for_env",
    "is_loaded",
    "key_env_var",
    "preload",
]
