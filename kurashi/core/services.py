"""Writes to the shared kernel: reference data, organisations, memberships, heartbeats."""

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from kurashi.core import tasks
from kurashi.core.audit import record_audit
from kurashi.core.codes import to_code6
from kurashi.core.geo import reset_boundary_index
from kurashi.core.models import (
    Heartbeat,
    Membership,
    Municipality,
    Organisation,
    Prefecture,
    Role,
    User,
)
from kurashi.core.permissions import forget_grants, has_permission

DATA_DIR = Path(__file__).resolve().parent / "data"
SAGA_PREFECTURE = {
    "code": "410004",
    "name_ja": "佐賀県",
    "name_kana": "さがけん",
    "name_en": "Saga Prefecture",
}

Progress = Callable[[int, int], None]


def _kind_of(name_ja: str) -> str:
    if name_ja.endswith("市"):
        return Municipality.Kind.CITY
    if name_ja.endswith("村"):
        return Municipality.Kind.VILLAGE
    return Municipality.Kind.TOWN


@transaction.atomic
def load_municipalities(
    *,
    boundaries_path: Path = DATA_DIR / "saga-municipalities.geojson",
    codes_path: Path = DATA_DIR / "saga_area_codes.csv",
    progress: Progress | None = None,
) -> int:
    """Create or update the prefecture and its municipalities with codes, names and boundaries.

    Idempotent (keyed on the 6-digit code). Every code's check digit is verified, and every
    boundary feature must match a listed municipality; otherwise nothing is changed.
    """
    prefecture, _created = Prefecture.objects.update_or_create(
        code=SAGA_PREFECTURE["code"],
        defaults={k: v for k, v in SAGA_PREFECTURE.items() if k != "code"},
    )
    with codes_path.open(encoding="utf-8") as handle:
        rows = {to_code6(row["jis_code6"]): row for row in csv.DictReader(handle)}
    features = json.loads(boundaries_path.read_text(encoding="utf-8"))["features"]
    geometries: dict[str, dict[str, Any]] = {}
    for feature in features:
        code = to_code6(feature["properties"]["N03_007"])
        if code not in rows:
            raise ValidationError(
                _("Boundary for unknown municipality code %(code)s.") % {"code": code}
            )
        geometries[code] = feature["geometry"]
    missing = sorted(set(rows) - set(geometries))
    if missing:
        raise ValidationError(
            _("No boundary for municipality codes: %(codes)s.") % {"codes": ", ".join(missing)}
        )

    for done, (code, row) in enumerate(sorted(rows.items()), start=1):
        geometry = geometries[code]
        min_lon, min_lat, max_lon, max_lat = shape(geometry).bounds
        municipality = Municipality(
            code=code,
            prefecture=prefecture,
            kind=_kind_of(row["name"]),
            name_ja=row["name"],
            name_kana=row["kana"],
            name_en=row["en"],
            jma_class20_code=row["jma_class20"],
            jma_class15_code=row["jma_class15"],
            jma_class10_code=row["jma_class10"],
            boundary_geojson=geometry,
            min_lon=min_lon,
            min_lat=min_lat,
            max_lon=max_lon,
            max_lat=max_lat,
        )
        municipality.full_clean(exclude=["prefecture", "code"], validate_unique=False)
        Municipality.objects.update_or_create(
            code=code,
            defaults={
                field: getattr(municipality, field)
                for field in (
                    "prefecture",
                    "kind",
                    "name_ja",
                    "name_kana",
                    "name_en",
                    "jma_class20_code",
                    "jma_class15_code",
                    "jma_class10_code",
                    "boundary_geojson",
                    "min_lon",
                    "min_lat",
                    "max_lon",
                    "max_lat",
                )
            },
        )
        if progress:
            progress(done, len(rows))
    transaction.on_commit(reset_boundary_index)
    return len(rows)


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name_ja: str
    name_en: str
    permissions: tuple[str, ...]  # "app_label.codename"
    description: str = ""


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".", 1)
    try:
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)
    except Permission.DoesNotExist:
        raise ValidationError(_("Unknown permission %(name)s.") % {"name": name}) from None


@transaction.atomic
def ensure_role(spec: RoleSpec) -> Role:
    """Create or update a role so that it holds exactly spec.permissions."""
    role, _created = Role.objects.update_or_create(
        code=spec.code,
        defaults={
            "name_ja": spec.name_ja,
            "name_en": spec.name_en,
            "description": spec.description,
        },
    )
    role.permissions.set([_permission(name) for name in spec.permissions])
    return role


@transaction.atomic
def ensure_organisation(
    *,
    slug: str,
    kind: str,
    name_ja: str,
    name_en: str = "",
    name_kana: str = "",
    municipality_code: str | None = None,
    jurisdiction_codes: Iterable[str] = (),
    covers_whole_prefecture: bool = False,
    parent: Organisation | None = None,
) -> Organisation:
    """Create or update an organisation keyed by slug (idempotent; used by the demo loader)."""
    municipality = Municipality.objects.get(code=municipality_code) if municipality_code else None
    organisation = Organisation.objects.filter(slug=slug).first() or Organisation(slug=slug)
    organisation.kind = kind
    organisation.name_ja = name_ja
    organisation.name_en = name_en
    organisation.name_kana = name_kana
    organisation.municipality = municipality
    organisation.covers_whole_prefecture = covers_whole_prefecture
    organisation.parent = parent
    organisation.full_clean()
    organisation.save()
    organisation.jurisdiction.set(Municipality.objects.filter(code__in=list(jurisdiction_codes)))
    return organisation


def add_membership(
    *,
    actor: User | None,
    user: User,
    organisation: Organisation,
    role: Role,
    request: HttpRequest | None = None,
) -> Membership:
    """Give `user` `role` in `organisation` (idempotent), audited."""
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=organisation, role=role
        )
        if created:
            record_audit(
                actor=actor,
                action="core.membership.add",
                obj=membership,
                organisation_id=organisation.pk,
                request=request,
                detail={"user": user.get_username(), "role": role.code},
            )
    forget_grants(user)
    return membership


def remove_membership(
    *, actor: User | None, membership: Membership, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        record_audit(
            actor=actor,
            action="core.membership.remove",
            obj=membership,
            organisation_id=membership.organisation_id,
            request=request,
            detail={"user": membership.user.get_username(), "role": membership.role.code},
        )
        membership.delete()
    forget_grants(membership.user)


def beat(name: str, **detail: Any) -> None:
    """Record that the process or job `name` is alive (checked by /healthz)."""
    Heartbeat.objects.update_or_create(
        name=name, defaults={"last_seen_at": timezone.now(), "detail": detail}
    )


def grantable_roles(*, actor: User, organisation: Organisation) -> QuerySet[Role]:
    """Roles `actor` may hand out in `organisation`: only those whose every permission the actor
    holds there too (nobody grants more than they have)."""
    if actor.is_superuser:
        return Role.objects.all()
    allowed = []
    for role in Role.objects.prefetch_related("permissions__content_type"):
        names = [f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.all()]
        if all(has_permission(actor, name, organisation_id=organisation.pk) for name in names):
            allowed.append(role.pk)
    return Role.objects.filter(pk__in=allowed)


def queue_email(*, subject: str, body: str, to: list[str], html_body: str = "") -> None:
    """Send an e-mail from the task worker once the current transaction commits."""
    transaction.on_commit(
        lambda: tasks.send_email_task.enqueue(
            subject=subject, body=body, to=to, html_body=html_body
        )
    )
