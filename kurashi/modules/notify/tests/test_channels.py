import base64
import hashlib
import hmac
import json
from collections.abc import Callable

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.test import override_settings

from kurashi.modules.notify.models import Delivery, Subscription
from kurashi.modules.notify.notices import Notice as NoticeData
from kurashi.modules.notify.public import dispatch_notice
from kurashi.modules.notify.tests.conftest import HttpSink
from kurashi.modules.notify.tests.factories import make_subscription

pytestmark = pytest.mark.usefixtures("reference_data")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _vapid_settings() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "WEBPUSH_VAPID_PRIVATE_KEY": _b64(key.private_numbers().private_value.to_bytes(32, "big")),
        "WEBPUSH_VAPID_PUBLIC_KEY": _b64(public),
        "WEBPUSH_VAPID_SUBJECT": "mailto:bousai@example.test",
    }


def test_web_push_payload_decrypts_per_rfc_8291(
    http_sink: HttpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    browser_key = ec.generate_private_key(ec.SECP256R1())
    auth_secret = b"0123456789abcdef"
    p256dh = browser_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    make_subscription(
        channels=("webpush",),
        email="",
        language="en",
        push_endpoint=f"{http_sink.url}/push/abc",
        push_p256dh=_b64(p256dh),
        push_auth=_b64(auth_secret),
    )
    with override_settings(**_vapid_settings()):
        dispatch_notice(notice_factory())
    (request,) = http_sink.requests
    headers = {key.lower(): value for key, value in request["headers"].items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert headers["urgency"] == "high"
    plain = http_ece.decrypt(
        request["body"], private_key=browser_key, auth_secret=auth_secret, version="aes128gcm"
    )
    payload = json.loads(plain)
    assert payload["title"] == "[Alert] Alert level 4 Heavy rain warning"
    assert payload["level"] == 4
    assert payload["url"].endswith("/disaster/m/412023/")
    assert "/notify/unsubscribe/" in payload["unsubscribe"]
    assert Delivery.objects.get().status == "sent"


def test_gone_push_subscription_is_removed_and_the_rest_continues(
    http_sink: HttpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    key = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    push = {"push_p256dh": _b64(key), "push_auth": _b64(b"0123456789abcdef"), "email": ""}
    gone = make_subscription(channels=("webpush",), push_endpoint=f"{http_sink.url}/gone", **push)
    fine = make_subscription(channels=("webpush",), push_endpoint=f"{http_sink.url}/ok", **push)
    with override_settings(**_vapid_settings()):
        dispatch_notice(notice_factory())
    gone.refresh_from_db()
    assert (gone.is_active, gone.push_endpoint, gone.channel_mask) == (False, "", 0)
    statuses = dict(Delivery.objects.values_list("subscription_id", "status"))
    assert statuses == {gone.pk: "failed", fine.pk: "sent"}
    assert "410" in Delivery.objects.get(subscription=gone).last_error


def test_webhook_is_signed_with_hmac_sha256(
    http_sink: HttpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    hook = make_subscription(
        channels=("webhook",), webhook_url=f"{http_sink.url}/hook", webhook_secret="s3cret"
    )
    dispatch_notice(notice_factory())
    (request,) = http_sink.requests
    headers = {key.lower(): value for key, value in request["headers"].items()}
    expected = hmac.new(
        b"s3cret", headers["x-kurashi-timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert headers["x-kurashi-signature"] == "sha256=" + expected
    payload = json.loads(request["body"])
    assert (payload["event_key"], payload["revision"], payload["level"]) == ("jma:test:event", 1, 4)
    assert headers["idempotency-key"] == f"jma:test:event:1:{hook.pk}:webhook"


def test_webhook_timeout_is_retried_later_and_others_are_sent(
    http_sink: HttpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    http_sink.delay = 1.5
    slow = make_subscription(
        channels=("webhook",), webhook_url=f"{http_sink.url}/slow", webhook_secret="x"
    )
    other = make_subscription(channels=("null",))
    with override_settings(NOTIFY_WEBHOOK_TIMEOUT=0.3):
        from kurashi.modules.notify.channels import reset_adapters

        reset_adapters()
        dispatch_notice(notice_factory())
        reset_adapters()
    rows = {row.subscription_id: row for row in Delivery.objects.all()}
    assert rows[other.pk].status == "sent"
    assert (rows[slow.pk].status, rows[slow.pk].attempts) == ("pending", 1)
    assert rows[slow.pk].last_error == "timed out after 0.3 s"


def test_vapid_keys_command_prints_a_usable_pair(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("notify", "vapid-keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    private = base64.urlsafe_b64decode(lines["WEBPUSH_VAPID_PRIVATE_KEY"] + "==")
    public = base64.urlsafe_b64decode(lines["WEBPUSH_VAPID_PUBLIC_KEY"] + "==")
    derived = ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())
    assert (
        derived.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        == public
    )
    assert Subscription.objects.count() == 0
