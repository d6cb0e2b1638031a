import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from kurashi.core.models import Membership, Municipality, Organisation, User
from kurashi.core.permissions import (
    EVERYWHERE,
    NOWHERE,
    Grant,
    forget_grants,
    grant_for,
    has_permission,
    has_permission_anywhere,
    has_permission_within,
    require_permission,
)
from kurashi.core.tests.saga import SAGA_CODES
from kurashi.testing import make_member, make_organisation, make_role, make_user

MANAGE = "core.manage_members"
REPORT = "plan.report_progress"


@pytest.fixture
def department(db: None) -> Organisation:
    """A prefectural department: no municipality of its own, acts for the whole prefecture."""
    return make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        slug="pref-information-division",
        name_ja="情報課",
        covers_whole_prefecture=True,
    )


def test_anonymous_user_holds_nothing() -> None:
    assert grant_for(AnonymousUser(), MANAGE) == NOWHERE
    assert has_permission(AnonymousUser(), MANAGE, municipality_code="412015") is False
    assert has_permission(None, MANAGE, municipality_code="412015") is False


def test_resident_without_membership_holds_nothing(resident: User, saga_city: Organisation) -> None:
    assert grant_for(resident, MANAGE) == NOWHERE
    assert has_permission(resident, MANAGE, organisation_id=saga_city.pk) is False
    assert has_permission_anywhere(resident, MANAGE) is False


def test_staff_without_the_permission_holds_nothing(saga_city: Organisation) -> None:
    staff = make_member(saga_city, REPORT)

    assert grant_for(staff, MANAGE) == NOWHERE
    assert has_permission(staff, MANAGE, organisation_id=saga_city.pk) is False
    assert has_permission(staff, MANAGE, municipality_code="412015") is False


def test_municipal_staff_hold_permission_in_their_organisation_and_municipality(
    saga_city: Organisation,
) -> None:
    staff = make_member(saga_city, MANAGE)

    assert grant_for(staff, MANAGE) == Grant(
        organisation_ids=frozenset({saga_city.pk}), municipality_codes=frozenset({"412015"})
    )
    assert has_permission(staff, MANAGE, organisation_id=saga_city.pk) is True
    assert has_permission(staff, MANAGE, municipality_code="412015") is True


def test_karatsu_staff_hold_nothing_in_saga_city(
    karatsu: Organisation, saga_city: Organisation
) -> None:
    staff = make_member(karatsu, MANAGE)

    assert has_permission(staff, MANAGE, organisation_id=karatsu.pk) is True
    assert has_permission(staff, MANAGE, organisation_id=saga_city.pk) is False
    assert has_permission(staff, MANAGE, municipality_code="412015") is False
    with pytest.raises(PermissionDenied):
        require_permission(staff, MANAGE, organisation_id=saga_city.pk)


def test_prefectural_department_covers_every_municipality(department: Organisation) -> None:
    staff = make_member(department, MANAGE)
    grant = grant_for(staff, MANAGE)

    assert [code for code in SAGA_CODES if not grant.covers(municipality_code=code)] == []
    assert grant.all_municipalities is True


def test_prefectural_department_has_no_rights_in_other_organisations(
    department: Organisation, saga_city: Organisation, karatsu: Organisation
) -> None:
    staff = make_member(department, MANAGE)
    grant = grant_for(staff, MANAGE)

    assert grant.covers(organisation_id=department.pk) is True
    assert grant.covers(organisation_id=saga_city.pk) is False
    assert grant.covers(organisation_id=karatsu.pk) is False
    # A municipality-scoped object of another organisation is covered through its location only.
    assert grant.covers(organisation_id=saga_city.pk, municipality_code="412015") is True


def test_fire_headquarters_act_for_their_member_municipalities(db: None) -> None:
    fire_hq = make_organisation(
        kind=Organisation.Kind.FIRE_HQ,
        municipality_code="412023",
        name_ja="唐津市消防本部",
        jurisdiction_codes=("412023", "413879"),
    )
    crew = make_member(fire_hq, MANAGE)

    covered = [code for code in SAGA_CODES if has_permission(crew, MANAGE, municipality_code=code)]

    assert covered == ["412023", "413879"]


def test_hospital_staff_act_for_their_hospital_not_its_municipality(db: None) -> None:
    hospital = make_organisation(
        kind=Organisation.Kind.HOSPITAL, municipality_code="412015", name_ja="好生館"
    )
    staff = make_member(hospital, MANAGE)

    assert has_permission(staff, MANAGE, organisation_id=hospital.pk) is True
    assert has_permission(staff, MANAGE, municipality_code="412015") is False


def test_child_organisations_inherit_their_parents_permissions(saga_city: Organisation) -> None:
    section = make_organisation(municipality_code="412015", name_ja="防災課", parent=saga_city)
    team = make_organisation(municipality_code="412015", name_ja="防災係", parent=section)
    sibling = make_organisation(municipality_code="412015", name_ja="別組織")
    city_admin = make_member(saga_city, MANAGE)
    section_admin = make_member(section, MANAGE)

    assert grant_for(city_admin, MANAGE).organisation_ids == {saga_city.pk, section.pk, team.pk}
    assert has_permission(city_admin, MANAGE, organisation_id=team.pk) is True
    assert has_permission(city_admin, MANAGE, organisation_id=sibling.pk) is False
    # Permissions flow down, never up.
    assert grant_for(section_admin, MANAGE).organisation_ids == {section.pk, team.pk}
    assert has_permission(section_admin, MANAGE, organisation_id=saga_city.pk) is False


def test_superuser_holds_every_permission_everywhere(db: None) -> None:
    root = make_user("root", is_superuser=True)

    assert grant_for(root, MANAGE) == EVERYWHERE
    assert has_permission(root, "anything.at_all", organisation_id=123456) is True
    assert has_permission(root, REPORT, municipality_code="414417") is True
    assert has_permission(root, REPORT) is True


def test_inactive_user_holds_nothing(saga_city: Organisation) -> None:
    staff = make_member(saga_city, MANAGE)
    staff.is_active = False
    staff.save()
    root = make_user("former-root", is_superuser=True, is_active=False)

    assert grant_for(staff, MANAGE) == NOWHERE
    assert has_permission(staff, MANAGE, organisation_id=saga_city.pk) is False
    assert has_permission(root, MANAGE, organisation_id=saga_city.pk) is False


def test_membership_of_inactive_organisation_grants_nothing(saga_city: Organisation) -> None:
    staff = make_member(saga_city, MANAGE)
    saga_city.is_active = False
    saga_city.save()

    assert grant_for(staff, MANAGE) == NOWHERE


def test_permissions_of_several_memberships_add_up(
    saga_city: Organisation, karatsu: Organisation
) -> None:
    staff = make_member(saga_city, MANAGE)
    make_member(karatsu, MANAGE, REPORT, user=staff)

    assert grant_for(staff, MANAGE) == Grant(
        organisation_ids=frozenset({saga_city.pk, karatsu.pk}),
        municipality_codes=frozenset({"412015", "412023"}),
    )
    assert grant_for(staff, REPORT) == Grant(
        organisation_ids=frozenset({karatsu.pk}), municipality_codes=frozenset({"412023"})
    )


def test_grants_are_computed_once_per_user_object(
    saga_city: Organisation, django_assert_num_queries
) -> None:
    staff = make_member(saga_city, MANAGE)
    grant_for(staff, MANAGE)

    with django_assert_num_queries(0):
        assert has_permission(staff, MANAGE, organisation_id=saga_city.pk) is True
        assert has_permission(staff, REPORT, organisation_id=saga_city.pk) is False


def test_forget_grants_sees_a_new_membership(
    saga_city: Organisation, karatsu: Organisation
) -> None:
    staff = make_member(saga_city, MANAGE)
    assert has_permission(staff, MANAGE, organisation_id=karatsu.pk) is False
    Membership.objects.create(user=staff, organisation=karatsu, role=make_role(MANAGE))

    assert has_permission(staff, MANAGE, organisation_id=karatsu.pk) is False  # still cached
    forget_grants(staff)
    assert has_permission(staff, MANAGE, organisation_id=karatsu.pk) is True


def test_empty_grant_is_false_and_covers_nothing() -> None:
    assert bool(NOWHERE) is False
    assert NOWHERE.covers(organisation_id=1, municipality_code="412015") is False
    assert bool(Grant(municipality_codes=frozenset({"412015"}))) is True
    assert bool(Grant(all_municipalities=True)) is True
    assert Grant(all_municipalities=True).covers(organisation_id=1) is False


def test_as_q_selects_nothing_for_an_empty_grant(db: None) -> None:
    assert list(Municipality.objects.filter(NOWHERE.as_q(municipality_field="code"))) == []


def test_as_q_selects_everything_for_a_superuser(db: None) -> None:
    assert Municipality.objects.filter(EVERYWHERE.as_q(municipality_field="code")).count() == 20


def test_as_q_selects_the_municipalities_of_a_fire_headquarters(db: None) -> None:
    fire_hq = make_organisation(
        kind=Organisation.Kind.FIRE_HQ,
        municipality_code="412058",
        name_ja="伊万里・有田消防本部",
        jurisdiction_codes=("412058", "414018"),
    )
    grant = grant_for(make_member(fire_hq, MANAGE), MANAGE)

    codes = Municipality.objects.filter(grant.as_q(municipality_field="code")).values_list(
        "code", flat=True
    )

    assert list(codes) == ["412058", "414018"]


def test_as_q_selects_every_municipality_for_a_prefectural_department(
    department: Organisation,
) -> None:
    grant = grant_for(make_member(department, MANAGE), MANAGE)

    assert Municipality.objects.filter(grant.as_q(municipality_field="code")).count() == 20


def test_as_q_selects_own_and_child_organisations_only(
    department: Organisation, saga_city: Organisation, karatsu: Organisation
) -> None:
    unit = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        name_ja="情報課 システム担当",
        parent=department,
    )
    grant = grant_for(make_member(department, MANAGE), MANAGE)

    selected = Organisation.objects.filter(grant.as_q(organisation_field="id"))

    assert sorted(o.pk for o in selected) == sorted([department.pk, unit.pk])


def test_as_q_combines_organisations_and_municipalities(
    saga_city: Organisation, karatsu: Organisation
) -> None:
    hospital = make_organisation(
        kind=Organisation.Kind.HOSPITAL, municipality_code="412023", name_ja="唐津赤十字病院"
    )
    make_organisation(kind=Organisation.Kind.HOSPITAL, municipality_code="412031", name_ja="鳥栖")
    saga_grant = grant_for(make_member(saga_city, MANAGE), MANAGE)
    karatsu_grant = grant_for(make_member(karatsu, MANAGE), MANAGE)

    def selected(grant: Grant) -> list[int]:
        condition = grant.as_q(organisation_field="id", municipality_field="municipality__code")
        return sorted(Organisation.objects.filter(condition).values_list("pk", flat=True))

    assert selected(saga_grant) == [saga_city.pk]
    assert selected(karatsu_grant) == sorted([karatsu.pk, hospital.pk])


def test_permission_within_an_organisation_includes_its_units(
    department: Organisation, saga_city: Organisation
) -> None:
    unit = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        name_ja="情報課 システム担当",
        parent=department,
    )
    unit_staff = make_member(unit, REPORT)
    department_staff = make_member(department, REPORT)
    plain_unit_staff = make_member(unit)
    city_staff = make_member(saga_city, REPORT)

    assert has_permission_within(unit_staff, REPORT, organisation_id=department.pk) is True
    assert has_permission(unit_staff, REPORT, organisation_id=department.pk) is False
    assert has_permission_within(department_staff, REPORT, organisation_id=department.pk) is True
    assert has_permission_within(plain_unit_staff, REPORT, organisation_id=department.pk) is False
    assert has_permission_within(city_staff, REPORT, organisation_id=department.pk) is False
    assert has_permission_within(unit_staff, REPORT, organisation_id=saga_city.pk) is False
    assert has_permission_within(AnonymousUser(), REPORT, organisation_id=department.pk) is False
    assert (
        has_permission_within(make_user("root", is_superuser=True), REPORT, organisation_id=1)
        is True
    )
