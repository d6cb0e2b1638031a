"""One adapter instance per channel and worker process (their token buckets live here)."""

from kurashi.modules.notify.channels.base import ChannelAdapter
from kurashi.modules.notify.channels.email import EmailChannel
from kurashi.modules.notify.channels.line import LineChannel
from kurashi.modules.notify.channels.mastodon import MastodonChannel
from kurashi.modules.notify.channels.null import NullChannel
from kurashi.modules.notify.channels.sms import SmsChannel
from kurashi.modules.notify.channels.webhook import WebhookChannel
from kurashi.modules.notify.channels.webpush import WebPushChannel

ADAPTERS: dict[str, type[ChannelAdapter]] = {
    "email": EmailChannel,
    "webpush": WebPushChannel,
    "webhook": WebhookChannel,
    "mastodon": MastodonChannel,
    "line": LineChannel,
    "sms": SmsChannel,
    "null": NullChannel,
}
_instances: dict[str, ChannelAdapter] = {}


def adapter_for(channel: str) -> ChannelAdapter:
    if channel not in _instances:
        _instances[channel] = ADAPTERS[channel]()
    return _instances[channel]


def reset_adapters() -> None:
    """Forget the instances (tests that change channel settings)."""
    _instances.clear()
