"""The one permission check of Kurashi.

A user holds permissions only through memberships: (organisation, role). A membership grants its
role's permissions over
  - the organisation itself and its descendants ("hospital staff manage their hospital"),
  - the municipalities in the organisation's jurisdiction, and a municipality organisation's own
    municipality ("staff of 唐津市 manage 唐津市 shelters"),
  - every municipality, when the organisation covers the whole prefecture (prefectural
    departments); organisation-scoped objects still need membership of that organisation.
Superusers hold every permission everywhere.

Permissions are Django permission names "<app_label>.<codename>", declared in each module's
models (Meta.permissions) and bundled into Roles.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from kurashi.core.models import Membership, Organisation, User

_CACHE_ATTRIBUTE = "_kurashi_grants"


@dataclass(frozen=True)
class Grant:
    """Where a user holds one permission."""

    everywhere: bool = False  # superusers
    all_municipalities: bool = False  # members of an organisation covering the whole prefecture
    organisation_ids: frozenset[int] = field(default_factory=frozenset)
    municipality_codes: frozenset[str] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return (
            self.everywhere
            or self.all_municipalities
            or bool(self.organisation_ids)
            or bool(self.municipality_codes)
        )

    def covers(
        self, *, organisation_id: int | None = None, municipality_code: str | None = None
    ) -> bool:
        if self.everywhere:
            return True
        if organisation_id is not None and organisation_id in self.organisation_ids:
            return True
        if municipality_code is None:
            return False
        return self.all_municipalities or municipality_code in self.municipality_codes

    def as_q(
        self, *, organisation_field: str | None = None, municipality_field: str | None = None
    ) -> Q:
        """A filter selecting rows inside this grant; Q(pk__in=[]) (nothing) when it is empty."""
        if self.everywhere or (self.all_municipalities and municipality_field):
            return Q()
        condition = Q(pk__in=[])
        if organisation_field and self.organisation_ids:
            condition |= Q(**{f"{organisation_field}__in": sorted(self.organisation_ids)})
        if municipality_field and self.municipality_codes:
            condition |= Q(**{f"{municipality_field}__in": sorted(self.municipality_codes)})
        return condition


EVERYWHERE = Grant(everywhere=True)
NOWHERE = Grant()


def _descendants(organisation_ids: set[int]) -> set[int]:
    found = set(organisation_ids)
    frontier = set(organisation_ids)
    while frontier:
        frontier = (
            set(Organisation.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - found
        )
        found |= frontier
    return found


def _compute_grants(user: User) -> dict[str, Grant]:
    memberships = (
        Membership.objects.filter(user=user, organisation__is_active=True)
        .select_related("organisation__municipality")
        .prefetch_related("role__permissions__content_type", "organisation__jurisdiction")
    )
    prefecture_wide: set[str] = set()
    organisations: defaultdict[str, set[int]] = defaultdict(set)
    municipalities: defaultdict[str, set[str]] = defaultdict(set)
    for membership in memberships:
        organisation = membership.organisation
        reach = _descendants({organisation.pk})
        codes = {m.code for m in organisation.jurisdiction.all()}
        if organisation.kind == Organisation.Kind.MUNICIPALITY and organisation.municipality:
            codes.add(organisation.municipality.code)
        for permission in membership.role.permissions.all():
            name = f"{permission.content_type.app_label}.{permission.codename}"
            if organisation.covers_whole_prefecture:
                prefecture_wide.add(name)
            organisations[name] |= reach
            municipalities[name] |= codes
    names = prefecture_wide | set(organisations) | set(municipalities)
    return {
        name: Grant(
            all_municipalities=name in prefecture_wide,
            organisation_ids=frozenset(organisations[name]),
            municipality_codes=frozenset(municipalities[name]),
        )
        for name in names
    }


def grant_for(user: User | AnonymousUser | Any, permission: str) -> Grant:
    """Where `user` holds `permission` (cached on the user object for the request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOWHERE
    if user.is_superuser:
        return EVERYWHERE
    if not isinstance(user, User):
        return NOWHERE
    grants: dict[str, Grant] | None = getattr(user, _CACHE_ATTRIBUTE, None)
    if grants is None:
        grants = _compute_grants(user)
        setattr(user, _CACHE_ATTRIBUTE, grants)
    return grants.get(permission, NOWHERE)


def has_permission(
    user: User | AnonymousUser | Any,
    permission: str,
    *,
    organisation_id: int | None = None,
    municipality_code: str | None = None,
) -> bool:
    """True when `user` may exercise `permission` on an object belonging to the given
    organisation and/or located in the given municipality."""
    return grant_for(user, permission).covers(
        organisation_id=organisation_id, municipality_code=municipality_code
    )


def has_permission_anywhere(user: User | AnonymousUser | Any, permission: str) -> bool:
    return bool(grant_for(user, permission))


def has_permission_within(
    user: User | AnonymousUser | Any, permission: str, *, organisation_id: int
) -> bool:
    """True when `user` holds `permission` in the organisation or in any organisation under it
    (the staff of a department's unit act for the department)."""
    grant = grant_for(user, permission)
    if grant.everywhere:
        return True
    return bool(grant.organisation_ids) and bool(
        grant.organisation_ids & _descendants({organisation_id})
    )


def require_permission(
    user: User | AnonymousUser | Any,
    permission: str,
    *,
    organisation_id: int | None = None,
    municipality_code: str | None = None,
) -> None:
    """Raise PermissionDenied (HTTP 403) unless has_permission(...)."""
    if not has_permission(
        user, permission, organisation_id=organisation_id, municipality_code=municipality_code
    ):
        raise PermissionDenied(permission)


def forget_grants(user: User | Any) -> None:
    """Drop the cached grants after memberships change within the same request."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)
