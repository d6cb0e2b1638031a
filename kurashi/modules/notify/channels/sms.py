"""SMS through an HTTP gateway (JSON API of the contracted SMS provider).

POST {NOTIFY_SMS_URL} with bearer NOTIFY_SMS_TOKEN, Idempotency-Key, and
{"to": "+8190…", "from": NOTIFY_SMS_SENDER, "text": …}. The text is the subject and the link to
the live page, cut to NOTIFY_SMS_MAX_CHARS (660: the longest concatenated SMS Japanese carriers
deliver). 404/410 (number no longer in service) switch SMS off for the subscriber.
"""

from django.conf import settings

from kurashi.modules.notify.channels._http import HttpApiChannel, outcome_of
from kurashi.modules.notify.channels.base import Outcome, OutgoingMessage, Result


def sms_text(message: OutgoingMessage, limit: int) -> str:
    rendered = message.message
    tail = "\n" + rendered.url if rendered.url else ""
    head = rendered.subject
    if len(head) + len(tail) > limit:
        head = head[: max(limit - len(tail) - 1, 0)] + "…"
    return head + tail


class SmsChannel(HttpApiChannel):
    name = "sms"
    max_attempts = 5
    backoff_seconds = 30.0

    def __init__(self) -> None:
        self.rate_per_second = float(getattr(settings, "NOTIFY_SMS_RATE", 20))
        self.burst = int(getattr(settings, "NOTIFY_SMS_BURST", 20))
        self.timeout = float(getattr(settings, "NOTIFY_SMS_TIMEOUT", 10.0))
        super().__init__()

    def send(self, message: OutgoingMessage) -> Result:
        url = str(getattr(settings, "NOTIFY_SMS_URL", ""))
        token = str(getattr(settings, "NOTIFY_SMS_TOKEN", ""))
        if not url or not token:
            return Result(Outcome.FAILED, "NOTIFY_SMS_URL / NOTIFY_SMS_TOKEN not set")
        phone = message.address.get("phone", "")
        if not phone:
            return Result(Outcome.FAILED, "no phone number")
        limit = int(getattr(settings, "NOTIFY_SMS_MAX_CHARS", 660))
        answer = self.post(
            url,
            json={
                "to": phone,
                "from": str(getattr(settings, "NOTIFY_SMS_SENDER", "SagaBousai")),
                "text": sms_text(message, limit),
            },
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": message.idempotency_key,
            },
        )
        if isinstance(answer, Result):
            return answer
        return outcome_of(answer, gone=(404, 410))
