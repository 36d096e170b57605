"""Sessions of any length (issue 12): the context budget, compaction and resume, measured.

    python bench/bench_context.py [--turns 2000] [--window 2000] [--quick]

Runs chatcli's real engine (ChatEngine, JSONL store, litellm's client) against
the loopback server of tests/model_server.py, which refuses any request over
the window as a provider does and answers summary requests with a short
extractive summary. Prints one markdown table:

- tokens of every request the server received (counted by the server with
  litellm's token_counter) against the window minus the reply reserve;
- model calls spent on summaries per 100 turns;
- chatcli's own time per turn (the turn minus the time spent waiting on the
  model's stream) on the long session, reopened, against a 10-turn session,
  alternating turns between the two;
- `chatcli --resume` of a 10,000-message session on a pseudo-terminal, to the
  last message on screen (bench/bench_tui.py's `ready` mark), plain and with
  compactions in it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MODEL = "openai/test-model"
KEY = "sk-bench-context"


def turn_text(n: int) -> str:
    """About 400 characters, as tests/test_long_sessions.py sends (its word for turn 1 too)."""
    from tests.test_long_sessions import turn_text as text

    return text(n)


class TimedModel:
    """A ChatModel that adds up the time spent waiting on the wrapped model's stream."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.waited = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def stream(
        self, model: str, messages: list[dict[str, Any]], tools: Any = None
    ) -> AsyncIterator[Any]:
        events = self.inner.stream(model, messages, tools).__aiter__()
        while True:
            start = time.perf_counter()
            try:
                event = await events.__anext__()
            except StopAsyncIteration:
                self.waited += time.perf_counter() - start
                return
            self.waited += time.perf_counter() - start
            yield event


class Bench:
    """One store, one server, engines built as chatcli builds them."""

    def __init__(self, root: Path, url: str, window: int) -> None:
        from chatcli.chat.agent import load_agent
        from chatcli.llm import LiteLLMModel
        from chatcli.store import JsonlStore

        self.store = JsonlStore(root / "sessions")
        self.agent = load_agent("default", root / "agents")
        self.model = TimedModel(LiteLLMModel(api_base=url, api_key=KEY))
        self.window = window

    def engine(self, session_id: str | None = None) -> Any:
        """An engine on a new session, or on `session_id` read afresh from disk (cold caches)."""
        from chatcli.chat.engine import ChatEngine
        from chatcli.chat.recall import DEFAULT_TOOLS
        from chatcli.llm.context_window import ModelSizes
        from chatcli.session import Session

        if session_id is None:
            session: Any = Session.create(self.store, title="bench")
        else:
            session = Session.load(self.store, session_id)
        return ChatEngine(
            session,
            self.model,
            model_name=MODEL,
            agent=self.agent,
            tools=DEFAULT_TOOLS,
            sizes=ModelSizes(override=self.window),
        )

    async def turn(self, engine: Any, text: str) -> tuple[float, bool, bool]:
        """One turn: chatcli's own seconds, whether it failed, whether turns were left out."""
        from chatcli.chat.events import ContextNote, TurnFailed

        waited = self.model.waited
        start = time.perf_counter()
        failed = left_out = False
        async for event in engine.send(text):
            failed = failed or isinstance(event, TurnFailed)
            left_out = left_out or isinstance(event, ContextNote)
        own = time.perf_counter() - start - (self.model.waited - waited)
        return own, failed, left_out


async def long_run(bench: Bench, server: Any, turns: int) -> dict[str, Any]:
    """`turns` turns in one session; what the server received and what it cost."""
    from tests.model_server_context import is_summary_request, request_tokens

    engine = bench.engine()
    failed = left_out = 0
    for n in range(1, turns + 1):
        _, bad, short = await bench.turn(engine, turn_text(n))
        failed += bad
        left_out += short
    sizes: list[int] = []
    summaries: list[int] = []
    for request in server.requests:
        (summaries if is_summary_request(request.body) else sizes).append(
            request_tokens(request.body)
        )
    return {
        "session": engine.session.id,
        "failed": failed,
        "left_out": left_out,
        "sizes": sizes,
        "summaries": summaries,
        "summary_calls": engine.context.summary_calls,
        "compactions": sum(
            1 for r in engine.session.records if getattr(r, "type", "") == "compaction"
        ),
        "messages": len(engine.session.messages),
        "limit": engine.context.fitter(MODEL).window.limit,
    }


async def own_time(bench: Bench, long_id: str, turns: int) -> tuple[list[float], list[float]]:
    """chatcli's own time per turn on the long session and a 10-turn one, alternating."""
    short = bench.engine()
    for n in range(1, 11):
        await bench.turn(short, turn_text(n))
    long = bench.engine(long_id)  # reopened: its counts are not cached yet
    for engine in (short, long):  # warm-up: the first turn counts the messages it walks back
        await bench.turn(engine, turn_text(0))
    out_long: list[float] = []
    out_short: list[float] = []
    for n in range(turns):
        out_long.append((await bench.turn(long, turn_text(n)))[0])
        out_short.append((await bench.turn(short, turn_text(n)))[0])
    return out_long, out_short


def compacted_session(data: Path, messages: int, every: int) -> str:
    """bench_tui's long session with a compaction after every `every` messages."""
    from chatcli.session import Session
    from chatcli.session.records import CompactionRecord
    from chatcli.store import JsonlStore, MemoryStore

    memory = MemoryStore()
    session: Session[Any] = Session.create(
        memory, session_id="compacted", title="Compacted", model=MODEL
    )
    first = 0
    for n in range(messages // 2):
        user = session.add_message("user", f"Question {n}: how does step {n} work?")
        first = first or user.seq
        reply = session.add_message("assistant", f"Step {n} works like **this**.", model=MODEL)
        if (n * 2 + 2) % every == 0:
            session.add_compaction(
                CompactionRecord(
                    summary=f"Summary: questions 0 to {n} about steps.",
                    first=first,
                    last=reply.seq,
                    messages=n * 2 + 2,
                    model=MODEL,
                )
            )
        session.checkpoint(f"Question {n}", auto=True)
    records, _ = memory.read(session.id)
    JsonlStore(data / "sessions").create(records)
    return session.id


def resume_times(runs: int) -> list[tuple[str, float, float, float]]:
    """(case, seconds to first paint, to the conversation shown, and a Textual hello
    world's first paint, the floor) for each case."""
    import bench_tui

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hello = root / "hello.py"
        hello.write_text(bench_tui.HELLO)
        floor = bench_tui.median_marks(
            runs,
            lambda: bench_tui.run_on_pty(
                [sys.executable, str(hello)], bench_tui.chatcli_env(root), "first_paint"
            ),
        )["first_paint"]
        cases = {
            "plain": (root / "plain", bench_tui.long_session),
            "40 compactions": (root / "comp", lambda d, m: compacted_session(d, m, m // 40)),
        }
        for label, (data, build) in cases.items():
            sid = build(data, 10_000)
            argv = [sys.executable, "-m", "chatcli", "--resume", sid]
            marks = bench_tui.median_marks(
                runs,
                lambda argv=argv, data=data: bench_tui.run_on_pty(  # type: ignore[misc]
                    argv, bench_tui.chatcli_env(data), "ready"
                ),
            )
            out.append((label, marks["first_paint"], marks["ready"], floor))
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def run_window(window: int, turns: int, timed: int = 0) -> dict[str, Any]:
    """A long run at `window` tokens (and, when `timed`, the own-time comparison on it)."""
    from tests.model_server import ModelServer

    with tempfile.TemporaryDirectory() as tmp, ModelServer(context_window=window) as server:
        bench = Bench(Path(tmp), server.url, window)
        start = time.perf_counter()
        run = asyncio.run(long_run(bench, server, turns))
        run["seconds"] = time.perf_counter() - start
        if timed:
            run["own"] = asyncio.run(own_time(bench, run["session"], timed))
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000, help="turns in the long session")
    parser.add_argument("--window", type=int, default=2000, help="context window, tokens")
    parser.add_argument("--timed", type=int, default=40, help="timed turns per session")
    parser.add_argument("--runs", type=int, default=5, help="resume runs (median)")
    parser.add_argument("--quick", action="store_true", help="200 turns, few timed, 2 runs")
    args = parser.parse_args()
    turns, timed, runs = (200, 10, 2) if args.quick else (args.turns, args.timed, args.runs)

    run = run_window(args.window, turns, timed)
    wide_window = 8192  # chatcli's default window (chatcli.llm.context_window)
    wide = run_window(wide_window, turns // 2)
    resumed = resume_times(runs)

    limit, sizes = run["limit"], run["sizes"]
    first = sizes[: min(1000, len(sizes))]
    over = sum(1 for s in sizes + run["summaries"] if s > limit)
    wide_over = sum(1 for s in wide["sizes"] + wide["summaries"] if s > wide["limit"])
    long_own, short_own = run["own"]
    long_p50, short_p50 = statistics.median(long_own), statistics.median(short_own)
    ratio = long_p50 / short_p50
    print(
        f"Window {args.window:,} tokens (reply reserve {args.window - limit:,}: requests may hold "
        f"{limit:,}); {turns:,} turns of ~400 characters in {run['seconds']:.0f} s; "
        f"{run['messages']:,} messages, {run['compactions']} compactions. "
        f"Then {wide_window:,} tokens, {turns // 2:,} turns. Load {os.getloadavg()[0]:.2f}\n"
    )
    print("| figure | measured | goal | verdict |")
    print("|---|---|---|---|")
    print(
        f"| tokens sent per turn, first {len(first):,} turns (min / p50 / max) | "
        f"{min(first)} / {statistics.median(first):.0f} / {max(first)} | ≤ {limit:,} | "
        f"{'pass' if max(first) <= limit else 'FAIL'} |"
    )
    print(
        f"| tokens sent per turn, all {len(sizes):,} turns (max); summary requests (max) | "
        f"{max(sizes)}; {max(run['summaries'], default=0)} | ≤ {limit:,} | "
        f"{'pass' if over == 0 else f'FAIL ({over} over)'} |"
    )
    print(
        f"| tokens sent per turn at {wide_window:,}, {len(wide['sizes']):,} turns (max) | "
        f"{max(wide['sizes'])} | ≤ {wide['limit']:,} | "
        f"{'pass' if wide_over == 0 else f'FAIL ({wide_over} over)'} |"
    )
    failed = run["failed"] + wide["failed"]
    left_out = run["left_out"] + wide["left_out"]
    print(
        f"| turns failed / turns answered with older turns left out (both windows) | "
        f"{failed} / {left_out} | 0 / 0 | {'pass' if failed == left_out == 0 else 'FAIL'} |"
    )
    for label, r, n in ((args.window, run, turns), (wide_window, wide, turns // 2)):
        print(
            f"| model calls on compaction per 100 turns at a {label:,}-token window | "
            f"{r['summary_calls'] * 100 / n:.1f} ({r['summary_calls']} in {n:,} turns) | "
            "reported | |"
        )
    print(
        f"| chatcli's own time per turn, {turns:,}-turn session vs 10-turn (p50 of {timed}) | "
        f"{ms(long_p50)} vs {ms(short_p50)}: {ratio:.2f}x | ≤ 1.2x | "
        f"{'pass' if ratio <= 1.2 else 'FAIL'} |"
    )
    for label, paint, ready, floor in resumed:
        print(
            f"| `chatcli --resume`, 10,000 messages ({label}): first paint / last message "
            f"on screen (median of {runs}) | {ms(paint)} / {ms(ready)} "
            f"({ready / floor:.2f}x a Textual hello world's {ms(floor)}) | ≤ 500 ms | "
            f"{'pass' if ready <= 0.5 else 'FAIL'} |"
        )


if __name__ == "__main__":
    main()
