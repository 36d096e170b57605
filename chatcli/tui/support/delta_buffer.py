"""DeltaBuffer: reply text a turn worker received and the screen has not shown yet."""

from __future__ import annotations


class DeltaBuffer:
    """Pieces of reply text, taken all at once (so a burst of deltas is one update)."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def add(self, text: str) -> None:
        self._parts.append(text)

    def take(self) -> str:
        """Everything added since the last take."""
        text, self._parts = "".join(self._parts), []
        return text
