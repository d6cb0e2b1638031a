"""Every time a caller, dispatcher, resident or captioner reads is Asia/Tokyo — in the page as
rendered and in every live frame the page appends later (issue 18 point 2: the chat showed
"22:00:07", UTC, against 07:00 JST elsewhere)."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from kurashi.modules.access import selectors, services
from kurashi.modules.access.models import Message
from kurashi.modules.access.tests.conftest import World
from kurashi.modules.access.tests.factories import make_call

# 22:00:07 UTC is 07:00:07 the next morning in Saga.
AT_UTC = datetime(2026, 11, 2, 22, 0, 7, tzinfo=UTC)
JST_TEXT = "07:00:07"
UTC_TEXT = "22:00:07"


def _stamp_every_message() -> None:
    Message.objects.update(created_at=AT_UTC)


def _payload(frame: bytes) -> dict[str, object]:
    data = next(line for line in frame.decode().splitlines() if line.startswith("data: "))
    return dict(json.loads(data.removeprefix("data: ")))


def test_live_frame_carries_the_time_in_asia_tokyo(world: World) -> None:
    call = make_call(world.resident)
    message = services.post_call_message(
        actor=world.resident, call=call, body="助けて", as_dispatcher=False
    )
    _stamp_every_message()
    message.refresh_from_db()
    payload = _payload(selectors.frame_of(message))
    assert payload["time"] == JST_TEXT
    assert payload["at"] == "2026-11-03T07:00:07+09:00"
    # The frames a (re)connecting stream reads from the database say the same.
    frames = selectors.frames_after(call.channel_id, 0)
    assert {_payload(frame)["time"] for _seq, frame in frames} == {JST_TEXT}


@pytest.mark.parametrize("viewer", ["caller", "dispatcher"])
def test_text119_chat_pages_show_times_in_asia_tokyo(world: World, viewer: str) -> None:
    call = make_call(world.resident)
    services.post_call_message(actor=world.resident, call=call, body="はい", as_dispatcher=False)
    services.post_call_message(
        actor=world.dispatcher, call=call, body="けがはありますか", as_dispatcher=True
    )
    _stamp_every_message()
    client = Client()
    if viewer == "caller":
        client.force_login(world.resident)
        url = reverse("access:text119-call", kwargs={"public_id": call.public_id})
    else:
        client.force_login(world.dispatcher)
        url = reverse("access:console-call", kwargs={"public_id": call.public_id})
    page = client.get(url).content.decode()
    assert page.count(f">{JST_TEXT}</time>") == 2
    assert UTC_TEXT not in page
    assert 'datetime="2026-11-03T07:00:07+09:00"' in page


def test_relay_chat_and_transcript_show_times_in_asia_tokyo(world: World) -> None:
    conversation = services.start_relay(resident=world.resident, counterpart_name="佐賀市役所")
    services.post_relay_message(
        conversation=conversation, role="resident", body="こんにちは", author=world.resident
    )
    _stamp_every_message()
    client = Client()
    client.force_login(world.resident)
    page = client.get(
        reverse("access:relay-chat", kwargs={"public_id": conversation.public_id})
    ).content.decode()
    assert f">{JST_TEXT}</time>" in page
    assert UTC_TEXT not in page
    transcript = client.get(
        reverse("access:relay-transcript", kwargs={"public_id": conversation.public_id})
    )
    text = transcript.content.decode()
    assert f"2026-11-03 {JST_TEXT}" in text
    assert UTC_TEXT not in text
