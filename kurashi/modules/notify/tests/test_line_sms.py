"""Contract tests of the LINE and SMS adapters against local fakes of the providers' HTTP APIs
(no live calls): request shape and authentication, idempotency across a re-send, and the mapping
of every answer (sent, retry, failed, gone) through the real pipeline."""

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from kurashi.modules.notify.channels import Outcome, OutgoingMessage, adapter_for, reset_adapters
from kurashi.modules.notify.channels.line import TEXT_LIMIT, retry_key
from kurashi.modules.notify.messages import render_message
from kurashi.modules.notify.models import Delivery, Subscription
from kurashi.modules.notify.notices import Notice as NoticeData
from kurashi.modules.notify.public import dispatch_notice
from kurashi.modules.notify.services.subscriptions import Choices, normalise_phone, subscribe
from kurashi.modules.notify.tests.factories import make_subscription
from kurashi.testing.server import free_port

pytestmark = pytest.mark.usefixtures("reference_data")

TOKEN = "test-token-123"
LINE_USER = "U" + "0123456789abcdef" * 2
BLOCKED_USER = "U" + "f" * 32


@dataclass
class FakeProvider:
    """LINE's push API and an SMS gateway in one loopback server, answering like the real ones:
    bearer token checked, LINE retry keys remembered (a repeat gets 409), per-address answers."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)  # accepted messages
    requests: int = 0
    answers: dict[str, int] = field(default_factory=dict)  # address -> forced HTTP status
    retry_keys: set[str] = field(default_factory=set)


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    port = free_port()
    fake = FakeProvider(url=f"http://127.0.0.1:{port}")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            with lock:
                fake.requests += 1
                status = self._answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            payload = b'{"message":"fake"}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _answer(self, body: dict[str, Any]) -> int:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401
            address = str(body.get("to", ""))
            if address in fake.answers:
                return fake.answers[address]
            if self.path == "/v2/bot/message/push":
                key = self.headers.get("X-Line-Retry-Key", "")
                uuid.UUID(key)  # LINE rejects a retry key that is not a UUID
                if key in fake.retry_keys:
                    return 409
                if address == BLOCKED_USER:
                    return 400
                (text_message,) = body["messages"]
                assert text_message["type"] == "text"
                assert len(text_message["text"]) <= TEXT_LIMIT
                fake.retry_keys.add(key)
            elif self.path == "/sms":
                assert self.headers.get("Idempotency-Key")
                assert body["from"]
                assert body["text"]
            else:
                return 404
            fake.received.append({"path": self.path, **body})
            return 200

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    reset_adapters()
    settings = {
        "NOTIFY_LINE_API_URL": fake.url,
        "NOTIFY_LINE_CHANNEL_TOKEN": TOKEN,
        "NOTIFY_SMS_URL": f"{fake.url}/sms",
        "NOTIFY_SMS_TOKEN": TOKEN,
        "NOTIFY_SMS_SENDER": "SagaBousai",
    }
    try:
        with override_settings(**settings):
            yield fake
    finally:
        reset_adapters()
        server.shutdown()
        server.server_close()


def _message(**address: str) -> OutgoingMessage:
    rendered = render_message(
        language="ja",
        msg_type="Alert",
        level=4,
        texts={
            "ja": {
                "event": "大雨警報",
                "headline": "唐津市に大雨警報",
                "description": "長文" * 4000,
            }
        },
        web_url="/disaster/m/412023/",
    )
    return OutgoingMessage(
        delivery_id=1,
        idempotency_key="jma:test:event:1:7:line",
        message=rendered,
        payload={},
        address=address,
    )


def test_line_push_request_and_a_resend_after_a_crash_counts_once(provider: FakeProvider) -> None:
    adapter = adapter_for("line")
    message = _message(line_user_id=LINE_USER)
    (first,) = adapter.send_batch([message])
    assert first.outcome == Outcome.SENT
    (accepted,) = provider.received
    assert accepted["to"] == LINE_USER
    text = accepted["messages"][0]["text"]
    assert text.startswith("【発表】 警戒レベル4 大雨警報")
    assert len(text) == TEXT_LIMIT
    assert text.endswith("…")
    assert retry_key(message.idempotency_key) in provider.retry_keys
    # The same outbox row sent again (worker killed after sending, before recording): LINE
    # answers 409 for the known retry key, nobody gets it twice, and the row counts as sent.
    (again,) = adapter.send_batch([message])
    assert again.outcome == Outcome.SENT
    assert len(provider.received) == 1
    assert provider.requests == 2


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(429, Outcome.RETRY), (500, Outcome.RETRY), (400, Outcome.FAILED), (410, Outcome.GONE)],
)
def test_line_answers_map_to_outcomes(
    provider: FakeProvider, status: int, outcome: Outcome
) -> None:
    provider.answers[LINE_USER] = status
    (result,) = adapter_for("line").send_batch([_message(line_user_id=LINE_USER)])
    assert result.outcome == outcome
    assert f"HTTP {status}" in result.error


def test_line_and_sms_without_configuration_fail_with_a_reason() -> None:
    reset_adapters()
    with override_settings(NOTIFY_LINE_CHANNEL_TOKEN="", NOTIFY_SMS_URL=""):
        (line,) = adapter_for("line").send_batch([_message(line_user_id=LINE_USER)])
        (sms,) = adapter_for("sms").send_batch([_message(phone="+819012345678")])
    reset_adapters()
    assert (line.outcome, line.error) == (Outcome.FAILED, "NOTIFY_LINE_CHANNEL_TOKEN is not set")
    assert sms.outcome == Outcome.FAILED
    assert "NOTIFY_SMS_URL" in sms.error


def test_unreachable_provider_is_retried() -> None:
    reset_adapters()
    with override_settings(
        NOTIFY_SMS_URL=f"http://127.0.0.1:{free_port()}/sms", NOTIFY_SMS_TOKEN=TOKEN
    ):
        (result,) = adapter_for("sms").send_batch([_message(phone="+819012345678")])
    reset_adapters()
    assert result.outcome == Outcome.RETRY


def test_sms_request_is_short_with_the_link(provider: FakeProvider) -> None:
    with override_settings(NOTIFY_SMS_MAX_CHARS=70):
        reset_adapters()
        (result,) = adapter_for("sms").send_batch([_message(phone="+819012345678")])
    assert result.outcome == Outcome.SENT
    (sms,) = provider.received
    assert sms["to"] == "+819012345678"
    assert sms["from"] == "SagaBousai"
    assert len(sms["text"]) <= 70
    assert sms["text"].endswith("/disaster/m/412023/")
    assert sms["text"].startswith("【発表】 警戒レベル4")


def test_pipeline_delivers_line_and_sms_once_and_switches_off_a_dead_number(
    provider: FakeProvider, notice_factory: Callable[..., NoticeData]
) -> None:
    both = make_subscription(
        channels=("line", "sms"), line_user_id=LINE_USER, phone="+819012345678"
    )
    dead = make_subscription(channels=("sms", "email"), phone="+819000000000")
    blocked = make_subscription(channels=("line",), line_user_id=BLOCKED_USER)
    provider.answers["+819000000000"] = 410
    dispatch_notice(notice_factory())
    dispatch_notice(notice_factory(key="urn:vpww54"))  # same revision, another document
    assert sorted((r["path"], r["to"]) for r in provider.received) == [
        ("/sms", "+819012345678"),
        ("/v2/bot/message/push", LINE_USER),
    ]
    assert Delivery.objects.filter(channel__in=("line", "sms")).count() == 4
    assert set(Delivery.objects.filter(subscription=both).values_list("channel", "status")) == {
        ("line", "sent"),
        ("sms", "sent"),
    }
    gone = Delivery.objects.get(subscription=dead, channel="sms")
    assert gone.status == "failed"
    assert "HTTP 410" in gone.last_error
    dead.refresh_from_db()
    assert dead.channel_list == ["email"]
    assert dead.phone == ""
    assert dead.is_active
    refused = Delivery.objects.get(subscription=blocked)
    assert refused.status == "failed"
    assert "HTTP 400" in refused.last_error
    # A refusal is not a dead address: the LINE ID is kept (the resident may unblock).
    assert Subscription.objects.get(pk=blocked.pk).line_user_id == BLOCKED_USER


def _choices(*channels: str) -> Choices:
    return Choices(
        language="ja",
        municipality_codes=("412023",),
        points=(),
        hazards=("heavy_rain",),
        min_level=3,
        channels=channels,
        quiet_start=None,
        quiet_end=None,
    )


def test_subscribing_to_line_and_sms_validates_the_addresses() -> None:
    with pytest.raises(ValidationError) as caught:
        subscribe(choices=_choices("line", "sms"), line_user_id="not-an-id", phone="12345")
    assert set(caught.value.message_dict) == {"line_user_id", "phone"}
    assert not Subscription.objects.exists()
    subscription = subscribe(
        choices=_choices("line", "sms"), line_user_id=LINE_USER, phone="090-1234-5678"
    )
    assert subscription.phone == "+819012345678"
    assert subscription.line_user_id == LINE_USER
    assert subscription.channel_list == ["line", "sms"]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("090-1234-5678", "+819012345678"),
        ("080 1234 5678", "+818012345678"),
        ("+81 70 1234 5678", "+817012345678"),
        ("03-1234-5678", ""),  # a landline cannot receive SMS
        ("", ""),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, normalised: str) -> None:
    assert normalise_phone(raw) == normalised
