"""The test server's context window and summariser (see tests/model_server.py).

- A request whose messages pass the server's `context_window` (counted with
  litellm's token_counter, as a provider would with its tokenizer) is refused
  with OpenAI's 400 "maximum context length" error.
- A request for a summary (chatcli's summary prompt: chatcli.chat.compaction)
  is answered by a small extractive summariser, never by the script: the first
  words of each user line, after the words of the summary so far. The next
  `fail_summaries` such requests get HTTP 500 instead.
"""

from __future__ import annotations

import re
from typing import Any

SUMMARY_MARK = "You write the running summary"
SUMMARY_WORDS = 60
_LINE = re.compile(r"^User \(#\d+\): (?P<text>.+)$", re.M)


def request_tokens(body: dict[str, Any]) -> int:
    """The request's tokens as litellm counts them (messages and tool definitions)."""
    import litellm

    return int(
        litellm.token_counter(
            model=str(body.get("model") or "gpt-4o"),
            messages=body.get("messages") or [],
            tools=body.get("tools") or None,
        )
    )


def too_long_message(window: int, tokens: int) -> str:
    """OpenAI's words for a request over the window (litellm maps them to its error)."""
    return (
        f"This model's maximum context length is {window} tokens. However, your messages "
        f"resulted in {tokens} tokens. Please reduce the length of the messages."
    )


def is_summary_request(body: dict[str, Any]) -> bool:
    """Whether this is chatcli asking for a summary of older messages."""
    messages = body.get("messages") or []
    first = messages[0] if messages else {}
    return first.get("role") == "system" and str(first.get("content", "")).startswith(SUMMARY_MARK)


def summarise(body: dict[str, Any]) -> str:
    """A short summary: the summary so far, then the first words of each user line."""
    text = str((body.get("messages") or [{}])[-1].get("content") or "")
    earlier = ""
    if text.startswith("Summary so far:\n"):
        earlier = text.split("\n", 1)[1].split("\n\nThe conversation continues:", 1)[0]
        if earlier.strip() == "(none yet)":
            earlier = ""
    words = earlier.removeprefix("Summary:").split()
    for found in _LINE.finditer(text):
        words += found["text"].split()[:6]
    return "Summary: " + " ".join(words[-SUMMARY_WORDS:])
