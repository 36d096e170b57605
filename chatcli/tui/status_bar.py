"""StatusBar: model, agent, tokens and cost, the session file, and who else is writing."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from chatcli.tui.history import Usage


@dataclass(frozen=True)
class Status:
    """Everything the status bar says."""

    model: str | None = None
    agent: str | None = None
    usage: Usage = field(default_factory=Usage)
    location: str | None = None
    """The session's file (None until the first message creates it)."""
    shared: bool = False
    """Another window wrote to this session recently."""
    busy: str = ""
    """What is happening now (`replying`, `running remember`), or empty."""


def tokens_text(usage: Usage) -> str:
    """`1.2k tok · $0.0031`."""
    count = usage.tokens
    tokens = f"{count / 1000:.1f}k" if count >= 1000 else str(count)
    cost = f" · ${usage.cost:.4f}" if usage.cost is not None else ""
    return f"{tokens} tok{cost}"


class StatusBar(Static):
    """One line at the bottom of the chat screen."""

    status: reactive[Status] = reactive(Status, layout=False)

    def render(self) -> Content:
        status = self.status
        parts: list[str | tuple[str, str]] = [
            (f" {status.model or 'no model'} ", "bold reverse"),
            " ",
        ]
        if status.agent:
            parts += [("agent ", "dim"), status.agent, "  "]
        parts += [tokens_text(status.usage), "  "]
        if status.busy:
            parts += [(status.busy, "italic $accent"), "  "]
        if status.shared:
            parts += [("⇄ another window is writing", "bold $warning"), "  "]
        parts.append((status.location or "new session (saved on first message)", "dim"))
        return Content.assemble(*parts)

    def watch_status(self, status: Status) -> None:
        self.set_class(status.shared, "-shared")
        self.set_class(bool(status.busy), "-busy")
