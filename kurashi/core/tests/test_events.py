"""The live-event bus: events published after a commit reach the subscribers of their topics, in
id order, from this process and from another one (PostgreSQL LISTEN/NOTIFY, SQLite poll); a
subscriber resumes after an id without loss; rolled-back work publishes nothing."""

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection, transaction
from django.utils import timezone

from kurashi.core import events
from kurashi.core.models import LiveEvent

pytestmark = pytest.mark.usefixtures("committed_db")
REPO_ROOT = Path(__file__).resolve().parents[3]


def run[T](scenario: Callable[[], Awaitable[T]]) -> T:
    return async_to_sync(scenario)()


async def collect(subscription: events.Subscription, *, timeout: float = 1.0) -> list[Any]:
    """Events until none arrives for `timeout` seconds, as (topics, data) pairs."""
    received = []
    while (event := await subscription.next(timeout=timeout)) is not None:
        received.append((sorted(event.topics), event.data))
    return received


def test_subscribers_receive_the_events_of_their_topics_only() -> None:
    async def scenario() -> tuple[list[Any], list[Any]]:
        async with (
            events.subscribe({"ems.status"}) as status,
            events.subscribe({"ems.hospital:7", "ems.coordinator"}) as hospital,
        ):
            await sync_to_async(events.publish)("ems.status", {"kind": "status", "id": 1})
            await sync_to_async(events.publish)(
                ["ems.hospital:7", "ems.hospital:8"], {"kind": "request"}
            )
            await sync_to_async(events.publish)("ems.hospital:9", {"kind": "request"})
            return await collect(status, timeout=0.5), await collect(hospital, timeout=0.2)

    status, hospital = run(scenario)
    assert status == [(["ems.status"], {"kind": "status", "id": 1})]
    assert hospital == [(["ems.hospital:7", "ems.hospital:8"], {"kind": "request"})]


def test_an_event_is_published_only_when_the_transaction_commits() -> None:
    def work(fail: bool) -> None:
        try:
            with transaction.atomic():
                events.publish("t", {"fail": fail})
                assert not LiveEvent.objects.exists()  # not before the commit
                if fail:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    async def scenario() -> list[Any]:
        async with events.subscribe({"t"}) as subscription:
            await sync_to_async(work)(True)
            await sync_to_async(work)(False)
            return await collect(subscription, timeout=0.5)

    assert run(scenario) == [(["t"], {"fail": False})]
    assert LiveEvent.objects.count() == 1


def test_a_resuming_subscriber_gets_exactly_the_events_after_its_last_id_then_live_ones() -> None:
    for number in range(5):
        events.publish("captions", {"n": number})
    ids = list(LiveEvent.objects.order_by("pk").values_list("pk", flat=True))

    async def scenario() -> tuple[list[int], bool]:
        async with events.subscribe({"captions"}, after=ids[1]) as subscription:
            await sync_to_async(events.publish)("captions", {"n": 5})
            received = [item[1]["n"] for item in await collect(subscription, timeout=0.5)]
            return received, subscription.complete

    assert run(scenario) == ([2, 3, 4, 5], True)


def test_without_after_a_subscriber_starts_from_now() -> None:
    events.publish("t", {"n": "old"})

    async def scenario() -> list[Any]:
        async with events.subscribe({"t"}) as subscription:
            await sync_to_async(events.publish)("t", {"n": "new"})
            return await collect(subscription, timeout=0.5)

    assert run(scenario) == [(["t"], {"n": "new"})]


def test_resuming_after_pruned_events_says_the_view_must_be_refreshed() -> None:
    for number in range(3):
        events.publish("t", {"n": number})
    first = LiveEvent.objects.order_by("pk").first()
    assert first is not None
    LiveEvent.objects.filter(pk=first.pk).update(at=timezone.now() - timedelta(hours=2))
    assert events.prune() == 1

    async def scenario() -> tuple[bool, list[Any]]:
        async with events.subscribe({"t"}, after=first.pk - 1) as subscription:
            return subscription.complete, await collect(subscription, timeout=0.2)

    complete, received = run(scenario)
    assert complete is False
    assert [data["n"] for _topics, data in received] == [1, 2]


def test_a_subscriber_too_far_behind_is_dropped_and_resumes_without_loss() -> None:
    async def scenario() -> list[int]:
        received = []
        async with events.subscribe({"t"}, max_queued=5) as slow:
            await sync_to_async(lambda: [events.publish("t", {"n": n}) for n in range(12)])()
            await asyncio.sleep(0.5)
            dropped = False
            try:
                while (event := await slow.next(timeout=0.5)) is not None:
                    received.append(event.data["n"])
            except events.FellBehindError:
                dropped = True
            assert dropped
            last = slow.last_id
        async with events.subscribe({"t"}, after=last) as resumed:
            received += [data["n"] for _topics, data in await collect(resumed, timeout=0.3)]
        return received

    assert run(scenario) == list(range(12))


def test_bad_events_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="small JSON"):
        events.publish("t", {"body": "x" * (events.MAX_DATA_BYTES + 1)})
    with pytest.raises(ValueError, match="topics"):
        events.publish([], {})
    with pytest.raises(TypeError):
        events.publish("t", {"when": timezone.now()})
    assert not LiveEvent.objects.exists()


def test_publishing_from_async_code_is_refused() -> None:
    async def scenario() -> None:
        events.publish("t", {})

    with pytest.raises(SynchronousOnlyOperation):
        run(scenario)


def test_concurrent_publishers_lose_no_event() -> None:
    """Ids follow commit order, so the listener's "everything after the last id" misses nothing
    while four threads publish at once."""

    def publisher(number: int) -> None:
        try:
            for index in range(20):
                events.publish("burst", {"thread": number, "n": index})
        finally:
            connection.close()

    async def scenario() -> list[tuple[int, int]]:
        async with events.subscribe({"burst"}) as subscription:
            threads = [threading.Thread(target=publisher, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            await asyncio.to_thread(lambda: [thread.join() for thread in threads])
            return [(d["thread"], d["n"]) for _t, d in await collect(subscription, timeout=1.0)]

    received = run(scenario)
    assert sorted(received) == [(thread, n) for thread in range(4) for n in range(20)]
    for thread in range(4):  # each thread's events in its own order
        assert [n for t, n in received if t == thread] == list(range(20))


def test_the_listener_stops_when_the_last_subscriber_leaves() -> None:
    async def scenario() -> bool:
        async with events.subscribe({"t"}):
            assert events._hub("default").running
        return True

    run(scenario)
    deadline = time.monotonic() + 3
    while events._hub("default").running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not events._hub("default").running
    assert events.subscriber_count() == 0


def _environment_of_this_database() -> dict[str, str]:
    settings_dict = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(settings_dict["NAME"])
    else:
        user = settings_dict["USER"]
        password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
        host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}/{settings_dict['NAME']}"
    return env


def test_an_event_published_by_another_process_arrives() -> None:
    """A watcher or task worker is another process: PostgreSQL tells this one by NOTIFY, SQLite
    by the listener's short poll."""
    code = "from kurashi.core import events; events.publish('ems.coordinator', {'kind': 'escalation', 'case': 'c-1'})"

    async def scenario() -> tuple[list[Any], float]:
        async with events.subscribe({"ems.coordinator"}) as subscription:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "kurashi",
                "shell",
                "-c",
                code,
                cwd=REPO_ROOT,
                env=_environment_of_this_database(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _out, errors = await process.communicate()
            assert process.returncode == 0, errors.decode()
            exited = time.monotonic()
            event = await subscription.next(timeout=5)
            assert event is not None
            return [(sorted(event.topics), event.data)], time.monotonic() - exited

    received, delay = run(scenario)
    assert received == [(["ems.coordinator"], {"kind": "escalation", "case": "c-1"})]
    assert delay < 1.0
