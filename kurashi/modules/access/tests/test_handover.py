"""A case opened from a text-119 call carries the caller over to the crew (issue 18 point 3: the
crew's case panel lost the caller's address and position): where they are, how to talk with
them, and their registered medical notes only when they consented."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from kurashi.modules.access import services
from kurashi.modules.access.tests.conftest import World
from kurashi.modules.access.tests.factories import SAGA_CITY_HALL


def _register(world: World, *, consent: bool) -> None:
    services.save_text119_profile(
        user=world.resident,
        data=services.ProfileInput(
            full_name="佐賀 太郎",
            municipality_code="412015",
            address="佐賀市城内1丁目1-59",
            hearing="ろう（筆談・文字でお願いします）",
            medical_notes="ペニシリンアレルギー、ワルファリン服用中",
            shares_medical_notes=consent,
        ),
    )


def _open_case(world: World) -> str:
    call, _created = services.start_text119_call(
        caller=world.resident,
        kind="ambulance",
        client_key="handover-call",
        latitude=SAGA_CITY_HALL[0],
        longitude=SAGA_CITY_HALL[1],
        accuracy_m=15,
        address_note="市役所正面玄関のベンチ",
    )
    return services.open_ems_case_for_call(
        actor=world.dispatcher,
        call=call,
        category="chest_pain",
        age_group="elderly",
        sex="male",
        urgency="red",
    )


def _crew_panel(world: World, case_id: str) -> str:
    client = Client()
    client.force_login(world.dispatcher)  # also a crew member of the Saga HQ
    response = client.get(reverse("ems:case", kwargs={"public_id": case_id}))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("consent", [True, False])
def test_crew_sees_where_the_caller_is_and_how_to_talk_with_them(
    world: World, consent: bool
) -> None:
    _register(world, consent=consent)
    case_id = _open_case(world)
    page = _crew_panel(world, case_id)
    handover = page[page.index('id="handover"') :]
    assert "市役所正面玄関のベンチ" in handover
    assert "佐賀市城内1丁目1-59" in handover
    assert "33.24940, 130.29880" in handover
    assert "GPS" in handover
    assert "ろう（筆談・文字でお願いします）" in handover
    assert ("ペニシリンアレルギー" in handover) is consent


def test_medical_notes_are_sealed_in_the_case(world: World) -> None:
    _register(world, consent=True)
    case_id = _open_case(world)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT handover_notes_sealed FROM ems_case WHERE public_id = %s",
            [case_id.replace("-", "") if connection.vendor == "sqlite" else case_id],
        )
        (stored,) = cursor.fetchone()
    assert stored
    assert "ペニシリン" not in stored
