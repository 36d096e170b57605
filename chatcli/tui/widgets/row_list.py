"""RowList: a virtual list of fixed-height rows that renders only what is visible.

Ten rows or ten thousand cost the same to show: nothing is mounted per row and
a row is only turned into text when it scrolls into view (the Line API).
Subclasses say how a row looks by overriding `row_text`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class RowList(ScrollView, can_focus=True):
    """Rows of `row_height` lines; a highlighted row; Enter or a click selects it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", id="list-up", show=False),
        Binding("down", "cursor(1)", "Down", id="list-down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="list-page-up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="list-page-down", show=False),
        Binding("home", "jump(0)", "First", id="list-first", show=False),
        Binding("end", "jump(-1)", "Last", id="list-last", show=False),
        Binding("enter", "select", "Open", id="list-select", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"row-list--highlight", "row-list--dim"}

    DEFAULT_CSS = """
    RowList { height: 1fr; overflow-x: hidden; }
    RowList > .row-list--highlight { background: $block-cursor-blurred-background; }
    RowList:focus > .row-list--highlight {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    RowList > .row-list--dim { color: $text-muted; }
    """

    highlighted: reactive[int | None] = reactive[int | None](None, init=False)

    class _RowMessage(Message):
        """Something happened to row `index` of `row_list`."""

        def __init__(self, row_list: RowList, index: int) -> None:
            super().__init__()
            self.row_list = row_list
            self.index = index

        @property
        def control(self) -> RowList:
            return self.row_list

    class Highlighted(_RowMessage):
        """The highlighted row changed."""

    class Selected(_RowMessage):
        """A row was chosen (Enter or click)."""

    def __init__(
        self,
        *,
        row_height: int = 1,
        empty_text: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.row_height = row_height
        self.empty_text = empty_text
        self._count = 0

    # -- what subclasses provide --------------------------------------------

    def row_text(self, index: int, line: int, width: int) -> Text:
        """Line `line` of row `index`, at most `width` cells (override)."""
        return Text(str(index))

    # -- content ------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """How many rows the list holds."""
        return self._count

    def set_row_count(self, count: int, *, keep: int | None = None) -> None:
        """Hold `count` rows (their text comes from `row_text`); highlight `keep` or row 0."""
        self._count = count
        self.virtual_size = Size(self.size.width, count * self.row_height)
        target = keep if keep is not None else (0 if count else None)
        if target is not None:
            target = min(max(target, 0), count - 1) if count else None
        self.set_reactive(RowList.highlighted, target)
        if target is not None:
            self.post_message(self.Highlighted(self, target))
            self.call_after_refresh(self._scroll_to_row, target)
        self.refresh()

    def _on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self._count * self.row_height)

    # -- rendering -----------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        row_y = y + int(self.scroll_offset.y)
        index, line = divmod(row_y, self.row_height)
        if self._count == 0:
            if y == 0 and self.empty_text:
                text = Text(self.empty_text, style=self.get_component_rich_style("row-list--dim"))
                return self._strip(text, width, base)
            return Strip.blank(width, base)
        if index >= self._count:
            return Strip.blank(width, base)
        style = base
        if index == self.highlighted:
            style = base + self.get_component_rich_style("row-list--highlight")
        return self._strip(self.row_text(index, line, width), width, style)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        text = text.copy()
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = list(text.render(self.app.console))
        strip = Strip([s for s in segments if s.text != "\n"])
        strip = strip.apply_style(style) if style else strip
        return strip.crop_extend(0, width, style)

    def dim_style(self) -> Style:
        """The muted style for secondary text in a row."""
        return self.get_component_rich_style("row-list--dim", partial=True)

    # -- moving -----------------------------------------------------------------

    def validate_highlighted(self, value: int | None) -> int | None:
        if value is None or self._count == 0:
            return None
        return min(max(value, 0), self._count - 1)

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        if new is not None:
            self._scroll_to_row(new)
            self.post_message(self.Highlighted(self, new))
        self.refresh()

    def _scroll_to_row(self, index: int) -> None:
        top = index * self.row_height
        height = self.scrollable_content_region.height
        if top < self.scroll_offset.y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif top + self.row_height > self.scroll_offset.y + height:
            self.scroll_to(y=top + self.row_height - height, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        if self._count:
            current = self.highlighted if self.highlighted is not None else -delta
            self.highlighted = current + delta

    def action_page(self, direction: int) -> None:
        rows = max(1, self.scrollable_content_region.height // self.row_height)
        self.action_cursor(direction * rows)

    def action_jump(self, index: int) -> None:
        if self._count:
            self.highlighted = index if index >= 0 else self._count - 1

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Selected(self, self.highlighted))

    async def _on_click(self, event: events.Click) -> None:
        index = (event.y + int(self.scroll_offset.y)) // self.row_height
        if 0 <= index < self._count:
            self.highlighted = index
            self.post_message(self.Selected(self, index))
