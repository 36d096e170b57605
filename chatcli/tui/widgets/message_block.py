"""MessageBlock: one message of the conversation, or the reply streaming in.

Roles look different (a coloured bar and a label), tool calls and results fold
away, state changes a tool made sit under its result, and interrupted or failed
replies carry a mark. A streaming block batches deltas and appends them to its
Markdown at most every 50 ms, so 200 tokens a second never floods the screen.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Collapsible, Static

from chatcli.session import ChatMessage, StateRecord
from chatcli.tui.support.text import one_line
from chatcli.tui.widgets.streamed_markdown import StreamedMarkdown, markdown

FLUSH_SECONDS = 0.05
"""How often a streaming reply appends what arrived."""

TITLE_CHARS = 400
"""How much of a tool call's arguments or result its folded line shows (it wraps)."""

ROLE_LABELS = {"user": "You", "assistant": "Assistant", "tool": "Tool", "system": "System"}


def short_json(value: Any, width: int = 60) -> str:
    """A value as compact one-line JSON, cut to `width`."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return one_line(text, width) if text else "—"


def tool_calls_of(message: ChatMessage) -> list[tuple[str, str]]:
    """(name, raw arguments) for each tool call an assistant message made."""
    out: list[tuple[str, str]] = []
    for call in message.tool_calls or []:
        inner = call.get("function")
        function: dict[str, Any] = inner if isinstance(inner, dict) else call
        name = str(function.get("name") or "?")
        args = function.get("arguments") or ""
        out.append((name, args if isinstance(args, str) else json.dumps(args)))
    return out


def pretty_args(raw: str) -> str:
    """Tool arguments pretty-printed when they are JSON."""
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        return raw


def state_note(record: StateRecord, *, with_author: bool = True) -> Content:
    """`facts.name: "Ann" → "Bob"  by tool:remember` for each changed path."""
    parts = [
        f"{c.path}: {short_json(c.old, 24) if c.old is not None else '∅'} → "
        f"{short_json(c.new, 32) if c.new is not None else '∅ (removed)'}"
        for c in record.changes
    ] or ["(no change)"]
    author = (f"  by {record.by}", "dim") if with_author else ""
    return Content.assemble(("state ", "bold $accent"), "; ".join(parts), author)


class MessageBlock(Vertical, can_focus=True):
    """One chat message (or the reply being streamed).

    Focusable, so a person can pick one (Alt+Up from the prompt, then Up/Down):
    Enter edits it (a message of yours), Alt+Left/Right flip between its versions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Earlier message", id="message-earlier", show=False),
        Binding("down", "move(1)", "Later message", id="message-later", show=False),
        Binding("enter", "screen.run('edit-message')", "Edit", id="message-edit", show=False),
        Binding("escape", "screen.run('focus-prompt')", "Prompt", id="message-done", show=False),
    ]

    def __init__(
        self,
        message: ChatMessage | None,
        *,
        model: str | None = None,
        states: list[StateRecord] | None = None,
        versions: tuple[int, int] | None = None,
    ) -> None:
        self.message = message
        self.versions = versions
        """`(2, 3)`: this is version 2 of 3 of its place in the tree (shown between angle quotes)."""
        self.model = model or (message.model if message else None)
        self.states = states or []
        self._pending: list[str] = []
        self._body: StreamedMarkdown | None = None
        self._flush_timer: Timer | None = None
        self._text = ""
        role = message.role if message else "assistant"
        classes = f"message -{role}"
        if message is None:
            classes += " -streaming"
        elif message.status != "complete":
            classes += f" -{message.status}"
        super().__init__(classes=classes)

    @property
    def streaming(self) -> bool:
        """Whether this block is still receiving the reply."""
        return self.message is None

    @property
    def seq(self) -> int | None:
        """The seq of the message shown (None while streaming)."""
        return self.message.seq if self.message else None

    # -- composing ---------------------------------------------------------

    def compose(self) -> ComposeResult:
        message = self.message
        yield Static(self._header(), classes="message-header")
        if message is None:
            self._body = StreamedMarkdown(classes="message-body streamed")
            yield self._body
            return
        if message.role == "tool":
            yield from self._compose_tool(message)
            return
        if message.content or message.role != "assistant" or not message.tool_calls:
            yield markdown(message.content)
        for name, args in tool_calls_of(message):
            title = f"calls {name}({short_json(args, TITLE_CHARS)})"
            with Collapsible(title=title, classes="tool-call"):
                yield Static(pretty_args(args), classes="tool-args", markup=False)
        if message.status == "error" and message.error:
            yield Static(Content(message.error), classes="message-error")

    def _compose_tool(self, message: ChatMessage) -> ComposeResult:
        name = message.name or message.tool_call_id or "tool"
        title = f"{name} → {one_line(message.content, TITLE_CHARS) or '(no output)'}"
        with Collapsible(title=title, classes="tool-result"):
            yield Static(message.content, classes="tool-output", markup=False)
        for record in self.states:
            yield Static(state_note(record), classes="state-note")

    def _header(self) -> Content:
        message = self.message
        role = message.role if message else "assistant"
        label = ROLE_LABELS.get(role, role)
        parts: list[str | tuple[str, str]] = [(label, "bold")]
        if role == "assistant" and self.model:
            parts.append((f"  {self.model}", "dim"))
        if message is None:
            parts.append(("  replying…", "italic dim"))
        elif message.status == "interrupted":
            parts.append(("  ⏸ interrupted", "bold $warning"))
        elif message.status == "error":
            parts.append(("  ✖ error", "bold $error"))
        if self.versions is not None:
            index, count = self.versions
            parts.append((f"  \u2039 {index}/{count} \u203a", "bold $accent"))
        return Content.assemble(*parts)

    def set_versions(self, versions: tuple[int, int] | None) -> None:
        """Show which version of its place in the tree this message is (None: the only one)."""
        if versions != self.versions:
            self.versions = versions
            header = next(self.query(".message-header").results(Static), None)
            if header is not None:
                header.update(self._header())

    def action_move(self, delta: int) -> None:
        """Pick the message before (-1) or after (+1) this one."""
        parent = self.parent
        if parent is None:
            return
        blocks = [b for b in parent.children if isinstance(b, MessageBlock) and b.seq]
        if self not in blocks:
            return
        index = blocks.index(self) + delta
        if 0 <= index < len(blocks):
            blocks[index].focus()
            blocks[index].scroll_visible(animate=False)

    # -- streaming -----------------------------------------------------------

    def on_mount(self) -> None:
        if self.streaming:
            self._flush_timer = self.set_interval(FLUSH_SECONDS, self._flush, pause=True)

    def feed(self, text: str) -> None:
        """Queue reply text; it is shown within FLUSH_SECONDS."""
        if text:
            self._pending.append(text)
            if self._flush_timer is not None:
                self._flush_timer.resume()

    async def _flush(self) -> None:
        if not self._pending:
            if self._flush_timer is not None:
                self._flush_timer.pause()
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._text += text
        if self._body is not None:
            await self._body.write(text)

    @property
    def streamed_text(self) -> str:
        """The reply text received so far (shown or queued)."""
        return self._text + "".join(self._pending)

    async def settle(self, message: ChatMessage) -> None:
        """The streamed reply was saved as `message`: show it as saved."""
        shown = self.streamed_text
        simple = (
            message.role == "assistant"
            and message.status == "complete"
            and not message.tool_calls
            and message.content.startswith(shown)
        )
        if simple and self._body is not None:
            self._pending.append(message.content[len(shown) :])
            await self._flush()
        await self._stop_stream()
        self.message = message
        self.remove_class("-streaming")
        if message.status != "complete":
            self.add_class(f"-{message.status}")
        headers = self.query(".message-header").results(Static)
        header = next(headers, None)
        if simple and header is not None:
            header.update(self._header())
        else:
            await self.recompose()

    async def _stop_stream(self) -> None:
        """Stop the flush timer; what was written stays on screen."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._body = None

    async def on_unmount(self) -> None:
        await self._stop_stream()
