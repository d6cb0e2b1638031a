"""The channel interface, its outcomes and the token bucket."""

import enum
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from kurashi.modules.notify.messages import RenderedMessage


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: try again after the backoff
    FAILED = "failed"  # permanent for this message (e.g. invalid address)
    GONE = "gone"  # the address no longer exists: switch the channel off for the subscriber


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: int
    idempotency_key: str
    message: RenderedMessage
    payload: dict[str, Any]
    # Channel-specific address: {"email": …} / {"endpoint", "p256dh", "auth"} / {"url", "secret"}.
    address: dict[str, str] = field(default_factory=dict)


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; take() blocks until one is there."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                delay = (1 - self._tokens) / self.rate
            time.sleep(delay)
            waited += delay


class ChannelAdapter(ABC):
    name: str = ""
    rate_per_second: float = 0.0  # 0 = unlimited
    burst: int = 1
    max_attempts: int = 5
    backoff_seconds: float = 30.0  # first retry after this, doubling each time

    def __init__(self) -> None:
        self.bucket = TokenBucket(rate=self.rate_per_second, burst=self.burst)

    def retry_delay(self, attempts: int) -> float:
        return float(self.backoff_seconds * (2 ** max(attempts - 1, 0)))

    def send_batch(self, messages: list[OutgoingMessage]) -> list[Result]:
        """Send `messages` (one batch, one connection where the channel has one)."""
        self.open()
        try:
            results = []
            for message in messages:
                self.bucket.take()
                try:
                    results.append(self.send(message))
                except Exception as error:  # one bad message must not stop the batch
                    results.append(Result(Outcome.RETRY, f"{type(error).__name__}: {error}"[:500]))
            return results
        finally:
            self.close()

    def open(self) -> None:  # noqa: B027 (optional hook: most channels keep no connection)
        """Open a connection reused for the whole batch (SMTP, HTTP keep-alive)."""

    def close(self) -> None:  # noqa: B027 (optional hook, see open)
        """Close what open() opened."""

    @abstractmethod
    def send(self, message: OutgoingMessage) -> Result: ...
