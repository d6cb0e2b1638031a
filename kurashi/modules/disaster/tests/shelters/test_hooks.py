"""What the shelters contribute to the portal: map layer, plan indicator, demo loaders."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from kurashi.core import hooks
from kurashi.core.models import Membership, Role, User
from kurashi.core.permissions import has_permission
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.services.shelters import (
    load_demo_shelter_staff,
    load_demo_shelters,
)
from kurashi.modules.disaster.tests.shelters.conftest import make_shelter
from kurashi.testing import make_organisation, make_user

UPDATE = "disaster.update_shelter_status"


def test_registers_the_shelter_map_layer() -> None:
    layer = hooks.map_layers.get("shelters")

    assert layer is not None
    assert (layer.geojson_url_name, layer.kind) == ("disaster:shelters-geojson", "points")
    assert reverse(layer.geojson_url_name) == "/en/disaster/shelters.geojson"  # tests speak English


def test_open_shelters_indicator_counts_open_shelters(db: None) -> None:
    indicator = hooks.plan_indicators.get("open-shelters")
    assert indicator is not None
    assert indicator.measure_id == "1.1"
    make_shelter(common_id="E4120100001111", open_state="open")
    make_shelter(common_id="E4120100002111", open_state="closed")
    make_shelter(common_id="E4120100003111")

    assert indicator.compute().value == 1


def test_demo_loaders_are_ordered_around_the_demo_staff() -> None:
    shelters = hooks.demo_loaders.get("shelters")
    staff = hooks.demo_loaders.get("shelter-staff")
    demo_staff = hooks.demo_loaders.get("demo-staff")

    assert shelters is not None
    assert staff is not None
    assert demo_staff is not None
    assert shelters.order == 30
    assert staff.order > demo_staff.order == 90


def test_demo_shelters_load_idempotently_with_progress(db: None) -> None:
    steps: list[tuple[int, int]] = []

    first = load_demo_shelters(lambda done, total: steps.append((done, total)))
    again = load_demo_shelters(lambda done, total: None)

    assert (first, again) == (1136, 1136)
    assert Shelter.objects.count() == 1136
    assert steps[-1] == (2000, 2000)
    assert len(steps) > 20
    assert [done for done, _total in steps] == sorted(done for done, _total in steps)


def test_demo_shelter_staff_manage_their_own_municipality(db: None) -> None:
    saga = make_organisation(municipality_code="412015", slug="municipality-412015")
    karatsu = make_organisation(municipality_code="412023", slug="municipality-412023")
    saga_staff = make_user("saga-city-staff")
    karatsu_staff = make_user("karatsu-staff")
    steps: list[tuple[int, int]] = []

    added = load_demo_shelter_staff(lambda done, total: steps.append((done, total)))
    load_demo_shelter_staff(lambda done, total: None)

    assert added == 2
    assert steps[-1] == (2, 2)
    role = Role.objects.get(code="shelter-staff")
    assert Membership.objects.filter(role=role).count() == 2
    assert Membership.objects.get(user=saga_staff, role=role).organisation == saga
    assert Membership.objects.get(user=karatsu_staff, role=role).organisation == karatsu
    assert has_permission(saga_staff, UPDATE, municipality_code="412015") is True
    assert has_permission(saga_staff, UPDATE, municipality_code="412023") is False
    assert has_permission(karatsu_staff, UPDATE, municipality_code="412023") is True


def test_demo_shelter_staff_skips_missing_accounts(db: None) -> None:
    assert load_demo_shelter_staff(lambda done, total: None) == 0
    assert Role.objects.filter(code="shelter-staff").exists() is True


def test_staff_nav_item_shows_only_for_shelter_staff(
    resident: User, shelter_staff: User, staff_without_permission: User
) -> None:
    item = hooks.nav_items.get("shelter-staff")
    assert item is not None
    assert reverse(item.url_name) == "/en/disaster/shelters/staff/"

    def shown(user: object) -> bool:
        request = RequestFactory().get("/")
        request.user = user  # type: ignore[assignment]
        return item.visible(request)

    assert shown(AnonymousUser()) is False
    assert shown(resident) is False
    assert shown(staff_without_permission) is False
    assert shown(shelter_staff) is True
