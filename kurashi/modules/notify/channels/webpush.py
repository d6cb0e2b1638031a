"""Web Push: VAPID (RFC 8292) + message encryption aes128gcm (RFC 8291) through pywebpush."""

import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pywebpush import WebPushException, webpush

from kurashi.modules.notify.channels.base import ChannelAdapter, Outcome, OutgoingMessage, Result


def vapid_settings() -> tuple[str, str, str]:
    """(private key, public key, subject) from WEBPUSH_VAPID_PRIVATE_KEY / _PUBLIC_KEY / _SUBJECT."""
    private_key = str(getattr(settings, "WEBPUSH_VAPID_PRIVATE_KEY", ""))
    public_key = str(getattr(settings, "WEBPUSH_VAPID_PUBLIC_KEY", ""))
    subject = str(getattr(settings, "WEBPUSH_VAPID_SUBJECT", "mailto:noreply@localhost"))
    return private_key, public_key, subject


class WebPushChannel(ChannelAdapter):
    name = "webpush"
    max_attempts = 4
    backoff_seconds = 30.0

    def __init__(self) -> None:
        self.rate_per_second = float(getattr(settings, "NOTIFY_WEBPUSH_RATE", 500))
        self.burst = int(getattr(settings, "NOTIFY_WEBPUSH_BURST", 500))
        super().__init__()

    def send(self, message: OutgoingMessage) -> Result:
        private_key, _public_key, subject = vapid_settings()
        if not private_key:
            raise ImproperlyConfigured(
                "WEBPUSH_VAPID_PRIVATE_KEY is not set; create keys with `kurashi notify vapid-keys`."
            )
        address = message.address
        ttl = 86400 if message.payload.get("level", 0) < 4 else 3600
        try:
            webpush(
                subscription_info={
                    "endpoint": address["endpoint"],
                    "keys": {"p256dh": address["p256dh"], "auth": address["auth"]},
                },
                data=json.dumps(message.payload, ensure_ascii=False),
                vapid_private_key=private_key,
                vapid_claims={"sub": subject},
                content_encoding="aes128gcm",
                ttl=ttl,
                timeout=10,
                headers={"Urgency": "high" if message.payload.get("level", 0) >= 4 else "normal"},
            )
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else 0
            if status in (404, 410):
                return Result(Outcome.GONE, f"push subscription gone (HTTP {status})")
            if status in (413, 400, 403):
                return Result(Outcome.FAILED, f"push service refused (HTTP {status})")
            return Result(Outcome.RETRY, f"push service error: {error}"[:500])
        return Result(Outcome.SENT)
