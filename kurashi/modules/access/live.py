"""Live delivery of channel messages over Server-Sent Events, on core's live-event bus.

The database is the source of truth: every message has a sequence number per channel (models.py).
A stream first sends what the client missed (everything after its Last-Event-ID or ?after=), then
waits on the in-process notifier. Services publish {"seq": n} on the bus topic of the channel after
their commit (publish_message); in every process with listeners one relay task per channel and
event loop receives it — from whichever process stored the message — reads the new rows once
(not once per stream) and hands the ready-made frames to its streams. An event that does not
follow the last one sent (a gap: two posters committed in the other order, or the queue
overflowed) makes the stream read the missing rows from the database. The relay also reads the
database every ACCESS_SSE_POLL_SECONDS when nothing arrives (a safety net, e.g. a poster that died
between its commit and its publish). 119 consoles are told of changed calls the same way
(publish_call), with a version check every ACCESS_CONSOLE_POLL_SECONDS as their safety net.
"""

import asyncio
import json
import logging
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from kurashi.core import events

logger = logging.getLogger(__name__)

MAX_QUEUED = 500
HEARTBEAT_SECONDS = 15.0
# A named event, not an SSE comment: the page's watchdog must see it (EventSource hides comments).
PING = b"event: ping\ndata: {}\n\n"


@dataclass(frozen=True)
class LiveEvent:
    key: str
    seq: int
    frame: bytes


def channel_key(channel_id: int) -> str:
    return f"channel:{channel_id}"


def console_key(municipality_code: str) -> str:
    return f"console:{municipality_code}"


def bus_topic(key: str) -> str:
    return f"access.{key}"


def publish_message(channel_id: int, seq: int) -> None:
    """Tell every process that message `seq` of the channel is stored (after the commit)."""
    events.publish(bus_topic(channel_key(channel_id)), {"seq": seq})


def publish_call(municipality_code: str, *, call: str, state: str) -> None:
    """Tell the consoles of the municipality (and the prefecture-wide ones) that a call changed
    (after the commit)."""
    keys = (console_key(municipality_code), console_key("*"))
    events.publish([bus_topic(key) for key in keys], {"call": call, "state": state})


def message_frame(
    *,
    seq: int,
    kind: str,
    role: str,
    body: str,
    target_seq: int | None,
    created_at: datetime,
    author: str = "",
) -> bytes:
    # Times go out in the installation's time zone (Asia/Tokyo), already formatted: the page
    # shows `time` as it is, so a browser or tablet whose clock is set to UTC (or to a visitor's
    # home zone) still shows the same time as the rest of the platform.
    local = timezone.localtime(created_at)
    payload = {
        "seq": seq,
        "kind": kind,
        "role": role,
        "body": body,
        "target": target_seq,
        "at": local.isoformat(),
        "time": f"{local:%H:%M:%S}",
        "author": author,
    }
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"id: {seq}\nevent: message\ndata: {data}\n\n".encode()


class Waiter:
    def __init__(self, keys: frozenset[str], loop: asyncio.AbstractEventLoop) -> None:
        self.keys = keys
        self.loop = loop
        self.queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(maxsize=MAX_QUEUED)

    def offer(self, event: LiveEvent) -> None:
        """Runs on the waiter's loop."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # Too far behind: drop the backlog, the stream re-reads the database.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


def _offer_all(waiters: list[Waiter], event: LiveEvent) -> None:
    for waiter in waiters:
        waiter.offer(event)


class Notifier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[Waiter]] = {}
        self._last_seen: dict[str, int] = {}
        self._relays: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[None]] = {}

    def subscribe(self, keys: Iterable[str]) -> Waiter:
        waiter = Waiter(frozenset(keys), asyncio.get_running_loop())
        with self._lock:
            for key in waiter.keys:
                self._waiters.setdefault(key, set()).add(waiter)
        return waiter

    def unsubscribe(self, waiter: Waiter) -> None:
        with self._lock:
            for key in waiter.keys:
                waiters = self._waiters.get(key)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del self._waiters[key]
                        self._last_seen.pop(key, None)

    def count(self, key: str) -> int:
        with self._lock:
            return len(self._waiters.get(key, ()))

    def note_seen(self, key: str, seq: int) -> None:
        with self._lock:
            if key in self._waiters:
                self._last_seen[key] = max(self._last_seen.get(key, 0), seq)

    def publish(self, event: LiveEvent) -> None:
        """Thread-safe; called by services after their transaction committed."""
        with self._lock:
            targets = list(self._waiters.get(event.key, ()))
            if targets:  # kept only while someone listens (no growth with every channel ever)
                self._last_seen[event.key] = max(self._last_seen.get(event.key, 0), event.seq)
        # One wake-up per event loop rather than per waiter: 300 caption viewers of one worker
        # cost one write to the loop's self-pipe, not 300.
        by_loop: dict[asyncio.AbstractEventLoop, list[Waiter]] = {}
        for waiter in targets:
            by_loop.setdefault(waiter.loop, []).append(waiter)
        for loop, waiters in by_loop.items():
            try:
                loop.call_soon_threadsafe(_offer_all, waiters, event)
            except RuntimeError:  # the loop has closed: its connections are gone
                for waiter in waiters:
                    self.unsubscribe(waiter)

    def ensure_relay(
        self,
        key: str,
        channel_id: int,
        read_after: Callable[[int, int], Awaitable[list[tuple[int, bytes]]]],
    ) -> None:
        """One bus subscription and database read per channel and event loop, however many
        streams listen: it publishes to them what any process stored."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if (loop, key) in self._relays:
                return
            self._relays[(loop, key)] = loop.create_task(
                self._relay(loop, key, channel_id, read_after)
            )

    def _listening(self, loop: asyncio.AbstractEventLoop, key: str) -> tuple[bool, int]:
        with self._lock:
            listening = any(w.loop is loop for w in self._waiters.get(key, ()))
            return listening, self._last_seen.get(key, 0)

    async def _relay(
        self,
        loop: asyncio.AbstractEventLoop,
        key: str,
        channel_id: int,
        read_after: Callable[[int, int], Awaitable[list[tuple[int, bytes]]]],
    ) -> None:
        try:
            while self._listening(loop, key)[0]:
                try:
                    async with events.subscribe({bus_topic(key)}) as subscription:
                        read = True  # catch up once: stored before the subscription began
                        while True:
                            listening, after = self._listening(loop, key)
                            if not listening:
                                return
                            if read:
                                for seq, frame in await read_after(channel_id, after):
                                    self.publish(LiveEvent(key=key, seq=seq, frame=frame))
                            event = await subscription.next(
                                timeout=poll_seconds() * random.uniform(0.8, 1.2)  # noqa: S311
                            )
                            read = event is None or int(event.data.get("seq", 0)) > after
                except events.FellBehindError:
                    continue  # a new subscription and one read of the database catch up
                except Exception:
                    logger.exception("relaying channel %s failed", channel_id)
                    await asyncio.sleep(1.0)
        finally:
            with self._lock:
                self._relays.pop((loop, key), None)


notifier = Notifier()


def poll_seconds() -> float:
    """How long a channel's relay waits for a bus event before it reads the database anyway."""
    return float(getattr(settings, "ACCESS_SSE_POLL_SECONDS", 10))


def console_poll_seconds() -> float:
    """The 119 console's safety check beside the bus (a handful of consoles, one cheap aggregate
    each): a call must never wait on a lost event."""
    return float(getattr(settings, "ACCESS_CONSOLE_POLL_SECONDS", 1))


def stream_lifetime() -> float:
    return float(getattr(settings, "ACCESS_SSE_MAX_SECONDS", 300))


async def channel_stream(
    *,
    channel_id: int,
    after: int,
    read_after: Callable[[int, int], Awaitable[list[tuple[int, bytes]]]],
    lifetime: float | None = None,
) -> AsyncIterator[bytes]:
    """The SSE body of one channel from sequence `after` on; `read_after(channel_id, seq)` returns
    the stored (seq, frame) pairs after seq in order."""
    key = channel_key(channel_id)
    waiter = notifier.subscribe([key])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (stream_lifetime() if lifetime is None else lifetime)
    last = after
    try:
        yield b"retry: 2000\n: connected\n\n"
        # Subscribed before this read: a message committed meanwhile is in the queue too.
        for seq, frame in await read_after(channel_id, last):
            yield frame
            last = seq
        notifier.note_seen(key, last)
        notifier.ensure_relay(key, channel_id, read_after)
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(
                    waiter.queue.get(), timeout=min(HEARTBEAT_SECONDS, remaining)
                )
            except TimeoutError:
                yield PING
                continue
            if event is not None and event.seq <= last:
                continue
            if event is not None and event.seq == last + 1:
                yield event.frame
                last = event.seq
            else:
                for seq, frame in await read_after(channel_id, last):
                    yield frame
                    last = seq
    finally:
        notifier.unsubscribe(waiter)


async def signal_stream(
    *,
    keys: Iterable[str],
    version: Callable[[], Awaitable[Any]],
    lifetime: float | None = None,
) -> AsyncIterator[bytes]:
    """An SSE body that says "calls changed" (event `calls`) whenever a call of one of `keys`
    changes in any process (the bus), or the polled `version()` differs from the last one seen
    (the safety net)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (stream_lifetime() if lifetime is None else lifetime)
    async with events.subscribe({bus_topic(key) for key in keys}) as subscription:
        seen = await version()
        yield b"retry: 2000\n: connected\n\n"
        quiet_since = loop.time()
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await subscription.next(timeout=min(console_poll_seconds(), remaining))
            except events.FellBehindError:
                return  # the console reconnects and reloads its list
            if event is None:
                current = await version()
                if current != seen:
                    seen = current
                    yield b'event: calls\ndata: {"source":"poll"}\n\n'
                    quiet_since = loop.time()
                elif loop.time() - quiet_since >= HEARTBEAT_SECONDS:
                    yield PING
                    quiet_since = loop.time()
                continue
            seen = await version()
            data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
            yield f"event: calls\ndata: {data}\n\n".encode()
            quiet_since = loop.time()
