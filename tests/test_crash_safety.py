"""kill -9 at random moments never loses an acknowledged entry.

A writer process (tests/helpers_writer.py) creates a session and appends to
it, printing each seq once `add_message` has returned; it is killed with
SIGKILL after a random delay, counted from its start (so some die while
creating the session) or from the moment the session exists (so most die
between or inside appends). Half the writers write through a slow disk, so
many kills land in the middle of a line. Afterwards every acknowledged entry
must be readable with its content, a torn last line must be ignored by
readers, and the next writer must move exactly those torn bytes to
`<id>.jsonl.corrupt-<UTC timestamp>` and append after the last whole line.
No kill, not even one inside a create, leaves a temporary file behind.
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chatcli.session import ChatMessage, Session
from chatcli.store import JsonlStore
from tests.helpers_writer import content

WRITER = Path(__file__).with_name("helpers_writer.py")
TRIALS = 200
PARALLEL = 4
MAX_DELAY = 0.06
CORRUPT_NAME = re.compile(r"(?P<id>.+)\.jsonl\.corrupt-\d{8}T\d{6}\.\d{6}Z(-\d+)?")


@dataclass
class Outcome:
    """What one batch of trials reported."""

    acks: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    killed: dict[str, int] = field(default_factory=dict)


def run_batch(root: Path, trials: list[dict[str, object]]) -> tuple[Outcome, str]:
    done = subprocess.run(
        [sys.executable, str(WRITER), "crash", str(root)],
        input=json.dumps(trials),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    outcome = Outcome()
    for line in done.stdout.splitlines():
        kind, session_id, *rest = line.split()
        if kind == "ack":
            outcome.acks[session_id].append((int(rest[0]), int(rest[1])))
        elif kind == "killed":
            outcome.killed[session_id] = int(rest[0])
    return outcome, done.stderr


def check_trial(root: Path, session_id: str, acked: list[tuple[int, int]]) -> str:
    """Verify one killed writer's session, then append as the next writer. Returns its kind."""
    store = JsonlStore(root)
    path = root / f"{session_id}.jsonl"
    if not path.exists():
        assert acked == [], f"{session_id}: acknowledged {acked} but the file is gone"
        return "never created"
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    torn = data[len(whole) :]

    records, _ = store.read(session_id)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert records[0].id == session_id  # type: ignore[union-attr]
    for record in records[1:]:
        assert isinstance(record, ChatMessage)
        assert record.content == content(session_id, record.seq - 1), f"{session_id}:{record.seq}"
    for seq, i in acked:
        assert seq <= len(records), f"{session_id}: acknowledged seq {seq} is lost"
        assert records[seq - 1].seq == seq
        if i:
            assert records[seq - 1].content == content(session_id, i)  # type: ignore[union-attr]

    session = Session.load(store, session_id)
    assert len(session.messages) == len(records) - 1
    session.add_message("assistant", "the next writer")

    after = path.read_bytes()
    assert after.startswith(whole), f"{session_id}: a whole line changed"
    assert after.endswith(b"\n")
    reread, _ = store.read(session_id)
    assert [r.seq for r in reread] == list(range(1, len(records) + 2))
    assert reread[-1].content == "the next writer"  # type: ignore[union-attr]
    aside = sorted(root.glob(f"{session_id}.jsonl.corrupt-*"))
    if not torn:
        assert aside == []
        return "whole"
    assert len(aside) == 1, f"{session_id}: expected one .corrupt file, found {aside}"
    match = CORRUPT_NAME.fullmatch(aside[0].name)
    assert match is not None and match["id"] == session_id, aside[0].name
    assert aside[0].read_bytes() == torn
    return "torn"


def test_kill_9_at_random_moments_never_loses_an_acknowledged_entry(tmp_path: Path) -> None:
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    root = tmp_path / "sessions"
    trials: list[dict[str, object]] = [
        {
            "id": f"t{n:03d}",
            "delay": rng.uniform(0.0, MAX_DELAY),
            "slow": n % 2 == 1,
            "after_create": n % 4 >= 2,
        }
        for n in range(TRIALS)
    ]
    batches = [trials[k::PARALLEL] for k in range(PARALLEL)]

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(lambda batch: run_batch(root, batch), batches))

    errors = "".join(stderr for _, stderr in results)
    acks: dict[str, list[tuple[int, int]]] = {}
    killed: dict[str, int] = {}
    for outcome, _ in results:
        acks.update(outcome.acks)
        killed.update(outcome.killed)
    assert len(killed) == TRIALS, f"seed {seed}; writer errors:\n{errors}"
    assert set(killed.values()) == {signal.SIGKILL}, f"seed {seed}; writer errors:\n{errors}"

    kinds: dict[str, int] = defaultdict(int)
    checked = 0
    for trial in trials:
        session_id = str(trial["id"])
        kinds[check_trial(root, session_id, acks.get(session_id, []))] += 1
        checked += 1

    assert checked == TRIALS >= 200
    left = sorted(p.name for p in root.iterdir() if p.name.endswith(".tmp"))
    assert left == [], f"a create killed mid-way left temporary files: {left}"
    acknowledged = sum(len(a) for a in acks.values())
    with_messages = sum(1 for a in acks.values() if any(seq > 1 for seq, _ in a))
    report = (
        f"seed {seed}: {dict(kinds)}, {acknowledged} acknowledged, {with_messages} with messages"
    )
    # The kills really landed everywhere: in creates, between appends and mid-line.
    assert kinds["torn"] >= 5, report
    assert kinds["whole"] >= 20, report
    assert with_messages >= TRIALS // 8, report
    print(report)
