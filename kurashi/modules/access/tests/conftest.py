"""Actors of the access tests: two fire HQs with a dispatcher each, a plain HQ member, the
centre's coordinator and captioners, a relay operator, and two registered residents."""

from dataclasses import dataclass

import pytest

from kurashi.core.geo import reset_boundary_index
from kurashi.core.models import Municipality, Organisation, User
from kurashi.core.services import load_municipalities
from kurashi.modules.access import services
from kurashi.modules.access.models import Text119Profile
from kurashi.testing.builders import make_member, make_organisation, make_user


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """Transactional tests flush every table afterwards, municipalities included: reload them."""
    if not Municipality.objects.exists():
        load_municipalities()
    reset_boundary_index()


def register(user: User, municipality_code: str = "412015") -> Text119Profile:
    return services.save_text119_profile(
        user=user,
        data=services.ProfileInput(
            full_name=f"{user.username} 太郎",
            municipality_code=municipality_code,
            address="佐賀市城内1-1-59",
            medical_notes="ペニシリンアレルギー",
            contacts="妻 090-0000-0000",
        ),
    )


@dataclass
class World:
    saga_hq: Organisation
    karatsu_hq: Organisation
    centre: Organisation
    dispatcher: User  # 佐賀広域消防局: 佐賀市, 多久市, 小城市, 神埼市, 吉野ヶ里町
    karatsu_dispatcher: User  # 唐津市消防本部: 唐津市, 玄海町
    plain_staff: User  # member of the Saga HQ without the permission
    coordinator: User
    captioner: User
    second_captioner: User
    operator: User
    resident: User
    other_resident: User


@pytest.fixture
def world(db: None) -> World:
    saga_hq = make_organisation(
        kind=Organisation.Kind.FIRE_HQ,
        municipality_code="412015",
        slug="saga-koiki-fire",
        name_ja="佐賀広域消防局",
        jurisdiction_codes=("412015", "412040", "412104", "413275"),
    )
    karatsu_hq = make_organisation(
        kind=Organisation.Kind.FIRE_HQ,
        municipality_code="412023",
        slug="karatsu-fire",
        name_ja="唐津市消防本部",
        jurisdiction_codes=("412023", "413879"),
    )
    centre = make_organisation(
        kind=Organisation.Kind.CSO,
        municipality_code="412015",
        slug="saga-deaf-centre",
        covers_whole_prefecture=True,
    )
    resident = make_user("resident-a", email="a@example.test")
    other_resident = make_user("resident-b", email="b@example.test")
    register(resident)
    register(other_resident, "412023")
    return World(
        saga_hq=saga_hq,
        karatsu_hq=karatsu_hq,
        centre=centre,
        dispatcher=make_member(saga_hq, "access.receive_text119", "ems.operate_cases"),
        karatsu_dispatcher=make_member(karatsu_hq, "access.receive_text119"),
        plain_staff=make_member(saga_hq),
        coordinator=make_member(centre, "access.coordinate_dispatch", "access.publish_videos"),
        captioner=make_member(centre, "access.caption"),
        second_captioner=make_member(centre, "access.caption"),
        operator=make_member(centre, "access.relay"),
        resident=resident,
        other_resident=other_resident,
    )
