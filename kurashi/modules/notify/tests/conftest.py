"""Real components on loopback: an SMTP server (aiosmtpd), a Web Push endpoint and a webhook
receiver (http.server), plus builders for subscriptions and notices."""

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import override_settings

from kurashi.core.geo import reset_boundary_index
from kurashi.core.models import Municipality
from kurashi.core.services import load_municipalities
from kurashi.modules.notify.channels import reset_adapters
from kurashi.modules.notify.notices import Notice
from kurashi.testing.server import free_port


@pytest.fixture
def _reload_municipalities(django_db_blocker: Any) -> Iterator[None]:
    """Set up before transactional_db, so torn down after its flush: the flush empties every
    table, and the tests that run next expect the session's municipalities."""
    yield
    with django_db_blocker.unblock():
        load_municipalities()
        reset_boundary_index()


@pytest.fixture
def reference_data(_reload_municipalities: None, transactional_db: None) -> None:
    if not Municipality.objects.exists():
        load_municipalities()
    reset_boundary_index()


@dataclass
class SmtpSink:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.sink.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        data = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.sink.messages.append(message)
        return "250 Message accepted"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    mailers = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 5},
        }
    }
    reset_adapters()
    try:
        with override_settings(MAILERS=mailers):
            yield sink
    finally:
        controller.stop()
        reset_adapters()


@dataclass
class HttpSink:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 201
    delay: float = 0.0


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    """A loopback HTTP server recording every POST (push service, webhook receiver)."""
    port = free_port()
    sink = HttpSink(url=f"http://127.0.0.1:{port}")
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            sink.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if sink.delay:
                stop.wait(sink.delay)
            status = 410 if self.path.endswith("/gone") else sink.status
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def make_notice(**overrides: Any) -> Notice:
    values: dict[str, Any] = {
        "key": "urn:test:1",
        "event_key": "jma:test:event",
        "revision": 1,
        "msg_type": "Alert",
        "hazard": "heavy_rain",
        "level": 4,
        "area_levels": {"412023": 4},
        "texts": {
            "ja": {
                "event": "大雨警報",
                "headline": "唐津市に大雨警報",
                "instruction": "避難してください",
            },
            "en": {"event": "Heavy rain warning", "headline": "Heavy rain warning for Karatsu"},
        },
        "web_url": "/disaster/m/412023/",
        "sent": datetime(2026, 7, 25, 4, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return Notice(**values)


@pytest.fixture
def notice_factory() -> Callable[..., Notice]:
    return make_notice
