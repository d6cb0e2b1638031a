"""Builders shared by every module's tests (plain functions, like Notify's create_*)."""

from collections.abc import Iterable

from django.utils.crypto import get_random_string

from kurashi.core.models import Membership, Municipality, Organisation, Role, User
from kurashi.core.services import RoleSpec, ensure_role

PASSWORD = "correct horse battery staple"  # noqa: S105 (test accounts only)


def make_user(username: str | None = None, *, password: str = PASSWORD, **fields: object) -> User:
    username = username or f"user-{get_random_string(8).lower()}"
    user = User(username=username, email=fields.pop("email", f"{username}@example.test"), **fields)  # type: ignore[misc]
    user.set_password(password)
    user.save()
    return user


def make_role(*permissions: str, code: str | None = None) -> Role:
    code = code or f"role-{get_random_string(8).lower()}"
    return ensure_role(
        RoleSpec(code=code, name_ja=code, name_en=code, permissions=tuple(permissions))
    )


def make_organisation(
    *,
    kind: str = Organisation.Kind.MUNICIPALITY,
    municipality_code: str | None = "412023",
    slug: str | None = None,
    name_ja: str = "テスト組織",
    jurisdiction_codes: Iterable[str] = (),
    covers_whole_prefecture: bool = False,
    parent: Organisation | None = None,
) -> Organisation:
    organisation = Organisation.objects.create(
        slug=slug or f"org-{get_random_string(8).lower()}",
        kind=kind,
        name_ja=name_ja,
        name_en=name_ja,
        municipality=Municipality.objects.get(code=municipality_code)
        if municipality_code
        else None,
        covers_whole_prefecture=covers_whole_prefecture,
        parent=parent,
    )
    organisation.jurisdiction.set(Municipality.objects.filter(code__in=list(jurisdiction_codes)))
    return organisation


def make_member(organisation: Organisation, *permissions: str, user: User | None = None) -> User:
    """A user who holds exactly `permissions` inside `organisation` (none: plain staff)."""
    user = user or make_user()
    Membership.objects.create(user=user, organisation=organisation, role=make_role(*permissions))
    return user
