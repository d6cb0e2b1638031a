"""A real Web Push receiver for tests: the push service and the browser in one.

It listens on loopback like a push service, records every message, and decrypts it like the
browser would (RFC 8291 aes128gcm with the subscription's own private key and auth secret), so a
test checks what a device would actually display. Also makes VAPID keys for the sender.

    with PushReceiver() as receiver:
        register(endpoint=receiver.endpoint("er-pc"), **receiver.keys)
        ...
        payload = receiver.wait_for(lambda p: p["tag"] == "…")
"""

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kurashi.testing.server import free_port


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_keys() -> dict[str, str]:
    """Settings / environment lines of a fresh VAPID key pair (what `kurashi notify vapid-keys`
    prints)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "WEBPUSH_VAPID_PRIVATE_KEY": b64url(
            key.private_numbers().private_value.to_bytes(32, "big")
        ),
        "WEBPUSH_VAPID_PUBLIC_KEY": b64url(public),
        "WEBPUSH_VAPID_SUBJECT": "mailto:kyukyu@example.test",
    }


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]
    at: float


@dataclass
class PushReceiver:
    """The push service of one browser subscription (several endpoints share its keys)."""

    status: int = 201
    received: list[Received] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._auth = b"kurashi-auth-16b"
        self._lock = threading.Condition()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadingHTTPServer | None = None

    @property
    def keys(self) -> dict[str, str]:
        """p256dh and auth as a browser's PushSubscription.toJSON() gives them."""
        public = self._key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self._auth)}

    def endpoint(self, name: str) -> str:
        return f"{self.url}/push/{name}"

    def _accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        try:
            plain = http_ece.decrypt(
                body, private_key=self._key, auth_secret=self._auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except Exception as error:  # a message the browser could not read is a test failure
            self.errors.append(f"{path}: {type(error).__name__}: {error}")
            return 400
        with self._lock:
            self.received.append(Received(path, headers, payload, time.monotonic()))
            self._lock.notify_all()
        return 410 if path.endswith("/gone") else self.status

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> Received:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for item in self.received:
                    if predicate(item.payload):
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"no matching push within {timeout} s; got {self.received}, {self.errors}"
                    )
                self._lock.wait(remaining)

    def __enter__(self) -> "PushReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._accept(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
