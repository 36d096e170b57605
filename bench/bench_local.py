"""The offline model on this machine: engine start, first token, tokens per second, crashes.

    python bench/bench_local.py [--starts 3] [--replies 10]

Needs chatcli[local]. Each start is a new engine process (LocalEngine.process()
from nothing to /health answering); each reply goes through LiteLLMModel and
litellm's real client, as `chatcli ask` does. Tokens per second count the
engine's own completion tokens over the time from the first to the last piece.
Prints one markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatcli.errors import ModelError  # noqa: E402
from chatcli.llm import LiteLLMModel, StreamEnd, TextDelta, preload  # noqa: E402
from chatcli.llm.local import LOCAL_MODEL, LocalEngine  # noqa: E402
from chatcli.llm.local_engine import threads  # noqa: E402

STORY = [{"role": "user", "content": "Tell me a long story about a dragon and a knight."}]
ADA = [
    {"role": "user", "content": "My name is Ada."},
    {"role": "assistant", "content": "Nice to meet you, Ada."},
    {"role": "user", "content": "What is my name?"},
]


async def one_reply(
    model: LiteLLMModel, messages: list[dict[str, str]]
) -> tuple[float, float, str]:
    """(first-token seconds, tokens per second, text)."""
    started = time.monotonic()
    first = last = 0.0
    tokens = 0
    text = ""
    async for event in model.stream(LOCAL_MODEL, messages):
        if isinstance(event, TextDelta):
            last = time.monotonic()
            first = first or last
            text += event.text
        elif isinstance(event, StreamEnd) and event.usage is not None:
            tokens = event.usage.completion_tokens
    rate = (tokens - 1) / (last - first) if last > first and tokens > 1 else 0.0
    return first - started, rate, text


def cpu_flags() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    amx = sorted(set(re.findall(r"\bamx\w*", info)))
    return ", ".join(amx) if amx else "no AMX flags"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--replies", type=int, default=10)
    args = parser.parse_args()
    preload()
    models = Path(tempfile.mkdtemp(prefix="bench-local-"))
    starts: list[float] = []
    for _ in range(args.starts):
        engine = LocalEngine(models)
        began = time.monotonic()
        engine.process()
        starts.append(time.monotonic() - began)
        engine.stop()
    engine = LocalEngine(models)
    model = LiteLLMModel(local=engine, timeout=120.0)
    engine.process()
    firsts: list[float] = []
    rates: list[float] = []
    crashes = ada = 0
    for n in range(args.replies):
        try:
            first, _, answer = await one_reply(model, ADA)
            _, rate, _ = await one_reply(model, STORY)
        except ModelError as exc:
            crashes += 1
            print(f"reply {n}: {exc.sentence()}", file=sys.stderr)
            continue
        firsts.append(first)
        rates.append(rate)
        ada += "Ada" in answer
    engine.stop()
    print(f"threads: {threads()}; CPU: {cpu_flags()}; first start includes assembling the file")
    print()
    print("| measure | median | min | max |")
    print("|---|---:|---:|---:|")
    print(
        f"| engine start to ready (n={len(starts)}) | {statistics.median(starts):.2f} s "
        f"| {min(starts):.2f} s | {max(starts):.2f} s |"
    )
    if firsts:
        print(
            f"| first token, Ada prompt (n={len(firsts)}) | {statistics.median(firsts) * 1000:.0f} ms "
            f"| {min(firsts) * 1000:.0f} ms | {max(firsts) * 1000:.0f} ms |"
        )
        print(
            f"| tokens/s, story reply (n={len(rates)}) | {statistics.median(rates):.1f} "
            f"| {min(rates):.1f} | {max(rates):.1f} |"
        )
    print(f"| engine crashes in {args.replies * 2} replies | {crashes} | | |")
    print(f'| "Your name is Ada" answers | {ada}/{len(firsts)} | | |')


if __name__ == "__main__":
    asyncio.run(main())
