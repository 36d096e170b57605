"""How much a chatcli turn costs beyond litellm itself, against one loopback server.

    python bench/bench_turn.py [--turns 40] [--quick]

Starts tests/model_server.py in a subprocess (SSE streaming, usage chunk),
then, in conversations already under way, alternates two clients on the same
messages: litellm.acompletion directly, and ChatEngine.send (user append +
fsync, prompt render, stream, reply and checkpoint + one fsync). Prints one
markdown table. Process start-up of `chatcli ask` is measured separately.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = "openai/test-model"
KEY = "sk-bench"


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.model_server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    return proc, url


async def direct_turn(url: str, messages: list[dict[str, Any]], tools: Any) -> tuple[float, float]:
    from chatcli.llm.loader import load

    litellm = load()
    start = time.perf_counter()
    first = 0.0
    stream = await litellm.acompletion(
        model=MODEL,
        messages=messages,
        tools=tools,
        stream=True,
        stream_options={"include_usage": True},
        api_base=url,
        api_key=KEY,
    )
    async for chunk in stream:
        if not first and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - start
    return first, time.perf_counter() - start


async def engine_turn(engine: Any, text: str) -> tuple[float, float]:
    from chatcli.chat.events import ReplyDelta

    start = time.perf_counter()
    first = 0.0
    async for event in engine.send(text):
        if not first and isinstance(event, ReplyDelta):
            first = time.perf_counter() - start
    return first, time.perf_counter() - start


async def measure(url: str, turns: int) -> dict[str, list[float]]:
    from chatcli.chat.agent import PromptRenderer, load_agent
    from chatcli.chat.engine import ChatEngine
    from chatcli.chat.history import model_messages
    from chatcli.chat.tools import MEMORY_TOOLS
    from chatcli.llm import LiteLLMModel
    from chatcli.session import Session
    from chatcli.store import JsonlStore

    tmp = Path(tempfile.mkdtemp(prefix="bench-turn-"))
    store = JsonlStore(tmp / "sessions")
    model = LiteLLMModel(api_base=url, api_key=KEY)
    agent = load_agent("default", tmp / "agents")
    text = "Tell me something short."
    renderer = PromptRenderer()
    tools = MEMORY_TOOLS.schemas()
    out: dict[str, list[float]] = {k: [] for k in ("d_first", "d_total", "e_first", "e_total")}
    for i in range(turns + 3):  # 3 warm-up rounds
        session = Session.create(store, title="bench")  # titled: no rename in the turn
        engine = ChatEngine(session, model, model_name=MODEL, agent=agent, tools=MEMORY_TOOLS)
        await engine_turn(engine, "Hello.")  # a conversation under way: its files are open
        system = await renderer.render(agent.source, session.view.state)
        messages = model_messages(system, session.messages)
        messages.append({"role": "user", "content": text})  # exactly what the engine sends
        d = await direct_turn(url, messages, tools)
        e = await engine_turn(engine, text)
        if i >= 3:
            out["d_first"].append(d[0])
            out["d_total"].append(d[1])
            out["e_first"].append(e[0])
            out["e_total"].append(e[1])
    return out


def ask_startup(url: str, runs: int) -> tuple[float, float, float]:
    env = {
        **os.environ,
        "CHATCLI_DATA_DIR": tempfile.mkdtemp(prefix="bench-ask-"),
        "CHATCLI_CONFIG_DIR": tempfile.mkdtemp(prefix="bench-cfg-"),
        "CHATCLI_API_KEY": KEY,
    }
    cmd = [sys.executable, "-m", "chatcli", "ask", "-m", MODEL, "--api-base", url, "hi"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    imp = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import litellm"], env=env, check=True)
        imp.append(time.perf_counter() - start)
    bare = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    return statistics.median(times), statistics.median(imp), statistics.median(bare)


def ms(x: float) -> str:
    return f"{x * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="few turns, one ask run")
    args = parser.parse_args()
    turns = 5 if args.quick else args.turns
    proc, url = start_server()
    try:
        r = asyncio.run(measure(url, turns))
        ask, imp, bare = ask_startup(url, 1 if args.quick else 5)
    finally:
        proc.terminate()
        proc.wait()
    p50 = {k: statistics.median(v) for k, v in r.items()}
    overhead = p50["e_total"] - p50["d_total"]
    print(
        f"Turns: {turns} per client, alternating, one loopback server; load {os.getloadavg()[0]:.2f}\n"
    )
    print("| measure | litellm direct | chatcli engine | overhead | goal |")
    print("|---|---|---|---|---|")
    print(
        f"| time to first token (p50) | {ms(p50['d_first'])} | {ms(p50['e_first'])} | "
        f"{ms(p50['e_first'] - p50['d_first'])} | |"
    )
    verdict = "pass" if overhead <= 0.005 else "FAIL"
    print(
        f"| whole turn (p50) | {ms(p50['d_total'])} | {ms(p50['e_total'])} | {ms(overhead)} | "
        f"<= 5 ms: {verdict} |"
    )
    print(f"| `chatcli ask` process, start to exit (p50) | | {ms(ask)} | | reported |")
    print(f"| `python -c 'import litellm'` (p50) | {ms(imp)} | | | reference |")
    print(f"| `python -c pass` (p50) | {ms(bare)} | | | reference |")


if __name__ == "__main__":
    main()
