"""Soak chatcli for a bounded time: kill -9, concurrent writers, corrupted logs.

Run `python bench/soak.py [--seconds 180]`. On the JSONL store (and on Redis
when `redis-server` is on the PATH) it repeats, until the time is up:

- **kill -9**: writer processes (bench/soak_worker.py) create sessions and
  append messages, checkpoints and side sessions, acknowledging each write,
  until SIGKILLed at a random moment (half of them through a slow disk, so
  kills land mid-line; on Redis, now and then the server itself is SIGKILLed
  and restarted under them). Then the CLI reads everything (`sessions list`,
  `doctor`, `show`) and writes as the next user (`sessions checkpoint`), and
  every acknowledged entry must still be there, once;
- **writers**: three processes append to one session at once while the CLI
  checkpoints it; every message must be stored exactly once;
- **fuzz**: copies of real logs damaged at random (bench/soak_fuzz.py), read
  by the CLI readers (`list`, `list --search`, `doctor` and `prune --dry-run`
  over all of them, and two of `show`, `export` in each format, `checkpoints`
  and `doctor` on each), which must answer in a sentence, in time, changing nothing.

It prints one table (trials; acknowledged entries lost; entries stored twice;
tracebacks in any CLI output; hangs, a CLI run past `--timeout`; files changed
that should not be: a session file a reader changed, a mode other than 0600 /
0700, a temporary file left behind) and examples of each problem under it.
Exits 1 when any column but trials is non-zero. Everything runs under umask
000, so a mode chatcli forgets to set shows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import redis
import soak_fuzz
from soak_checks import Acks, Cli, Files, Home, Tally, bad_modes, check_acks, leftovers
from soak_worker import open_store

from chatcli.session import Session
from tests.redis_server import RedisServer

WORKER = Path(__file__).with_name("soak_worker.py")
READERS_ALLOWED_TO_WRITE = (".index.json", "logs")
"""What a reader may create: the listing's summary index, and chatcli's own log."""


@dataclass
class Soak:
    """One run: its folders, its randomness, its CLI, its Redis server, its rows."""

    scratch: Path
    rng: random.Random
    cli: Cli
    server: RedisServer | None = None
    rows: dict[tuple[str, str], Tally] = field(default_factory=dict)
    _homes: int = 0

    def tally(self, store: str, phase: str) -> Tally:
        return self.rows.setdefault((store, phase), Tally(store, phase))

    def home(self, store: str) -> Home:
        self._homes += 1
        path = self.scratch / f"home{self._homes}"
        if store == "redis":
            assert self.server is not None
            return Home(path, self.server.url, f"soak{os.getpid()}-{self._homes}:")
        return Home(path)

    def readers(self, tally: Tally, home: Home, commands: list[list[str]]) -> None:
        env = home.env()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda args: self.cli.run(tally, home, args, env), commands))


# -- kill -9 ------------------------------------------------------------------------


def crash_batch(soak: Soak, store: str, tally: Tally) -> None:
    home = soak.home(store)
    ids = [f"k{soak._homes}x{n}" for n in range(8)]
    trials = [
        {
            "id": sid,
            "delay": soak.rng.uniform(0.0, 0.08),
            "after_create": n % 2 == 0,
            "slow": n % 4 >= 2,
        }
        for n, sid in enumerate(ids)
    ]
    outage = store == "redis" and soak.rng.random() < 0.4
    killer = threading.Thread(target=_restart_server, args=(soak, soak.rng.uniform(0.02, 0.3)))
    if outage:
        killer.start()
    out, err, hung = _run_worker(["crash", home.spec], json.dumps(trials), timeout=180)
    if outage:
        killer.join()
        tally.note("info", "redis-server SIGKILLed under the writers and restarted")
    tally.trials += len(trials)
    if hung:
        tally.hangs += 1
        tally.note("hang", "a kill -9 batch did not finish within 180 s")
    if "Traceback" in err:
        tally.tracebacks += 1
        tally.note("traceback", "writer: " + err.strip().splitlines()[-1])
    acks = Acks()
    for line in out.splitlines():
        acks.add_line(line)
    if store == "jsonl":
        files = Files(home.sessions)
        soak.readers(tally, home, [["sessions", "list", "--json"], ["sessions", "doctor"]])
        sample = soak.rng.sample(ids, 2)
        soak.readers(tally, home, [["sessions", "show", sid] for sid in sample])
        files.changed_since(tally, allowed_new=READERS_ALLOWED_TO_WRITE)
    else:
        soak.readers(tally, home, [["sessions", "list", "--json"], ["sessions", "doctor"]])
    created = [sid for sid in ids if sid in acks.by_session]
    for sid in soak.rng.sample(created, min(2, len(created))):  # the next user writes
        soak.cli.run(tally, home, ["sessions", "checkpoint", sid, "-l", "next writer"])
    check_acks(tally, open_store(home.spec), acks)
    if store == "jsonl":
        bad_modes(tally, home.sessions)
        leftovers(tally, home.sessions)


def _restart_server(soak: Soak, after: float) -> None:
    time.sleep(after)
    assert soak.server is not None
    soak.server.stop()  # SIGKILL: only what it fsynced survives (appendfsync always)
    time.sleep(soak.rng.uniform(0.0, 0.5))
    soak.server.start()


def _run_worker(args: list[str], stdin: str, timeout: float) -> tuple[str, str, bool]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
        return out, err, False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return out, err, True


# -- concurrent writers ----------------------------------------------------------------


def writers_trial(soak: Soak, store: str, tally: Tally, writers: int = 3, count: int = 40) -> None:
    home = soak.home(store)
    sid = "shared"
    Session.create(open_store(home.spec), session_id=sid, title="shared")
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "append", home.spec, sid, f"w{n}", str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    for proc in procs:
        assert proc.stdout is not None
        proc.stdout.readline()  # "ready" (or nothing, if it failed)
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    soak.readers(tally, home, [["sessions", "checkpoint", sid] for _ in range(2)])
    acks = Acks()
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            tally.hangs += 1
            tally.note("hang", f"a writer of {sid!r} did not finish within 180 s")
        if "Traceback" in err:
            tally.tracebacks += 1
            tally.note("traceback", "writer: " + err.strip().splitlines()[-1])
        for line in out.splitlines():
            acks.add_line(line)
    tally.trials += 1
    if acks.count() != writers * count:
        tally.note("short", f"{acks.count()} of {writers * count} appends acknowledged")
    check_acks(tally, open_store(home.spec), acks)
    code, output = soak.cli.run(tally, home, ["sessions", "doctor", sid])
    if code != 0:
        tally.note("doctor", f"doctor on a concurrently written session: {output.strip()[-200:]}")
    if store == "jsonl":
        bad_modes(tally, home.sessions)


# -- corrupted logs ---------------------------------------------------------------------

_TEMPLATES: list[bytes] = []


def fuzz_batch(soak: Soak, store: str, tally: Tally, size: int = 12) -> None:
    if not _TEMPLATES:
        _TEMPLATES.extend(soak_fuzz.templates())
    home = soak.home(store)
    ids = [f"z{soak._homes}x{n}" for n in range(size)]
    logs = {sid: _renamed(soak.rng.choice(_TEMPLATES), sid) for sid in ids}
    logs = {sid: soak_fuzz.mutate(data, soak.rng) for sid, data in logs.items()}
    before = _plant(home, logs)
    commands = [  # each of these reads every session
        ["sessions", "list"],
        ["sessions", "list", "--json", "--search", "Ada"],
        ["sessions", "doctor"],
        ["sessions", "prune", "--older-than", "1d", "--dry-run"],
    ]
    for sid in ids:
        commands += [[*args, sid] for args in soak.rng.sample(_PER_SESSION, 2)]
    soak.readers(tally, home, commands)
    tally.trials += size
    if before is not None:
        before.changed_since(tally, allowed_new=READERS_ALLOWED_TO_WRITE)
        bad_modes(tally, home.sessions)
    elif _redis_logs(home, ids) != logs:
        tally.changed += 1
        tally.note("changed", "a reader changed a corrupted Redis log")


_PER_SESSION = [
    ["sessions", "show"],
    ["sessions", "export", "-f", "md"],
    ["sessions", "export", "-f", "json"],
    ["sessions", "export", "-f", "jsonl"],
    ["sessions", "checkpoints"],
    ["sessions", "doctor"],
]
"""Readers of one session; each fuzzed session meets two of them."""


def _renamed(data: bytes, sid: str) -> bytes:
    head, sep, rest = data.partition(b"\n")
    record = json.loads(head)
    record["id"] = sid
    return json.dumps(record, separators=(",", ":")).encode() + sep + rest


def _plant(home: Home, logs: dict[str, bytes]) -> Files | None:
    """Put the damaged logs where the store looks; a snapshot of the files (None on Redis)."""
    if home.redis_url is None:
        home.sessions.mkdir(parents=True, mode=0o700)
        for sid, data in logs.items():
            fd = os.open(
                home.sessions / f"{sid}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
            os.write(fd, data)
            os.close(fd)
        return Files(home.sessions)
    client = redis.Redis.from_url(home.redis_url)
    for n, (sid, data) in enumerate(logs.items()):
        lines = data.splitlines(keepends=True)
        if lines:
            client.rpush(f"{home.redis_prefix}log:{sid}", *lines)
        client.zadd(f"{home.redis_prefix}sessions", {sid: time.time() - n})
    client.close()
    return None


def _redis_logs(home: Home, ids: list[str]) -> dict[str, bytes]:
    assert home.redis_url is not None
    client = redis.Redis.from_url(home.redis_url)
    try:
        return {sid: b"".join(client.lrange(f"{home.redis_prefix}log:{sid}", 0, -1)) for sid in ids}
    finally:
        client.close()


# -- the run and its table ---------------------------------------------------------------

PHASES: dict[str, Callable[[Soak, str, Tally], None]] = {
    "kill -9": crash_batch,
    "writers": writers_trial,
    "fuzz": fuzz_batch,
}

COLUMNS = [
    ("trials", "trials"),
    ("acknowledged entries lost", "lost"),
    ("stored twice", "duplicated"),
    ("tracebacks", "tracebacks"),
    ("hangs", "hangs"),
    ("files changed that should not be", "changed"),
]


def table(rows: list[Tally]) -> str:
    total = Tally("all", "")
    for row in rows:
        for _, attr in COLUMNS:
            setattr(total, attr, getattr(total, attr) + getattr(row, attr))
    lines = [
        "| store | phase | " + " | ".join(title for title, _ in COLUMNS) + " |",
        "|---|---|" + "---:|" * len(COLUMNS),
    ]
    for row in [*rows, total]:
        cells = [str(getattr(row, attr)) for _, attr in COLUMNS]
        name = "**all**" if row is total else row.store
        lines.append(f"| {name} | {row.phase} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(rows: list[Tally]) -> str:
    out = []
    for row in rows:
        for kind, examples in row.notes.items():
            for example in examples:
                out.append(f"- {row.store} {row.phase}, {kind}: {example}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long to soak (180)")
    parser.add_argument("--timeout", type=float, default=30.0, help="a CLI run's limit (30 s)")
    parser.add_argument("--stores", default="", help="jsonl,redis (default: redis if installed)")
    parser.add_argument("--seed", type=int, default=None, help="for a repeatable run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    stores = args.stores.split(",") if args.stores else ["jsonl"]
    if not args.stores and shutil.which("redis-server"):
        stores.append("redis")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    os.umask(0)
    scratch = Path(tempfile.mkdtemp(prefix="chatcli-soak-"))
    soak = Soak(scratch, random.Random(seed), Cli(args.timeout))
    started = time.monotonic()
    try:
        if "redis" in stores:
            soak.server = RedisServer(scratch / "redis").start()
        deadline = started + args.seconds
        while time.monotonic() < deadline:
            for phase, run in PHASES.items():
                for store in stores:
                    if time.monotonic() < deadline:
                        run(soak, store, soak.tally(store, phase))
    finally:
        if soak.server is not None:
            soak.server.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    rows = list(soak.rows.values())
    print(table(rows))
    said = notes(rows)
    if said:
        print("\n" + said)
    load = os.getloadavg()[0]
    print(
        f"\n{time.monotonic() - started:.0f} s, {soak.cli.runs} CLI runs, seed {seed}, "
        f"load average {load:.2f}{f', kept {scratch}' if args.keep else ''}."
    )
    return 1 if any(row.problems() for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
