"""The offline model's engine process: ``python -m chatcli.llm.local_server --model FILE``.

Run by `LocalEngine` (local_engine.py), never by hand. It loads the GGUF file
into llama.cpp's own HTTP server (the prebuilt ``xllamacpp`` wheel) on
127.0.0.1 at a free port, writes one JSON line to stdout (``{"address": ...,
"n_ctx": ...}``, or ``{"error": ...}`` when loading failed), and then serves
until its stdin closes: the parent keeps the other end open, so the pipe
closes when the parent exits or dies. On Linux it also asks the kernel to kill
it when the parent goes (PR_SET_PDEATHSIG). Everything it or llama.cpp prints
goes to stderr, which the parent points at chatcli's log file.

Extra buffer types stay off (``no_extra_bufts``): on CPUs with AMX, llama.cpp's
weight-repacking path crashes in decode with Q4_K_M models
(ggml-org/llama.cpp#20824). A crash here ends this process only; the parent
reports it and starts a new one on the next request.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
from typing import IO, Any

PR_SET_PDEATHSIG = 1

LOG_VERBOSITY = 2
"""llama.cpp's log threshold: warnings and errors reach the log file, per-request chatter not."""


def die_with_parent(parent: int) -> None:
    """Be killed when the parent goes; exit now if it is already gone (Linux only)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def quiet_process() -> IO[str]:
    """Take stdout for the hello line only: fd 1 becomes stderr (the log) for everything else.

    Also: no core files in someone's folder after a crash, and Ctrl+C in the
    parent's terminal is the parent's business.
    """
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return channel


def start_server(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """An xllamacpp Server with the model loaded, and the hello line to send."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.n_ctx = args.n_ctx
    params.n_parallel = 1
    params.no_extra_bufts = True
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.n_threads_http = 2
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free port, chosen by the kernel
    params.ui = False
    params.verbosity = LOG_VERBOSITY
    server = xllamacpp.Server(params)  # returns once the model is loaded
    return server, {"address": str(server.listening_address), "n_ctx": args.n_ctx}


def build_parser() -> argparse.ArgumentParser:
    """The engine's command line (LocalEngine writes it)."""
    parser = argparse.ArgumentParser(prog="python -m chatcli.llm.local_server")
    parser.add_argument("--model", required=True, help="the GGUF file")
    parser.add_argument("--n-ctx", type=int, required=True, help="context size in tokens")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads")
    parser.add_argument("--parent", type=int, required=True, help="the parent's pid")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    die_with_parent(args.parent)
    channel = quiet_process()
    try:
        _server, hello = start_server(args)  # kept referenced until exit
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        channel.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        channel.close()
        return 3
    channel.write(json.dumps(hello) + "\n")
    channel.close()
    while sys.stdin.buffer.read(65536):
        pass  # nothing is sent; EOF means the parent is gone
    os._exit(0)  # llama.cpp's threads need no orderly shutdown (and `_server` stays alive)


if __name__ == "__main__":
    sys.exit(main())
