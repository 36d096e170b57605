"""A TCP proxy on 127.0.0.1 in front of a real redis-server that can lose replies.

`ReplyDropper` forwards every byte both ways, until it is armed with `drop(n)`:
then the next `n` EVALSHA commands still reach the server and run there, but
once the server's reply arrives the proxy closes the client's connection
instead of relaying it. That is the ambiguous failure a client cannot tell
from a write that never happened: the script ran, the reply was lost.
A `-NOSCRIPT` reply (the script did not run) is relayed and not counted.
`on_drop` runs at that moment, with the reply still held (e.g. to SIGKILL the
server before anything else can reach it).
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable


class ReplyDropper:
    """Forwards 127.0.0.1:`port` to the redis-server on `upstream`; see the module doc."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # so the accept loop sees `close`
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._to_drop = 0
        self.dropped = 0
        """Replies swallowed so far."""
        self.on_drop: Callable[[], None] | None = None
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start(self._accept)

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<proxy port>/0`."""
        return f"redis://127.0.0.1:{self.port}/0"

    def drop(self, replies: int) -> None:
        """Swallow the replies of the next `replies` EVALSHA commands the server runs."""
        with self._lock:
            self._to_drop = replies

    def close(self) -> None:
        """Stop accepting and let every forwarding thread end."""
        self._closed.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            client.settimeout(None)
            self._start(self._forward, client)

    def _forward(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
        except OSError:
            client.close()  # the server is down: the client sees its connection drop
            return
        with client, server:
            self._pump(client, server)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        armed = False  # the command in flight is an EVALSHA whose reply we swallow
        while not self._closed.is_set():
            ready, _, _ = select.select([client, server], [], [], 0.2)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                if sock is client:
                    with self._lock:
                        armed = armed or (self._to_drop > 0 and b"EVALSHA" in data.upper())
                    server.sendall(data)
                elif armed and data.startswith(b"-NOSCRIPT"):
                    armed = False  # it did not run: redis-py loads it and sends it again
                    client.sendall(data)
                elif armed:
                    with self._lock:
                        self._to_drop -= 1
                        self.dropped += 1
                    if self.on_drop is not None:
                        self.on_drop()
                    return  # closes both sockets: the reply is lost
                else:
                    client.sendall(data)
