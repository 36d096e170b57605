"""How fast a session's history tree is built and drawn: 10,000 messages, 500 branches.

    python bench/bench_tree.py [--runs 7] [--messages 10000] [--branches 500]

The session is written through the real Session API on the memory store: turns,
with a regeneration or an edit of the newest turn every few turns (half each),
and now and then a switch back to an older branch that then grows, so the tree
is deep as well as wide. Then, each the median of `--runs`:

- replaying the log into its view (the anchor: what opening the session costs);
- building the tree from the view (`session.tree.build_tree`);
- folding it into rows (`session.tree_rows.tree_rows`: one per branch);
- the version markers (2/3) of the active view (`chat.branch_actions.sibling_map`);
- `sessions tree --json`'s payload (`Tree.to_json` + `json.dumps`);
- drawing: the tree screen opened in a headless Textual app (120x36), from the
  push to its first paint (it folds the rows itself, so this includes folding);
- the goal's measure: build + draw.

Prints one markdown table with each time's ratio to the anchor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatcli.chat.branch_actions import sibling_map  # noqa: E402
from chatcli.session import Session, branching  # noqa: E402
from chatcli.session.records import Record  # noqa: E402
from chatcli.session.replay import View, replay  # noqa: E402
from chatcli.session.tree import Tree, build_tree  # noqa: E402
from chatcli.session.tree_rows import tree_rows  # noqa: E402
from chatcli.store.memory import MemoryStore  # noqa: E402

GOAL = 0.3
"""Seconds: build and draw the tree of the 10,000-message session (issue 14)."""


def make_log(messages: int, branches: int) -> list[Record]:
    """A session of `messages` messages whose tree has `branches` branch points."""
    session: Session[Any] = Session.create(MemoryStore(), session_id="bench-tree")
    # Each branch adds 1 (regenerate) or 2 (edit) messages beyond its turn's 2.
    extra = branches // 2 + 2 * (branches - branches // 2)
    turns = max(branches, (messages - extra) // 2)
    every = max(1, turns // max(1, branches))
    made = 0
    words = ["the", "keeper", "reads", "a", "message", "from", "her", "own", "future"]
    for turn in range(turns):
        text = " ".join(words[(turn + i) % len(words)] for i in range(8))
        user = session.add_message("user", f"Question {turn}: {text}?")
        session.add_message("assistant", f"Answer {turn}: {text}.", end_turn=f"turn {turn}")
        if made < branches and turn % every == every - 1:
            if made % 2 == 0:
                branching.start_regeneration(session)
                session.add_message("assistant", f"Another answer {turn}.", end_turn="regen")
            else:
                branching.add_edited(session, user.seq, f"Edited question {turn}?", title="")
                session.add_message("assistant", f"Answer to the edit {turn}.", end_turn="edit")
            made += 1
            if made % 25 == 0:  # go back to the older version and carry on from there
                head = session.view.head
                if head is not None:
                    session.switch(session.tree().siblings(head.message.seq)[0])
    return session.records


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def draw_times(tree: Tree, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from pushing a screen to its first paint, in a headless app: the tree
    screen, and (the floor, pushed alternately) a dialog holding one line of text."""
    from textual.app import App, ComposeResult
    from textual.containers import Vertical
    from textual.screen import ModalScreen
    from textual.widgets import Static

    from chatcli.tui.screens.tree_screen import TreeScreen

    css = ROOT / "chatcli" / "tui" / "app.tcss"
    times: list[float] = []
    started = [0.0]

    def painted() -> None:
        times.append(time.perf_counter() - started[0])

    class Painted(TreeScreen):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(painted)

    class Floor(ModalScreen[None]):
        def compose(self) -> ComposeResult:
            with Vertical(classes="dialog"):
                yield Static("History", classes="dialog-title")

        def on_mount(self) -> None:
            self.call_after_refresh(painted)

    class Bench(App[None]):
        CSS_PATH = str(css)

    out: dict[str, list[float]] = {"tree": [], "floor": []}

    async def run() -> None:
        app = Bench()
        async with app.run_test(size=(120, 36)) as pilot:
            for n in range(runs + 1):  # the first opening imports the widgets: dropped
                for name in ("floor", "tree"):
                    count = len(times)
                    started[0] = time.perf_counter()
                    app.push_screen(Painted(tree) if name == "tree" else Floor())
                    while len(times) == count:
                        await pilot.pause(0.001)
                    if n:
                        out[name].append(times[-1])
                    app.pop_screen()
                    await pilot.pause(0.05)

    asyncio.run(run())
    return out["tree"], out["floor"]


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds >= 0.001 else f"{seconds * 1e6:.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=500)
    args = parser.parse_args()

    records = make_log(args.messages, args.branches)
    view: View = replay(records)
    tree = build_tree(view)
    leaves = tree.branch_count()
    rows = tree_rows(tree)
    depth = max(r.run.depth for r in rows)

    anchor = median_time(lambda: replay(records), args.runs)
    build = median_time(lambda: build_tree(view), args.runs)
    fold = median_time(lambda: tree_rows(build_tree(view)), args.runs) - build
    markers = median_time(lambda: sibling_map(view), args.runs)
    as_json = median_time(lambda: json.dumps(build_tree(view).to_json()), args.runs) - build
    draws, floors = draw_times(tree, args.runs)
    draw, floor = statistics.median(draws), statistics.median(floors)
    small = build_tree(replay(make_log(10, 2)))
    small_draw = statistics.median(draw_times(small, args.runs)[0])
    total = build + draw

    print(
        f"Session: {len(tree)} messages, {len(records)} log lines, {leaves} branch tips "
        f"({leaves - 1} branches off the first), {len(rows)} rows, deepest row {depth}.\n"
    )
    print(f"| step | measured (median of {args.runs}) | ratio to the anchor | goal |")
    print("|---|---|---|---|")
    table = [
        ("replay the log into its view (anchor)", anchor, ""),
        ("build the tree from the view", build, ""),
        ("fold it into rows (one per branch)", fold, ""),
        ("version markers of the active view", markers, ""),
        ("`sessions tree --json` payload", as_json, ""),
        ("Textual floor: open a one-line dialog (push to first paint)", floor, ""),
        ("the same screen for a 10-message session (its fixed cost)", small_draw, ""),
        ("draw: open the tree screen (fold + compose + first paint)", draw, ""),
        (
            "**build + draw**",
            total,
            f"<= {GOAL:.1f} s: {'pass' if total <= GOAL else '**fail**'}",
        ),
    ]
    for name, seconds, goal in table:
        print(f"| {name} | {fmt(seconds)} | {seconds / anchor:.2f}x | {goal} |")


if __name__ == "__main__":
    main()
