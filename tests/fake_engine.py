"""A stand-in for the offline model's engine process, speaking the same protocol.

``python tests/fake_engine.py [--once FILE --after N --then WHAT] --n-ctx N --parent PID``
does what ``chatcli.llm.local_server`` does (the same parent-death and
quiet-output set-up, one JSON hello line on stdout, serve until stdin closes),
but answers without a model: ``/tokenize`` counts words, and
``/v1/completions`` streams "Fake reply to: <the last User line>" word by
word as chunked server-sent events, the way llama.cpp's server does.

``--once FILE --after N --then WHAT``: when FILE exists, the next reply removes
it, streams N pieces and then does WHAT: ``SIGSEGV``/``SIGKILL``/``SIGABRT``
(the process dies by that signal), ``exit3`` (exits with code 3), or ``stall``
(sends nothing more, so a test can kill it from outside). A restarted engine
finds no FILE and answers normally. ``--fail-start`` reports a load error and
exits 3 instead of serving. It prints junk to stdout and stderr on start, so a
test can check none of it reaches the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chatcli.llm.local_server import die_with_parent, quiet_process

NOISE = "fake engine: loading tensors (this must never reach the terminal)"


def reply_words(prompt: str) -> list[str]:
    users = [line for line in prompt.splitlines() if line.startswith("User: ")]
    last = users[-1].removeprefix("User: ") if users else ""
    words = f"Fake reply to: {last}".split(" ")
    return [words[0], *(f" {w}" for w in words[1:])]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    options: argparse.Namespace

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"fake engine: {format % args}\n")

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return dict(json.loads(self.rfile.read(length) or b"{}"))

    def do_GET(self) -> None:
        if self.path == "/health":
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = self._body()
        if self.path == "/tokenize":
            self._json(200, {"tokens": list(range(len(str(body["content"]).split()) + 1))})
        elif self.path == "/v1/completions":
            self._complete(body)
        else:
            self._json(404, {"error": {"message": "not found"}})

    def _event(self, payload: object) -> None:
        data = f"data: {json.dumps(payload) if not isinstance(payload, str) else payload}\n\n"
        raw = data.encode()
        self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()

    def _complete(self, body: dict[str, Any]) -> None:
        prompt = str(body["prompt"])
        words = reply_words(prompt)[: int(body.get("max_tokens") or 128)]
        misbehave = self._take_once()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for n, word in enumerate(words):
            if misbehave and n == self.options.after:
                self._misbehave()
            self._event({"choices": [{"text": word, "index": 0, "finish_reason": None}]})
            time.sleep(0.01)
        usage = {
            "prompt_tokens": len(prompt.split()) + 1,
            "completion_tokens": len(words),
            "total_tokens": len(prompt.split()) + 1 + len(words),
        }
        self._event(
            {"choices": [{"text": "", "index": 0, "finish_reason": "stop"}], "usage": usage}
        )
        self._event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _take_once(self) -> bool:
        once = self.options.once
        if once is None:
            return False
        try:
            os.unlink(once)
        except FileNotFoundError:
            return False
        return True

    def _misbehave(self) -> None:
        then = self.options.then
        if then == "stall":
            threading.Event().wait()
        if then == "exit3":
            os._exit(3)
        os.kill(os.getpid(), getattr(signal, then))  # SIGSEGV and SIGABRT: as a native crash
        time.sleep(10)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-ctx", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--once")
    parser.add_argument("--after", type=int, default=2)
    parser.add_argument("--then", default="SIGSEGV")
    parser.add_argument("--fail-start", action="store_true")
    options = parser.parse_args()
    die_with_parent(options.parent)
    print(NOISE, flush=True)  # before quiet_process: this one must not be taken as the hello
    channel = quiet_process()
    print(NOISE, flush=True)
    sys.stderr.write(NOISE + "\n")
    os.write(1, (NOISE + " (fd 1)\n").encode())
    if options.fail_start:
        channel.write(json.dumps({"error": "RuntimeError: fake load failure"}) + "\n")
        channel.close()
        return 3
    Handler.options = options
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    channel.write(json.dumps({"address": f"http://{host}:{port}", "n_ctx": options.n_ctx}) + "\n")
    channel.close()
    while sys.stdin.buffer.read(65536):
        pass
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
