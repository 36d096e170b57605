"""The offline model's engine process, supervised: started on first use, restarted after a crash.

`LocalEngine` owns at most one child at a time (`EngineProcess`), running
``python -m chatcli.llm.local_server`` (or, in tests, any program that speaks
the same protocol). The child is spawned from its own watcher thread, which
reads its one hello line, checks ``/health``, and then waits on it, so the
child is always reaped and its exit is known the moment it happens. A native
crash, an abort or an OOM kill therefore ends the child only: the request in
flight gets one `ModelError` naming the signal, and the next request starts a
new child. The child's output goes to chatcli's log file, never the terminal;
it dies with chatcli (its stdin closes, and PR_SET_PDEATHSIG on Linux).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import chatcli
from chatcli.errors import ModelError, StoreIOError, UnsafePath
from chatcli.llm import model_file
from chatcli.private_files import narrow_mode, open_regular, private_dir

CONTEXT_WINDOW = 2048
"""The offline model's context size in tokens (llama.cpp's n_ctx), prompt and reply together."""

START_TIMEOUT = 120.0
"""Seconds the engine may take to load before chatcli gives up (a busy 2-CPU machine is slow)."""

RESEND = "Your message is saved; send it again to restart the model."

log = logging.getLogger("chatcli.llm.local")

_live: weakref.WeakSet[EngineProcess] = weakref.WeakSet()


def threads() -> int:
    """llama.cpp threads: the usable CPUs less one for the UI and event loop, at most 4.

    llama.cpp's threads wait for each other at every step, so one that loses its
    CPU stalls them all: on a busy 2-CPU machine, 2 threads ran at 2-50 tokens/s
    and 1 thread at a steady 26. A 270M model gains little past 4.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, (cpus or 1) - 1))


def describe_exit(code: int) -> str:
    """A process's end in words: ``signal 11, SIGSEGV`` or ``exit code 3``."""
    if code < 0:
        try:
            return f"signal {-code}, {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


class EngineProcess:
    """One run of the engine: where it listens, and how it ended."""

    def __init__(self, argv: Sequence[str], *, log_file: Path | None, cwd: Path | None) -> None:
        self.argv = list(argv)
        self.log_file = log_file
        self.cwd = cwd
        self.address = ""
        self.n_ctx = CONTEXT_WINDOW
        self.pid: int | None = None
        self.returncode: int | None = None
        self.problem: str | None = None
        """What the engine said went wrong while starting, if it said anything."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._exited = threading.Event()
        self._spawned = threading.Event()

    # -- the watcher thread ---------------------------------------------------

    def start(self) -> None:
        """Spawn the child from a new watcher thread (which lives exactly as long as the child)."""
        threading.Thread(target=self._watch, name="chatcli-local-engine", daemon=True).start()
        self._spawned.wait()

    def _watch(self) -> None:
        try:
            self._supervise()
        except Exception as exc:  # logged: a thread's traceback would land on the TUI
            log.exception("offline model engine: the watcher failed")
            self.problem = f"{type(exc).__name__}: {exc}"
            if self._proc is not None:
                self.kill_now()
                self.returncode = self._proc.wait()  # reaped, whatever went wrong
        finally:
            self._spawned.set()
            self._exited.set()

    def _supervise(self) -> None:
        try:
            proc = self._spawn()
        except OSError as exc:
            self.problem = f"could not run {self.argv[0]}: {exc.strerror or exc}"
            self.returncode = 127
            return
        finally:
            self._spawned.set()
        assert proc.stdout is not None
        with proc.stdout:
            hello = _hello_line(proc.stdout)
        if not self._hello(hello):
            try:  # after an error line the engine exits by itself; anything else is killed
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill_now()
        elif _healthy(self.address, proc):
            log.info("offline model engine %d listening at %s", proc.pid, self.address)
            self._ready.set()
        self.returncode = proc.wait()
        if self._ready.is_set():
            log.warning(
                "offline model engine %d stopped (%s)", proc.pid, describe_exit(self.returncode)
            )

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        root = str(Path(chatcli.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        stderr = _open_log(self.log_file)
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=self.cwd,
                env=env,
                close_fds=True,
                start_new_session=True,  # the terminal's Ctrl+C and hangup are chatcli's
            )
        finally:
            if isinstance(stderr, int) and stderr >= 0:
                os.close(stderr)
        self._proc, self.pid = proc, proc.pid
        _live.add(self)
        return proc

    def _hello(self, line: bytes) -> bool:
        try:
            hello = json.loads(line) if line.strip() else {}
        except ValueError:
            hello = {"error": f"it said {line[:200]!r}"}
        if not isinstance(hello, dict) or "address" not in hello:
            self.problem = str(hello.get("error", "")) if isinstance(hello, dict) else None
            return False
        self.address = str(hello["address"]).rstrip("/")
        self.n_ctx = int(hello.get("n_ctx") or CONTEXT_WINDOW)
        return True

    # -- what callers ask -----------------------------------------------------

    @property
    def alive(self) -> bool:
        """Whether the child has not exited (it may still be starting)."""
        return not self._exited.is_set()

    def wait_ready(self, timeout: float) -> None:
        """Return once the engine answers /health; raise ModelError if it cannot start."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self._exited.is_set():
                raise self._start_failure()
            if time.monotonic() > deadline:
                self.kill()
                raise ModelError(
                    "engine_start",
                    f"The offline model did not start within {timeout:g} seconds.",
                    "Try again; the log file has the engine's own messages.",
                )

    def _start_failure(self) -> ModelError:
        why = self.problem or describe_exit(self.returncode or 0)
        return ModelError(
            "engine_start",
            f"The offline model could not start ({why}).",
            "The log file has the engine's own messages.",
        )

    def lost(self, grace: float = 5.0) -> ModelError:
        """The error for a connection that broke: the engine died, or it is killed now."""
        if self._exited.wait(grace):
            code = self.returncode if self.returncode is not None else 0
            return ModelError(
                "engine_stopped", f"The offline model stopped ({describe_exit(code)}).", RESEND
            )
        self.kill()
        return ModelError(
            "engine_stopped", "The offline model stopped answering, so chatcli stopped it.", RESEND
        )

    def hung(self, seconds: float) -> ModelError:
        """The error for an engine that sent nothing for `seconds`: it is killed now."""
        self.kill()
        return ModelError(
            "timeout",
            f"The offline model sent nothing for {seconds:g} seconds, so chatcli stopped it.",
            RESEND,
        )

    def kill(self) -> None:
        """SIGKILL the child and wait until the watcher has reaped it."""
        self.kill_now()
        self._exited.wait(10)

    def kill_now(self) -> None:
        """SIGKILL the child, without waiting."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # exited just now: the watcher has it
                proc.kill()

    def close(self, timeout: float = 2.0) -> None:
        """Ask the child to exit (close its stdin), then kill it if it does not."""
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):  # a broken pipe: the child is gone already
                proc.stdin.close()
        if not self._exited.wait(timeout):
            self.kill()


def _hello_line(stdout: IO[bytes]) -> bytes:
    """The child's first JSON line; lines before it (a library's chatter) go to the log."""
    for _ in range(100):
        line = stdout.readline()  # b"" when the child dies first
        if not line or line.lstrip().startswith(b"{"):
            return line
        log.info("offline model engine said: %s", line.decode("utf-8", "replace").rstrip())
    return b""


def _healthy(address: str, proc: subprocess.Popen[bytes]) -> bool:
    """Poll GET /health until it answers 200, or the child exits."""
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if client.get(f"{address}/health").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    return False


def _open_log(log_file: Path | None) -> int:
    """A descriptor for the child's stderr: the log file (0600, appended, never a link)."""
    if log_file is None:
        return subprocess.DEVNULL
    try:
        private_dir(log_file.parent)
        fd, info = open_regular(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    except (OSError, UnsafePath, StoreIOError) as exc:
        log.warning("offline model engine: cannot log to %s: %s", log_file, exc)
        return subprocess.DEVNULL
    narrow_mode(fd, info)
    return fd


class LocalEngine:
    """The offline model: its files, and the one engine process that serves it.

    Thread-safe. Nothing starts until `process()` is first called; after a
    crash the next call starts a new child. `command` runs another program in
    place of chatcli's engine (it must speak the same protocol; tests use a
    fake one), in which case no model file is needed.
    """

    def __init__(
        self,
        models_dir: Path,
        *,
        log_file: Path | None = None,
        command: Sequence[str] | None = None,
        n_ctx: int = CONTEXT_WINDOW,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.models_dir = models_dir
        self.log_file = log_file
        self.command = list(command) if command is not None else None
        self.start_timeout = start_timeout
        self._n_ctx = n_ctx
        self._lock = threading.Lock()
        self._current: EngineProcess | None = None

    @property
    def n_ctx(self) -> int:
        """The engine's context size in tokens (the running engine's, once it has started)."""
        current = self._current
        return current.n_ctx if current is not None and current.address else self._n_ctx

    @property
    def pid(self) -> int | None:
        """The running engine's process id, if one is running."""
        current = self._current
        return current.pid if current is not None and current.alive else None

    def is_available(self) -> bool:
        """Whether the engine can run here (its packages are installed, or a command is set)."""
        return self.command is not None or is_installed()

    def process(self) -> EngineProcess:
        """The running engine, started (and waited for) when there is none. Blocks."""
        with self._lock:
            current = self._current
            if current is None or not current.alive:
                current = EngineProcess(self._argv(), log_file=self.log_file, cwd=self._cwd())
                current.start()
                self._current = current
        current.wait_ready(self.start_timeout)
        return current

    def stop(self) -> None:
        """Stop the running engine, if any (the next request starts a new one)."""
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current.close()

    def _argv(self) -> list[str]:
        if self.command is not None:
            return [*self.command, "--n-ctx", str(self._n_ctx), "--parent", str(os.getpid())]
        if not is_installed():
            raise model_file.not_installed()
        path = model_file.model_path(self.models_dir)
        return [
            sys.executable,
            "-m",
            "chatcli.llm.local_server",
            "--model",
            str(path),
            "--n-ctx",
            str(self._n_ctx),
            "--threads",
            str(threads()),
            "--parent",
            str(os.getpid()),
        ]

    def _cwd(self) -> Path | None:
        return self.models_dir if self.command is None else None


_PACKAGES = ("xllamacpp", model_file.PACKAGE)


def is_installed() -> bool:
    """Whether the engine's packages (xllamacpp and the model) are installed; nothing is imported."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in _PACKAGES)


@atexit.register
def _stop_all() -> None:
    """chatcli is exiting: every engine goes with it (and is reaped)."""
    for engine in list(_live):
        engine.close(timeout=1.0)
