"""Live delivery of channel messages over Server-Sent Events.

The database is the source of truth: every message has a sequence number per channel (models.py).
A stream first sends what the client missed (everything after its Last-Event-ID or ?after=), then
waits on the in-process notifier, which services wake after their commit with the ready-made
event. An event that does not follow the last one sent (a gap: two posters committed in the other
order, or the queue overflowed) makes the stream read the missing rows from the database. With
several web workers a post handled by another worker wakes nobody here, so each process also
reads the database every ACCESS_SSE_POLL_SECONDS: once per channel (not per stream), publishing
what it finds to its streams like a local post (the fallback that bounds the delay).
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
        self._pollers: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[None]] = {}

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

    def ensure_poller(
        self,
        key: str,
        channel_id: int,
        read_after: Callable[[int, int], Awaitable[list[tuple[int, bytes]]]],
    ) -> None:
        """One database poll per channel and event loop, however many streams listen: it
        publishes what other workers stored (this process's own posts arrive by publish())."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if (loop, key) in self._pollers:
                return
            self._pollers[(loop, key)] = loop.create_task(
                self._poll(loop, key, channel_id, read_after)
            )

    async def _poll(
        self,
        loop: asyncio.AbstractEventLoop,
        key: str,
        channel_id: int,
        read_after: Callable[[int, int], Awaitable[list[tuple[int, bytes]]]],
    ) -> None:
        try:
            while True:
                await asyncio.sleep(poll_seconds() * random.uniform(0.8, 1.2))  # noqa: S311
                with self._lock:
                    listening = any(w.loop is loop for w in self._waiters.get(key, ()))
                    after = self._last_seen.get(key, 0)
                if not listening:
                    return
                try:
                    rows = await read_after(channel_id, after)
                except Exception:
                    logger.exception("polling channel %s failed", channel_id)
                    continue
                for seq, frame in rows:
                    self.publish(LiveEvent(key=key, seq=seq, frame=frame))
        finally:
            with self._lock:
                self._pollers.pop((loop, key), None)


notifier = Notifier()


def poll_seconds() -> float:
    return float(getattr(settings, "ACCESS_SSE_POLL_SECONDS", 3))


def console_poll_seconds() -> float:
    """The 119 console's "anything new?" check (a handful of consoles, one cheap aggregate each):
    shorter than the channels' poll, a call taken by another worker must not wait."""
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
        notifier.ensure_poller(key, channel_id, read_after)
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
    """An SSE body that says "calls changed" (event `calls`) whenever a service publishes on one
    of `keys`, or the polled `version()` differs from the last one seen (other workers)."""
    waiter = notifier.subscribe(keys)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (stream_lifetime() if lifetime is None else lifetime)
    try:
        seen = await version()
        yield b"retry: 2000\n: connected\n\n"
        quiet_since = loop.time()
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(
                    waiter.queue.get(), timeout=min(console_poll_seconds(), remaining)
                )
            except TimeoutError:
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
            yield event.frame if event is not None else b"event: calls\ndata: {}\n\n"
            quiet_since = loop.time()
    finally:
        notifier.unsubscribe(waiter)
