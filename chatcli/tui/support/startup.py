"""How far the chat screen is through start-up, and what it preloads off the UI thread."""

from __future__ import annotations

import importlib
from enum import Enum


class Startup(Enum):
    """The start-up steps (the benchmark marks them: bench/bench_tui.py)."""

    OPENING = "opening"
    """Painted; the session asked for on the command line is being opened."""
    SHOWN = "shown"
    """The session (or a new one) is on screen."""
    WARM = "warm"
    """The first listing is on screen too: the model layer loads now."""


def preload_markdown() -> None:
    """Import Textual's Markdown (its parser is slow to import); call it in a thread."""
    importlib.import_module("textual.widgets._markdown")
