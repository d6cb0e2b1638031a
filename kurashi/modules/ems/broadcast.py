"""The EMS live events behind the live pages (Server-Sent Events), on core's live-event bus.

Services publish small events (ids and kinds, never patient details) once their transaction
commits — from a web worker, the task worker or the escalation watcher alike; every open SSE
connection, on any web worker, subscribes to the channels its user may hear and receives the
events of those channels, in order, with the bus's event id as the SSE id: a browser that
reconnects with Last-Event-ID gets what it missed (kurashi/core/events.py,
docs/decisions/0009-live-event-bus.md).
"""

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from kurashi.core import events

# Channels: "status" (every EMS user), "coordinator", "hospital:<organisation id>",
# "hq:<organisation id>" (a fire headquarters' crews).
STATUS = "status"
COORDINATOR = "coordinator"
TOPIC_PREFIX = "ems."
MAX_QUEUED = 200  # a client this far behind is dropped; EventSource resumes after its last id


def hospital_channel(organisation_id: int) -> str:
    return f"hospital:{organisation_id}"


def hq_channel(organisation_id: int) -> str:
    return f"hq:{organisation_id}"


def topic(channel: str) -> str:
    return TOPIC_PREFIX + channel


@dataclass(frozen=True)
class Event:
    kind: str  # status | request | case | escalation
    channels: frozenset[str]
    data: dict[str, Any] = field(default_factory=dict)
    id: int = 0

    def encode(self) -> bytes:
        payload = json.dumps({"kind": self.kind, **self.data}, ensure_ascii=False)
        return f"id: {self.id}\nevent: {self.kind}\ndata: {payload}\n\n".encode()

    @classmethod
    def from_bus(cls, event: events.Event) -> "Event":
        data = dict(event.data)
        kind = str(data.pop("kind", "status"))
        channels = frozenset(
            name.removeprefix(TOPIC_PREFIX)
            for name in event.topics
            if name.startswith(TOPIC_PREFIX)
        )
        return cls(kind=kind, channels=channels, data=data, id=event.id)


def publish(kind: str, channels: Iterable[str], **data: Any) -> None:
    """Publish `kind` with `data` (small JSON) on `channels` after the current transaction
    commits (nothing if it rolls back)."""
    events.publish([topic(channel) for channel in channels], {"kind": kind, **data})


class Subscription:
    def __init__(self, inner: events.Subscription) -> None:
        self._inner = inner
        self.complete = inner.complete

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event of the subscribed channels, None after `timeout` seconds without one;
        raises events.FellBehindError when the client fell too far behind."""
        event = await self._inner.next(timeout=timeout)
        return None if event is None else Event.from_bus(event)


@asynccontextmanager
async def subscribe(
    channels: Iterable[str], *, after: int | None = None
) -> AsyncIterator[Subscription]:
    """The events of `channels` after bus event id `after` (None: from now on)."""
    topics = {topic(channel) for channel in channels}
    async with events.subscribe(topics, after=after, max_queued=MAX_QUEUED) as inner:
        yield Subscription(inner)
