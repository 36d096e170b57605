"""How fast the TUI starts, resumes, lists sessions and stays responsive while streaming.

    python bench/bench_tui.py [--runs 5] [--quick]

Start-up is measured in a subprocess on a pseudo-terminal (120x40), from just
before the process is spawned to the app's first screen refresh: the app writes
`first_paint` (and `ready`, `sessions_listed`) marks to $CHATCLI_TUI_MARKS and
exits at the mark named by $CHATCLI_TUI_EXIT_AT. The floor is a minimal Textual
hello-world app measured the same way, in the same run. Keypress latency while
a reply streams at 200 tokens/s is measured in-process (headless), against the
same measurement with nothing streaming. Prints one markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = "openai/test-model"
SIZE = (120, 40)

HELLO = """
import os, time
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")

    def on_mount(self):
        self.call_after_refresh(self.painted)

    def painted(self):
        with open(os.environ["CHATCLI_TUI_MARKS"], "a") as fh:
            fh.write(f"first_paint {time.time():.6f}\\n")
        self.exit()

Hello().run()
"""


# -- running an app on a pseudo-terminal --------------------------------------------


def run_on_pty(argv: list[str], env: dict[str, str], exit_at: str) -> dict[str, float]:
    """Spawn `argv` on a pty; return each mark's seconds since just before the spawn."""
    marks = Path(tempfile.mkstemp(prefix="chatcli-marks-")[1])
    env = {**env, "CHATCLI_TUI_MARKS": str(marks), "CHATCLI_TUI_EXIT_AT": exit_at}
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    drain = threading.Thread(target=_drain, args=(master,), daemon=True)
    drain.start()
    start = time.time()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True
    )
    os.close(slave)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{argv} did not reach {exit_at!r} within 60 s") from None
    finally:
        os.close(master)
    out: dict[str, float] = {}
    for line in marks.read_text().splitlines():
        name, when = line.split()
        out.setdefault(name, float(when) - start)
    marks.unlink()
    if exit_at not in out:
        raise RuntimeError(f"{argv} exited without reaching {exit_at!r}: {out}")
    return out


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def chatcli_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATCLI_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install keeps its bytecode
    env.update(
        CHATCLI_DATA_DIR=str(data),
        CHATCLI_CONFIG_DIR=str(data / "config"),
        CHATCLI_MODEL=MODEL,
        CHATCLI_API_BASE="http://127.0.0.1:9/v1",
        CHATCLI_API_KEY="sk-bench",
        TERM="xterm-256color",
    )
    return env


def median_marks(runs: int, fn: Callable[[], dict[str, float]]) -> dict[str, float]:
    fn()  # warm the OS file cache (and the session index)
    results = [fn() for _ in range(runs)]
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


# -- test data ---------------------------------------------------------------------------


def long_session(data: Path, messages: int) -> str:
    """A session with `messages` messages and a checkpoint per turn, written in one go."""
    from chatcli.session import Session
    from chatcli.store import JsonlStore, MemoryStore

    memory = MemoryStore()
    session = Session.create(memory, session_id="long-session", title="A long one", model=MODEL)
    for n in range(messages // 2):
        session.add_message("user", f"Question {n}: how does step {n} work?")
        session.add_message(
            "assistant",
            f"Step {n} works like this:\n\n```python\nprint({n})\n```\n\nThat is **all**.",
            model=MODEL,
            usage={"prompt_tokens": 20, "completion_tokens": 12},
        )
        session.checkpoint(f"Question {n}", auto=True)
    records, _ = memory.read(session.id)
    JsonlStore(data / "sessions").create(records)
    return session.id


def many_sessions(data: Path, count: int) -> None:
    """`count` small session files (written directly: this is test data, not a store test)."""
    from chatcli.session import ChatMessage, SessionRecord
    from chatcli.session.records import dump_line

    folder = data / "sessions"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for n in range(count):
        sid = f"s{n:06d}"
        lines = [
            SessionRecord(seq=1, id=sid, title=f"Session {n}", model=MODEL),
            ChatMessage(seq=2, role="user", content=f"hello {n}"),
            ChatMessage(seq=3, role="assistant", content=f"hi {n}"),
        ]
        path = folder / f"{sid}.jsonl"
        path.write_bytes(b"".join(dump_line(r) for r in lines))
        path.chmod(0o600)


# -- keypress latency while streaming -----------------------------------------------------


class StreamingModel:
    """A ChatModel streaming markdown at `rate` tokens a second for `seconds`."""

    def __init__(self, rate: float, seconds: float) -> None:
        self.rate, self.seconds = rate, seconds

    async def stream(
        self, model: str, messages: list[dict[str, Any]], tools: Any = None
    ) -> AsyncIterator[Any]:
        from chatcli.llm.events import StreamEnd, TextDelta

        words = [
            "Streaming",
            "keeps",
            "the",
            "screen",
            "alive",
            "while",
            "the",
            "model",
            "thinks.",
            "Here",
            "is",
            "some",
            "code:\n\n```python\nfor",
            "step",
            "in",
            "range(10):\n",
            "",
            "",
            "",
            "print(step)\n```\n\nAnd",
            "a",
            "list:\n\n-",
            "one",
            "point\n-",
            "another",
            "**bold**",
            "point\n\n",
        ]
        total = int(self.rate * self.seconds)
        start = time.perf_counter()
        for n in range(total):
            delay = start + n / self.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            yield TextDelta(words[n % len(words)] + " ")
        yield StreamEnd((), None, "stop")


async def keypress_latency(streaming: bool, seconds: float = 4.0) -> list[float]:
    from textual import events

    from chatcli.tui.app import ChatApp
    from chatcli.tui.widgets.prompt_input import PromptInput
    from tests.tui.fakes import make_workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp), StreamingModel(200, seconds + 1))
        app = ChatApp(ws)
        latencies: list[float] = []
        async with app.run_test(size=SIZE) as pilot:
            prompt = app.chat.query_one(PromptInput)
            if streaming:
                prompt.load_text("go")
                await pilot.press("enter")
                while app.chat.conversation.streaming is None:
                    await asyncio.sleep(0.01)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                before = len(prompt.text)
                pressed = time.perf_counter()
                app.post_message(events.Key("x", "x"))
                while len(prompt.text) == before:
                    await asyncio.sleep(0.0005)
                latencies.append(time.perf_counter() - pressed)
                await asyncio.sleep(0.05)
            if app.chat.turn_worker is not None:
                app.chat.turn_worker.cancel()
        return latencies


# -- the report ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per start-up case (median)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and sessions")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    many = 2_000 if args.quick else 10_000
    python = sys.executable
    rows: list[tuple[str, str, str]] = []

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hello = root / "hello.py"
        hello.write_text(HELLO)
        env = chatcli_env(root / "empty")
        floor = median_marks(runs, lambda: run_on_pty([python, str(hello)], env, "first_paint"))
        base = floor["first_paint"]
        rows.append(("Textual hello world (the floor)", ms(base), "1.00x"))

        def tui(data: Path, *flags: str, exit_at: str = "ready") -> dict[str, float]:
            argv = [python, "-m", "chatcli", *flags]
            return median_marks(runs, lambda: run_on_pty(argv, chatcli_env(data), exit_at))

        new = tui(root / "empty")
        rows.append(
            (
                "chatcli: new session, first paint",
                ms(new["first_paint"]),
                f"{new['first_paint'] / base:.2f}x",
            )
        )

        long_data = root / "long"
        sid = long_session(long_data, 10_000)
        resumed = tui(long_data, "--resume", sid)
        rows.append(
            (
                "chatcli --resume (10,000 messages): first paint",
                ms(resumed["first_paint"]),
                f"{resumed['first_paint'] / base:.2f}x",
            )
        )
        rows.append(
            (
                "chatcli --resume (10,000 messages): conversation shown",
                ms(resumed["ready"]),
                f"{resumed['ready'] / base:.2f}x",
            )
        )

        for count in (10, many):
            data = root / f"many-{count}"
            many_sessions(data, count)
            listed = tui(data, exit_at="sessions_listed")
            rows.append(
                (
                    f"sidebar with {count:,} sessions: first paint",
                    ms(listed["first_paint"]),
                    f"{listed['first_paint'] / base:.2f}x",
                )
            )
            rows.append(
                (f"sidebar with {count:,} sessions: list shown", ms(listed["sessions_listed"]), "")
            )

    idle = asyncio.run(keypress_latency(streaming=False))
    busy = asyncio.run(keypress_latency(streaming=True))
    for label, values in (("idle", idle), ("while streaming 200 tok/s", busy)):
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        rows.append(
            (
                f"keypress → prompt updated, {label} (p50 / p95 / max)",
                f"{ms(statistics.median(values))} / {ms(p95)} / {ms(values[-1])}",
                "",
            )
        )

    print(f"| case ({SIZE[0]}x{SIZE[1]}, median of {runs}) | time | vs floor |")
    print("|---|---:|---:|")
    for case, value, ratio in rows:
        print(f"| {case} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
