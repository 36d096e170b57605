"""The session lock on the durable append path: chatcli's flock against a tuned filelock.

Run by `bench/bench_store.py` (its second table; `--locks-only` runs just this).
Three things are sampled in turn, so all three see the same disk weather:

- the floor: os.write + os.fdatasync of one line (the same `Floor` as the store table);
- a durable append through JsonlStore as shipped: the lock file and log kept open,
  an exclusive flock taken and dropped per append (`chatcli.store.open_logs`);
- the same JsonlStore with only the lock swapped for filelock, tuned as its docs
  allow: one `FileLock` per session, created once and kept, `thread_local=False`,
  a 0.2 ms poll. filelock opens its lock file on every acquire and closes it on
  release; everything else (the kept log, the stat of the log, the fdatasync) is
  the store's own code, so the difference is the lock.

It also times lock + unlock alone (no write) for both, which is where they differ.
A ratio is the median of per-sample ratios to the floor sample taken just before.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from chatcli.errors import SessionLocked
from chatcli.session import Memory, Session
from chatcli.store import JsonlStore
from chatcli.store.open_logs import OpenLog

LINE = "x" * 120
GOAL = 1.5
"""The durable append's goal, as a ratio to the floor."""


class FileLockOpenLog(OpenLog):
    """`OpenLog` with its flock replaced by one kept, non-thread-local `filelock.FileLock`."""

    def __init__(self, lock_path: Path, log_path: Path, before_open: Callable[[], None]) -> None:
        super().__init__(lock_path, log_path, before_open)
        self.file_lock = filelock.FileLock(
            lock_path, mode=0o600, thread_local=False, poll_interval=0.0002
        )

    def lock(self, session_id: str, deadline: float, timeout: float) -> tuple[int, int]:
        try:
            self.file_lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
        except filelock.Timeout:
            raise SessionLocked(session_id, timeout) from None
        done = False
        try:
            opened = self._log(session_id)
            done = True
            return opened
        finally:
            if not done:
                self.file_lock.release()

    def unlock(self) -> None:
        self.file_lock.release()


class FileLockStore(JsonlStore):
    """JsonlStore whose appends lock with filelock (for this benchmark only)."""

    def _new_open_log(self, session_id: str) -> OpenLog:
        return FileLockOpenLog(self._lock_file(session_id), self.path(session_id), self._check_root)


@dataclass
class Series:
    times: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)

    def ratio(self) -> float:
        return statistics.median(t / f for t, f in zip(self.times, self.floors, strict=True))

    def p50(self) -> float:
        return statistics.median(self.times)


@dataclass
class LockResults:
    floor: list[float]
    append_flock: Series
    append_filelock: Series
    lock_flock: list[float]
    lock_filelock: list[float]


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _lock_only(log: OpenLog, session_id: str) -> float:
    start = time.perf_counter()
    log.lock(session_id, time.monotonic() + 10, 10)
    log.unlock()
    return time.perf_counter() - start


def measure(folder: Path, samples: int, floor_sample: Callable[[], float]) -> LockResults:
    """Interleave floor, flock append and filelock append `samples` times (order alternates)."""
    stores = {"flock": JsonlStore(folder / "flock"), "filelock": FileLockStore(folder / "filelock")}
    sessions: dict[str, Session[Memory]] = {
        name: Session.create(store, session_id="locks") for name, store in stores.items()
    }
    for session in sessions.values():  # warm: files opened, code paths taken once
        for _ in range(5):
            session.add_message("user", LINE)
    series = {name: Series() for name in stores}
    floors: list[float] = []
    for n in range(samples):
        order = list(stores) if n % 2 == 0 else list(reversed(stores))
        for name in order:
            floor = floor_sample()
            floors.append(floor)
            series[name].floors.append(floor)
            series[name].times.append(_timed(lambda s=sessions[name]: s.add_message("user", LINE)))
    logs = {
        name: store._open_logs.get("locks", store._new_open_log) for name, store in stores.items()
    }
    lock_times: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(samples * 5):
        for name, log in logs.items():
            with log.mutex:
                lock_times[name].append(_lock_only(log, "locks"))
    return LockResults(
        floors,
        series["flock"],
        series["filelock"],
        lock_times["flock"],
        lock_times["filelock"],
    )


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def markdown(r: LockResults) -> str:
    """The table, and the verdict the README's Dependencies section quotes."""
    flock_ratio, filelock_ratio = r.append_flock.ratio(), r.append_filelock.ratio()
    lock_flock, lock_filelock = statistics.median(r.lock_flock), statistics.median(r.lock_filelock)

    def verdict(ratio: float) -> str:
        return "pass" if ratio <= GOAL else "**fail**"

    rows = [
        (
            "raw write+fdatasync of one line (floor), p50",
            _us(statistics.median(r.floor)),
            "1.00x",
            "",
        ),
        (
            "durable append, flock (as shipped), p50",
            _us(r.append_flock.p50()),
            f"{flock_ratio:.2f}x",
            verdict(flock_ratio),
        ),
        (
            "durable append, filelock (one kept FileLock per session, thread_local=False), p50",
            _us(r.append_filelock.p50()),
            f"{filelock_ratio:.2f}x",
            verdict(filelock_ratio),
        ),
        ("lock + unlock alone, flock, p50", _us(lock_flock), "", ""),
        (
            "lock + unlock alone, filelock, p50",
            _us(lock_filelock),
            f"{lock_filelock / lock_flock:.1f}x the flock",
            "",
        ),
    ]
    lines = [
        f"| lock on the append path | measured | ratio to floor | <= {GOAL}x floor |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines.append(
        f"\nfilelock {filelock.__version__}: its durable append is "
        f"{r.append_filelock.ratio() / r.append_flock.ratio():.2f}x the flock's (ratios to floor)."
    )
    return "\n".join(lines)
