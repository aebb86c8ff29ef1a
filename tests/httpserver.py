"""A real HTTP server on 127.0.0.1 for download tests: serve, 404, truncate, and hostile ones:
a body that never ends, and one that drips a byte every half second."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def do_GET(self) -> None:
        mode, body = self.routes.get(self.path, ("missing", b""))
        if mode == "missing":
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "endless":  # endless: no length, the body runs until the client hangs up
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode in ("endless", "drip"):
            self._trickle(body, 64 * 1024 if mode == "endless" else 1,
                          0.0 if mode == "endless" else 0.5)
            return
        if mode == "stall":  # promise the whole body, send a little, then nothing for 30 s
            self.wfile.write(body[:1000])
            self.wfile.flush()
            time.sleep(30)
            return
        if mode == "truncate":  # promise the whole body, send a third, hang up
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def _trickle(self, body: bytes, step: int, pause: float) -> None:
        """Send `body` over and over in `step`-byte writes, `pause` s apart, for at most 30 s."""
        stop = time.monotonic() + 30
        data = body or b"x"
        position = 0
        try:
            while time.monotonic() < stop:
                piece = (data * (step // len(data) + 2))[position % len(data):][:step]
                self.wfile.write(piece)
                self.wfile.flush()
                position += step
                time.sleep(pause)
        except OSError:  # the client hung up: what the test wanted
            pass

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@contextmanager
def serve(routes: dict[str, tuple[str, bytes]]) -> Iterator[str]:
    """Serve `routes` ({path: (mode, body)}, mode "ok", "truncate", "endless", "drip" or
    "stall");
    yield the base URL."""
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
