"""chatcli's session calls beside Aixgo's published latency table (docs/library.md).

Run by `bench/bench_store.py` (its third table; `--aixgo-only` runs just this).
Aixgo publishes four figures for its session package: create < 1 ms, append
< 1 ms, get 100 messages < 5 ms, checkpoint < 1 ms. Its file backend writes
without fsync, so a crash can lose an acknowledged entry; chatcli's JSONL store
fsyncs every append (and a create fsyncs the folder too), and the Redis column
is a real redis-server with appendfsync always. The memory store does the same
work as the others minus the storage, the closest to what Aixgo's figures time.

"get 100 messages" is timed twice: from an open session (`session.messages`,
what Aixgo's cached GetMessages does), and from the store (`Session.load`,
reading and replaying the log, then `.messages`), as a restarted process does.
Each figure is the median of `samples` runs, on one session per store.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from chatcli.session import ChatMessage, Session, SessionRecord, Store

LINE = "x" * 120
AIXGO = {
    "create": ("create a session", "< 1 ms", 1e-3),
    "append": ("append a message", "< 1 ms", 1e-3),
    "get_open": ("get 100 messages (open session)", "< 5 ms", 5e-3),
    "get_loaded": ("get 100 messages (load from the store)", "< 5 ms", 5e-3),
    "checkpoint": ("checkpoint", "< 1 ms", 1e-3),
}
"""Operation → (what it is, Aixgo's published figure, that figure in seconds)."""


@dataclass
class Figures:
    """p50 seconds per operation for one store, and for the durable ones the median
    ratio to the disk's floor (each sample against the floor sample taken just before)."""

    p50: dict[str, float]
    to_floor: dict[str, float]


def _sample(
    action: Callable[[], object], samples: int, floor: Callable[[], float] | None = None
) -> tuple[float, float | None]:
    times, ratios = [], []
    for _ in range(samples):
        before = floor() if floor is not None else None
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        if before:
            ratios.append(times[-1] / before)
    return statistics.median(times), statistics.median(ratios) if ratios else None


def measure(store: Store, samples: int, floor: Callable[[], float]) -> Figures:
    """The five figures on `store` (fresh and empty); `floor` samples the disk's floor
    (one write + fdatasync) before each sample of a durable operation."""
    Session.create(store, session_id="warmup")  # makes folders, opens connections
    made = iter(range(10**6))
    session = Session.create(store, session_id="aixgo-append")
    body = [ChatMessage(role="user" if n % 2 else "assistant", content=LINE) for n in range(100)]
    store.create([SessionRecord(id="aixgo-100"), *body])
    hundred = Session.load(store, "aixgo-100")
    assert len(hundred.messages) == 100
    timed = {
        "create": _sample(
            lambda: Session.create(store, session_id=f"aixgo-c{next(made)}"), samples, floor
        ),
        "append": _sample(lambda: session.add_message("user", LINE), samples, floor),
        "get_open": _sample(lambda: hundred.messages, samples),
        "get_loaded": _sample(lambda: Session.load(store, "aixgo-100").messages, samples),
        "checkpoint": _sample(hundred.checkpoint, samples, floor),
    }
    return Figures(
        {k: p50 for k, (p50, _) in timed.items()},
        {k: ratio for k, (_, ratio) in timed.items() if ratio is not None},
    )


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-4 else f"{seconds * 1e6:.0f} µs"


def markdown(figures: dict[str, Figures], durable: dict[str, str], floor: float) -> str:
    """One row per operation: Aixgo's figure, then each store's p50, whether it is within and
    (durable stores) its ratio to the disk's floor, printed under the table."""
    header = ["operation", "Aixgo (published, file backend: no fsync)"]
    header += [f"chatcli {name} ({durable[name]})" for name in figures]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, (what, published, limit) in AIXGO.items():
        cells = [what, published]
        for name, fig in figures.items():
            value = fig.p50[key]
            verdict = "within" if value < limit else "**over**"
            ratio = fig.to_floor.get(key) if durable[name] != "not stored" else None
            cells.append(f"{_fmt(value)} ({verdict}{f'; {ratio:.2f}x floor' if ratio else ''})")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        f"\nThe disk's floor in this run (os.write + os.fdatasync of one line, p50): {_fmt(floor)};"
        " no durable write can be faster."
    )
    return "\n".join(lines)
