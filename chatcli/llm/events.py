"""What a model stream yields: plain frozen records, independent of litellm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply's text, in the order it arrived."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for, assembled from the streamed deltas."""

    id: str
    name: str
    arguments: str  # the raw JSON string as streamed; may be invalid JSON


@dataclass(frozen=True)
class Usage:
    """Token counts for one model call, and its price in USD when litellm knows it."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: float | None


@dataclass(frozen=True)
class StreamEnd:
    """The last event of every successful stream."""

    tool_calls: tuple[ToolCall, ...]
    usage: Usage | None
    finish_reason: str | None


ModelEvent: TypeAlias = TextDelta | StreamEnd
