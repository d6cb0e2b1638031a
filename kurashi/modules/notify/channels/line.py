"""LINE (Messaging API push message from the prefecture's official account).

POST {NOTIFY_LINE_API_URL}/v2/bot/message/push with the channel access token as bearer token and
{"to": <user id>, "messages": [{"type": "text", "text": …}]}. X-Line-Retry-Key is a UUID derived
from the outbox's idempotency key, so a message re-sent after a worker crash is accepted once by
LINE: the repeat is answered 409 Conflict, which means it was delivered before (sent).
"""

import uuid

from django.conf import settings

from kurashi.modules.notify.channels._http import HttpApiChannel, outcome_of
from kurashi.modules.notify.channels.base import Outcome, OutgoingMessage, Result

TEXT_LIMIT = 5000  # characters per LINE text message
RETRY_KEY_NAMESPACE = uuid.UUID("6f0c3e0e-7a1d-4f55-9a4e-2b7f5d1c9e01")


def retry_key(idempotency_key: str) -> str:
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, idempotency_key))


def line_text(message: OutgoingMessage) -> str:
    rendered = message.message
    text = f"{rendered.subject}\n\n{rendered.body}".strip()
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


class LineChannel(HttpApiChannel):
    name = "line"
    max_attempts = 6
    backoff_seconds = 10.0

    def __init__(self) -> None:
        # LINE allows 2,000 push requests/s per channel; stay well below it per worker.
        self.rate_per_second = float(getattr(settings, "NOTIFY_LINE_RATE", 200))
        self.burst = int(getattr(settings, "NOTIFY_LINE_BURST", 200))
        self.timeout = float(getattr(settings, "NOTIFY_LINE_TIMEOUT", 10.0))
        super().__init__()

    def send(self, message: OutgoingMessage) -> Result:
        base_url = str(getattr(settings, "NOTIFY_LINE_API_URL", "https://api.line.me")).rstrip("/")
        token = str(getattr(settings, "NOTIFY_LINE_CHANNEL_TOKEN", ""))
        if not token:
            return Result(Outcome.FAILED, "NOTIFY_LINE_CHANNEL_TOKEN is not set")
        user_id = message.address.get("line_user_id", "")
        if not user_id:
            return Result(Outcome.FAILED, "no LINE user ID")
        answer = self.post(
            f"{base_url}/v2/bot/message/push",
            json={"to": user_id, "messages": [{"type": "text", "text": line_text(message)}]},
            headers={
                "Authorization": f"Bearer {token}",
                "X-Line-Retry-Key": retry_key(message.idempotency_key),
            },
        )
        if isinstance(answer, Result):
            return answer
        if answer.status_code == 409:  # this retry key was accepted before: delivered once
            return Result(Outcome.SENT)
        # 400 for a user who blocked the account or an unknown ID: permanent for this message.
        return outcome_of(answer, gone=(404, 410))
