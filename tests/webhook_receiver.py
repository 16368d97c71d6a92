"""A webhook receiver for the tests: a real HTTP(S) server on loopback that records what it receives, and the
signature check a receiver makes (as docs/webhooks.md shows it)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def unique_key(self) -> str:
        return self.headers["X-Lago-Unique-Key"]


@dataclass
class Receiver:
    """An http.server on 127.0.0.1 that answers each request with the next scripted reaction (a status code, or
    "drop": close the connection without an answer), then 200; it records every request it read."""

    script: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(dict(self.headers.items()), body, self.path))
                reaction = receiver.script.pop(0) if receiver.script else 200
                if reaction == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(reaction)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verifies(received: Received, hmac_key: str) -> bool:
    """A receiver's check, as docs/webhooks.md shows it: HMAC-SHA256 of the raw body, base64, compared."""
    expected = base64.b64encode(hmac.new(hmac_key.encode(), received.body, hashlib.sha256).digest()).decode()
    return (received.headers["X-Lago-Signature-Algorithm"] == "hmac"
            and hmac.compare_digest(expected, received.headers["X-Lago-Signature"]))
