"""Talking to the offline model's engine over loopback HTTP (llama.cpp's server API).

Two calls: ``POST /tokenize`` to count a prompt's tokens, and ``POST
/v1/completions`` streamed as server-sent events. Every transport failure
becomes a `ModelError` that says what happened to the engine (see
`EngineProcess.lost` and `.hung`), never a bare httpx error.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx

from chatcli.errors import ModelError

if TYPE_CHECKING:
    from chatcli.llm.local_engine import EngineProcess


class EngineClient:
    """A synchronous HTTP client for one engine process; use as a context manager."""

    def __init__(self, engine: EngineProcess, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=engine.address,
            timeout=httpx.Timeout(timeout, connect=5.0),
            trust_env=False,  # loopback: no proxy may see the conversation
        )

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def count(self, text: str) -> int:
        """How many tokens `text` is as a prompt (with the BOS token the server adds)."""
        with self._errors():
            response = self._http.post("/tokenize", json={"content": text, "add_special": True})
            _check(response)
            tokens = response.json().get("tokens")
        if not isinstance(tokens, list):
            raise _malformed("/tokenize")
        return len(tokens)

    def complete(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Stream ``/v1/completions``: each event's JSON, until ``[DONE]``."""
        with self._errors(), self._http.stream("POST", "/v1/completions", json=body) as response:
            if response.status_code != 200:
                response.read()
                _check(response)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    return
                try:
                    event = json.loads(data)
                except ValueError as exc:
                    raise _malformed("/v1/completions") from exc
                if isinstance(event, dict) and "error" in event:
                    raise _refused(event["error"])
                if isinstance(event, dict):
                    yield event
            raise self.engine.lost()  # the stream ended without [DONE]: the engine went away

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as exc:
            raise self.engine.hung(self.timeout) from exc
        except httpx.TransportError as exc:  # refused, reset, cut mid-reply: the engine died?
            raise self.engine.lost() from exc


def _check(response: httpx.Response) -> None:
    if response.status_code == 200:
        return
    try:
        error: Any = response.json().get("error", response.text)
    except ValueError:
        error = response.text
    raise _refused(error, response.status_code)


def _refused(error: Any, status: int | None = None) -> ModelError:
    message = error.get("message", error) if isinstance(error, dict) else error
    code = f" (HTTP {status})" if status else ""
    return ModelError(
        "server",
        f"The offline model refused the request{code}: {str(message)[:200]}",
        "See the log file for details.",
    )


def _malformed(endpoint: str) -> ModelError:
    return ModelError(
        "malformed",
        f"The offline model sent a reply to {endpoint} that chatcli could not read.",
        "See the log file for details.",
    )
