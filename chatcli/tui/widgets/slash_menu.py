"""SlashMenu: the slash commands that fit what is typed, shown above the prompt."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from chatcli.tui.commands.registry import Command


class SlashMenu(Static):
    """One line per matching command; the picked one is highlighted. Hidden when empty."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-empty")
        self.commands: tuple[Command, ...] = ()
        self.pick = 0

    def show(self, commands: Sequence[Command], pick: int) -> None:
        """Show `commands` with `pick` highlighted (none: hide the menu)."""
        self.commands, self.pick = tuple(commands), pick
        lines: list[Content] = []
        for n, command in enumerate(self.commands):
            style = "reverse" if n == pick else ""
            lines.append(
                Content.assemble(
                    (f" {command.usage:<22}", f"bold {style}".strip()),
                    (f" {command.help} ", f"dim {style}".strip()),
                )
            )
        self.update(Content("\n").join(lines))
        self.set_class(not self.commands, "-empty")
