"""Conversation: the history pane, showing the active view of a session.

Only the last PAGE messages are mounted; older ones are mounted a page at a
time when the reader scrolls to the top, so a 10,000-message session opens as
fast as a short one. `show(head)` brings the pane in line with a message chain
(after a turn, a restore, or lines another window wrote): the messages both
chains share stay mounted, the rest is replaced. `show_at(head, seq)` (a search
hit) mounts a window of messages around one, however far back, and scrolls to
it; later ones load as the reader scrolls down, and any change of the view
goes back to showing the newest messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from textual.containers import VerticalScroll
from textual.widget import Widget

from chatcli.chat.branch_actions import Siblings as Versions
from chatcli.session import ChatMessage, StateRecord
from chatcli.session.chain import RestoreInfo, chain_slice, depth
from chatcli.session.records import CompactionRecord
from chatcli.session.replay import Node, common_depth
from chatcli.tui.widgets.compaction_marker import CompactionMarker
from chatcli.tui.widgets.message_block import MessageBlock
from chatcli.tui.widgets.notes import (
    EarlierMarker,
    ErrorNote,
    LaterMarker,
    RestoreNote,
    WelcomeNote,
)

FIRST = 8
"""Messages mounted before a resumed conversation is first shown (more than a screenful)."""
PAGE = 40
"""Messages kept mounted behind those, filled in after the first paint, and per page
when scrolling back to the top."""
FILL = 8
"""Messages mounted per step while filling in, so keys are never kept waiting long."""
FILL_AFTER = 0.05
"""Seconds after a conversation is painted before filling in begins (layout comes first)."""
AROUND = (6, 14)
"""Messages mounted before and after the one `show_at` shows."""


class Conversation(VerticalScroll):
    """The messages of the active view, a streaming reply, and notes."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._head: Node | None = None
        self._start = 0
        self._end: int | None = None
        """Where the mounted window ends, when it stops short of the head (`show_at`)."""
        self._blocks: list[MessageBlock] = []
        self._streaming: MessageBlock | None = None
        self._notes: list[Widget] = []
        self._lock = asyncio.Lock()
        self._paging = False
        self.states: Mapping[int, list[StateRecord]] = {}
        self.compaction: CompactionRecord | None = None
        """The compaction in force: its marker follows the last message it covers."""
        self._marker: CompactionMarker | None = None
        self.versions: Mapping[int, Versions] = {}
        """Messages that have other versions (edits, regenerations): index/count in the header."""
        self.model: str | None = None
        self.restore_key = "ctrl+r"

    def compose(self) -> list[Widget]:
        return [EarlierMarker(0), WelcomeNote(), LaterMarker(0)]

    # -- reading ---------------------------------------------------------------

    @property
    def blocks(self) -> list[MessageBlock]:
        """The mounted message blocks, oldest first."""
        return list(self._blocks)

    @property
    def streaming(self) -> MessageBlock | None:
        """The reply being streamed, if any."""
        return self._streaming

    def _versions(self, seq: int) -> tuple[int, int] | None:
        known = self.versions.get(seq)
        return (known.index, known.count) if known is not None else None

    # -- syncing with the view ----------------------------------------------------

    def on_mount(self) -> None:
        self.anchor()

    async def show(
        self, head: Node | None, restore: RestoreInfo | None = None, *, jump: bool = False
    ) -> None:
        """Show the chain ending at `head` (and a restore note); `jump` scrolls to the end."""
        async with self._lock:
            await self._show(head)
            await self._set_restore_note(restore)
        if jump:
            self.anchor()

    async def _show(self, head: Node | None) -> None:
        if self._end is not None:  # a window around a search hit
            if head is self._head:
                return
            await self._reset(0)  # the view changed: back to its newest messages
            self.anchor()
        shared = common_depth(self._head, head) if self._head is not None else 0
        new_depth = depth(head)
        if shared < self._start or new_depth - shared > FIRST:
            await self._reset(max(0, new_depth - FIRST))
            shared = self._start
            if self._start > 0:  # once the newest messages are on the terminal
                self.call_after_refresh(self.set_timer, FILL_AFTER, self._fill)
        else:
            stale = self._blocks[shared - self._start :]
            if stale:
                del self._blocks[shared - self._start :]
                await self.remove_children(stale)
        fresh = chain_slice(head, shared, new_depth)
        if fresh:
            await self._clear_notes()
        await self._append_all(fresh)
        self._head = head
        self._update_marker()
        await self._place_compaction()
        for block in self._blocks:  # another version may have been added since it was shown
            if block.seq is not None:
                block.set_versions(self._versions(block.seq))

    async def _append_all(self, messages: list[ChatMessage]) -> None:
        """Append messages; saved ones are mounted in one batch (one layout pass)."""
        batch: list[MessageBlock] = []
        for message in messages:
            stream = self._streaming
            if stream is not None and message.role == "assistant":
                await self._mount_batch(batch)
                batch = []
                self._streaming = None
                await stream.settle(message)
                self._blocks.append(stream)
                continue
            block = MessageBlock(
                message,
                model=self.model,
                states=self.states.get(message.seq),
                versions=self._versions(message.seq),
            )
            self._blocks.append(block)
            batch.append(block)
        await self._mount_batch(batch)

    async def _mount_batch(self, blocks: list[MessageBlock]) -> None:
        if blocks:
            await self.mount_all(blocks, before=self._anchor_after())

    async def _fill(self) -> None:
        """After the first paint, mount earlier messages a few at a time, up to PAGE."""
        if self._end is not None:  # a window around a search hit came first: it pages itself
            return
        if self._start > 0 and len(self._blocks) < PAGE and not self._paging:
            self._paging = True
            await self.load_earlier(min(FILL, PAGE - len(self._blocks)), filling=True)
            if self._start > 0 and len(self._blocks) < PAGE:
                self.call_after_refresh(self._fill)

    def _anchor_after(self) -> Widget | None:
        if self._streaming is not None:
            return self._streaming
        return self._notes[0] if self._notes else self.query_one(LaterMarker)

    async def _reset(self, start: int) -> None:
        stale: list[Widget] = [*self._blocks, *self._notes]
        if self._streaming is not None:
            stale.append(self._streaming)
        self._blocks, self._notes, self._streaming = [], [], None
        self._head, self._start, self._end = None, start, None
        if stale:
            await self.remove_children(stale)

    async def clear(self) -> None:
        """Show nothing (a new, empty session)."""
        async with self._lock:
            await self._reset(0)
            self._update_marker()
            self.compaction = None
            await self._place_compaction()

    def _update_marker(self) -> None:
        self.query_one(EarlierMarker).set_hidden(self._start)
        later = 0 if self._end is None else depth(self._head) - self._end
        self.query_one(LaterMarker).set_hidden(later)
        self.query_one(WelcomeNote).display = self._head is None and not self._streaming

    async def _place_compaction(self) -> None:
        """Put the compaction's marker after the last message it covers (or above the
        oldest one shown, when that message is not mounted yet); none without one."""
        record, marker = self.compaction, self._marker
        if marker is not None and (record is None or marker.record is not record):
            self._marker = None
            await marker.remove()
            marker = None
        if record is None or not self._blocks:
            return
        first = self._blocks[0]
        after = next((b for b in self._blocks if b.seq == record.last), None)
        if after is None and (first.seq is None or first.seq <= record.last):
            if marker is not None:  # its message is not mounted (a window after a search)
                self._marker = None
                await marker.remove()
            return
        if marker is None:
            marker = self._marker = CompactionMarker(record)
            if after is not None:
                await self.mount(marker, after=after)
            else:
                await self.mount(marker, before=first)
            return
        index = self.children.index(marker)
        if after is not None and self.children.index(after) != index - 1:
            self.move_child(marker, after=after)
        elif after is None and self.children.index(first) != index + 1:
            self.move_child(marker, before=first)

    # -- notes ----------------------------------------------------------------------

    async def _clear_notes(self) -> None:
        notes, self._notes = self._notes, []
        if notes:
            await self.remove_children(notes)

    async def _set_restore_note(self, restore: RestoreInfo | None) -> None:
        old = [n for n in self._notes if isinstance(n, RestoreNote)]
        if old and restore is not None and old[0].info == restore:
            return
        if old:
            self._notes = [n for n in self._notes if n not in old]
            await self.remove_children(old)
        if restore is not None:
            note = RestoreNote(restore, self.restore_key)
            self._notes.append(note)
            await self.mount(note)

    async def add_error(self, sentence: str) -> None:
        """Show a failure that left no saved message to mark."""
        note = ErrorNote(sentence)
        self._notes.append(note)
        await self.mount(note)
        self.anchor()

    # -- streaming ------------------------------------------------------------------

    async def start_reply(self, model: str | None) -> MessageBlock:
        """Mount an empty reply that `feed` fills as tokens arrive."""
        async with self._lock:
            if self._streaming is None:
                self._streaming = MessageBlock(None, model=model or self.model)
                # Before the notes and the "later messages" marker, as saved blocks are:
                # after the marker, the next turn's question would go in above this reply.
                before = self._notes[0] if self._notes else self.query_one(LaterMarker)
                await self.mount(self._streaming, before=before)
                self._update_marker()
        return self._streaming

    def feed(self, text: str) -> None:
        """More reply text (shown within 50 ms)."""
        if self._streaming is not None:
            self._streaming.feed(text)

    async def drop_reply(self) -> None:
        """Remove a reply that was never saved."""
        async with self._lock:
            stream, self._streaming = self._streaming, None
            if stream is not None:
                await stream.remove()

    # -- a window around one message (a search hit) ---------------------------------

    async def show_at(self, head: Node | None, seq: int) -> MessageBlock | None:
        """Show the messages around message `seq` of the chain ending at `head`, scrolled
        to it and marked `-found`; None when the chain does not hold it."""
        async with self._lock:
            index = position(head, seq)
            if index is None:
                return None
            total = depth(head)
            lo, hi = max(0, index - AROUND[0]), min(total, index + 1 + AROUND[1])
            await self._reset(lo)
            self._end = hi if hi < total else None
            await self._append_all(chain_slice(head, lo, hi))
            self._head = head
            self._update_marker()
            await self._place_compaction()
            block = self._blocks[index - lo]
        self.anchor(False)
        block.add_class("-found")
        self.call_after_refresh(self._scroll_to_found, block)
        return block

    def _scroll_to_found(self, block: MessageBlock) -> None:
        self.scroll_to_widget(block, animate=False, top=True, immediate=True)

    async def load_later(self, count: int = PAGE) -> None:
        """Mount `count` messages after the window around a search hit."""
        try:
            async with self._lock:
                if self._end is None:
                    return
                total = depth(self._head)
                hi = min(total, self._end + count)
                await self._append_all(chain_slice(self._head, self._end, hi))
                self._end = hi if hi < total else None
                self._update_marker()
                await self._place_compaction()
        finally:
            self._paging = False

    # -- paging -------------------------------------------------------------------------

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 and self._start > 0 and not self._paging:
            self._paging = True
            self.call_later(self.load_earlier)
        elif self._end is not None and new >= self.max_scroll_y and not self._paging:
            self._paging = True
            self.call_later(self.load_later)

    async def load_earlier(self, count: int = PAGE, *, filling: bool = False) -> None:
        """Mount `count` messages before the oldest one shown (`filling`: unless a window
        around a search hit took their place meanwhile)."""
        try:
            async with self._lock:
                if self._start == 0 or not self._blocks or (filling and self._end is not None):
                    return
                lo = max(0, self._start - count)
                older = chain_slice(self._head, lo, self._start)
                first = self._blocks[0]
                offset = first.virtual_region.y - self.scroll_y
                # not laid out yet: nothing was read, so there is no place to keep
                at_end = self.scroll_y >= self.max_scroll_y or not first.virtual_region.height
                blocks = [
                    MessageBlock(
                        m,
                        model=self.model,
                        states=self.states.get(m.seq),
                        versions=self._versions(m.seq),
                    )
                    for m in older
                ]
                await self.mount_all(blocks, before=first)
                self._blocks[:0] = blocks
                self._start = lo
                self._update_marker()
                await self._place_compaction()
            if not at_end:  # at the end, the anchor keeps the newest message in view
                self.call_after_refresh(self._keep_place, first, offset)
        finally:
            self._paging = False

    def _keep_place(self, widget: Widget, offset: float) -> None:
        self.scroll_to(y=widget.virtual_region.y - offset, animate=False, immediate=True)


def position(head: Node | None, seq: int) -> int | None:
    """Where message `seq` stands in the chain ending at `head` (0 is the first)."""
    node = head
    while node is not None and node.message.seq > seq:
        node = node.parent
    return node.depth - 1 if node is not None and node.message.seq == seq else None
