"""Demo data of the ems module: Saga's emergency hospitals (救急告示病院) with departments and
statuses, ambulances per fire headquarters, and the demo roles and memberships (hospital staff,
crews, the prefectural coordinator). Everything here is marked as demo data."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from kurashi.core.demo import ensure_demo_account
from kurashi.core.models import Organisation, Role
from kurashi.core.services import RoleSpec, add_membership, ensure_organisation, ensure_role
from kurashi.modules.ems.models import (
    Acceptance,
    AcceptanceStatus,
    Ambulance,
    BedCapacity,
    Department,
    Hospital,
    RefusalReason,
)
from kurashi.modules.ems.selectors import DATA_DIR, status_validity

Progress = Callable[[int, int], None]

ROLES = (
    RoleSpec(
        "ems-hospital-staff",
        "救急受入担当",
        "Emergency acceptance staff",
        ("ems.manage_acceptance", "ems.answer_requests"),
    ),
    RoleSpec("ems-crew", "救急隊員", "Ambulance crew", ("ems.operate_cases",)),
    RoleSpec("ems-coordinator", "救急医療調整員", "EMS coordinator", ("ems.coordinate",)),
)
COORDINATOR_ORGANISATION = (
    "pref-ems-coordination",
    "佐賀県 医務課 救急医療調整",
    "Saga EMS coordination",
)
DEMO_MEMBERS = (
    # username, display name, organisation slug, role
    ("koseikan-staff", "好生館 救急外来", "koseikan", "ems-hospital-staff"),
    ("saga-fire-crew", "佐賀広域消防局 救急隊", "saga-koiki-fire", "ems-crew"),
    ("saga-univ-er", "佐賀大学病院 救急外来", "saga-univ-hospital", "ems-hospital-staff"),
    ("karatsu-fire-crew", "唐津市消防本部 救急隊", "karatsu-fire", "ems-crew"),
    ("ems-coordinator", "県 救急医療調整員", COORDINATOR_ORGANISATION[0], "ems-coordinator"),
)


def demo_data() -> dict[str, object]:
    with (DATA_DIR / "demo_hospitals.json").open(encoding="utf-8") as handle:
        data: dict[str, object] = json.load(handle)
    return data


DEMO_BEDS = {
    "tertiary": {"er": 4, "icu": 3, "hcu": 4, "scu": 2, "or": 1},
    "secondary": {"er": 2, "icu": 1, "hcu": 2},
    "primary": {"er": 1},
}


@transaction.atomic
def load_demo_facilities(progress: Progress) -> int:
    """Hospitals (linking the core demo hospitals by slug), departments, a plausible morning of
    statuses, and the ambulances of each fire headquarters present."""
    data = demo_data()
    hospitals: list[dict[str, Any]] = data["hospitals"]  # type: ignore[assignment]
    ambulances: dict[str, list[list[Any]]] = data["ambulances"]  # type: ignore[assignment]
    steps = len(hospitals) + len(ambulances)
    now = timezone.now()
    for done, item in enumerate(hospitals, start=1):
        organisation = Organisation.objects.filter(slug=str(item["slug"])).first()
        if organisation is None:
            organisation = ensure_organisation(
                slug=str(item["slug"]),
                kind=Organisation.Kind.HOSPITAL,
                name_ja=str(item["name_ja"]),
                name_en=str(item["name_en"]),
                municipality_code=str(item["seat"]),
            )
        hospital, _created = Hospital.objects.update_or_create(
            organisation=organisation,
            defaults={
                "medical_area": item["area"],
                "tier": item["tier"],
                "is_emergency_designated": True,
                "is_disaster_base": bool(item["disaster_base"]),
                "is_core_on_duty": bool(item["core_on_duty"]),
                "latitude": item["lat"],
                "longitude": item["lon"],
                "hotline": item["hotline"],
                "is_demo": True,
            },
        )
        codes: list[str] = item["departments"]
        for code in codes:
            Department.objects.get_or_create(hospital=hospital, code=code)
        for index, code in enumerate(codes):
            status, reason = _demo_status(done + index)
            AcceptanceStatus.objects.get_or_create(
                hospital=hospital,
                department_code=code,
                category="",
                defaults={
                    "status": status,
                    "reason": reason,
                    "source": AcceptanceStatus.Source.DEMO,
                    "updated_at": now - timedelta(minutes=(done * 7 + index * 3) % 180),
                    "valid_until": now + status_validity(),
                },
            )
        for bed_type, available in DEMO_BEDS.get(str(item["tier"]), {}).items():
            # Illustrative free beds (never overwrites what a hospital entered).
            BedCapacity.objects.get_or_create(
                hospital=hospital,
                bed_type=bed_type,
                defaults={"available": available, "updated_at": now},
            )
        progress(done, steps)
    for offset, (slug, rows) in enumerate(ambulances.items(), start=len(hospitals) + 1):
        hq = Organisation.objects.filter(slug=slug, kind=Organisation.Kind.FIRE_HQ).first()
        if hq is not None:
            for call_sign, lat, lon in rows:
                Ambulance.objects.update_or_create(
                    fire_hq=hq,
                    call_sign=str(call_sign),
                    defaults={
                        "latitude": lat,
                        "longitude": lon,
                        "position_at": now,
                        "is_demo": True,
                    },
                )
        progress(offset, steps)
    return steps


def _demo_status(seed: int) -> tuple[str, str]:
    cycle = (
        (Acceptance.AVAILABLE, ""),
        (Acceptance.EAGER, ""),
        (Acceptance.AVAILABLE, ""),
        (Acceptance.CONDITIONAL, ""),
        (Acceptance.AVAILABLE, ""),
        (Acceptance.UNAVAILABLE, RefusalReason.IN_SURGERY),
        (Acceptance.AVAILABLE, ""),
    )
    return cycle[seed % len(cycle)]


@transaction.atomic
def load_demo_members(progress: Progress) -> int:
    """Roles for the demo staff (created by the core demo loader, order 90) and the EMS demo
    accounts, which share the demo password and are listed in var/demo-credentials.txt."""
    for spec in ROLES:
        ensure_role(spec)
    slug, name_ja, name_en = COORDINATOR_ORGANISATION
    ensure_organisation(
        slug=slug,
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        name_ja=name_ja,
        name_en=name_en,
        covers_whole_prefecture=True,
    )
    for done, (username, display_name, org_slug, role_code) in enumerate(DEMO_MEMBERS, start=1):
        organisation = Organisation.objects.filter(slug=org_slug).first()
        user = ensure_demo_account(username=username, display_name=display_name)
        if user is not None and organisation is not None:
            add_membership(
                actor=None,
                user=user,
                organisation=organisation,
                role=Role.objects.get(code=role_code),
            )
        progress(done, len(DEMO_MEMBERS))
    return len(DEMO_MEMBERS)
