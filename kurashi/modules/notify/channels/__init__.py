"""Channels behind one interface (ChannelAdapter): each sends a batch and says, per message,
whether it was handed over, should be retried later, failed for good, or whether the address is
gone (the subscription is then switched off for that channel). Each has its own rate limit
(a token bucket per worker process) and retry policy (attempts, exponential backoff)."""

from kurashi.modules.notify.channels.base import (
    ChannelAdapter,
    Outcome,
    OutgoingMessage,
    Result,
    TokenBucket,
)
from kurashi.modules.notify.channels.registry import adapter_for, reset_adapters

__all__ = [
    "ChannelAdapter",
    "Outcome",
    "OutgoingMessage",
    "Result",
    "TokenBucket",
    "adapter_for",
    "reset_adapters",
]
