import asyncio
import json

from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from kurashi.core.models import User
from kurashi.modules.ems import broadcast
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.views.live import events_view


def request_for(user: User | AnonymousUser) -> HttpRequest:
    request = RequestFactory().get("/ems/events/")
    request.user = user

    async def auser() -> User | AnonymousUser:
        return user

    request.auser = auser  # type: ignore[method-assign]
    return request


async def _read(user: User, publish: list[tuple[str, list[str]]]) -> list[str]:
    response = await events_view(request_for(user))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    stream = response.streaming_content.__aiter__()  # type: ignore[union-attr]
    first = await stream.__anext__()
    assert b"retry:" in first
    for kind, channels in publish:
        broadcast.broadcaster.publish(kind, channels, note=kind)
    received = []
    try:
        while True:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=0.3)
            received.append(chunk.decode())
    except TimeoutError:
        pass
    finally:
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
    received = async_to_sync(_read)(world.crew, publish)
    kinds = [chunk.split("event: ")[1].split("\n")[0] for chunk in received]
    assert kinds == ["status", "case"]
    payload = json.loads(received[1].split("data: ")[1])
    assert payload == {"kind": "case", "note": "case"}


def test_hospital_receives_its_own_requests(world: World) -> None:
    publish = [
        ("request", [broadcast.hospital_channel(world.far.organisation_id)]),
        ("request", [broadcast.hospital_channel(world.near.organisation_id)]),
    ]
    received = async_to_sync(_read)(world.near_staff, publish)
    assert len(received) == 1
    assert "event: request" in received[0]


def test_subscription_ends_with_the_stream(world: World) -> None:
    before = broadcast.broadcaster.subscriber_count
    async_to_sync(_read)(world.coordinator, [])
    assert broadcast.broadcaster.subscriber_count == before


@override_settings(EMS_SSE_MAX_SECONDS=0.2)
def test_stream_ends_after_its_lifetime_so_connections_recycle(world: World) -> None:
    async def consume() -> list[bytes]:
        response = await events_view(request_for(world.crew))
        return [chunk async for chunk in response.streaming_content]  # type: ignore[union-attr]

    chunks = async_to_sync(consume)()
    assert chunks[0].startswith(b"retry:")


def test_a_client_too_far_behind_is_dropped_not_blocking_others() -> None:
    async def scenario() -> tuple[bool, int]:
        slow = broadcast.broadcaster.subscribe({broadcast.STATUS})
        try:
            for number in range(broadcast.MAX_QUEUED + 5):
                broadcast.broadcaster.publish("status", [broadcast.STATUS], n=number)
            await asyncio.sleep(0.05)
            return slow.overflowed, slow.queue.qsize()
        finally:
            broadcast.broadcaster.unsubscribe(slow)

    overflowed, size = async_to_sync(scenario)()
    assert overflowed is True
    assert size <= broadcast.MAX_QUEUED
