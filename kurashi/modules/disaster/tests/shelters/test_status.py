"""Live status by shelter staff: the four actors (and staff of another municipality), the two-tap
page with and without htmx, crowding suggestions, history and audit."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kurashi.core.models import AuditEvent, User
from kurashi.modules.disaster.models import Shelter, ShelterStatusChange
from kurashi.modules.disaster.services.shelters import update_shelter_status
from kurashi.modules.disaster.tests.shelters.conftest import (
    client_for,
    live_state,
    make_shelter,
    nothing_recorded,
)
from kurashi.testing import make_member, make_organisation

STAFF_URL = "/disaster/shelters/staff/"


def staff_url(shelter: Shelter) -> str:
    return f"{STAFF_URL}{shelter.common_id}/"


# --- the four actors -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_and_changes_nothing(shelter: Shelter) -> None:
    before = live_state(shelter)

    response = client_for(None).post(staff_url(shelter), {"action": "open"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(staff_url(shelter))}"
    assert live_state(shelter) == before
    assert nothing_recorded()


@pytest.mark.parametrize("actor", ["resident", "staff_without_permission", "karatsu_shelter_staff"])
def test_actors_without_the_permission_here_are_refused_and_change_nothing(
    request: pytest.FixtureRequest, shelter: Shelter, actor: str
) -> None:
    user: User = request.getfixturevalue(actor)
    before = live_state(shelter)
    client = client_for(user)

    page = client.get(staff_url(shelter))
    response = client.post(staff_url(shelter), {"action": "open"})

    assert (page.status_code, response.status_code) == (403, 403)
    assert live_state(shelter) == before
    assert nothing_recorded()


def test_staff_with_the_permission_opens_the_shelter(shelter: Shelter, shelter_staff: User) -> None:
    client = client_for(shelter_staff)
    moment = datetime(2026, 7, 10, 3, 15, tzinfo=UTC)

    with time_machine.travel(moment, tick=False):
        response = client.post(staff_url(shelter), {"action": "open"})

    assert response.status_code == 302
    assert response["Location"] == staff_url(shelter)
    assert live_state(shelter) == ("open", "available", False, 0, None, moment)
    change = ShelterStatusChange.objects.get()
    assert (change.action, change.open_state, change.crowding, change.changed_by) == (
        "open",
        "open",
        "available",
        shelter_staff,
    )
    event = AuditEvent.objects.get(action="disaster.shelter.status")
    assert (event.actor, event.municipality_code, event.object_id) == (
        shelter_staff,
        "412015",
        str(shelter.pk),
    )
    assert event.detail["before"]["open_state"] == "not_open"
    assert event.detail["after"]["open_state"] == "open"
    followed = client.get(response["Location"])
    assert "保存しました：開設" in followed.content.decode()


def test_the_service_refuses_staff_of_another_municipality(
    shelter: Shelter, karatsu_shelter_staff: User
) -> None:
    before = live_state(shelter)

    with pytest.raises(PermissionDenied):
        update_shelter_status(actor=karatsu_shelter_staff, shelter_id=shelter.pk, action="open")

    assert live_state(shelter) == before
    assert nothing_recorded()


# --- the staff list --------------------------------------------------------------------------


def test_staff_list_needs_login(db: None) -> None:
    response = client_for(None).get(STAFF_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(STAFF_URL)}"


@pytest.mark.parametrize("actor", ["resident", "staff_without_permission"])
def test_staff_list_is_refused_without_the_permission(
    request: pytest.FixtureRequest, actor: str
) -> None:
    response = client_for(request.getfixturevalue(actor)).get(STAFF_URL)

    assert response.status_code == 403


def test_staff_list_shows_only_the_shelters_of_the_staff_members_municipality(
    shelter_staff: User, django_assert_max_num_queries: object
) -> None:
    mine = make_shelter(common_id="E4120100001111", name="嘉瀬小学校")
    open_one = make_shelter(common_id="E4120100002111", name="嘉瀬公民館", open_state="open")
    make_shelter(
        common_id="E4120200001111",
        name="唐津市の避難所",
        municipality_code="412023",
        latitude=33.450,
        longitude=129.968,
    )

    response = client_for(shelter_staff).get(STAFF_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "唐津市の避難所" not in page
    # Open shelters first, each one tap away.
    assert page.index(open_one.name) < page.index(mine.name)
    assert f'href="{staff_url(mine)}"' in page
    assert f'href="{staff_url(open_one)}"' in page


def test_staff_list_search(shelter_staff: User) -> None:
    make_shelter(common_id="E4120100001111", name="嘉瀬小学校")
    make_shelter(common_id="E4120100002111", name="嘉瀬公民館")

    response = client_for(shelter_staff).get(STAFF_URL, {"q": "公民館"})

    page = response.content.decode()
    assert "嘉瀬公民館" in page
    assert "嘉瀬小学校" not in page


# --- the two-tap page ------------------------------------------------------------------------


def test_staff_page_offers_the_big_status_buttons(shelter: Shelter, shelter_staff: User) -> None:
    response = client_for(shelter_staff).get(staff_url(shelter))

    assert response.status_code == 200
    page = response.content.decode()
    for action in ("open", "available", "crowded", "full", "close", "not_open", "checked"):
        assert f'name="action" value="{action}"' in page
    assert 'hx-post="' in page
    assert 'name="delta" value="1"' in page


def test_htmx_request_gets_only_the_status_panel(shelter: Shelter, shelter_staff: User) -> None:
    response = client_for(shelter_staff).post(
        "/en" + staff_url(shelter), {"action": "full"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="staff-panel"')
    assert "Saved: open, full (定員一杯)." in page
    assert live_state(shelter)[:3] == ("open", "full", True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "explode"}, "Select a valid choice"),
        ({"action": "counts", "headcount": "-3"}, "greater than or equal to 0"),
        ({"action": "counts"}, "Give a headcount or a capacity."),
        ({"action": "adjust"}, "The change of headcount is missing or too large."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(
    shelter: Shelter, shelter_staff: User, data: dict[str, str], message: str
) -> None:
    before = live_state(shelter)

    response = client_for(shelter_staff).post("/en" + staff_url(shelter), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert live_state(shelter) == before
    assert nothing_recorded()


def test_unknown_shelter_is_404(shelter_staff: User) -> None:
    response = client_for(shelter_staff).get(f"{STAFF_URL}E4120199999999/")

    assert response.status_code == 404


# --- what each action does -------------------------------------------------------------------


def act(shelter: Shelter, user: User, action: str, **values: int) -> tuple[object, ...]:
    update_shelter_status(actor=user, shelter_id=shelter.pk, action=action, **values)
    return live_state(shelter)[:5]


def test_crowding_follows_headcount_until_staff_choose_it(
    shelter: Shelter, shelter_staff: User
) -> None:
    assert act(shelter, shelter_staff, "open") == ("open", "available", False, 0, None)
    assert act(shelter, shelter_staff, "counts", capacity=100, headcount=79) == (
        "open",
        "available",
        False,
        79,
        100,
    )
    assert act(shelter, shelter_staff, "adjust", delta=1) == ("open", "crowded", False, 80, 100)
    assert act(shelter, shelter_staff, "adjust", delta=20) == ("open", "full", False, 100, 100)
    # Staff know better (a wing is closed): their choice sticks while counts change.
    assert act(shelter, shelter_staff, "crowded") == ("open", "crowded", True, 100, 100)
    assert act(shelter, shelter_staff, "adjust", delta=-90) == ("open", "crowded", True, 10, 100)
    assert act(shelter, shelter_staff, "auto") == ("open", "available", False, 10, 100)


def test_headcount_never_goes_below_zero(shelter: Shelter, shelter_staff: User) -> None:
    act(shelter, shelter_staff, "open")

    assert act(shelter, shelter_staff, "adjust", delta=-10)[3] == 0


def test_full_opens_a_shelter_that_was_not_open(shelter: Shelter, shelter_staff: User) -> None:
    assert act(shelter, shelter_staff, "full") == ("open", "full", True, 0, None)


def test_close_and_stand_down(shelter: Shelter, shelter_staff: User) -> None:
    act(shelter, shelter_staff, "counts", capacity=50, headcount=0)
    act(shelter, shelter_staff, "full")
    act(shelter, shelter_staff, "counts", headcount=45)

    assert act(shelter, shelter_staff, "close") == ("closed", "unknown", False, 0, 50)
    assert act(shelter, shelter_staff, "not_open") == ("not_open", "unknown", False, None, 50)
    assert list(ShelterStatusChange.objects.values_list("action", flat=True)) == [
        "not_open",
        "close",
        "counts",
        "full",
        "counts",
    ]
    assert AuditEvent.objects.filter(action="disaster.shelter.status").count() == 5


def test_checked_only_refreshes_the_last_checked_time(
    shelter: Shelter, shelter_staff: User
) -> None:
    with time_machine.travel(datetime(2026, 7, 10, 3, 0, tzinfo=UTC), tick=False):
        act(shelter, shelter_staff, "open")
    later = datetime(2026, 7, 10, 4, 0, tzinfo=UTC)

    with time_machine.travel(later, tick=False):
        state = act(shelter, shelter_staff, "checked")

    assert state == ("open", "available", False, 0, None)
    assert live_state(shelter)[5] == later


def test_counts_are_bounded(shelter: Shelter, shelter_staff: User) -> None:
    with pytest.raises(ValidationError):
        update_shelter_status(
            actor=shelter_staff, shelter_id=shelter.pk, action="counts", headcount=100_001
        )

    assert nothing_recorded()


def test_a_prefecture_wide_department_manages_every_municipality(db: None) -> None:
    department = make_organisation(
        kind="prefectural_department", municipality_code=None, covers_whole_prefecture=True
    )
    staff = make_member(department, "disaster.update_shelter_status")
    karatsu_shelter = make_shelter(
        common_id="E4120200001111", municipality_code="412023", latitude=33.45, longitude=129.968
    )

    assert act(karatsu_shelter, staff, "open")[0] == "open"
