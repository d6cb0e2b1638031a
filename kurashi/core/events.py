"""The live-event bus: how any process (web worker, task worker, watcher) reaches every open
live screen (Server-Sent Events) of every web worker.

    from kurashi.core import events

    events.publish(["ems.status", "ems.coordinator"], {"kind": "status", "hospital_id": 7})

    async with events.subscribe({"ems.status"}, after=last_event_id) as subscription:
        event = await subscription.next(timeout=15)  # None: nothing within 15 s

publish() stores the event once the caller's transaction commits (at once outside one). Every
process with subscribers runs one listener thread: on PostgreSQL it LISTENs on a channel that
each publisher NOTIFYs (the notification carries only the event id), on SQLite it reads the table
every LIVE_EVENTS_POLL_SECONDS — and at once after a publish in its own process. The listener
reads new rows in id order and hands each to the subscribers whose topics the event carries.

Ids follow commit order (on PostgreSQL publishers take a transaction-level advisory lock for the
few microseconds of the insert; SQLite has one writer at a time), so "every event after id N" is
a complete answer: a stream that reconnects with Last-Event-ID N misses nothing still kept
(LIVE_EVENTS_RETENTION_SECONDS). Events carry ids and small JSON (at most MAX_DATA_BYTES), never
personal details: a subscriber that needs more reads it from its own tables, with its own checks.
"""

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.asyncio import async_unsafe

from kurashi.core.models import LiveEvent

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "kurashi_live_events"
MAX_DATA_BYTES = 4000
MAX_TOPICS = 64
MAX_TOPIC_CHARS = 200
# pg_advisory_xact_lock key ("Kurashi" in ASCII): publishers insert one at a time, so ids follow
# commit order and a reader that has seen id N has seen every committed id below it.
ADVISORY_LOCK_KEY = 0x4B75726173686901
READ_BATCH = 500
REPLAY_LIMIT = 5000
PRUNE_EVERY = 200
READY_TIMEOUT_SECONDS = 15.0


class FellBehindError(Exception):
    """The subscriber fell more than max_queued events behind and was dropped: resume with a new
    subscription after its last id (nothing is lost while the events are kept)."""


class ListenerUnavailableError(Exception):
    """This process's listener could not reach the database in time."""


@dataclass(frozen=True)
class Event:
    id: int
    topics: frozenset[str]
    data: dict[str, Any]


def poll_seconds() -> float:
    """SQLite: how often a process with subscribers reads the table for other processes' events."""
    return float(getattr(settings, "LIVE_EVENTS_POLL_SECONDS", 0.1))


def retention_seconds() -> float:
    return float(getattr(settings, "LIVE_EVENTS_RETENTION_SECONDS", 3600))


# --- publishing ---------------------------------------------------------------------------------


def _topic_list(topics: str | Iterable[str]) -> list[str]:
    names = sorted({topics} if isinstance(topics, str) else set(topics))
    if not names or len(names) > MAX_TOPICS:
        raise ValueError(f"an event needs 1 to {MAX_TOPICS} topics, not {len(names)}")
    for name in names:
        if not isinstance(name, str) or not 0 < len(name) <= MAX_TOPIC_CHARS:
            raise ValueError(f"a topic is a string of 1 to {MAX_TOPIC_CHARS} characters: {name!r}")
    return names


@async_unsafe
def publish(
    topics: str | Iterable[str],
    data: Mapping[str, Any] | None = None,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Publish `data` (small JSON: ids and kinds) on `topics` once the current transaction
    commits; nothing is published if it rolls back. Bad input raises at once (ValueError,
    TypeError); a failure to store after the commit is logged, never raised into the caller,
    whose work is already committed. Synchronous: from async code use sync_to_async."""
    names = _topic_list(topics)
    encoded = json.dumps(dict(data or {}), ensure_ascii=False, separators=(",", ":"))
    if len(encoded.encode()) > MAX_DATA_BYTES:
        raise ValueError(
            f"live events carry ids and small JSON (at most {MAX_DATA_BYTES} bytes); "
            "store the content and publish its id"
        )
    transaction.on_commit(
        partial(_store, names, json.loads(encoded), using), using=using, robust=True
    )


def _store(topics: list[str], data: dict[str, Any], using: str) -> None:
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(using=using):
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        event_id = LiveEvent.objects.using(using).create(topics=topics, data=data).pk
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(event_id)])
    _hub(using).wake()
    if event_id % PRUNE_EVERY == 0:
        prune(using=using)


def prune(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Forget events older than LIVE_EVENTS_RETENTION_SECONDS; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=retention_seconds())
    deleted, _detail = LiveEvent.objects.using(using).filter(at__lt=cutoff).delete()
    return deleted


def latest_id(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """The id of the newest event (0 when there is none): `after` for "from now on"."""
    return int(LiveEvent.objects.using(using).aggregate(latest=Max("pk"))["latest"] or 0)


# --- the per-process listener -------------------------------------------------------------------


class _Subscriber:
    def __init__(
        self, topics: frozenset[str], loop: asyncio.AbstractEventLoop, max_queued: int
    ) -> None:
        self.topics = topics
        self.loop = loop
        self.max_queued = max_queued
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.overflowed = False

    def offer(self, events: list[Event]) -> None:
        """Runs on the subscriber's loop."""
        for event in events:
            if self.overflowed:
                return
            if self.queue.qsize() >= self.max_queued:
                self.overflowed = True
                self.queue.put_nowait(None)  # wakes next(), which raises FellBehindError
                return
            self.queue.put_nowait(event)


def _offer_all(items: list[tuple[_Subscriber, list[Event]]]) -> None:
    for subscriber, events in items:
        subscriber.offer(events)


class _PostgresListener:
    """A dedicated autocommit connection (outside the pool) that LISTENs for new event ids."""

    def __init__(self, using: str) -> None:
        import psycopg

        params = connections[using].get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        self.connection = psycopg.connect(**params, autocommit=True)
        self.connection.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def wait(self, timeout: float) -> None:
        """Return after a notification arrives or `timeout` seconds pass."""
        for _notification in self.connection.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:
            logger.debug("closing the live-event listener failed", exc_info=True)


class _Hub:
    """The subscribers of one process (any event loop) and the thread that feeds them."""

    def __init__(self, using: str) -> None:
        self.using = using
        self._lock = threading.Lock()
        self._subscribers: set[_Subscriber] = set()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._wake = threading.Event()
        self.watermark: int | None = None

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def add(self, subscriber: _Subscriber) -> None:
        with self._lock:
            self._subscribers.add(subscriber)
            if self._thread is None:
                self._ready.clear()
                self.watermark = None
                self._thread = threading.Thread(
                    target=self._run, name=f"kurashi-live-events-{self.using}", daemon=True
                )
                self._thread.start()

    def remove(self, subscriber: _Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)
        self._wake.set()  # an idle listener notices sooner that it can stop

    def wake(self) -> None:
        self._wake.set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def _should_stop(self) -> bool:
        with self._lock:
            if self._subscribers:
                return False
            if self._thread is threading.current_thread():
                self._thread = None
            return True

    def _run(self) -> None:
        listener: _PostgresListener | None = None
        postgres = connections[self.using].vendor == "postgresql"
        failures = 0
        try:
            while not self._should_stop():
                try:
                    if postgres and listener is None:
                        # LISTEN before reading the watermark: no notification falls between.
                        listener = _PostgresListener(self.using)
                    if self.watermark is None:
                        self.watermark = latest_id(using=self.using)
                        self._ready.set()
                    self._read_and_dispatch()
                    if postgres:
                        connections[self.using].close()  # back to the pool while idle
                    failures = 0
                    if listener is not None:
                        listener.wait(timeout=1.0)  # a read every second even without NOTIFY
                    else:
                        self._wake.wait(poll_seconds())
                    self._wake.clear()
                except Exception:
                    failures += 1
                    if failures == 1 or failures % 20 == 0:
                        logger.exception(
                            "live events: reading the bus failed (%d time(s)); retrying", failures
                        )
                    if listener is not None:
                        listener.close()
                        listener = None
                    connections[self.using].close()
                    time.sleep(min(5.0, 0.1 * 2**failures))
        finally:
            if listener is not None:
                listener.close()
            connections[self.using].close()

    def _read_and_dispatch(self) -> None:
        while self.watermark is not None:
            rows = list(
                LiveEvent.objects.using(self.using)
                .filter(pk__gt=self.watermark)
                .order_by("pk")
                .values_list("pk", "topics", "data")[:READ_BATCH]
            )
            if not rows:
                return
            events = [
                Event(id=pk, topics=frozenset(topics), data=data) for pk, topics, data in rows
            ]
            self.watermark = events[-1].id
            self._dispatch(events)
            if len(rows) < READ_BATCH:
                return

    def _dispatch(self, events: list[Event]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Subscriber, list[Event]]]] = {}
        for subscriber in subscribers:
            matching = [event for event in events if event.topics & subscriber.topics]
            if matching:
                by_loop.setdefault(subscriber.loop, []).append((subscriber, matching))
        # One wake-up per event loop, not per subscriber.
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_offer_all, items)
            except RuntimeError:  # the loop has closed: its connections are gone
                for subscriber, _events in items:
                    self.remove(subscriber)


_hubs: dict[str, _Hub] = {}
_hubs_lock = threading.Lock()


def _hub(using: str) -> _Hub:
    with _hubs_lock:
        if using not in _hubs:
            _hubs[using] = _Hub(using)
        return _hubs[using]


def subscriber_count(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Open subscriptions of this process (for tests and diagnostics)."""
    return _hub(using).subscriber_count


# --- subscribing --------------------------------------------------------------------------------


class Subscription:
    """Events of the subscribed topics in id order: first those after `after` that are still
    kept, then live ones. `complete` is False when some events after `after` are no longer kept
    (or there were too many to replay): the consumer must then refresh its whole view."""

    def __init__(
        self,
        subscriber: _Subscriber,
        backlog: list[Event],
        *,
        after: int,
        complete: bool,
    ) -> None:
        self._subscriber = subscriber
        self._backlog = deque(backlog)
        self.topics = subscriber.topics
        self.last_id = after
        self.complete = complete

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event; None when none came within `timeout` seconds. Raises FellBehindError
        when this subscriber fell too far behind (open a new subscription after last_id)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self._backlog:
                event = self._backlog.popleft()
            else:
                remaining = None if deadline is None else max(0.0, deadline - loop.time())
                try:
                    queued = await asyncio.wait_for(self._subscriber.queue.get(), remaining)
                except TimeoutError:
                    return None
                if queued is None:
                    raise FellBehindError(f"more than {self._subscriber.max_queued} events queued")
                event = queued
            if event.id <= self.last_id:
                continue  # replayed already
            self.last_id = event.id
            return event

    def __aiter__(self) -> "Subscription":
        return self

    async def __anext__(self) -> Event:
        while (event := await self.next()) is None:
            pass  # without a timeout next() only returns an event
        return event


def _released[T](function: Callable[[], T], using: str) -> T:
    """Run a read for a long-lived stream and give the connection back (inside a transaction,
    as in unit tests, it stays)."""
    try:
        return function()
    finally:
        if not connections[using].in_atomic_block:
            connections[using].close()


def _replay(topics: frozenset[str], after: int, using: str) -> tuple[list[Event], bool]:
    kept = LiveEvent.objects.using(using)
    rows = list(
        kept.filter(pk__gt=after).order_by("pk").values_list("pk", "topics", "data")[:REPLAY_LIMIT]
    )
    oldest = kept.aggregate(oldest=Min("pk"))["oldest"]
    complete = (oldest is None or oldest <= after + 1) and len(rows) < REPLAY_LIMIT
    backlog = [
        Event(id=pk, topics=frozenset(event_topics), data=data)
        for pk, event_topics, data in rows
        if topics.intersection(event_topics)
    ]
    return backlog, complete


@asynccontextmanager
async def subscribe(
    topics: Iterable[str],
    *,
    after: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
    max_queued: int = 1000,
) -> AsyncIterator[Subscription]:
    """Events on any of `topics` published after event id `after` (None: from now on), from any
    process, in id order, each once. Raises ListenerUnavailableError when the database cannot be
    reached in time."""
    wanted = frozenset(topics)
    if after is None:
        after = await sync_to_async(_released)(partial(latest_id, using=using), using)
    hub = _hub(using)
    subscriber = _Subscriber(wanted, asyncio.get_running_loop(), max_queued)
    hub.add(subscriber)
    try:
        # The listener's watermark is read before the replay below: every event is then either
        # in the replay (committed before it) or above the watermark (delivered live).
        if not await asyncio.to_thread(hub.wait_ready, READY_TIMEOUT_SECONDS):
            raise ListenerUnavailableError("the live-event listener did not start")
        backlog, complete = await sync_to_async(_released)(
            partial(_replay, wanted, max(0, after), using), using
        )
        yield Subscription(subscriber, backlog, after=max(0, after), complete=complete)
    finally:
        hub.remove(subscriber)
