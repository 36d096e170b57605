"""Start-up marks for bench/bench_tui.py: off unless $CHATCLI_TUI_MARKS names a file."""

from __future__ import annotations

import os
import time
from typing import Any
from weakref import WeakKeyDictionary

from textual.app import App

MARKS_ENV = "CHATCLI_TUI_MARKS"
"""When set to a file path, the app appends `<mark> <unix time>` lines to it."""
EXIT_ENV = "CHATCLI_TUI_EXIT_AT"
"""When set to a mark's name, the app exits once it reaches that mark."""

FIRST_PAINT = "first_paint"
"""The first screen refresh."""
READY = "ready"
"""The session (or the new-session screen) is on screen."""
SESSIONS_LISTED = "sessions_listed"
"""The sessions sidebar shows its first listing."""


_reached: WeakKeyDictionary[App[Any], set[str]] = WeakKeyDictionary()


def mark(name: str, app: App[Any]) -> None:
    """Note that the app reached `name` (and exit if the benchmark asked to stop there).

    Only the first time: the start-up skeleton and then the chat screen both paint.
    """
    path = os.environ.get(MARKS_ENV)
    if not path:
        return
    reached = _reached.setdefault(app, set())
    if name in reached:
        return
    reached.add(name)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{name} {time.time():.6f}\n")
    if os.environ.get(EXIT_ENV) == name:
        app.exit()


def benchmarking() -> bool:
    """Whether a benchmark is driving the app (no dialogs that wait for a person)."""
    return bool(os.environ.get(EXIT_ENV))
