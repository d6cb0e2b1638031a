import asyncio
import contextlib
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from kurashi.core import events
from kurashi.core.models import LiveEvent, User
from kurashi.modules.ems import broadcast
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.views.live import events_view

# The live-event listener reads committed rows with its own connection.
pytestmark = pytest.mark.usefixtures("committed_db")


def request_for(user: User | AnonymousUser, **headers: str) -> HttpRequest:
    request = RequestFactory().get("/ems/events/", headers=headers)
    request.user = user

    async def auser() -> User | AnonymousUser:
        return user

    request.auser = auser  # type: ignore[method-assign]
    return request


async def _read(
    user: User, publish: list[tuple[str, list[str]]], *, expect: int = 0, **headers: str
) -> list[str]:
    """Open the user's stream, publish, and return what arrives: the `expect` chunks (waiting up
    to 10 s on a loaded machine), then whatever else comes within 0.3 s."""
    response = await events_view(request_for(user, **headers))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    stream = response.streaming_content.__aiter__()  # type: ignore[union-attr]
    first = await stream.__anext__()
    assert b"retry:" in first
    for kind, channels in publish:
        await sync_to_async(broadcast.publish)(kind, channels, note=kind)
    # A task pumps the stream: wait_for() on __anext__ itself would close the generator.
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def pump() -> None:
        async for chunk in stream:
            await queue.put(chunk)

    task = asyncio.ensure_future(pump())
    received: list[str] = []
    try:
        with contextlib.suppress(TimeoutError):
            while len(received) < expect:
                received.append((await asyncio.wait_for(queue.get(), 10)).decode())
        with contextlib.suppress(TimeoutError):
            while True:
                received.append((await asyncio.wait_for(queue.get(), 0.3)).decode())
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await stream.aclose()
    return received


def test_stream_refuses_users_without_an_ems_role(world: World) -> None:
    for user in (AnonymousUser(), world.resident, world.plain_staff):
        response = async_to_sync(events_view)(request_for(user))
        assert response.status_code == 403


def test_crew_receives_status_and_own_case_events_only(world: World) -> None:
    publish = [
        ("status", [broadcast.STATUS]),
        ("case", [broadcast.hq_channel(world.other_hq.pk)]),
        ("request", [broadcast.hospital_channel(world.near.organisation_id)]),
        ("case", [broadcast.hq_channel(world.hq.pk)]),
    ]
    received = async_to_sync(_read)(world.crew, publish, expect=2)
    kinds = [chunk.split("event: ")[1].split("\n")[0] for chunk in received]
    assert kinds == ["status", "case"]
    payload = json.loads(received[1].split("data: ")[1])
    assert payload == {"kind": "case", "note": "case"}


def test_hospital_receives_its_own_requests(world: World) -> None:
    publish = [
        ("request", [broadcast.hospital_channel(world.far.organisation_id)]),
        ("request", [broadcast.hospital_channel(world.near.organisation_id)]),
    ]
    received = async_to_sync(_read)(world.near_staff, publish, expect=1)
    assert len(received) == 1
    assert "event: request" in received[0]


def test_subscription_ends_with_the_stream(world: World) -> None:
    before = events.subscriber_count()
    async_to_sync(_read)(world.coordinator, [])
    assert events.subscriber_count() == before


def test_a_reconnecting_client_gets_the_events_it_missed_after_its_last_event_id(
    world: World,
) -> None:
    for number in range(3):
        broadcast.publish("status", [broadcast.STATUS], note=f"missed-{number}")
    broadcast.publish("request", [broadcast.hospital_channel(world.far.organisation_id)])
    first = LiveEvent.objects.order_by("pk").values_list("pk", flat=True).first()
    received = async_to_sync(_read)(
        world.near_staff,
        [("status", [broadcast.STATUS])],
        expect=3,
        **{"Last-Event-ID": str(first)},
    )
    notes = [json.loads(chunk.split("data: ")[1])["note"] for chunk in received]
    assert notes == ["missed-1", "missed-2", "status"]
    ids = [int(chunk.split("id: ")[1].split("\n")[0]) for chunk in received]
    assert ids == sorted(ids)
    assert ids[0] > first


@override_settings(EMS_SSE_MAX_SECONDS=0.2)
def test_stream_ends_after_its_lifetime_so_connections_recycle(world: World) -> None:
    async def consume() -> list[bytes]:
        response = await events_view(request_for(world.crew))
        return [chunk async for chunk in response.streaming_content]  # type: ignore[union-attr]

    chunks = async_to_sync(consume)()
    assert chunks[0].startswith(b"retry:")


def test_a_client_too_far_behind_is_dropped_and_resumes_without_loss(world: World) -> None:
    async def scenario() -> tuple[list[bytes], int]:
        response = await events_view(request_for(world.crew))
        stream = response.streaming_content.__aiter__()  # type: ignore[union-attr]
        await stream.__anext__()

        def flood() -> None:
            for number in range(broadcast.MAX_QUEUED + 5):
                broadcast.publish("status", [broadcast.STATUS], n=number)

        await sync_to_async(flood)()
        latest = await sync_to_async(events.latest_id)()
        hub = events._hub("default")
        for _ in range(100):  # until the listener has read them all (the stream is behind)
            if (hub.watermark or 0) >= latest:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.1)  # and handed them to this loop
        chunks = [chunk async for chunk in stream]  # the stream ends by itself
        return chunks, len(chunks)

    chunks, count = async_to_sync(scenario)()
    assert count == broadcast.MAX_QUEUED
    last_id = chunks[-1].decode().split("id: ")[1].split("\n")[0]
    rest = async_to_sync(_read)(world.crew, [], expect=5, **{"Last-Event-ID": last_id})
    numbers = [json.loads(c.decode().split("data: ")[1])["n"] for c in chunks]
    numbers += [json.loads(c.split("data: ")[1])["n"] for c in rest]
    assert numbers == list(range(broadcast.MAX_QUEUED + 5))
