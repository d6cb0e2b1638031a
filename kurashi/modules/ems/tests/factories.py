"""Builders of the ems tests (plain functions, like Notify's create_*)."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.crypto import get_random_string

from kurashi.core.models import Organisation
from kurashi.modules.ems.models import (
    Acceptance,
    AcceptanceStatus,
    Case,
    Department,
    Hospital,
    Inquiry,
)
from kurashi.testing.builders import make_organisation


def make_hospital(
    *,
    slug: str | None = None,
    name_ja: str = "テスト病院",
    tier: str = "secondary",
    latitude: float = 33.25,
    longitude: float = 130.30,
    departments: tuple[str, ...] = ("01", "10", "14"),
    is_core_on_duty: bool = False,
) -> Hospital:
    organisation = make_organisation(
        kind=Organisation.Kind.HOSPITAL,
        municipality_code="412015",
        slug=slug or f"hospital-{get_random_string(6).lower()}",
        name_ja=name_ja,
    )
    hospital = Hospital.objects.create(
        organisation=organisation,
        medical_area="central",
        tier=tier,
        latitude=latitude,
        longitude=longitude,
        hotline="0952-00-0000",
        is_core_on_duty=is_core_on_duty,
    )
    for code in departments:
        Department.objects.create(hospital=hospital, code=code)
    return hospital


def make_fire_hq(*, slug: str | None = None, name_ja: str = "テスト消防本部") -> Organisation:
    return make_organisation(
        kind=Organisation.Kind.FIRE_HQ,
        municipality_code="412015",
        slug=slug or f"fire-{get_random_string(6).lower()}",
        name_ja=name_ja,
        jurisdiction_codes=("412015",),
    )


def make_status(
    hospital: Hospital,
    key: str,
    status: str = Acceptance.AVAILABLE,
    *,
    updated_at: datetime | None = None,
    valid_for: timedelta = timedelta(hours=12),
    reason: str = "",
) -> AcceptanceStatus:
    updated_at = updated_at or timezone.now()
    is_department = key.isdigit()
    return AcceptanceStatus.objects.create(
        hospital=hospital,
        department_code=key if is_department else "",
        category="" if is_department else key,
        status=status,
        reason=reason,
        updated_at=updated_at,
        valid_until=updated_at + valid_for,
    )


def make_case(fire_hq: Organisation, **fields: object) -> Case:
    values: dict[str, object] = {
        "client_key": get_random_string(20),
        "category": "stroke",
        "age_group": "elderly",
        "urgency": "yellow",
        "latitude": 33.26,
        "longitude": 130.30,
        "called_at": timezone.now(),
    }
    values.update(fields)
    return Case.objects.create(fire_hq=fire_hq, **values)  # type: ignore[arg-type]


def make_inquiry(
    case: Case, hospital: Hospital, result: str = "pending", **fields: object
) -> Inquiry:
    sequence = Inquiry.objects.filter(case=case).count() + 1
    values: dict[str, object] = {
        "client_key": get_random_string(24),
        "channel": "app",
        "sequence": sequence,
        "result": result,
    }
    values.update(fields)
    return Inquiry.objects.create(case=case, hospital=hospital, **values)  # type: ignore[arg-type]
