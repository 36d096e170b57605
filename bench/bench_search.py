"""Full-text search over every session, against simonw/llm's `llm logs -q`.

Run `python bench/bench_search.py` (`--sessions 500` for a smoke run). One run:

1. generates SESSIONS sessions of TURNS exchanges (a user message, a reply and
   the turn's automatic checkpoint each; 10,000 x 10 is the issue's 200,000 messages) with the store's own record types and
   writer (`JsonlStore.create`, one durable write per session: the fast path);
2. loads the same conversations into llm's own SQLite database, in a venv of
   its own under /tmp (`pip install llm`; if that fails the table says so):
   its migrations make the schema, llm's `message_hash` names the messages,
   and each turn gets its `turns` row and its `turn_search` row (the FTS
   table `llm logs -q` reads), as `LogStore.log` writes them;
3. times the first full index build (`chatcli search --reindex`, its progress
   on stderr), `chatcli search WORD --limit 3` against `llm logs -q WORD -n 3`
   process start to exit, alternated in the same run, queries in process
   (p50/p99 over a mix of single words, two words, prefixes and phrases taken
   from the generated text), the catch-up after one new turn (of that session
   alone, and a whole scan of the sessions folder), and the index's size
   against the logs'.

It prints one markdown table. The machine is shared: compare ratios within one
run, and rerun when the load average (printed under the table) is high.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from chatcli.session import ChatMessage, CheckpointRecord, Record, Session, SessionRecord
from chatcli.session.replay import View, chain_digest
from chatcli.store.jsonl import JsonlStore
from chatcli.store.search_index import SearchIndex

HERE = Path(__file__).resolve().parent
LLM_VENV = Path(
    os.environ.get("CHATCLI_BENCH_LLM_VENV", Path(tempfile.gettempdir()) / "chatcli-bench-llm")
)
LOADER = HERE / "bench_search_llm.py"
"""Run by llm's venv's Python: loads the conversations into llm's database."""

SYLLABLES = [
    "ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "pa", "zu", "ro", "fe", "li",
    "ga", "to", "be", "sa", "ni", "qu", "mo", "re", "la", "xe", "po", "di", "ha", "ju",
]  # fmt: skip


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """`size` distinct made-up words of 2-4 syllables (rank 0 is the commonest)."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words, key=lambda w: (len(w), w))


class Text:
    """Zipf-distributed sentences over a vocabulary."""

    def __init__(self, words: list[str], rng: random.Random) -> None:
        self.words = words
        self.rng = rng
        self.weights = [1 / (rank + 1) for rank in range(len(words))]
        self.cum = list(_accumulate(self.weights))

    def sentence(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        picked = self.rng.choices(self.words, cum_weights=self.cum, k=count)
        return " ".join(picked).capitalize() + "."


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def session_records(n: int, turns: int, text: Text, start: float) -> tuple[list[Record], list]:
    """One session's lines (as the engine writes them) and its (user, reply, ts) turns."""
    ts0 = start + n * 60.0
    header = SessionRecord(id=f"s{n:05d}", ts=_ts(ts0), created=_ts(ts0), title="")
    view = View.start(header)
    records: list[Record] = [header]
    pairs = []
    for t in range(turns):
        when = _ts(ts0 + t * 2 + 1)
        user = ChatMessage(role="user", content=text.sentence(20, 40), ts=when)
        reply = ChatMessage(
            role="assistant", content=text.sentence(80, 160), ts=_ts(ts0 + t * 2 + 2)
        )
        for record in (user, reply):
            records.append(record)
            view.apply(_numbered(record, len(records)))
        seq = len(records) + 1
        records.append(
            CheckpointRecord(
                id=f"cp{seq}",
                at=seq - 1,
                digest=view.digest(),
                chain=chain_digest(view.head),
                label=user.content[:60],
                auto=True,
                ts=_ts(ts0 + t * 2 + 2),
            )
        )
        view.apply(_numbered(records[-1], seq))
        pairs.append((user.content, reply.content, reply.ts))
    return records, pairs


def _numbered(record: Record, seq: int) -> Record:
    from chatcli.session.numbering import with_seq

    return with_seq(record, seq)


def _ts(epoch: float) -> str:
    whole = int(epoch)
    micros = int((epoch - whole) * 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"


def generate(root: Path, sessions: int, turns: int, text: Text) -> list[Any]:
    store = JsonlStore(root)
    everything = []
    start = time.time() - sessions * 60.0 - 3600
    for n in range(sessions):
        records, pairs = session_records(n, turns, text, start)
        store.create(records)
        everything.append({"id": records[0].id, "turns": pairs})  # type: ignore[attr-defined]
        if n % 1000 == 999:
            print(f"  generated {n + 1} sessions", file=sys.stderr)
    return everything


# -- llm --------------------------------------------------------------------------


def llm_python() -> Path | None:
    """The bench venv's Python with llm installed (made the first time), or None."""
    python = LLM_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LLM_VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import llm"], capture_output=True)
    if check.returncode != 0:
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "llm"], capture_output=True, text=True
        )
        if pip.returncode != 0:
            print(f"  pip install llm failed: {pip.stderr.strip()[-300:]}", file=sys.stderr)
            return None
    return python


# -- measuring ----------------------------------------------------------------------


def timed(args: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def queries(text: Text, everything: list[Any], rng: random.Random) -> list[str]:
    """A mix of what people search: words (common ones more often), pairs, prefixes, phrases."""
    out: list[str] = []
    for _ in range(200):
        out.append(rng.choices(text.words, cum_weights=text.cum)[0])
    for _ in range(100):
        out.append(" ".join(rng.choices(text.words, cum_weights=text.cum, k=2)))
    for _ in range(100):
        out.append(rng.choice(text.words[50:])[:4] + "*")
    for _ in range(100):
        said = rng.choice(rng.choice(everything)["turns"])[0].rstrip(".").split()
        at = rng.randrange(len(said) - 2)
        out.append('"' + " ".join(said[at : at + 3]).lower() + '"')
    rng.shuffle(out)
    return out


def folder_size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument(
        "--turns",
        type=int,
        default=10,
        help="exchanges per session (10: 20 messages, as the issue's 200,000)",
    )
    parser.add_argument("--runs", type=int, default=15, help="process runs of each command")
    parser.add_argument("--dir", type=Path, help="where to put the data (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    args = parser.parse_args()

    rng = random.Random(11)
    text = Text(vocabulary(20_000, rng), rng)
    base = Path(tempfile.mkdtemp(prefix="chatcli-bench-search-", dir=args.dir))
    data = base / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CHATCLI_", "LLM_"))},
        "CHATCLI_DATA_DIR": str(data),
        "CHATCLI_CONFIG_DIR": str(base / "config"),
        "LLM_USER_PATH": str(base / "llm"),
    }
    rows: list[tuple[str, str, str]] = []
    try:
        print(f"Generating {args.sessions} sessions x {args.turns} exchanges…", file=sys.stderr)
        began = time.perf_counter()
        everything = generate(data / "sessions", args.sessions, args.turns, text)
        print(f"  took {time.perf_counter() - began:.1f} s", file=sys.stderr)
        logs = sorted((data / "sessions").glob("*.jsonl"))
        log_bytes = folder_size(logs)
        messages = sum(len(s["turns"]) * 2 for s in everything)

        python = llm_python()
        llm_bin = LLM_VENV / "bin" / "llm"
        llm_db_bytes = 0
        if python is not None:
            print("Loading the same conversations into llm's database…", file=sys.stderr)
            (base / "conversations.json").write_text(json.dumps(everything))
            (base / "llm").mkdir()
            subprocess.run(
                [str(python), str(LOADER), str(base / "conversations.json"), str(base / "llm")],
                check=True,
            )
            llm_db_bytes = folder_size(list((base / "llm").iterdir()))

        chatcli = shutil.which("chatcli", path=str(Path(sys.executable).parent)) or "chatcli"
        print("First full index build (chatcli search --reindex):", file=sys.stderr)
        began = time.perf_counter()
        subprocess.run([chatcli, "search", "--reindex"], env=env, check=True)
        build = time.perf_counter() - began
        index = SearchIndex.for_store(JsonlStore(data / "sessions"), data)
        index_files = [p for p in index.path.parent.iterdir()]
        index_bytes = folder_size(index_files)

        word = text.words[300]  # a word of middling frequency
        found = index.search(word, limit=10_000, catch_up=False).hits
        print(f"Process runs, alternated: {word!r} is in {len(found)}+ messages", file=sys.stderr)
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed([chatcli, "search", word, "--limit", "3"], env))
            if python is not None:
                theirs.append(timed([str(llm_bin), "logs", "-q", word, "-n", "3"], env))

        mix = queries(text, everything, rng)
        times = []
        for query in mix:
            began = time.perf_counter()
            index.search(query, limit=20, catch_up=False)
            times.append(time.perf_counter() - began)
        scans = []
        for query in mix[:50]:
            began = time.perf_counter()
            index.search(query, limit=20)
            scans.append(time.perf_counter() - began)

        alone, whole = [], []
        store = JsonlStore(data / "sessions")
        for n in range(20):
            session: Session[Any] = Session.load(store, everything[n * 7]["id"])
            session.add_message("user", text.sentence(20, 40))
            session.add_message("assistant", text.sentence(80, 160))
            session.checkpoint(auto=True)
            began = time.perf_counter()
            index.catch_up(only=[session.id])
            alone.append(time.perf_counter() - began)
            session.add_message("user", text.sentence(20, 40))
            session.add_message("assistant", text.sentence(80, 160))
            began = time.perf_counter()
            index.catch_up()
            whole.append(time.perf_counter() - began)

        p50 = statistics.median(ours)
        if theirs:
            anchor = statistics.median(theirs)
            process = f"{p50 * 1000:.0f} ms vs {anchor * 1000:.0f} ms: **{p50 / anchor:.2f}x**"
        else:
            process = f"{p50 * 1000:.0f} ms; llm could not be installed, so no ratio"
        rows = [
            (
                "`chatcli search WORD` process, start to exit, vs `llm logs -q WORD`, same run (p50)",
                process,
                "≤ 0.5x",
            ),
            (
                "query in process, p50 / p99 (500 queries: words, pairs, prefixes, phrases)",
                f"{pct(times, 0.5) * 1000:.1f} ms / {pct(times, 0.99) * 1000:.1f} ms",
                "≤ 20 ms / ≤ 100 ms",
            ),
            (
                "the same with its catch-up scan of the folder (nothing new), p50",
                f"{pct(scans, 0.5) * 1000:.1f} ms",
                "",
            ),
            (
                f"first full index build ({args.sessions} sessions, {messages} messages)",
                f"{build:.1f} s, progress on stderr",
                "≤ 20 s, with progress",
            ),
            (
                "index catch-up after one new turn: that session / a whole scan, p50",
                f"{pct(alone, 0.5) * 1000:.2f} ms / {pct(whole, 0.5) * 1000:.1f} ms",
                "≤ 2 ms",
            ),
            (
                "index size vs logs size",
                f"{index_bytes / 1e6:.0f} MB vs {log_bytes / 1e6:.0f} MB ({index_bytes / log_bytes:.2f}x)"
                + (f"; llm's database {llm_db_bytes / 1e6:.0f} MB" if llm_db_bytes else ""),
                "reported",
            ),
        ]
        print("\n| figure | measured | goal |\n|---|---|---|")
        for name, value, goal in rows:
            print(f"| {name} | {value} | {goal} |")
        print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"data kept in {base}", file=sys.stderr)


if __name__ == "__main__":
    main()
