"""The in-process broadcaster behind the live pages (Server-Sent Events).

Services publish small events (ids and kinds, never patient details) after their transaction
commits; every open SSE connection of this process holds a subscription with the channels its
user may hear, and receives the events of those channels. Publishing is thread-safe: services run
in Django's sync threads, subscribers wait on their own asyncio loop.

One process only: with several web workers, a status change reaches the clients connected to the
worker that handled it, and the others catch up with the poll fallback (docs/ems.md describes the
PostgreSQL LISTEN/NOTIFY relay that removes this limit).
"""

import asyncio
import itertools
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Channels: "status" (every EMS user), "coordinator", "hospital:<organisation id>",
# "hq:<organisation id>" (a fire headquarters' crews).
STATUS = "status"
COORDINATOR = "coordinator"
MAX_QUEUED = 200  # a client this far behind is dropped; EventSource reconnects and refetches


def hospital_channel(organisation_id: int) -> str:
    return f"hospital:{organisation_id}"


def hq_channel(organisation_id: int) -> str:
    return f"hq:{organisation_id}"


@dataclass(frozen=True)
class Event:
    kind: str  # status | request | case | escalation
    channels: frozenset[str]
    data: dict[str, Any] = field(default_factory=dict)
    id: int = 0

    def encode(self) -> bytes:
        payload = json.dumps({"kind": self.kind, **self.data}, ensure_ascii=False)
        return f"id: {self.id}\nevent: {self.kind}\ndata: {payload}\n\n".encode()


class Subscription:
    def __init__(self, channels: frozenset[str], loop: asyncio.AbstractEventLoop) -> None:
        self.channels = channels
        self.loop = loop
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=MAX_QUEUED)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        """Runs on the subscriber's loop."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue.get_nowait()
            self.queue.put_nowait(None)  # tells the stream to end; the browser reconnects


class Broadcaster:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._ids = itertools.count(1)

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        subscription = Subscription(frozenset(channels), asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def publish(self, kind: str, channels: Iterable[str], **data: Any) -> Event:
        event = Event(kind=kind, channels=frozenset(channels), data=data, id=next(self._ids))
        with self._lock:
            targets = [s for s in self._subscriptions if s.channels & event.channels]
        for subscription in targets:
            try:
                subscription.loop.call_soon_threadsafe(subscription.offer, event)
            except RuntimeError:  # the loop has closed: the connection is gone
                self.unsubscribe(subscription)
        return event


broadcaster = Broadcaster()
