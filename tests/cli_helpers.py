"""Running chatcli as a person does: the real console script, or click's CliRunner.

Every run gets its own config and data folders (CHATCLI_CONFIG_DIR /
CHATCLI_DATA_DIR under tmp_path), no provider keys and no proxies, so nothing
reaches the internet and nothing leaks in from the developer's machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from chatcli.cli import main
from chatcli.session import ChatMessage, Session, SessionRecord
from chatcli.store.jsonl import JsonlStore

BIN = Path(sys.executable).parent
_KEY_SUFFIXES = ("_API_KEY", "_API_BASE", "_TOKEN", "_PROXY", "_proxy")


def console_script(name: str = "chatcli") -> str:
    """The installed console script next to this Python (the real entry point)."""
    script = BIN / name
    if script.exists():
        return str(script)
    found = shutil.which(name)
    assert found, f"the {name!r} console script is not installed"
    return found


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment whose chatcli folders live under `home`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CHATCLI_", "LITELLM_")) and not k.endswith(_KEY_SUFFIXES)
    }
    env.update(
        CHATCLI_DATA_DIR=str(home / "data"),
        CHATCLI_CONFIG_DIR=str(home / "config"),
        NO_PROXY="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class Run:
    """What one command did."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

    def ok(self) -> Run:
        assert self.code == 0, f"exit {self.code}\nstdout: {self.stdout}\nstderr: {self.stderr}"
        assert "Traceback" not in self.output, self.output
        return self


def run_cli(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    stdin: str | None = None,
    umask: int | None = None,
    timeout: float = 60,
) -> Run:
    """Run the real `chatcli` console script in a subprocess (stdin is never a tty)."""
    proc = subprocess.run(
        [console_script(), *args],
        env=dict(env),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


# socketserver's report of a client that hung up on the in-process test server: that
# thread writes to sys.stderr, which CliRunner captures, but it is not chatcli's output.
_SERVER_NOISE = re.compile(
    r"-{40}\nException occurred during processing of request from .*?\n-{40}\n", re.S
)


def invoke(args: Sequence[str], env: Mapping[str, str], *, stdin: str | None = None) -> Run:
    """Run chatcli in this process through click's CliRunner (much faster)."""
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    overrides.update(env)  # the same environment a subprocess would get
    result = CliRunner().invoke(
        main, list(args), env=overrides, input=stdin, prog_name="chatcli", catch_exceptions=True
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash, not a handled error: show it with its traceback
    return Run(result.exit_code, result.stdout, _SERVER_NOISE.sub("", result.stderr))


def assert_one_error_line(run: Run, *words: str) -> str:
    """A refused command: non-zero exit, one `chatcli:` line on stderr, no traceback."""
    assert run.code != 0, run
    assert "Traceback" not in run.output, run.output
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("chatcli:")]
    assert len(errors) == 1, f"expected one 'chatcli:' line, got stderr:\n{run.stderr}"
    for word in words:
        assert word in errors[0], f"{word!r} not in {errors[0]!r}"
    return errors[0]


def assert_usage_error(run: Run, *words: str) -> None:
    """click's own refusal of bad arguments: exit 2 and an `Error:` line."""
    assert run.code == 2, run
    assert "Traceback" not in run.output, run.output
    assert "Error:" in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


# -- the data a command leaves behind --------------------------------------------


def sessions_dir(home: Path) -> Path:
    return home / "data" / "sessions"


def store_for(home: Path) -> JsonlStore:
    return JsonlStore(sessions_dir(home))


def log_lines(home: Path, session_id: str) -> list[dict[str, Any]]:
    """The session's JSONL file, one dict per line."""
    raw = (sessions_dir(home) / f"{session_id}.jsonl").read_bytes()
    assert raw.endswith(b"\n"), "a log always ends with a complete line"
    return [json.loads(line) for line in raw.splitlines()]


def log_messages(home: Path, session_id: str) -> list[dict[str, Any]]:
    return [line for line in log_lines(home, session_id) if line["type"] == "message"]


def make_session(
    home: Path,
    session_id: str,
    turns: Sequence[tuple[str, str]] = (),
    *,
    title: str = "",
    checkpoint_every_turn: bool = False,
) -> Session[Any]:
    """A session written through the Session API: (user, assistant) turns."""
    session: Session[Any] = Session.create(
        store_for(home), session_id=session_id, title=title, model="openai/test-model"
    )
    for question, answer in turns:
        session.add_message("user", question)
        session.add_message("assistant", answer, model="openai/test-model")
        if checkpoint_every_turn:
            session.checkpoint(question, auto=True)
    return session


def make_old_session(home: Path, session_id: str, ts: str, title: str = "") -> None:
    """A session whose every line is dated `ts` (e.g. months ago)."""
    store_for(home).create(
        [
            SessionRecord(id=session_id, ts=ts, created=ts, title=title),
            ChatMessage(role="user", content=f"{session_id} question", ts=ts),
            ChatMessage(role="assistant", content=f"{session_id} answer", ts=ts),
        ]
    )
