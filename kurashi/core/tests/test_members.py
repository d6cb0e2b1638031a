"""Managing organisation members: the four actors, scope, and nothing changed on denial."""

from urllib.parse import quote

import pytest
from django.test import Client

from kurashi.core.models import AuditEvent, Membership, Organisation, Role, User
from kurashi.testing import make_member, make_organisation, make_role, make_user

MANAGE = "core.manage_members"
MEMBERS_URL = "/organisations/municipality-412015/members/"
CLIENT_ADDRESS = "203.0.113.10"


@pytest.fixture
def staff_role(db: None) -> Role:
    return make_role(code="staff")


@pytest.fixture
def newcomer(db: None) -> User:
    return make_user("newcomer", email="Newcomer@Example.test")


@pytest.fixture
def colleague(saga_city: Organisation, staff_role: Role) -> Membership:
    user = make_user("colleague")
    return Membership.objects.create(user=user, organisation=saga_city, role=staff_role)


def client_for(user: User | None) -> Client:
    client = Client(REMOTE_ADDR=CLIENT_ADDRESS)
    if user is not None:
        client.force_login(user)
    return client


def denied_actor(kind: str, saga_city: Organisation, resident: User) -> User:
    if kind == "resident":
        return resident
    return make_member(saga_city)  # staff of 佐賀市 whose role lacks core.manage_members


def remove_url(membership: Membership) -> str:
    return f"{MEMBERS_URL}{membership.pk}/remove/"


def membership_rows() -> list[tuple[int, int, int]]:
    return list(
        Membership.objects.order_by("pk").values_list("user_id", "organisation_id", "role_id")
    )


# --- anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_sends_anonymous_visitor_to_login(
    saga_city: Organisation, newcomer: User, staff_role: Role, method: str
) -> None:
    client = client_for(None)
    if method == "get":
        response = client.get(MEMBERS_URL)
    else:
        response = client.post(MEMBERS_URL, {"user": "newcomer", "role": staff_role.pk})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(MEMBERS_URL)}"
    assert Membership.objects.filter(user=newcomer).exists() is False
    assert AuditEvent.objects.filter(action="core.membership.add").exists() is False


def test_anonymous_visitor_cannot_remove_member(
    saga_city: Organisation, colleague: Membership
) -> None:
    response = client_for(None).post(remove_url(colleague))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(remove_url(colleague))}"
    assert Membership.objects.filter(pk=colleague.pk).exists() is True
    assert AuditEvent.objects.filter(action="core.membership.remove").exists() is False


# --- resident and staff without the permission -------------------------------------------------


@pytest.mark.parametrize("kind", ["resident", "staff_without_permission"])
def test_denies_members_page(saga_city: Organisation, resident: User, kind: str) -> None:
    response = client_for(denied_actor(kind, saga_city, resident)).get(MEMBERS_URL)

    assert response.status_code == 403


@pytest.mark.parametrize("kind", ["resident", "staff_without_permission"])
def test_denies_adding_member_and_changes_nothing(
    saga_city: Organisation, resident: User, newcomer: User, staff_role: Role, kind: str
) -> None:
    client = client_for(denied_actor(kind, saga_city, resident))
    before = membership_rows()

    response = client.post(MEMBERS_URL, {"user": "newcomer", "role": staff_role.pk})

    assert response.status_code == 403
    assert membership_rows() == before
    assert Membership.objects.filter(user=newcomer).exists() is False
    assert AuditEvent.objects.filter(action="core.membership.add").exists() is False


@pytest.mark.parametrize("kind", ["resident", "staff_without_permission"])
def test_denies_removing_member_and_changes_nothing(
    saga_city: Organisation, resident: User, colleague: Membership, kind: str
) -> None:
    client = client_for(denied_actor(kind, saga_city, resident))
    before = membership_rows()

    response = client.post(remove_url(colleague))

    assert response.status_code == 403
    assert membership_rows() == before
    assert AuditEvent.objects.filter(action="core.membership.remove").exists() is False


# --- staff with the permission -----------------------------------------------------------------


def test_shows_members_to_staff_with_permission(
    saga_city: Organisation, colleague: Membership
) -> None:
    admin = make_member(saga_city, MANAGE, user=make_user("city-admin"))

    response = client_for(admin).get(MEMBERS_URL)

    assert response.status_code == 200
    assert response.context["organisation"] == saga_city
    assert [m.user.username for m in response.context["members"]] == ["city-admin", "colleague"]


def test_staff_with_permission_adds_member(
    saga_city: Organisation, newcomer: User, staff_role: Role
) -> None:
    admin = make_member(saga_city, MANAGE, user=make_user("city-admin"))

    response = client_for(admin).post(MEMBERS_URL, {"user": "newcomer", "role": staff_role.pk})

    assert response.status_code == 302
    assert response["Location"] == MEMBERS_URL
    membership = Membership.objects.get(user=newcomer)
    assert (membership.organisation, membership.role) == (saga_city, staff_role)
    event = AuditEvent.objects.get(action="core.membership.add")
    assert (
        event.actor_id,
        event.actor_label,
        event.object_type,
        event.object_id,
        event.organisation_id,
        event.ip_address,
        event.detail,
    ) == (
        admin.pk,
        "city-admin",
        "core.membership",
        str(membership.pk),
        saga_city.pk,
        CLIENT_ADDRESS,
        {"user": "newcomer", "role": "staff"},
    )


def test_staff_with_permission_adds_member_by_email_in_any_case(
    saga_city: Organisation, newcomer: User, staff_role: Role
) -> None:
    admin = make_member(saga_city, MANAGE)

    response = client_for(admin).post(
        MEMBERS_URL, {"user": "NEWCOMER@example.TEST", "role": staff_role.pk}
    )

    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, organisation=saga_city).count() == 1


def test_staff_with_permission_removes_member(
    saga_city: Organisation, colleague: Membership
) -> None:
    admin = make_member(saga_city, MANAGE, user=make_user("city-admin"))

    response = client_for(admin).post(remove_url(colleague))

    assert response.status_code == 302
    assert response["Location"] == MEMBERS_URL
    assert Membership.objects.filter(pk=colleague.pk).exists() is False
    event = AuditEvent.objects.get(action="core.membership.remove")
    assert (event.actor_id, event.object_id, event.organisation_id, event.ip_address) == (
        admin.pk,
        str(colleague.pk),
        saga_city.pk,
        CLIENT_ADDRESS,
    )
    assert event.detail == {"user": "colleague", "role": "staff"}


def test_rejects_unknown_or_inactive_person_and_changes_nothing(
    saga_city: Organisation, staff_role: Role
) -> None:
    admin = make_member(saga_city, MANAGE)
    make_user("gone", is_active=False)
    client = client_for(admin)
    before = membership_rows()

    unknown = client.post(MEMBERS_URL, {"user": "nobody", "role": staff_role.pk})
    inactive = client.post(MEMBERS_URL, {"user": "gone", "role": staff_role.pk})

    assert (unknown.status_code, inactive.status_code) == (400, 400)
    assert list(unknown.context["form"].errors) == ["user"]
    assert membership_rows() == before
    assert AuditEvent.objects.filter(action="core.membership.add").exists() is False


def test_removing_requires_post(saga_city: Organisation, colleague: Membership) -> None:
    admin = make_member(saga_city, MANAGE)

    response = client_for(admin).get(remove_url(colleague))

    assert response.status_code == 405
    assert Membership.objects.filter(pk=colleague.pk).exists() is True


def test_deactivated_staff_lose_access_with_their_open_session(
    saga_city: Organisation, newcomer: User, staff_role: Role
) -> None:
    admin = make_member(saga_city, MANAGE)
    client = client_for(admin)
    admin.is_active = False
    admin.save()

    response = client.post(MEMBERS_URL, {"user": "newcomer", "role": staff_role.pk})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(MEMBERS_URL)}"
    assert Membership.objects.filter(user=newcomer).exists() is False
    assert AuditEvent.objects.filter(action="core.membership.add").exists() is False


# --- scope -------------------------------------------------------------------------------------


def test_karatsu_staff_cannot_manage_saga_city_members(
    saga_city: Organisation,
    karatsu: Organisation,
    colleague: Membership,
    newcomer: User,
    staff_role: Role,
) -> None:
    client = client_for(make_member(karatsu, MANAGE))
    before = membership_rows()

    page = client.get(MEMBERS_URL)
    add = client.post(MEMBERS_URL, {"user": "newcomer", "role": staff_role.pk})
    remove = client.post(remove_url(colleague))

    assert (page.status_code, add.status_code, remove.status_code) == (403, 403, 403)
    assert membership_rows() == before
    assert AuditEvent.objects.filter(action__startswith="core.membership.").exists() is False
    assert client.get("/organisations/municipality-412023/members/").status_code == 200


def test_prefectural_department_cannot_manage_members_of_a_municipality(
    saga_city: Organisation, newcomer: User, staff_role: Role
) -> None:
    department = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        name_ja="情報課",
        covers_whole_prefecture=True,
    )
    client = client_for(make_member(department, MANAGE))

    response = client.post(MEMBERS_URL, {"user": "newcomer", "role": staff_role.pk})

    assert response.status_code == 403
    assert Membership.objects.filter(user=newcomer).exists() is False


def test_city_admin_manages_members_of_a_child_organisation(
    saga_city: Organisation, newcomer: User, staff_role: Role
) -> None:
    section = make_organisation(
        municipality_code="412015", slug="saga-city-bousai", name_ja="防災課", parent=saga_city
    )
    client = client_for(make_member(saga_city, MANAGE))

    response = client.post(
        "/organisations/saga-city-bousai/members/", {"user": "newcomer", "role": staff_role.pk}
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).organisation == section


def test_superuser_manages_members_of_any_organisation(
    saga_city: Organisation, newcomer: User, staff_role: Role, superuser: User
) -> None:
    response = client_for(superuser).post(MEMBERS_URL, {"user": "newcomer", "role": staff_role.pk})

    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).organisation == saga_city


def test_cannot_remove_membership_of_another_organisation_through_own_one(
    saga_city: Organisation, karatsu: Organisation, staff_role: Role
) -> None:
    stranger = Membership.objects.create(
        user=make_user("karatsu-clerk"), organisation=karatsu, role=staff_role
    )
    client = client_for(make_member(saga_city, MANAGE))

    response = client.post(remove_url(stranger))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=stranger.pk).exists() is True
    assert AuditEvent.objects.filter(action="core.membership.remove").exists() is False


def test_members_page_of_inactive_or_unknown_organisation_is_not_found(
    saga_city: Organisation, superuser: User
) -> None:
    saga_city.is_active = False
    saga_city.save()
    client = client_for(superuser)

    assert client.get(MEMBERS_URL).status_code == 404
    assert client.get("/organisations/no-such-organisation/members/").status_code == 404


# --- no privilege escalation -------------------------------------------------------------------


def test_manager_cannot_hand_out_a_role_with_permissions_they_lack(
    saga_city: Organisation, newcomer: User, staff_role: Role
) -> None:
    manager = make_member(saga_city, MANAGE)
    powerful = make_role(MANAGE, "plan.report_progress", code="powerful")
    before = membership_rows()

    page = client_for(manager).get(MEMBERS_URL)
    response = client_for(manager).post(MEMBERS_URL, {"user": "newcomer", "role": powerful.pk})

    assert f'value="{powerful.pk}"' not in page.content.decode()
    assert f'value="{staff_role.pk}"' in page.content.decode()
    assert response.status_code == 400
    assert membership_rows() == before


def test_manager_can_hand_out_a_role_within_their_own_permissions(
    saga_city: Organisation, newcomer: User
) -> None:
    manager = make_member(saga_city, MANAGE)
    same = make_role(MANAGE, code="deputy-manager")

    response = client_for(manager).post(MEMBERS_URL, {"user": "newcomer", "role": same.pk})

    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, organisation=saga_city, role=same).exists()
