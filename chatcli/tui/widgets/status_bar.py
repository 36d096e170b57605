"""StatusBar: model, agent, tokens and cost, the session file, and who else is writing."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from chatcli.chat.tally import NO_USAGE
from chatcli.chat.turn_state import TurnPhase, TurnState
from chatcli.llm.events import Usage


@dataclass(frozen=True)
class StatusLine:
    """Everything the status bar says."""

    model: str | None = None
    caution: str | None = None
    """What to know about the model (the tiny offline one): marks it, and is its tooltip."""
    agent: str | None = None
    usage: Usage = NO_USAGE
    location: str | None = None
    """The session's file (None until the first message creates it)."""
    shared: bool = False
    """Another window wrote to this session recently."""
    busy: str = ""
    """What is happening now (`replying`, `running remember`), or empty."""
    context: tuple[str, float] | None = None
    """How full the model's context is (`ctx 1.2k/8.2k`, and the share used), once known."""


def busy_text(turn: TurnState) -> str:
    """What the status bar says a turn is doing: `openai/x is replying… Esc stops`."""
    if turn.phase is TurnPhase.REPLYING:
        return f"{turn.model or 'the model'} is replying… Esc stops"
    if turn.phase is TurnPhase.TOOL:
        return f"running {turn.tool}…"
    return ""


def tokens_text(usage: Usage) -> str:
    """`1.2k tok · $0.0031`."""
    count = usage.total_tokens
    tokens = f"{count / 1000:.1f}k" if count >= 1000 else str(count)
    cost = f" · ${usage.cost:.4f}" if usage.cost is not None else ""
    return f"{tokens} tok{cost}"


class StatusBar(Static):
    """One line at the bottom of the chat screen."""

    status: reactive[StatusLine] = reactive(StatusLine, layout=False)

    def render(self) -> Content:
        status = self.status
        model = status.model or "no model"
        parts: list[str | tuple[str, str]] = [
            (f" ⚠ {model} ", "bold reverse $warning")
            if status.caution
            else (f" {model} ", "bold reverse"),
            " ",
        ]
        if status.agent:
            parts += [("agent ", "dim"), status.agent, "  "]
        parts += [tokens_text(status.usage), "  "]
        if status.context is not None:
            text, share = status.context
            style = "bold $error" if share >= 0.9 else "$warning" if share >= 0.7 else "dim"
            parts += [(text, style), "  "]
        if status.busy:
            parts += [(status.busy, "italic $accent"), "  "]
        if status.shared:
            parts += [("⇄ another window is writing", "bold $warning"), "  "]
        parts.append((status.location or "new session (saved on first message)", "dim"))
        return Content.assemble(*parts)

    def watch_status(self, status: StatusLine) -> None:
        self.tooltip = status.caution
        self.set_class(status.shared, "-shared")
        self.set_class(bool(status.busy), "-busy")
