"""Text 119: registration, the call lifecycle, permissions by fire HQ area, EMS case."""

import importlib
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from kurashi.core.models import AuditEvent
from kurashi.modules.access import selectors, services
from kurashi.modules.access.crypto import decrypt_text
from kurashi.modules.access.models import Message, Text119Call, Text119Profile
from kurashi.modules.access.tests.conftest import World, register
from kurashi.modules.access.tests.factories import KARATSU_CITY_HALL, make_call
from kurashi.testing.builders import make_user


def bodies(call: Text119Call) -> list[tuple[int, str, str]]:
    return list(Message.objects.filter(channel=call.channel).values_list("seq", "role", "body"))


def test_medical_notes_are_stored_encrypted(world: World) -> None:
    profile = Text119Profile.objects.get(user=world.resident)
    assert "ペニシリン" not in profile.medical_notes_encrypted
    assert profile.medical_notes_encrypted.startswith("sv1:")
    notes = decrypt_text(profile.medical_notes_encrypted, user_id=world.resident.pk)
    assert notes == "ペニシリンアレルギー"


def test_medical_notes_survive_a_new_secret_key(
    world: World, client: Client, settings: Any
) -> None:
    """Issue 15: the notes were sealed under a key derived from SECRET_KEY; rotating it made
    them unreadable for the fire HQ."""
    settings.SECRET_KEY = "a new secret key after a suspected leak, long and random enough"
    profile = Text119Profile.objects.get(user=world.resident)
    assert decrypt_text(profile.medical_notes_encrypted, user_id=world.resident.pk) == (
        "ペニシリンアレルギー"
    )
    call = make_call(world.resident)
    client.force_login(world.dispatcher)
    page = client.get(reverse("access:console-call", args=[call.public_id]))
    assert "ペニシリンアレルギー" in page.content.decode()


def test_notes_moved_to_another_residents_row_do_not_open(world: World) -> None:
    stolen = Text119Profile.objects.get(user=world.resident).medical_notes_encrypted
    with pytest.raises(ValueError, match="altered or belongs elsewhere"):
        decrypt_text(stolen, user_id=world.other_resident.pk)


def test_migration_reseals_notes_sealed_under_secret_key(world: World, settings: Any) -> None:
    """Migration 0002: Fernet tokens under the SECRET_KEY-derived key (also a fallback key) are
    re-sealed; after that a new SECRET_KEY changes nothing. Unreadable ones are left alone."""
    migration = importlib.import_module(
        "kurashi.modules.access.migrations.0002_reseal_medical_notes"
    )
    settings.SECRET_KEY = "the current secret key of this installation, long and random"
    settings.SECRET_KEY_FALLBACKS = ["the previous secret key, still listed as a fallback"]
    legacy = {
        world.resident: migration._fernet(settings.SECRET_KEY).encrypt("ペニシリン".encode()),
        world.other_resident: migration._fernet(settings.SECRET_KEY_FALLBACKS[0]).encrypt(
            "喘息".encode()
        ),
    }
    for user, token in legacy.items():
        Text119Profile.objects.filter(user=user).update(medical_notes_encrypted=token.decode())
    lost = migration._fernet("a key nobody has any more").encrypt(b"x").decode()
    orphan = register(make_user("orphan-resident"))
    Text119Profile.objects.filter(pk=orphan.pk).update(medical_notes_encrypted=lost)

    editor = SimpleNamespace(connection=connection)
    migration.reseal(apps, editor)

    settings.SECRET_KEY = "rotated once more after the migration, long and random as well"
    settings.SECRET_KEY_FALLBACKS = []
    stored = dict(Text119Profile.objects.values_list("user_id", "medical_notes_encrypted"))
    assert decrypt_text(stored[world.resident.pk], user_id=world.resident.pk) == "ペニシリン"
    assert decrypt_text(stored[world.other_resident.pk], user_id=world.other_resident.pk) == "喘息"
    assert stored[orphan.user_id] == lost


def test_call_is_routed_by_gps_position_to_the_municipality(world: World) -> None:
    call = make_call(world.resident, position=KARATSU_CITY_HALL)
    assert call.municipality_code == "412023"
    assert call.position_source == Text119Call.PositionSource.GPS
    assert call.state == Text119Call.State.CREATED
    assert bodies(call) == [(1, "system", "created")]


def test_manual_correction_wins_over_gps(world: World) -> None:
    call, _ = services.start_text119_call(
        caller=world.resident,
        kind="fire",
        client_key="k1",
        latitude=33.2494,
        longitude=130.2988,
        municipality_code="412040",
        address_note="多久駅前",
    )
    assert (call.municipality_code, call.position_source) == ("412040", "manual")


def test_without_position_the_registered_address_is_used(world: World) -> None:
    call = make_call(world.other_resident, position=None)
    assert (call.municipality_code, call.position_source) == ("412023", "address")
    assert call.latitude is None


def test_unregistered_resident_cannot_call(world: World) -> None:
    with pytest.raises(ValidationError):
        make_call(make_user())
    assert not Text119Call.objects.exists()


def test_resending_the_same_call_creates_it_once(world: World) -> None:
    first, created = services.start_text119_call(
        caller=world.resident, kind="fire", client_key="same"
    )
    again, created_again = services.start_text119_call(
        caller=world.resident, kind="fire", client_key="same"
    )
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert Text119Call.objects.count() == 1


def test_full_lifecycle_created_received_chatting_dispatched_closed(world: World) -> None:
    call = make_call(world.resident)
    assert services.receive_text119_call(actor=world.dispatcher, call=call)
    call.refresh_from_db()
    assert call.state == "received"
    assert call.received_by == world.dispatcher
    assert not services.receive_text119_call(actor=world.dispatcher, call=call)  # only once
    services.post_call_message(
        actor=world.dispatcher, call=call, body="意識はありますか", as_dispatcher=True
    )
    call.refresh_from_db()
    assert call.state == "chatting"
    services.post_call_message(actor=world.resident, call=call, body="はい", as_dispatcher=False)
    services.close_text119_call(actor=world.dispatcher, call=call, dispatched=True)
    call.refresh_from_db()
    assert call.state == "dispatched"
    services.post_call_message(
        actor=world.resident, call=call, body="ありがとう", as_dispatcher=False
    )
    services.close_text119_call(actor=world.dispatcher, call=call, dispatched=False)
    call.refresh_from_db()
    assert call.state == "closed"
    assert call.closed_at is not None
    assert bodies(call) == [
        (1, "system", "created"),
        (2, "system", "received"),
        (3, "dispatcher", "意識はありますか"),
        (4, "caller", "はい"),
        (5, "system", "dispatched"),
        (6, "caller", "ありがとう"),
        (7, "system", "closed"),
    ]
    with pytest.raises(ValidationError):
        services.post_call_message(
            actor=world.resident, call=call, body="まだ", as_dispatcher=False
        )
    assert call.channel.messages.count() == 7
    actions = set(
        AuditEvent.objects.filter(object_id=str(call.pk)).values_list("action", flat=True)
    )
    assert {
        "access.text119.call",
        "access.text119.receive",
        "access.text119.dispatch",
        "access.text119.close",
    } <= actions


def test_dispatcher_message_on_a_new_call_receives_it_first(world: World) -> None:
    call = make_call(world.resident)
    services.post_call_message(
        actor=world.dispatcher, call=call, body="消防です", as_dispatcher=True
    )
    call.refresh_from_db()
    assert call.state == "chatting"
    assert [b for _s, _r, b in bodies(call)] == ["created", "received", "消防です"]


def test_dispatcher_of_another_area_can_do_nothing(world: World) -> None:
    call = make_call(world.resident)  # 佐賀市
    for actor in (world.karatsu_dispatcher, world.plain_staff, world.other_resident):
        with pytest.raises(PermissionDenied):
            services.receive_text119_call(actor=actor, call=call)
        with pytest.raises(PermissionDenied):
            services.post_call_message(actor=actor, call=call, body="x", as_dispatcher=True)
    with pytest.raises(PermissionDenied):
        services.post_call_message(
            actor=world.other_resident, call=call, body="x", as_dispatcher=False
        )
    call.refresh_from_db()
    assert call.state == "created"
    assert bodies(call) == [(1, "system", "created")]


def test_each_dispatcher_sees_only_their_area(world: World) -> None:
    saga = make_call(world.resident)
    karatsu = make_call(world.other_resident, position=KARATSU_CITY_HALL)
    assert [c.pk for c in selectors.console_calls(world.dispatcher)] == [saga.pk]
    assert [c.pk for c in selectors.console_calls(world.karatsu_dispatcher)] == [karatsu.pk]
    assert selectors.console_calls(world.plain_staff) == []
    assert selectors.console_calls(world.resident) == []


def test_residents_see_only_their_own_calls(world: World) -> None:
    own = make_call(world.resident)
    make_call(world.other_resident)
    client = Client()
    client.force_login(world.other_resident)
    response = client.get(reverse("access:text119-call", kwargs={"public_id": own.public_id}))
    assert response.status_code == 404
    response = client.post(
        reverse("access:text119-message", kwargs={"public_id": own.public_id}), {"body": "x"}
    )
    assert response.status_code == 404
    assert own.channel.messages.count() == 1


def test_console_pages_are_refused_to_non_dispatchers(world: World) -> None:
    call = make_call(world.resident)
    anonymous = Client()
    assert anonymous.get(reverse("access:console")).status_code == 302
    for user in (world.resident, world.plain_staff, world.karatsu_dispatcher):
        client = Client()
        client.force_login(user)
        expected = 404 if user == world.karatsu_dispatcher else 403
        assert (
            client.get(
                reverse("access:console-call", kwargs={"public_id": call.public_id})
            ).status_code
            == expected
        )
        assert (
            client.post(
                reverse("access:console-receive", kwargs={"public_id": call.public_id})
            ).status_code
            == expected
        )
    call.refresh_from_db()
    assert call.state == "created"


def test_caller_places_a_call_through_the_page(world: World) -> None:
    client = Client()
    client.force_login(world.resident)
    page = client.get(reverse("access:text119"))
    assert page.status_code == 200
    assert "火事" in page.content.decode()
    response = client.post(
        reverse("access:text119-start"),
        {
            "kind": "ambulance",
            "latitude": "33.2494",
            "longitude": "130.2988",
            "accuracy": "15",
            "gps_municipality": "412015",
            "municipality_code": "412015",
            "client_key": "abc",
        },
    )
    call = Text119Call.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "access:text119-call", kwargs={"public_id": call.public_id}
    )
    assert (call.kind, call.position_source, call.municipality_code) == (
        "ambulance",
        "gps",
        "412015",
    )
    page = client.get(response["Location"]).content.decode()
    assert "受信" in page  # the "received" texts are on the page for the live update
    response = client.post(
        reverse("access:text119-message", kwargs={"public_id": call.public_id}),
        {"body": "はい", "client_key": "m1"},
        headers={"X-Requested-With": "fetch"},
    )
    assert json.loads(response.content) == {"ok": True, "seq": 2}


def test_unregistered_resident_is_sent_to_registration(world: World) -> None:
    client = Client()
    client.force_login(make_user())
    response = client.get(reverse("access:text119"))
    assert response["Location"] == reverse("access:text119-register")
    response = client.post(
        reverse("access:text119-register"),
        {
            "full_name": "新規 花子",
            "municipality_code": "412015",
            "address": "佐賀市1-1",
            "medical_notes": "なし",
        },
    )
    assert response.status_code == 302
    assert Text119Profile.objects.filter(full_name="新規 花子").exists()


def test_dispatcher_console_shows_position_and_profile_and_audits_the_read(world: World) -> None:
    call = make_call(world.resident)
    client = Client()
    client.force_login(world.dispatcher)
    listing = client.get(reverse("access:console-calls")).content.decode()
    assert str(call.public_id) in listing
    assert "33.24940" in listing
    page = client.get(
        reverse("access:console-call", kwargs={"public_id": call.public_id})
    ).content.decode()
    assert "ペニシリンアレルギー" in page
    assert "佐賀市" in page
    assert (
        AuditEvent.objects.filter(
            action="access.text119.profile_read", actor=world.dispatcher
        ).count()
        == 1
    )
    response = client.post(
        reverse("access:console-message", kwargs={"public_id": call.public_id}),
        {"body": "意識はありますか"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    call.refresh_from_db()
    assert call.state == "chatting"


def test_empty_message_is_refused_clearly_and_nothing_changes(world: World) -> None:
    call = make_call(world.resident)
    client = Client()
    client.force_login(world.resident)
    response = client.post(
        reverse("access:text119-message", kwargs={"public_id": call.public_id}),
        {"body": "   "},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 400
    assert json.loads(response.content)["error"]
    assert call.channel.messages.count() == 1


def test_dispatcher_opens_an_ems_case_from_the_call(world: World) -> None:
    call = make_call(world.resident)
    client = Client()
    client.force_login(world.dispatcher)
    response = client.post(
        reverse("access:console-ems-case", kwargs={"public_id": call.public_id}),
        {"category": "general", "age_group": "adult", "sex": "male", "urgency": "red"},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.state == "dispatched"
    assert len(call.ems_case_id) == 36
    again = services.open_ems_case_for_call(
        actor=world.dispatcher,
        call=call,
        category="general",
        age_group="adult",
        sex="male",
        urgency="red",
    )
    assert again == call.ems_case_id
    assert AuditEvent.objects.filter(action="ems.case.create").count() == 1


def test_ems_case_needs_a_fire_hq_membership_covering_the_call(world: World) -> None:
    call = make_call(world.resident)
    with pytest.raises(PermissionDenied):
        services.open_ems_case_for_call(
            actor=world.karatsu_dispatcher,
            call=call,
            category="general",
            age_group="adult",
            sex="male",
            urgency="red",
        )
    call.refresh_from_db()
    assert call.ems_case_id == ""
    assert call.state == "created"


def test_ems_refuses_a_dispatcher_who_is_not_in_a_fire_hq_covering_the_call(world: World) -> None:
    """A prefecture-wide grant lets a desk read the call, but only a fire HQ member opens a case."""
    from kurashi.core.models import Organisation
    from kurashi.testing.builders import make_member, make_organisation

    prefecture = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        covers_whole_prefecture=True,
    )
    desk = make_member(prefecture, "access.receive_text119")
    call = make_call(world.resident)
    with pytest.raises(PermissionDenied):
        services.open_ems_case_for_call(
            actor=desk, call=call, category="general", age_group="adult", sex="male", urgency="red"
        )
    call.refresh_from_db()
    assert call.ems_case_id == ""
    assert call.state == "created"


def test_where_answers_the_municipality_of_a_position(world: World) -> None:
    client = Client()
    answer = client.get(
        reverse("access:text119-where"), {"lat": "33.2494", "lon": "130.2988"}
    ).json()
    assert answer == {"code": "412015", "name": "佐賀市"}
    assert client.get(reverse("access:text119-where"), {"lat": "35.0", "lon": "135.0"}).json() == {
        "code": "",
        "name": "",
    }
    assert client.get(reverse("access:text119-where"), {"lat": "x"}).status_code == 400


def test_form_without_gps_sends_the_registered_address(world: World) -> None:
    client = Client()
    client.force_login(world.resident)
    client.post(reverse("access:text119-start"), {"kind": "fire", "municipality_code": "412015"})
    client.post(
        reverse("access:text119-start"),
        {"kind": "fire", "municipality_code": "412015", "address_note": "佐賀駅北口"},
    )
    sources = list(
        Text119Call.objects.order_by("created_at", "pk").values_list(
            "position_source", "address_note"
        )
    )
    assert sources == [("address", ""), ("manual", "佐賀駅北口")]


def test_the_call_page_carries_a_key_so_a_double_tap_makes_one_call(world: World) -> None:
    client = Client()
    client.force_login(world.resident)
    page = client.get(reverse("access:text119")).content.decode()
    key = page.split('name="client_key" value="', 1)[1].split('"', 1)[0]
    assert len(key) == 32
    for _ in range(2):
        client.post(
            reverse("access:text119-start"),
            {"kind": "ambulance", "client_key": key, "municipality_code": "412015"},
        )
    assert Text119Call.objects.count() == 1
