"""ModelNote: a dim line under the status bar while the model needs a caution (local/…)."""

from __future__ import annotations

from textual.widgets import Static


class ModelNote(Static):
    """Shows a caution about the answering model, or nothing (`-none`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-none")
        self.note: str | None = None

    def show(self, note: str | None) -> None:
        """Show `note` (None hides the line)."""
        if note != self.note:
            self.note = note
            self.update(note or "")
            self.set_class(note is None, "-none")
