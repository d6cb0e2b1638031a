"""Actors of the ems tests: anonymous, a resident, a crew of this HQ, a crew of another HQ,
staff of the hospital asked, staff of another hospital, the coordinator."""

from dataclasses import dataclass

import pytest

from kurashi.core.geo import reset_boundary_index
from kurashi.core.models import Municipality, Organisation, User
from kurashi.core.services import load_municipalities
from kurashi.modules.ems.models import Hospital
from kurashi.modules.ems.tests.factories import make_fire_hq, make_hospital
from kurashi.testing.builders import make_member, make_organisation, make_user

CREW = ("ems.operate_cases",)
HOSPITAL_STAFF = ("ems.manage_acceptance", "ems.answer_requests")


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """Transactional tests flush every table afterwards, municipalities included: reload them."""
    if not Municipality.objects.exists():
        load_municipalities()
    reset_boundary_index()


@dataclass
class World:
    hq: Organisation
    other_hq: Organisation
    near: Hospital  # 佐賀市 centre, neurosurgery
    far: Hospital  # 唐津
    tertiary: Hospital
    crew: User
    other_crew: User
    near_staff: User
    far_staff: User
    tertiary_staff: User
    coordinator: User
    resident: User
    plain_staff: User  # member of the HQ without any EMS permission


@pytest.fixture
def world(db: None) -> World:
    hq = make_fire_hq(slug="hq-saga", name_ja="佐賀広域消防局")
    other_hq = make_fire_hq(slug="hq-karatsu", name_ja="唐津市消防本部")
    near = make_hospital(slug="near", name_ja="近い病院", latitude=33.255, longitude=130.300)
    far = make_hospital(slug="far", name_ja="遠い病院", latitude=33.45, longitude=129.97)
    tertiary = make_hospital(
        slug="tertiary",
        name_ja="救命センター",
        tier="tertiary",
        latitude=33.24,
        longitude=130.27,
        departments=("01", "14", "39"),
        is_core_on_duty=True,
    )
    prefecture = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        slug="pref-ems",
        covers_whole_prefecture=True,
    )
    return World(
        hq=hq,
        other_hq=other_hq,
        near=near,
        far=far,
        tertiary=tertiary,
        crew=make_member(hq, *CREW),
        other_crew=make_member(other_hq, *CREW),
        near_staff=make_member(near.organisation, *HOSPITAL_STAFF),
        far_staff=make_member(far.organisation, *HOSPITAL_STAFF),
        tertiary_staff=make_member(tertiary.organisation, *HOSPITAL_STAFF),
        coordinator=make_member(prefecture, "ems.coordinate"),
        resident=make_user(),
        plain_staff=make_member(hq),
    )
