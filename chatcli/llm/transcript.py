"""Chat messages as a plain transcript, for a base (not instruction-tuned) model.

A base model has no chat template: it continues text. So the conversation is
written as a transcript that ends with ``Assistant:`` and the model writes the
next line. The system prompt is folded into a short preamble; tool messages and
tool-call-only turns are skipped, since the local model cannot use tools.
Pure: no I/O and no heavy imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

USER = "User"
ASSISTANT = "Assistant"

PREAMBLE = (
    "A chat between a User and a helpful AI Assistant. The Assistant remembers what "
    "the User tells it and answers in one or two short, true sentences."
)
"""The opening line of every transcript; the system prompt follows it."""

EXAMPLE = f"""(Example chat)
{USER}: Hi, my name is Sam and I live in Oslo.
{ASSISTANT}: Hi Sam, nice to meet you!
{USER}: What is my name?
{ASSISTANT}: Your name is Sam.
{USER}: Where do I live?
{ASSISTANT}: You live in Oslo.

(New chat with a different {USER})"""
"""A worked exchange before the real one: without it the base model answers
"What is my name?" with "My name is ...". Marked as a different chat so its
facts do not leak into the real one."""

STOP_SEQUENCES: tuple[str, ...] = (f"\n{USER}", f"{USER}:", f"\n{ASSISTANT}:", "\n\n\n", "\n\n(")
"""Where a reply ends: the model starting the next turn or a new chat, or running dry."""


@dataclass(frozen=True)
class Turn:
    """One line of the transcript: who speaks, and what they say."""

    speaker: str
    text: str


def content_text(content: object) -> str:
    """The text of an OpenAI-style ``content``: a string or a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        texts = [
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type", "text") == "text"
        ]
        return "\n".join(t for t in texts if t)
    return str(content)


def split_messages(messages: Iterable[Mapping[str, Any]]) -> tuple[str, list[Turn]]:
    """Split messages into the system text and the user/assistant turns.

    System messages are joined in order; tool results and assistant messages
    with no text (tool calls only) are dropped; other roles are ignored.
    """
    system: list[str] = []
    turns: list[Turn] = []
    for message in messages:
        role = message.get("role")
        text = content_text(message.get("content")).strip()
        if not text:
            continue
        if role in ("system", "developer"):
            system.append(text)
        elif role == "user":
            turns.append(Turn(USER, text))
        elif role == "assistant":
            turns.append(Turn(ASSISTANT, text))
    return "\n".join(system), turns


def render(
    system: str, turns: Sequence[Turn], preamble: str = PREAMBLE, example: str = EXAMPLE
) -> str:
    """The transcript text: preamble, system text, example, turns, then ``Assistant:``."""
    head = "\n".join(part.strip() for part in (preamble, system) if part.strip())
    lines = [head, ""]
    if example.strip():
        lines += [example.strip(), ""]
    lines += [f"{turn.speaker}: {_one_block(turn.text)}" for turn in turns]
    lines.append(f"{ASSISTANT}:")
    return "\n".join(lines)


def build_prompt(
    messages: Iterable[Mapping[str, Any]],
    *,
    preamble: str = PREAMBLE,
    example: str = EXAMPLE,
) -> str:
    """The transcript prompt for ``messages``: every turn of them.

    Nothing is dropped here: chatcli fits the messages to the engine's context
    window before the call (chatcli.chat.budget), as for every other model.
    """
    system, turns = split_messages(messages)
    return render(system, turns, preamble, example)


def stop_sequences(extra: str | Sequence[str] | None = None) -> list[str]:
    """The transcript's stop sequences plus any the caller asked for."""
    stops = list(STOP_SEQUENCES)
    if isinstance(extra, str):
        extra = [extra]
    for stop in extra or ():
        if stop and stop not in stops:
            stops.append(stop)
    return stops


def _one_block(text: str) -> str:
    """Text that cannot fake a turn: blank-line runs collapsed, speaker tags escaped."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if not line and kept and not kept[-1]:
            continue
        if line.startswith((f"{USER}:", f"{ASSISTANT}:")):
            line = " " + line
        kept.append(line)
    return "\n".join(kept)


class ReplyTrimmer:
    """Trims a reply as it streams: no leading whitespace, no trailing whitespace.

    ``feed`` returns the text that is safe to show now; whitespace at the end
    is held back until more text follows it, and dropped if none does.
    """

    def __init__(self) -> None:
        self._started = False
        self._held = ""

    def feed(self, piece: str) -> str:
        """The part of ``piece`` (with anything held back) to show now."""
        if not self._started:
            piece = piece.lstrip()
            if not piece:
                return ""
            self._started = True
        text = self._held + piece
        shown = text.rstrip()
        self._held = text[len(shown) :]
        return shown
