"""StreamedMarkdown: a reply's Markdown, appended to as it streams, in bounded segments.

Appending to one Markdown widget costs more the longer its document grows (a
2,000-word reply makes every append slow), so the reply is split into several
Markdown widgets: once a segment is long, the next one starts at a paragraph
break outside any code fence or list. Each append then touches one short
segment. Put together, the segments render the same document.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical

if TYPE_CHECKING:
    from textual.widgets import Markdown

SEGMENT_CHARS = 800
"""Start a new segment at the next safe break once the current one is this long."""

_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)
_CONTINUES = re.compile(r"[ \t>|]|[-*+] |\d+[.)] ")
"""A line that may belong to the block before it (indented, quote, table, list item)."""


def markdown(text: str, classes: str = "message-body") -> Markdown:
    """A Markdown widget (Textual's Markdown and its parser load on first use)."""
    from textual.widgets import Markdown

    return Markdown(text, classes=classes)


def safe_break(text: str, start: int) -> int | None:
    """The last position >= `start` just after a blank line where a new document may begin.

    Not inside a code fence, and not before a line that could continue a list,
    quote, table or indented block.
    """
    at = len(text)
    while True:
        found = text.rfind("\n\n", start, at)
        if found < 0:
            return None
        cut = found + 2
        rest = text[cut:]
        if (
            rest
            and not rest.startswith("\n")
            and not _CONTINUES.match(rest)
            and len(_FENCE.findall(text, 0, cut)) % 2 == 0
        ):
            return cut
        at = found


class StreamedMarkdown(Vertical):
    """Markdown that grows by `write`, segment by segment."""

    DEFAULT_CSS = """
    StreamedMarkdown { height: auto; }
    """

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._text = ""
        self._segment_start = 0

    def compose(self) -> ComposeResult:
        yield markdown("", classes="message-body segment")

    @property
    def text(self) -> str:
        """Everything written so far."""
        return self._text

    @property
    def segments(self) -> int:
        """How many Markdown widgets the text is split over."""
        return len(self.children)

    async def write(self, text: str) -> None:
        """Append `text` to the document."""
        if not text:
            return
        combined = self._text + text
        if not self.is_attached:  # removed, or the app is closing: keep the text, show nothing
            self._text = combined
            return
        cut = None
        if len(combined) - self._segment_start > SEGMENT_CHARS:
            cut = safe_break(combined, max(len(self._text), self._segment_start + 1))
        current = self._current()
        if cut is None:
            await current.append(text)
        else:
            head, tail = combined[len(self._text) : cut], combined[cut:]
            if head:
                await current.append(head)
            segment = markdown("", classes="message-body segment")
            await self.mount(segment)
            self._segment_start = cut
            if tail and segment.is_attached:  # not mounted when the app began to close
                await segment.append(tail)
        self._text = combined

    def _current(self) -> Markdown:
        from textual.widgets import Markdown

        return self.query_children(Markdown).last()
