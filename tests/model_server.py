"""A scripted OpenAI-compatible chat server on 127.0.0.1, for tests and manual trials.

Each request to ``POST /v1/chat/completions`` takes the next scripted `Reply`
(or, when the script is empty, echoes the last user message). Streams are SSE
over HTTP/1.1 chunked encoding, shaped like OpenAI's, so litellm's real client
can talk to it.

Run it by hand to try chatcli without a key (``--help`` lists the flags)::

    python -m tests.model_server --port 8080 --delay 0.05 --tools --errors
    chatcli --api-base http://127.0.0.1:8080/v1 -m openai/test

With ``--tools`` it calls chatcli's memory tools when told "remember my name is
Ada" / "my city is Lisbon" / "forget my city" ("remember everywhere that my city
is Lisbon", "forget everywhere my city": scope "user"); with ``--errors`` it answers
"error 429" (or 401, 404, 500, 503) with that HTTP error and "cut off" with a
stream that breaks halfway. ``--remember``, ``--forget``, ``--remember-user``,
``--forget-user`` and ``--fail`` queue such replies for the first requests
(``--call NAME=JSON`` any tool call, ``--reply TEXT`` a text answer, e.g. to walk
through examples/session_react.py); ``--fail-every N`` breaks every Nth one;
``--vary`` numbers echoes of the same prompt ("(take 2)") so a regenerated reply
differs from the first.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_TOKEN = re.compile(r"\s*\S+|\s+")
_REMEMBER = re.compile(
    r"^\s*(?:please\s+)?(?:remember\s+(?:that\s+)?(?:my\s+)?|my\s+)"
    r"(?P<key>[a-z][\w ]{0,30}?)\s+(?:is|=)\s+(?P<value>.+?)\s*[.!]?\s*$",
    re.IGNORECASE,
)
_FORGET = re.compile(
    r"^\s*(?:please\s+)?forget\s+(?:my\s+)?(?P<key>[a-z][\w ]{0,30}?)\s*[.!]?\s*$", re.I
)
_EVERYWHERE = re.compile(r"\s*\beverywhere\b\s*", re.IGNORECASE)
"""In a remember/forget request: the user scope ("remember everywhere that my city is …")."""
_ERROR = re.compile(r"\b(?:error|fail)\s+(?P<status>[45]\d\d)\b", re.IGNORECASE)


def split_tokens(text: str) -> list[str]:
    """Split text into word-sized pieces that join back to the same text."""
    return _TOKEN.findall(text) or [""]


@dataclass
class Reply:
    """One scripted answer: what to stream, and how (or whether) to break it."""

    text: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, raw JSON args)
    status: int = 200
    retry_after: int | None = None
    error_message: str | None = None
    # Chunk counts include the opening {"role": "assistant"} chunk.
    cut_after: int | None = None  # close the connection after this many chunks
    malformed_after: int | None = None  # send bad JSON after this many chunks
    stall_after: int | None = None  # block after this many chunks ...
    stall_seconds: float = 0.0  # ... for this long, or until `release()`
    delay: float | None = None  # seconds between chunks; None uses the server's default
    finish_reason: str | None = None  # None: "tool_calls" if there are any, else "stop"


@dataclass(frozen=True)
class RecordedRequest:
    """What the server received; the Authorization value is never kept (only its hash)."""

    path: str
    headers: dict[str, str]
    has_authorization: bool
    body: dict[str, Any]
    authorization_sha256: str | None = None
    """SHA-256 of the Authorization header, so a test can tell which key was sent."""

    def sent_key(self, key: str) -> bool:
        """Whether the request carried `Authorization: Bearer <key>`."""
        return self.authorization_sha256 == hashlib.sha256(f"Bearer {key}".encode()).hexdigest()


class ModelServer:
    """The scripted server. Start with `start()`, stop with `stop()`."""

    def __init__(
        self,
        port: int = 0,
        delay: float = 0.0,
        *,
        tools: bool = False,
        errors: bool = False,
        fail_every: int = 0,
        vary: bool = False,
    ) -> None:
        self.delay = delay
        self.vary = vary
        """Echo the same prompt differently each time ("(take 2)"), to try regenerating."""
        self._takes: dict[str, int] = {}
        self.tools = tools
        """Call remember/forget when the last user message asks to (see the module doc)."""
        self.errors = errors
        """Answer "error 429" with that HTTP error, "cut off" with a broken stream."""
        self.fail_every = fail_every
        """Answer every Nth request with HTTP 500 (0: never)."""
        self._served = 0
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.disconnected = threading.Event()  # set when a client hangs up on a stall
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.model_server = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The api_base to give a client, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(timeout=5)

    # -- scripting -------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies; each request takes the next one."""
        with self._lock:
            self._script.extend(replies)

    def reply_text(self, text: str | list[str], *, delay: float | None = None) -> None:
        """Answer with text: a string (split into word tokens) or explicit chunks."""
        chunks = split_tokens(text) if isinstance(text, str) else list(text)
        self.script(Reply(text=chunks, delay=delay))

    def reply_tool_calls(
        self,
        calls: list[tuple[str, dict[str, Any] | str]],
        *,
        text: str = "",
        finish_reason: str | None = None,
    ) -> None:
        """Answer with (parallel) tool calls, optionally after some text."""
        raw = [(name, a if isinstance(a, str) else json.dumps(a)) for name, a in calls]
        tokens = split_tokens(text) if text else []
        self.script(Reply(text=tokens, tool_calls=raw, finish_reason=finish_reason))

    def fail(self, status: int, retry_after: int | None = None, message: str | None = None) -> None:
        """Answer with an HTTP error (401, 404, 429, 500, 503, ...)."""
        self.script(Reply(status=status, retry_after=retry_after, error_message=message))

    def cut_off(self, after_chunks: int = 2, text: str = "This reply will be cut short") -> None:
        """Stream some chunks, then drop the connection without finishing."""
        self.script(Reply(text=split_tokens(text), cut_after=after_chunks))

    def malformed(self, after_chunks: int = 1, text: str = "Some text then garbage") -> None:
        """Stream some chunks, then a data line that is not JSON."""
        self.script(Reply(text=split_tokens(text), malformed_after=after_chunks))

    def stall(
        self, seconds: float = 30.0, after_chunks: int = 1, text: str = "Wait for it"
    ) -> None:
        """Stream some chunks, then hang for `seconds` or until `release()`."""
        self._release.clear()
        self.script(Reply(text=split_tokens(text), stall_after=after_chunks, stall_seconds=seconds))

    def release(self) -> None:
        """Wake up a stalled reply."""
        self._release.set()

    def remember(self, key: str, value: str, scope: str | None = None) -> None:
        """Answer with a call of chatcli's `remember` tool (`scope` "user": every session)."""
        args = {"key": key, "value": value, **({"scope": scope} if scope else {})}
        self.reply_tool_calls([("remember", args)])

    def forget(self, key: str, scope: str | None = None) -> None:
        """Answer with a call of chatcli's `forget` tool (`scope` "user": every session)."""
        self.reply_tool_calls([("forget", {"key": key, **({"scope": scope} if scope else {})})])

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self._served += 1
            if self._script:
                return self._script.popleft()
            served = self._served
        if self.fail_every and served % self.fail_every == 0:
            return Reply(status=500)
        return self._react(body) or Reply(text=split_tokens(self._echo(_last_user_text(body))))

    def _echo(self, text: str) -> str:
        """The default answer: the prompt said back (numbered per prompt with `vary`)."""
        if not self.vary:
            return f"You said: {text}"
        with self._lock:
            take = self._takes[text] = self._takes.get(text, 0) + 1
        return f"You said: {text} (take {take})"

    def _react(self, body: dict[str, Any]) -> Reply | None:
        """The reply `--tools` / `--errors` give to what the person said, if any."""
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        if self.tools and last.get("role") == "tool":
            return Reply(text=split_tokens(f"Done: {last.get('content') or 'ok'}"))
        text = _last_user_text(body)
        if self.errors:
            if found := _ERROR.search(text):
                status = int(found["status"])
                return Reply(status=status, retry_after=5 if status == 429 else None)
            if "cut off" in text.lower():
                return Reply(text=split_tokens("This reply will be cut short, sorry"), cut_after=4)
        if self.tools:
            scope = {"scope": "user"} if _EVERYWHERE.search(text) else {}
            text = _EVERYWHERE.sub(" ", text)
            if found := _FORGET.match(text):
                key = _key(found["key"])
                return Reply(tool_calls=[("forget", json.dumps({"key": key, **scope}))])
            if found := _REMEMBER.match(text):
                args = {"key": _key(found["key"]), "value": found["value"], **scope}
                return Reply(tool_calls=[("remember", json.dumps(args))])
        return None

    def wait_for_disconnect(self, timeout: float = 5.0) -> bool:
        """Whether a client hung up on a stalled reply within `timeout` seconds."""
        return self.disconnected.wait(timeout)

    def hold(self, conn: socket.socket, seconds: float) -> bool:
        """Block a stalled reply; False if the client hung up meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._release.wait(0.02) and time.monotonic() < deadline:
            if _peer_closed(conn):
                self.disconnected.set()
                return False
        return True

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _key(words: str) -> str:
    return "_".join(words.lower().split())


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _peer_closed(conn: socket.socket) -> bool:
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Server(ThreadingHTTPServer):
    """Tracks open connections so `stop()` can close kept-alive ones too."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up is normal here; anything else is printed as usual."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chatcli-test-model/1"
    disable_nagle_algorithm = True  # like real servers: each SSE event leaves at once

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    @property
    def model_server(self) -> ModelServer:
        return self.server.model_server  # type: ignore[attr-defined,no-any-return]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send_json(404, {"error": {"message": f"No route {self.path}"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "Body is not JSON."}})
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        auth = headers.pop("authorization", None)
        digest = hashlib.sha256(auth.encode()).hexdigest() if auth is not None else None
        self.model_server.requests.append(
            RecordedRequest(self.path, headers, auth is not None, body, digest)
        )
        reply = self.model_server.next_reply(body)
        if reply.status != 200:
            self._send_error(reply, body)
        elif body.get("stream"):
            self._stream(reply, body)
        else:
            self._send_json(200, _full_response(reply, body))

    # -- responses -------------------------------------------------------

    def _send_json(
        self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, reply: Reply, body: dict[str, Any]) -> None:
        default = {
            401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
            404: (
                f"The model `{body.get('model')}` does not exist.",
                "invalid_request_error",
                "model_not_found",
            ),
            429: ("Rate limit reached.", "requests", "rate_limit_exceeded"),
        }.get(reply.status, ("The server had an error.", "server_error", None))
        message = reply.error_message or default[0]
        extra = {} if reply.retry_after is None else {"Retry-After": str(reply.retry_after)}
        payload = {"error": {"message": message, "type": default[1], "code": default[2]}}
        self._send_json(reply.status, payload, extra)

    def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        delay = self.model_server.delay if reply.delay is None else reply.delay
        chunks = _stream_chunks(reply, body)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if include_usage:
            chunks.append(_chunk(body, [], usage=_usage(reply, body)))
        try:
            for n, chunk in enumerate(chunks):
                if n == reply.cut_after:
                    self.close_connection = True
                    return  # no terminating chunk: the body is incomplete
                if n == reply.malformed_after:
                    self._write_event('{"choices": [{"delta": {"content": "oops"')
                if n == reply.stall_after:
                    self.wfile.flush()
                    if not self.model_server.hold(self.connection, reply.stall_seconds):
                        self.close_connection = True
                        return
                if delay and n:
                    time.sleep(delay)
                self._write_event(json.dumps(chunk))
            self._write_event("[DONE]")
            self._write_raw(b"")  # terminating chunk
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write_event(self, data: str) -> None:
        self._write_raw(f"data: {data}\n\n".encode())

    def _write_raw(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


# -- OpenAI-shaped payloads ------------------------------------------------


def _chunk(
    body: dict[str, Any], choices: list[dict[str, Any]], usage: Any = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": choices,
    }
    if usage is not None:
        out["usage"] = usage
    return out


def _delta(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]


def _stream_chunks(reply: Reply, body: dict[str, Any]) -> list[dict[str, Any]]:
    chunks = [_chunk(body, _delta({"role": "assistant", "content": ""}))]
    chunks += [_chunk(body, _delta({"content": piece})) for piece in reply.text]
    for index, (name, args) in enumerate(reply.tool_calls):
        head = {"index": index, "id": f"call_{index}_{name}", "type": "function"}
        head["function"] = {"name": name, "arguments": ""}
        chunks.append(_chunk(body, _delta({"tool_calls": [head]})))
        for start in range(0, len(args), 7):
            piece = {"index": index, "function": {"arguments": args[start : start + 7]}}
            chunks.append(_chunk(body, _delta({"tool_calls": [piece]})))
    chunks.append(_chunk(body, _delta({}, _finish(reply))))
    return chunks


def _finish(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _usage(reply: Reply, body: dict[str, Any]) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "").split()) + 3 for m in body.get("messages", []))
    completion = len(reply.text) + sum(len(a) // 4 + 1 for _, a in reply.tool_calls)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _full_response(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.text) or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}_{n}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(reply.tool_calls)
        ]
    finish = _finish(reply)
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _usage(reply, body),
    }


def _tool_call(text: str) -> tuple[str, dict[str, Any]]:
    name, value = _key_value(text)
    try:
        arguments = json.loads(value or "{}")
    except json.JSONDecodeError:
        arguments = None
    if not isinstance(arguments, dict):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME={{JSON object of arguments}}")
    return name, arguments


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key.strip(), value


class _Queue(argparse.Action):
    """Collects --remember/--forget/--fail/--call/--reply into one list, in command-line order."""

    def __call__(
        self, parser: argparse.ArgumentParser, ns: argparse.Namespace, value: Any, opt: Any = None
    ) -> None:
        queue = getattr(ns, "queue", None) or []
        ns.queue = [*queue, (self.dest, value)]


def main(argv: list[str] | None = None) -> None:
    """Serve replies until interrupted; prints the URL first."""
    parser = argparse.ArgumentParser(
        description="A scripted OpenAI-compatible server on 127.0.0.1 (echoes by default)."
    )
    parser.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between tokens")
    parser.add_argument(
        "--tools",
        action="store_true",
        help='call remember/forget when told "remember my name is Ada", "forget my name"',
    )
    parser.add_argument(
        "--errors",
        action="store_true",
        help='answer "error 429" (401, 404, 500…) with that error, "cut off" with a broken stream',
    )
    parser.add_argument(
        "--remember",
        type=_key_value,
        action=_Queue,
        metavar="KEY=VALUE",
        help="queue a remember(KEY, VALUE) tool call (repeatable; queued in the order given)",
    )
    parser.add_argument("--forget", action=_Queue, metavar="KEY", help="queue a forget(KEY) call")
    parser.add_argument(
        "--remember-user",
        type=_key_value,
        action=_Queue,
        metavar="KEY=VALUE",
        help='queue remember(KEY, VALUE, scope="user"): user memory, for every session',
    )
    parser.add_argument(
        "--forget-user", action=_Queue, metavar="KEY", help='queue forget(KEY, scope="user")'
    )
    parser.add_argument(
        "--fail",
        type=int,
        action=_Queue,
        metavar="STATUS",
        help="queue an HTTP error reply, e.g. 429 or 500 (repeatable)",
    )
    parser.add_argument(
        "--call",
        type=_tool_call,
        action=_Queue,
        metavar="NAME=JSON",
        help="""queue a call of any tool, e.g. --call 'add_step={"text": "book"}' (repeatable)""",
    )
    parser.add_argument("--reply", action=_Queue, metavar="TEXT", help="queue a text reply")
    parser.add_argument(
        "--fail-every", type=int, default=0, metavar="N", help="answer every Nth request with 500"
    )
    parser.add_argument(
        "--vary",
        action="store_true",
        help='number repeated echoes, "(take 2)", so a regenerated reply differs',
    )
    args = parser.parse_args(argv)
    server = ModelServer(
        port=args.port,
        delay=args.delay,
        tools=args.tools,
        errors=args.errors,
        fail_every=args.fail_every,
        vary=args.vary,
    )
    for flag, value in getattr(args, "queue", []):
        if flag == "remember":
            server.remember(*value)
        elif flag == "forget":
            server.forget(value)
        elif flag == "call":
            server.reply_tool_calls([value])
        elif flag == "reply":
            server.reply_text(value)
        elif flag == "remember_user":
            server.remember(*value, scope="user")
        elif flag == "forget_user":
            server.forget(value, scope="user")
        else:
            server.fail(value, retry_after=5 if value == 429 else None)
    server.start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
