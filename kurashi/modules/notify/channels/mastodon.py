"""The prefecture's SNS account: one status per alert revision on a Mastodon-compatible instance
(POST /api/v1/statuses, bearer token; Mastodon honours Idempotency-Key)."""

import httpx
from django.conf import settings

from kurashi.modules.notify.channels.base import ChannelAdapter, Outcome, OutgoingMessage, Result

STATUS_LIMIT = 500


class MastodonChannel(ChannelAdapter):
    name = "mastodon"
    max_attempts = 6
    backoff_seconds = 30.0
    rate_per_second = 1.0
    burst = 5

    def send(self, message: OutgoingMessage) -> Result:
        base_url = str(getattr(settings, "NOTIFY_MASTODON_URL", "")).rstrip("/")
        token = str(getattr(settings, "NOTIFY_MASTODON_TOKEN", ""))
        if not base_url or not token:
            return Result(Outcome.FAILED, "NOTIFY_MASTODON_URL / NOTIFY_MASTODON_TOKEN not set")
        rendered = message.message
        tail = "\n" + rendered.url
        text = rendered.subject + "\n" + rendered.body.split(rendered.url)[0].strip()
        status = text[: STATUS_LIMIT - len(tail) - 1].rstrip() + tail
        try:
            response = httpx.post(
                f"{base_url}/api/v1/statuses",
                data={"status": status, "language": rendered.language[:2], "visibility": "public"},
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": message.idempotency_key,
                },
                timeout=10.0,
            )
        except httpx.HTTPError as error:
            return Result(Outcome.RETRY, f"{type(error).__name__}: {error}"[:500])
        if response.status_code < 300:
            return Result(Outcome.SENT)
        if response.status_code in (429,) or response.status_code >= 500:
            return Result(Outcome.RETRY, f"HTTP {response.status_code}")
        return Result(Outcome.FAILED, f"HTTP {response.status_code}: {response.text[:200]}")
