"""HitRows: search hits as a virtual list, two lines each.

Line 1: the session's title, when the message was written, whose it was, and a
mark when it is not on the session's active view (rolled back). Line 2: the
snippet, with the words that matched highlighted.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from chatcli.store.search_results import Hit
from chatcli.tui.support.clock import Clock, clock_time, system_clock
from chatcli.tui.widgets.row_list import RowList

ROLES = {"user": "you", "assistant": "assistant", "tool": "tool", "system": "system"}
OFF_BRANCH = "↶ rolled back"


class HitRows(RowList):
    """The hits of a search, best first."""

    COMPONENT_CLASSES = {*RowList.COMPONENT_CLASSES, "hit-rows--match", "hit-rows--off"}

    DEFAULT_CSS = """
    HitRows > .hit-rows--match { text-style: bold reverse; }
    HitRows > .hit-rows--off { color: $warning; }
    """

    def __init__(
        self,
        *,
        clock: Clock = system_clock,
        empty_text: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(row_height=2, empty_text=empty_text, name=name, id=id, classes=classes)
        self.clock = clock
        self.hits: Sequence[Hit] = ()

    def show(self, hits: Sequence[Hit]) -> None:
        """Show these hits, the first one highlighted."""
        self.hits = hits
        self.set_row_count(len(hits))

    @property
    def highlighted_hit(self) -> Hit | None:
        """The hit under the cursor."""
        index = self.highlighted
        return self.hits[index] if index is not None and index < len(self.hits) else None

    def row_text(self, index: int, line: int, width: int) -> Text:
        hit = self.hits[index]
        if line == 0:
            when = clock_time(hit.ts, self.clock())
            text = Text.assemble(
                (hit.title or hit.session, "bold"),
                (f"  {when} · {ROLES.get(hit.role, hit.role)} · #{hit.seq}", self.dim_style()),
            )
            if not hit.active:
                off = self.get_component_rich_style("hit-rows--off", partial=True)
                text.append(f"  {OFF_BRANCH}", style=off)
            return text
        return snippet_text(hit, self.get_component_rich_style("hit-rows--match", partial=True))


def snippet_text(hit: Hit, match_style: object, indent: str = "    ") -> Text:
    """The hit's snippet with its matched words in `match_style`."""
    text = Text(indent + hit.snippet)
    for start, end in hit.highlights:
        text.stylize(match_style, len(indent) + start, len(indent) + end)  # type: ignore[arg-type]
    return text
