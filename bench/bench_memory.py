"""What user memory costs, against the session log it is built like (the anchor).

Run `python bench/bench_memory.py` (`--quick` for a smoke run). One run prints one
markdown table per store (files in a temporary folder; Redis too when `redis-server`
is on the PATH, started on 127.0.0.1 with `appendfsync always`):

- the anchor: a durable session state update (`Session.update_state`), the write a
  session-scope `remember` makes;
- a durable user-memory write (`UserMemory.set`), the write a user-scope `remember`
  makes, and its ratio to the anchor sample taken just before it;
- the catch-up the engine does before each model request (`refresh` with nothing
  new), against the anchor;
- opening user memory that holds 1,000 changes (read and replay the log).

There are no goals in the issue; the point is that user memory costs what a session
write costs (ratio near 1) and that the per-request catch-up is small beside a write.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatcli.session import Memory, Session, Store
from chatcli.session.user_memory import UserMemory
from chatcli.store import JsonlStore
from chatcli.store.user_memory import memory_store_for


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 0.01 else f"{seconds * 1e3:,.1f} ms"


def run(name: str, sessions: Store, folder: Path, samples: int) -> None:
    memory: UserMemory[Any] = UserMemory(memory_store_for(sessions, folder))
    session: Session[Memory] = Session.create(sessions, session_id="anchor")
    anchor: list[float] = []
    write: list[float] = []
    ratios: list[float] = []
    catch_up: list[float] = []
    for i in range(samples):
        a = timed(
            lambda i=i: session.update_state(
                lambda m: m.model_copy(update={"facts": {**m.facts, f"k{i}": str(i)}})
            )
        )
        w = timed(lambda i=i: memory.set(f"k{i}", str(i), by="cli", session="anchor"))
        anchor.append(a)
        write.append(w)
        ratios.append(w / a)
        catch_up.append(timed(memory.refresh))
    big: UserMemory[Any] = UserMemory(memory_store_for(sessions, folder))
    while len(big.history()) < 1000:
        big.set(f"b{len(big.history())}", "v", by="cli")
    load = statistics.median(
        timed(lambda: UserMemory(memory_store_for(sessions, folder)).refresh()) for _ in range(5)
    )
    a50, w50, c50 = (statistics.median(x) for x in (anchor, write, catch_up))
    print(f"\n**{name}** ({samples} samples each, interleaved)\n")
    print("| operation | measured p50 | ratio to anchor |")
    print("|---|---|---|")
    print(f"| session state update (anchor) | {us(a50)} | 1.00x |")
    print(f"| user-memory write | {us(w50)} | {statistics.median(ratios):.2f}x |")
    print(f"| user-memory catch-up, nothing new (each request) | {us(c50)} | {c50 / a50:.2f}x |")
    print(f"| open user memory of 1,000 changes | {us(load)} | {load / a50:.1f}x |")


@contextmanager
def redis_server(folder: Path) -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    args += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(folder)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (20 samples)")
    samples = 20 if parser.parse_args().quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run("files", JsonlStore(root / "sessions"), root / "memory", samples)
        (root / "redis").mkdir()
        with redis_server(root / "redis") as url:
            if url is None:
                print("\n(redis-server is not on the PATH: no Redis table)")
            else:
                from chatcli.store.redis import RedisStore

                run("redis (appendfsync always)", RedisStore.from_url(url), root, samples)
    print(f"\nload average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
