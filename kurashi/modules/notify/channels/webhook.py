"""Webhooks for municipal systems and apps: the JSON payload, signed with HMAC-SHA256.

Headers: X-Kurashi-Timestamp (Unix seconds) and X-Kurashi-Signature
"sha256=" + hex(HMAC(secret, timestamp + "." + body)); receivers reject stale timestamps.
"""

import hashlib
import hmac
import json
import time

import httpx
from django.conf import settings

from kurashi.modules.notify.channels.base import ChannelAdapter, Outcome, OutgoingMessage, Result


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookChannel(ChannelAdapter):
    name = "webhook"
    max_attempts = 6
    backoff_seconds = 15.0

    def __init__(self) -> None:
        self.rate_per_second = float(getattr(settings, "NOTIFY_WEBHOOK_RATE", 50))
        self.burst = int(getattr(settings, "NOTIFY_WEBHOOK_BURST", 50))
        self.timeout = float(getattr(settings, "NOTIFY_WEBHOOK_TIMEOUT", 5.0))
        super().__init__()
        self.client: httpx.Client | None = None

    def open(self) -> None:
        self.client = httpx.Client(timeout=self.timeout, follow_redirects=False)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def send(self, message: OutgoingMessage) -> Result:
        if self.client is None:
            self.open()
        client = self.client
        if client is None:  # pragma: no cover - open() always sets it
            raise RuntimeError("webhook client not open")
        body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Kurashi-Timestamp": timestamp,
            "X-Kurashi-Signature": sign(
                secret=message.address["secret"], timestamp=timestamp, body=body
            ),
            "Idempotency-Key": message.idempotency_key,
        }
        try:
            response = client.post(message.address["url"], content=body, headers=headers)
        except httpx.TimeoutException:
            return Result(Outcome.RETRY, f"timed out after {self.timeout:g} s")
        except httpx.HTTPError as error:
            return Result(Outcome.RETRY, f"{type(error).__name__}: {error}"[:500])
        if response.status_code < 300:
            return Result(Outcome.SENT)
        if response.status_code == 410:
            return Result(Outcome.GONE, "webhook endpoint gone (HTTP 410)")
        if response.status_code in (408, 429) or response.status_code >= 500:
            return Result(Outcome.RETRY, f"HTTP {response.status_code}")
        return Result(Outcome.FAILED, f"HTTP {response.status_code}")
