"""A local HTTP/1.1 server that keeps connections open and records what it was asked.

Used by tests in their own process (a fixture) and by scripts they run in a
fresh interpreter (``sys.path`` given this folder).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Seen:
    """What the server saw of each request: the client's port, path, headers and body."""

    def __init__(self) -> None:
        self.ports: list[int] = []
        self.paths: list[str] = []
        self.headers: list[list[tuple[str, str]]] = []
        self.bodies: list[bytes] = []
        self.cookie: str | None = None  # a Set-Cookie to answer with


def serve(seen: Seen) -> ThreadingHTTPServer:
    """Start the server in a daemon thread; it answers every GET and POST with ``ok``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.ports.append(self.client_address[1])
            seen.paths.append(self.path)
            seen.headers.append([(k.lower(), v) for k, v in self.headers.items()])
            seen.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            if seen.cookie:
                self.send_header("Set-Cookie", seen.cookie)
            self.end_headers()
            self.wfile.write(b"ok")

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/"
