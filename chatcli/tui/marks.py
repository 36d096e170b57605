"""Start-up marks for bench/bench_tui.py: off unless $CHATCLI_TUI_MARKS names a file."""

from __future__ import annotations

import os
import time

MARKS_ENV = "CHATCLI_TUI_MARKS"
"""When set to a file path, the app appends `first_paint <time>` and `ready <time>`."""
EXIT_ENV = "CHATCLI_TUI_EXIT_WHEN_READY"
"""When set, the app exits once the session is on screen (for the benchmark)."""


def mark(name: str) -> None:
    """Append `name <unix time>` to $CHATCLI_TUI_MARKS; do nothing when it is unset."""
    path = os.environ.get(MARKS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{name} {time.time():.6f}\n")


def exit_when_ready() -> bool:
    """Whether the benchmark asked the app to quit once ready."""
    return bool(os.environ.get(EXIT_ENV))
