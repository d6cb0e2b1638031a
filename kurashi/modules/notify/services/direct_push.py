"""One Web Push to one known device, outside the alert fan-out: for other modules whose staff
register their own devices (an ER's PC or a nurse's phone for new transport requests). The same
channel as the alerts (VAPID, aes128gcm, the same error mapping); the caller keeps its own
record of the device and retries a RETRY outcome."""

from dataclasses import dataclass
from typing import Any

from kurashi.modules.notify.channels.base import OutgoingMessage
from kurashi.modules.notify.channels.webpush import WebPushChannel, vapid_settings
from kurashi.modules.notify.messages import RenderedMessage

URGENT_LEVEL = 4  # the channel sends level ≥ 4 with Urgency: high and a one-hour TTL


@dataclass(frozen=True)
class PushResult:
    outcome: str  # sent | retry | failed | gone (the subscription no longer exists)
    error: str = ""


def web_push_public_key() -> str:
    """The VAPID public key browsers subscribe with ("" when Web Push is not configured)."""
    private_key, public_key, _subject = vapid_settings()
    return public_key if private_key else ""


def send_web_push(
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    payload: dict[str, Any],
    key: str,
    urgent: bool = True,
) -> PushResult:
    """Encrypt `payload` (JSON) for the subscription and hand it to its push service."""
    message = RenderedMessage(
        language=str(payload.get("language", "ja")),
        subject=str(payload.get("title", "")),
        body=str(payload.get("body", "")),
        url=str(payload.get("url", "")),
        unsubscribe_url="",
    )
    outgoing = OutgoingMessage(
        delivery_id=0,
        idempotency_key=key,
        message=message,
        payload={**payload, "level": URGENT_LEVEL if urgent else 0},
        address={"endpoint": endpoint, "p256dh": p256dh, "auth": auth},
    )
    result = WebPushChannel().send(outgoing)
    return PushResult(outcome=str(result.outcome), error=result.error)
