"""CompactionMarker: where a compaction's summary takes over, in the conversation.

Sits after the last message the summary covers ("41 earlier messages
summarised"); expanded, it shows the summary the model is sent instead of them.
The messages themselves stay above it, whole (older ones load on scroll-up).
"""

from __future__ import annotations

from textual.widgets import Collapsible, Static

from chatcli.session.records import CompactionRecord


def marker_title(record: CompactionRecord) -> str:
    """`≡ 41 earlier messages summarised (up to #87) · requests 1900 → 640 tokens`."""
    count = record.messages
    plural = "s" if count != 1 else ""
    return (
        f"≡ {count} earlier message{plural} summarised (up to #{record.last}) · "
        f"requests {record.tokens_before} → {record.tokens_after} tokens"
    )


class CompactionMarker(Collapsible):
    """A folded note over a compaction: its title says what it covers; open, its summary."""

    def __init__(self, record: CompactionRecord) -> None:
        self.record = record
        words = "The model is sent this summary instead of them"
        by = f" (written by {record.model})" if record.model else ""
        super().__init__(
            Static(record.summary, classes="compaction-summary", markup=False),
            Static(
                f"{words}{by}. They stay above, whole: in the session log, exports and "
                "recall. Restore a checkpoint from before this point to undo it.",
                classes="compaction-help",
            ),
            title=marker_title(record),
            collapsed=True,
            classes="note compaction-marker",
        )
