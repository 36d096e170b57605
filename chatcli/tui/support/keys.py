"""How keys are written for people: `ctrl+r` → `Ctrl+R`, `pageup` → `PageUp`."""

from __future__ import annotations

NAMES = {"pageup": "PageUp", "pagedown": "PageDown", "escape": "Esc", "delete": "Del"}
"""Key names Textual writes as one lower-case word, as keyboards label them."""


def key_display(keys: str) -> str:
    """`ctrl+j,shift+enter` → `Ctrl+J, Shift+Enter`."""
    return ", ".join(
        "+".join(NAMES.get(p, p.capitalize()) for p in k.split("+")) for k in keys.split(",")
    )
