"""The 119 console's map and routing by position, and practice calls (issue 18, new capability:
what Net119 users have — a map of the caller's position, the right fire HQ by position, a
practice mode for registered residents)."""

from django.test import Client
from django.urls import reverse

from kurashi.modules.access import selectors, services
from kurashi.modules.access.models import Text119Call
from kurashi.modules.access.tests.conftest import World
from kurashi.modules.access.tests.factories import KARATSU_CITY_HALL, make_call


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def console_page(user: object, call: Text119Call) -> tuple[int, str]:
    response = logged_in(user).get(
        reverse("access:console-call", kwargs={"public_id": call.public_id})
    )
    return response.status_code, response.content.decode()


def test_a_call_goes_to_the_fire_hq_covering_the_position_and_shows_on_its_map(
    world: World,
) -> None:
    call = make_call(world.resident, position=KARATSU_CITY_HALL)  # registered in Saga City
    assert call.municipality_code == "412023"
    assert console_page(world.dispatcher, call)[0] == 404
    status, page = console_page(world.karatsu_dispatcher, call)
    assert status == 200
    assert "唐津市消防本部" in page[page.index('id="call-routing"') :]
    assert 'id="call-map"' in page
    assert 'data-lat="33.450000"' in page
    assert "vendor/leaflet/leaflet.js" in page


def test_dispatcher_transfers_a_call_to_the_hq_where_the_caller_really_is(world: World) -> None:
    call = make_call(world.resident)  # GPS says Saga City
    services.receive_text119_call(actor=world.dispatcher, call=call)
    response = logged_in(world.dispatcher).post(
        reverse("access:console-transfer", kwargs={"public_id": call.public_id}),
        {"municipality_code": "412023"},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.municipality_code, call.state, call.received_by) == ("412023", "created", None)
    assert console_page(world.dispatcher, call)[0] == 404
    assert console_page(world.karatsu_dispatcher, call)[0] == 200
    caller = logged_in(world.resident).get(
        reverse("access:text119-call", kwargs={"public_id": call.public_id})
    )
    assert "唐津市消防本部に転送しました" in caller.content.decode()
    # Only the HQ holding the call may move it.
    other = make_call(world.resident)
    response = logged_in(world.karatsu_dispatcher).post(
        reverse("access:console-transfer", kwargs={"public_id": other.public_id}),
        {"municipality_code": "412023"},
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.municipality_code == "412015"


def test_practice_call_is_answered_by_the_trainer_and_never_reaches_a_console(
    world: World,
) -> None:
    client = logged_in(world.resident)
    response = client.post(
        reverse("access:text119-start"),
        {"practice": "1", "client_key": "practice-1", "municipality_code": "412015"},
    )
    call = Text119Call.objects.get(client_key="practice-1")
    assert response["Location"] == reverse(
        "access:text119-call", kwargs={"public_id": call.public_id}
    )
    assert (call.is_practice, call.state, call.practice_step) == (True, "chatting", 1)
    assert call not in selectors.console_calls(world.dispatcher)
    assert console_page(world.dispatcher, call)[0] == 404
    page = client.get(response["Location"]).content.decode()
    assert "練習" in page
    for number, answer in enumerate(("救急です", "はい", "はい", "わかりました")):
        services.post_call_message(
            actor=world.resident,
            call=call,
            body=answer,
            as_dispatcher=False,
            client_key=f"answer-{number}",
        )
        # A re-sent answer (weak connection) does not skip a question.
        services.post_call_message(
            actor=world.resident,
            call=call,
            body=answer,
            as_dispatcher=False,
            client_key=f"answer-{number}",
        )
        call.refresh_from_db()
        if call.state == "closed":
            break
    call.refresh_from_db()
    assert call.state == "closed"
    trainer = [m.body for m in selectors.list_messages(call.channel_id) if m.role == "dispatcher"]
    assert len(trainer) == len(selectors.PRACTICE_SCRIPT)
    assert all(body.startswith("【練習】") for body in trainer)
