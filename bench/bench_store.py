"""How fast the session store is, against the disk's own floor.

Run `python bench/bench_store.py` (or `--quick` for a smoke run with smaller
sizes). One run, in a temporary folder on the same disk as the temp dir (or
`--dir`), prints one markdown table:

- the floor: os.write + os.fdatasync of a ~200-byte line to an open O_APPEND
  file, the least a durable append can cost on this disk, and the create
  floor: a new file, its fsync and its folder's fsync;
- create, append, checkpoint (each durable), and their ratio to the floor;
- loading a 100-message session and a 100,000-entry one;
- listing 10,000 sessions, cold (no index yet) and warm;
- append and checkpoint on the 100,000-entry session, against a new session;
- then a second table: the durable append with chatcli's flock against a tuned
  filelock, side by side with the floor (see bench_locks.py; `--locks-only`);
- and a third: create, append, get 100 messages and checkpoint on the memory,
  JSONL and Redis stores beside Aixgo's published figures (bench_aixgo.py;
  `--aixgo-only`).

A ratio to the floor is the median of per-sample ratios: each sample of a
durable operation against the floor sample taken just before it (and the
long session's samples against the new session's, taken in turn).

Each operation is a function taking a store factory (a callable returning a
fresh, empty store), so another store (Redis) is one more entry in `STORES`
and one more set of columns in the table. Disk latency drifts with whatever
else the machine is doing, so compare ratios within one run, and rerun when
the load average (printed under the table) is high.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import bench_aixgo  # next to this script
import bench_locks

from chatcli.session import (
    ChatMessage,
    CheckpointRecord,
    Memory,
    Record,
    RestoreRecord,
    Session,
    SessionRecord,
    StateRecord,
    Store,
    list_sessions,
)
from chatcli.session.replay import View, chain_digest
from chatcli.store import JsonlStore, MemoryStore

StoreFactory = Callable[[], Store]
"""Returns a fresh, empty store each time it is called."""

LINE = "x" * 120  # message content: a stored message line is ~200 bytes


@dataclass(frozen=True)
class Sizes:
    """How much each measurement does."""

    samples: int
    creates: int
    loads: int
    big_entries: int
    listed: int


FULL = Sizes(samples=200, creates=100, loads=200, big_entries=100_000, listed=10_000)
QUICK = Sizes(samples=30, creates=20, loads=50, big_entries=10_000, listed=1_000)


# -- timing helpers ------------------------------------------------------------------


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def pct(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


@contextmanager
def no_fsync() -> Iterator[None]:
    """Skip fsyncs while *seeding* data (never while measuring): 10,000 durable
    creates would take minutes and measure nothing we report."""
    with (
        mock.patch.object(os, "fsync", lambda _fd: None),
        mock.patch.object(os, "fdatasync", lambda _fd: None),
    ):
        yield


# -- the floor ------------------------------------------------------------------------


class Floor:
    """os.write + os.fdatasync of one ~200-byte line to an open O_APPEND file.

    Sampled between the samples of every durable operation, so the floor and
    the operations see the same disk weather."""

    LINE = b'{"type":"message","seq":1,"role":"user","content":"' + b"x" * 140 + b'"}\n'

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "floor"
        self.folder.mkdir()
        self.fd = os.open(self.folder / "floor.bin", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.samples: list[float] = []
        self.create_samples: list[float] = []

    def sample(self) -> float:
        start = time.perf_counter()
        os.write(self.fd, self.LINE)
        os.fdatasync(self.fd)
        self.samples.append(time.perf_counter() - start)
        return self.samples[-1]

    def sample_create(self) -> float:
        """The least a durable create costs: a new file, its fsync, its folder's fsync."""
        path = self.folder / f"new-{len(self.create_samples)}"
        start = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, self.LINE)
        os.fsync(fd)
        os.close(fd)
        folder = os.open(self.folder, os.O_RDONLY)
        os.fsync(folder)
        os.close(folder)
        self.create_samples.append(time.perf_counter() - start)
        return self.create_samples[-1]

    def close(self) -> None:
        os.close(self.fd)


@dataclass
class Durable:
    """Samples of a durable operation, each with the floor sample taken just before it."""

    times: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)

    def __iadd__(self, other: Durable) -> Durable:
        self.times += other.times
        self.floors += other.floors
        return self

    def ratio(self, to: list[float] | None = None) -> float:
        """Median of per-sample ratios to the floor (or to `to`, sample for sample):
        neighbours in time see the same disk, whatever else the machine does."""
        return p50([t / f for t, f in zip(self.times, to or self.floors, strict=True)])


def durable(action: Callable[[], object], samples: int, floor: Floor) -> Durable:
    """Time `action` `samples` times, each right after one floor sample."""
    out = Durable()
    for _ in range(samples):
        out.floors.append(floor.sample())
        out.times.append(timed(action))
    return out


# -- seeding ----------------------------------------------------------------------


def big_log(session_id: str, entries: int) -> list[Record]:
    """A realistic long session: messages, state updates, checkpoints, a few restores."""
    view = View.start(SessionRecord(id=session_id, title="big", seq=1))
    records: list[Record] = [view.header]
    checkpoints: list[str] = []
    while len(records) < entries - 1:
        seq = len(records) + 1
        step = seq % 10
        record: Record
        if step == 0:
            record = CheckpointRecord(
                seq=seq,
                id=f"cp{seq}",
                at=seq - 1,
                digest=view.digest(),
                chain=chain_digest(view.head),
                auto=True,
            )
            checkpoints.append(record.id)
        elif step == 5 and seq % 5000 == 5 and len(checkpoints) > 2:
            record = RestoreRecord(seq=seq, checkpoint=checkpoints[-2])
        elif step == 5:
            state = {"facts": {f"k{seq % 50}": str(seq)}}
            record = StateRecord(seq=seq, state=state, by="tool:remember")
        else:
            record = ChatMessage(seq=seq, role="user" if step % 2 else "assistant", content=LINE)
        view.apply(record)
        records.append(record)
    seq = len(records) + 1  # end on a checkpoint, as every turn does
    records.append(
        CheckpointRecord(
            seq=seq, id=f"cp{seq}", at=seq - 1, digest=view.digest(), chain=chain_digest(view.head)
        )
    )
    return records


def session_with(store: Store, session_id: str, messages: int) -> Session[Memory]:
    header = SessionRecord(id=session_id, title=f"session {session_id}")
    body = [
        ChatMessage(role="user" if n % 2 else "assistant", content=LINE) for n in range(messages)
    ]
    store.create([header, *body])
    return Session.load(store, session_id)


# -- operations: each takes a store factory --------------------------------------------


@dataclass
class Creates:
    """Durable creates, and the create floor sampled just before each."""

    durable: Durable
    create_floors: list[float]


def op_create(make_store: StoreFactory, sizes: Sizes, floor: Floor) -> Creates:
    store = make_store()
    Session.create(store, session_id="warmup")  # makes the folders
    out = Creates(Durable(), [])
    for n in range(sizes.creates):
        out.create_floors.append(floor.sample_create())
        out.durable += durable(lambda n=n: Session.create(store, session_id=f"c{n}"), 1, floor)
    return out


def op_append(make_store: StoreFactory, sizes: Sizes, floor: Floor) -> Durable:
    session: Session[Memory] = Session.create(make_store(), session_id="new")
    return durable(lambda: session.add_message("user", LINE), sizes.samples, floor)


def op_checkpoint(make_store: StoreFactory, sizes: Sizes, floor: Floor) -> Durable:
    session = session_with(make_store(), "new", 20)
    return durable(session.checkpoint, sizes.samples, floor)


def op_load_100(make_store: StoreFactory, sizes: Sizes, floor: Floor) -> list[float]:
    store = make_store()
    session_with(store, "hundred", 100)
    return [timed(lambda: Session.load(store, "hundred")) for _ in range(sizes.loads)]


@dataclass
class Big:
    """One long session, and a new one in the same store measured in turn with it."""

    load: float
    append_big: Durable
    append_new: Durable
    checkpoint_big: Durable
    checkpoint_new: Durable


def op_big(make_store: StoreFactory, sizes: Sizes, floor: Floor) -> Big:
    store = make_store()
    store.create(big_log("big", sizes.big_entries))
    load = min(timed(lambda: Session.load(store, "big")) for _ in range(3))
    big: Session[Memory] = Session.load(store, "big")
    new = session_with(store, "small", 20)
    append_big, append_new = Durable(), Durable()
    for _ in range(sizes.samples):  # alternate, so both see the same disk
        append_new += durable(lambda: new.add_message("user", LINE), 1, floor)
        append_big += durable(lambda: big.add_message("user", LINE), 1, floor)
    checkpoint_big, checkpoint_new = Durable(), Durable()
    for _ in range(sizes.samples):
        checkpoint_new += durable(new.checkpoint, 1, floor)
        checkpoint_big += durable(big.checkpoint, 1, floor)
    return Big(load, append_big, append_new, checkpoint_big, checkpoint_new)


@dataclass
class Listing:
    cold: float
    warm: float


def op_list(make_store: StoreFactory, sizes: Sizes, floor: Floor) -> Listing:
    store = make_store()
    with no_fsync():
        for n in range(sizes.listed):
            session_with(store, f"s{n:05d}", 4)
    cold = timed(lambda: list_sessions(store))
    warm = min(timed(lambda: list_sessions(store)) for _ in range(3))
    assert len(list_sessions(store)) == sizes.listed
    return Listing(cold, warm)


# -- one store's results --------------------------------------------------------------


@dataclass
class Results:
    create: Creates
    append: Durable
    checkpoint: Durable
    load_100: list[float]
    big: Big
    listing: Listing


def measure(make_store: StoreFactory, sizes: Sizes, floor: Floor) -> Results:
    return Results(
        create=op_create(make_store, sizes, floor),
        append=op_append(make_store, sizes, floor),
        checkpoint=op_checkpoint(make_store, sizes, floor),
        load_100=op_load_100(make_store, sizes, floor),
        big=op_big(make_store, sizes, floor),
        listing=op_list(make_store, sizes, floor),
    )


def jsonl_factory(folder: Path) -> StoreFactory:
    runs = iter(range(10**6))
    return lambda: JsonlStore(folder / f"jsonl-{next(runs)}" / "sessions")


def redis_factory(folder: Path) -> StoreFactory:
    """A real redis-server (appendonly, appendfsync always) in `folder`, one prefix per store."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from chatcli.store.redis import RedisStore
    from tests.redis_server import RedisServer

    server = RedisServer(folder).start()
    SERVERS.append(server)
    runs = iter(range(10**6))
    return lambda: RedisStore.from_url(server.url, prefix=f"bench{next(runs)}:")


SERVERS: list[Any] = []
"""Servers started for the run, stopped at the end."""

STORES: dict[str, Callable[[Path], StoreFactory]] = {
    "jsonl": jsonl_factory,
    "redis": redis_factory,
}
"""Store name → a function that, given a scratch folder, returns a store factory."""


# -- the table ------------------------------------------------------------------------


@dataclass
class Cell:
    measured: str
    ratio: str = ""
    ok: bool | None = None


@dataclass
class Row:
    operation: str
    goal: str
    cells: dict[str, Cell] = field(default_factory=dict)


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def rows(disk: Floor, results: dict[str, Results], sizes: Sizes) -> list[Row]:
    big_n, listed_n = f"{sizes.big_entries:,}", f"{sizes.listed:,}"
    floor, create_floor = p50(disk.samples), p50(disk.create_samples)
    table = [
        Row("raw write+fdatasync of one line (floor), p50", "—"),
        Row("raw new file+fsync+folder fsync (create floor), p50", "—"),
        Row("create a session, p50", "<= 2x floor"),
        Row("durable append, p50", "<= 1.5x floor"),
        Row("durable append, p99", "—"),
        Row("checkpoint, p50", "<= 1.5x floor"),
        Row("load a 100-message session, p50", "<= 1 ms"),
        Row(f"load a {big_n}-entry session, best of 3", "<= 0.5 s"),
        Row(f"list {listed_n} sessions, cold (builds the index)", "<= 0.3 s"),
        Row(f"list {listed_n} sessions, warm", "<= 0.3 s"),
        Row(f"append on the {big_n}-entry session, p50", "<= 1.2x new session"),
        Row(f"checkpoint on the {big_n}-entry session, p50", "<= 1.2x new session"),
    ]

    def vs_floor(d: Durable, limit: float) -> Cell:
        ratio = d.ratio()
        return Cell(fmt(p50(d.times)), f"{ratio:.2f}x", ratio <= limit)

    def within(value: float, limit: float) -> Cell:
        return Cell(fmt(value), "", value <= limit)

    def create(c: Creates) -> Cell:
        ratio = c.durable.ratio()
        vs_raw = c.durable.ratio(to=c.create_floors)
        measured = f"{fmt(p50(c.durable.times))} ({vs_raw:.2f}x create floor)"
        return Cell(measured, f"{ratio:.2f}x", ratio <= 2.0)

    def vs_new(big: Durable, new: Durable) -> Cell:
        ratio = big.ratio(to=new.times)
        measured = f"{fmt(p50(big.times))} ({ratio:.2f}x new)"
        return Cell(measured, f"{big.ratio():.2f}x", ratio <= 1.2)

    for name, r in results.items():
        create_floors = Durable(r.create.create_floors, r.create.durable.floors)
        cells = [
            Cell(fmt(floor), "1.00x"),
            Cell(fmt(create_floor), f"{create_floors.ratio():.2f}x"),
            create(r.create),
            vs_floor(r.append, 1.5),
            Cell(fmt(pct(r.append.times, 99)), f"{pct(r.append.times, 99) / floor:.2f}x"),
            vs_floor(r.checkpoint, 1.5),
            within(p50(r.load_100), 1e-3),
            within(r.big.load, 0.5),
            within(r.listing.cold, 0.3),
            within(r.listing.warm, 0.3),
            vs_new(r.big.append_big, r.big.append_new),
            vs_new(r.big.checkpoint_big, r.big.checkpoint_new),
        ]
        for row, cell in zip(table, cells, strict=True):
            row.cells[name] = cell
    return table


def markdown(table: list[Row], stores: list[str]) -> str:
    one = len(stores) == 1

    def named(title: str, store: str) -> str:
        return title if one else f"{title} ({store})"

    header = ["operation"]
    header += [named("measured", s) for s in stores]
    header += ["goal"]
    for s in stores:
        header += [named("ratio to floor", s), named("pass/fail", s)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        cells = [row.operation]
        cells += [row.cells[s].measured for s in stores]
        cells += [row.goal]
        for s in stores:
            ok = row.cells[s].ok
            cells += [row.cells[s].ratio, "" if ok is None else ("pass" if ok else "**fail**")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--locks-only", action="store_true", help="only the flock/filelock table")
    parser.add_argument("--aixgo-only", action="store_true", help="only the table beside Aixgo's")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    load_before = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="chatcli-bench-", dir=args.dir))
    floor = Floor(scratch)
    stores = {} if args.locks_only or args.aixgo_only else STORES
    try:
        results = {
            name: measure(factory(scratch / name), sizes, floor) for name, factory in stores.items()
        }
        locks = (
            {}
            if args.aixgo_only
            else bench_locks.measure(scratch / "locks", sizes.samples, floor.sample)
        )
        aixgo = {}
        if not args.locks_only:
            aixgo["memory"] = bench_aixgo.measure(MemoryStore(), sizes.samples, floor.sample)
            for name, factory in STORES.items():
                made = factory(scratch / f"aixgo-{name}")()
                aixgo[name] = bench_aixgo.measure(made, sizes.samples, floor.sample)
    finally:
        floor.close()
        for server in SERVERS:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    table = rows(floor, results, sizes) if results else []
    if results:
        print(markdown(table, list(results)) + "\n")
    if locks:
        print(bench_locks.markdown(locks) + "\n")
    if aixgo:
        kept = {"memory": "not stored", "jsonl": "fsynced", "redis": "appendfsync always"}
        print(bench_aixgo.markdown(aixgo, kept, p50(floor.samples)))
    load_after = os.getloadavg()
    print(
        f"\n{'quick' if args.quick else 'full'} run in {scratch.parent} on {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after."
    )
    failed = [row.operation for row in table for cell in row.cells.values() if cell.ok is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
