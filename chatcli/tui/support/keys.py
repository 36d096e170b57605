"""How keys are written for people: `ctrl+r` → `Ctrl+R`."""

from __future__ import annotations


def key_display(keys: str) -> str:
    """`ctrl+j,shift+enter` → `Ctrl+J, Shift+Enter`."""
    return ", ".join("+".join(p.capitalize() for p in k.split("+")) for k in keys.split(","))
