"""Live delivery: SSE streams resume from Last-Event-ID / ?after= without losing messages, fill
gaps from the database, receive through the live-event bus what any process stored (with a
safety read when an event is lost), and are refused to people who may not read the channel."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import RequestFactory, TestCase, override_settings

from kurashi.core.models import User
from kurashi.modules.access import live, services
from kurashi.modules.access.models import Channel, Message
from kurashi.modules.access.tests.conftest import World
from kurashi.modules.access.tests.factories import KARATSU_CITY_HALL, make_call
from kurashi.modules.access.views import captions, text119

# The live-event listener reads committed rows with its own connection.
pytestmark = pytest.mark.usefixtures("committed_db")


def request_for(user: User | AnonymousUser, path: str = "/", **headers: str) -> HttpRequest:
    request = RequestFactory().get(path, headers=headers)
    request.user = user
    return request


def committed(function: Callable[[], Any]) -> Any:
    """Run a service and its on_commit hooks (the test transaction never commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return function()


class Reader:
    """Consumes a stream in a task (wait_for on __anext__ would cancel the generator)."""

    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self.stream = stream
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        async for chunk in self.stream:
            await self.queue.put(chunk)

    async def read(self, *, expect: int = 0, timeout: float = 0.3) -> list[bytes]:
        """The `expect` chunks (waiting up to 10 s on a loaded machine), then whatever else
        comes before `timeout` seconds of silence."""
        chunks = []
        with contextlib.suppress(TimeoutError):
            while len(chunks) < expect:
                chunks.append(await asyncio.wait_for(self.queue.get(), timeout=10))
        with contextlib.suppress(TimeoutError):
            while True:
                chunks.append(await asyncio.wait_for(self.queue.get(), timeout=timeout))
        return chunks

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.stream.aclose()  # type: ignore[attr-defined]


def seqs(chunks: list[bytes]) -> list[int]:
    found = []
    for chunk in chunks:
        for frame in chunk.decode().split("\n\n"):
            if frame.startswith("id: "):
                found.append(int(frame.split("\n")[0][4:]))
    return found


def post(channel: Channel, body: str) -> Message:
    return committed(
        lambda: services.append_message(channel=channel, kind="text", role="caller", body=body)
    )


def test_sequence_numbers_are_per_channel_and_gapless(world: World) -> None:
    first = Channel.objects.create(kind="relay")
    second = Channel.objects.create(kind="relay")
    numbers = [
        post(first, "a").seq,
        post(second, "b").seq,
        post(first, "c").seq,
        post(first, "d").seq,
    ]
    assert numbers == [1, 1, 2, 3]
    first.refresh_from_db()
    assert first.last_seq == 3


def test_resent_client_key_stores_the_message_once(world: World) -> None:
    channel = Channel.objects.create(kind="relay")
    one = services.append_message(
        channel=channel, kind="text", role="resident", body="x", client_key="k"
    )
    two = services.append_message(
        channel=channel, kind="text", role="resident", body="x", client_key="k"
    )
    assert one.pk == two.pk
    assert channel.messages.count() == 1


def test_reconnecting_stream_gets_exactly_the_missed_messages_then_live_ones(world: World) -> None:
    channel = Channel.objects.create(kind="relay")
    for index in range(5):
        post(channel, f"m{index}")

    async def scenario() -> tuple[list[int], list[int]]:
        reader = Reader(
            live.channel_stream(channel_id=channel.pk, after=2, read_after=sync_to_async(_frames))
        )
        first = await reader.read(expect=1)
        await sync_to_async(post)(channel, "live")
        second = await reader.read(expect=1)
        await reader.close()
        return seqs(first), seqs(second)

    missed, live_ones = async_to_sync(scenario)()
    assert missed == [3, 4, 5]
    assert live_ones == [6]
    assert live.notifier.count(live.channel_key(channel.pk)) == 0


def _frames(channel_id: int, after: int) -> list[tuple[int, bytes]]:
    from kurashi.modules.access.selectors import frames_after

    return frames_after(channel_id, after)


def test_out_of_order_event_makes_the_stream_read_the_gap(world: World) -> None:
    channel = Channel.objects.create(kind="relay")
    post(channel, "one")

    async def scenario() -> list[int]:
        reader = Reader(
            live.channel_stream(channel_id=channel.pk, after=0, read_after=sync_to_async(_frames))
        )
        await reader.read()

        # Two messages committed by another request; only the second one's event reaches us.
        def store_two() -> None:
            services.append_message(channel=channel, kind="text", role="caller", body="two")
            third = services.append_message(
                channel=channel, kind="text", role="caller", body="three"
            )
            live.notifier.publish(
                live.LiveEvent(live.channel_key(channel.pk), third.seq, b"unused")
            )

        await sync_to_async(store_two)()
        chunks = await reader.read(expect=2)
        await reader.close()
        return seqs(chunks)

    assert async_to_sync(scenario)() == [2, 3]


@override_settings(ACCESS_SSE_POLL_SECONDS=0.2)
def test_a_message_whose_event_was_lost_arrives_through_the_safety_read(world: World) -> None:
    channel = Channel.objects.create(kind="relay")

    def store_without_publishing() -> None:  # as a poster that died after its commit
        Channel.objects.filter(pk=channel.pk).update(last_seq=1)
        Message.objects.create(channel=channel, seq=1, kind="text", role="caller", body="lost")

    async def scenario() -> list[int]:
        reader = Reader(
            live.channel_stream(channel_id=channel.pk, after=0, read_after=sync_to_async(_frames))
        )
        await reader.read(timeout=0.1)
        await sync_to_async(store_without_publishing)()
        chunks = await reader.read(expect=1)
        await reader.close()
        return seqs(chunks)

    assert async_to_sync(scenario)() == [1]


@override_settings(ACCESS_SSE_POLL_SECONDS=60)
def test_a_message_stored_by_another_process_arrives_through_the_bus(world: World) -> None:
    """Publishing is what another worker does after its commit; no safety read helps here."""
    channel = Channel.objects.create(kind="captions")

    async def scenario() -> list[int]:
        reader = Reader(
            live.channel_stream(channel_id=channel.pk, after=0, read_after=sync_to_async(_frames))
        )
        await reader.read(timeout=0.1)

        def elsewhere() -> None:
            Channel.objects.filter(pk=channel.pk).update(last_seq=1)
            Message.objects.create(channel=channel, seq=1, kind="caption", role="captioner")
            live.publish_message(channel.pk, 1)

        await sync_to_async(elsewhere)()
        chunks = await reader.read(expect=1)
        await reader.close()
        return seqs(chunks)

    assert async_to_sync(scenario)() == [1]


def test_view_resumes_from_last_event_id_over_after(world: World) -> None:
    call = make_call(world.resident)
    for body in ("a", "b", "c"):
        committed(
            lambda body=body: services.post_call_message(
                actor=world.resident, call=call, body=body, as_dispatcher=False
            )
        )
    request = request_for(world.resident, "/?after=1", **{"Last-Event-ID": "3"})

    async def scenario() -> list[bytes]:
        response = await text119.caller_events_view(request, call.public_id)
        assert response["Content-Type"] == "text/event-stream"
        reader = Reader(response.streaming_content)  # type: ignore[arg-type]
        chunks = await reader.read(expect=1)
        await reader.close()
        return chunks

    chunks = async_to_sync(scenario)()
    assert seqs(chunks) == [4]
    payload = json.loads(chunks[-1].decode().split("data: ")[1])
    assert (payload["role"], payload["body"]) == ("caller", "c")


def test_call_streams_are_refused_to_others(world: World) -> None:
    call = make_call(world.resident)
    for user, view in (
        (world.other_resident, text119.caller_events_view),
        (AnonymousUser(), text119.caller_events_view),
        (world.karatsu_dispatcher, text119.console_call_events_view),
        (world.plain_staff, text119.console_call_events_view),
        (world.resident, text119.console_call_events_view),
    ):
        response = async_to_sync(view)(request_for(user), call.public_id)
        assert response.status_code == 403, (user, view)


def test_console_stream_signals_new_calls_of_its_area_only(world: World) -> None:
    async def scenario() -> tuple[list[bytes], list[bytes]]:
        response = await text119.console_events_view(request_for(world.dispatcher))
        reader = Reader(response.streaming_content)  # type: ignore[arg-type]
        await reader.read()
        await sync_to_async(committed)(
            lambda: make_call(world.other_resident, position=KARATSU_CITY_HALL)
        )
        other_area = await reader.read()
        await sync_to_async(committed)(lambda: make_call(world.resident))
        own_area = await reader.read(expect=1)
        await reader.close()
        return other_area, own_area

    other_area, own_area = async_to_sync(scenario)()
    assert other_area == []
    assert len(own_area) == 1
    assert own_area[0].startswith(b"event: calls\n")
    assert (
        async_to_sync(text119.console_events_view)(request_for(world.resident)).status_code == 403
    )


def test_caption_viewers_need_no_account(world: World) -> None:
    session = services.start_caption_session(actor=world.captioner, title="講演")
    committed(
        lambda: services.post_caption(actor=world.captioner, session=session, text="こんにちは")
    )

    async def scenario() -> list[bytes]:
        response = await captions.events_view(request_for(AnonymousUser()), session.slug)
        reader = Reader(response.streaming_content)  # type: ignore[arg-type]
        chunks = await reader.read(expect=1)
        await reader.close()
        return chunks

    chunks = async_to_sync(scenario)()
    assert seqs(chunks) == [1]
    assert "こんにちは" in chunks[-1].decode()


@override_settings(ACCESS_SSE_POLL_SECONDS=60)
def test_many_streams_of_a_channel_share_one_database_read_per_message(world: World) -> None:
    channel = Channel.objects.create(kind="captions")
    reads: list[int] = []

    def counting(channel_id: int, after: int) -> list[tuple[int, bytes]]:
        reads.append(after)
        return _frames(channel_id, after)

    async def scenario() -> list[list[int]]:
        readers = [
            Reader(
                live.channel_stream(
                    channel_id=channel.pk, after=0, read_after=sync_to_async(counting)
                )
            )
            for _ in range(5)
        ]
        for reader in readers:
            await reader.read(timeout=0.05)
        for _ in range(100):  # each stream's first read, and the relay's catch-up read
            if len(reads) >= 6:
                break
            await asyncio.sleep(0.1)
        reads.clear()
        await sync_to_async(post)(channel, "a")
        chunks = await asyncio.gather(*(reader.read(expect=1) for reader in readers))
        received = [seqs(chunk) for chunk in chunks]
        for reader in readers:
            await reader.close()
        return received

    received = async_to_sync(scenario)()
    assert received == [[1]] * 5
    assert reads == [0]  # one read by the channel's relay, not one per stream
