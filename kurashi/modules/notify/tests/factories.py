"""Typed builders of subscriptions for the notify tests."""

import secrets
from typing import Any

from kurashi.modules.notify.models import (
    ALL_HAZARDS_MASK,
    CHANNEL_BITS,
    Subscription,
    SubscriptionArea,
)


def make_subscription(
    *, codes: tuple[str, ...] = ("412023",), channels: tuple[str, ...] = ("email",), **fields: Any
) -> Subscription:
    values: dict[str, Any] = {
        "email": f"r{secrets.token_hex(4)}@example.test",
        "is_confirmed": True,
        "language": "ja",
        "hazard_mask": ALL_HAZARDS_MASK,
        "min_level": 3,
        "channel_mask": sum(CHANNEL_BITS[c] for c in channels),
        "token": secrets.token_urlsafe(24),
    }
    values.update(fields)
    subscription = Subscription.objects.create(**values)
    SubscriptionArea.objects.bulk_create(
        [SubscriptionArea(subscription=subscription, municipality_code=code) for code in codes]
    )
    return subscription
