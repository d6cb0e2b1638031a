"""Capacity and disaster mode (issue 18, new capability): beds and ambulance traffic in one tap,
both weigh in the ranking; in a mass-casualty incident the scene's triage counts, capacity by
tier and the distribution of patients, never more than the scene reported."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kurashi.core.models import User
from kurashi.modules.ems import selectors, services
from kurashi.modules.ems.models import BedCapacity, Hospital, MciAllocation, TriageCount
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_status

SCRIPT = {"HTTP_X_EMS_CLIENT": "1"}


def logged_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def rank(**overrides: object) -> list[selectors.RankedHospital]:
    values: dict[str, object] = {
        "category": "stroke",
        "urgency": "yellow",
        "latitude": 33.25,
        "longitude": 130.30,
        "now": timezone.now(),
    }
    values.update(overrides)
    return selectors.rank_hospitals(**values)  # type: ignore[arg-type]


def test_one_tap_changes_a_bed_count_and_only_the_hospital_may(world: World) -> None:
    url = reverse("ems:hospital-capacity", args=["near"])
    staff = logged_in(world.near_staff)
    assert staff.post(url, {"bed_type": "er", "value": 3}, **SCRIPT).json()["ok"]
    staff.post(url, {"bed_type": "er", "delta": -1}, **SCRIPT)
    staff.post(url, {"bed_type": "er", "delta": 1}, **SCRIPT)
    staff.post(url, {"bed_type": "er", "delta": 1}, **SCRIPT)
    assert BedCapacity.objects.get(hospital=world.near, bed_type="er").available == 4
    bad = staff.post(url, {"bed_type": "er", "delta": 5}, **SCRIPT)
    assert bad.status_code == 400
    for user in (world.far_staff, world.crew, world.resident):
        response = logged_in(user).post(url, {"bed_type": "er", "value": 0}, **SCRIPT)
        assert response.status_code == 403
    assert BedCapacity.objects.get(hospital=world.near, bed_type="er").available == 4
    page = staff.get(reverse("ems:hospital", args=["near"])).content.decode()
    assert 'data-key="bed-er" data-available="4"' in page


def test_no_free_er_bed_and_diverting_hospitals_drop_in_the_ranking(world: World) -> None:
    for hospital in (world.near, world.tertiary):
        make_status(hospital, "14", "available")
    before = rank()
    assert before[0].hospital.pk == world.near.pk
    services.adjust_capacity(actor=world.near_staff, hospital=world.near, bed_type="er", value=0)
    after = {r.hospital.pk: r for r in rank()}
    assert "救急外来の空床なし" in after[world.near.pk].reason
    assert after[world.near.pk].score < before[0].score

    services.set_diversion(
        actor=world.near_staff, hospital=world.near, status="closed", reason="CT故障", hours=2
    )
    ranked = rank()
    assert ranked[-1].hospital.pk == world.near.pk
    assert (ranked[-1].status, ranked[-1].symbol) == ("unavailable", "×")
    assert "CT故障" in ranked[-1].reason
    # The diversion ends by itself.
    later = rank(now=timezone.now() + timedelta(hours=3))
    assert later[-1].hospital.pk != world.near.pk
    with pytest.raises(ValidationError):
        services.set_diversion(actor=world.near_staff, hospital=world.near, status="closed")


# --- disaster mode --------------------------------------------------------------------------


def _beds(hospital: Hospital, **beds: int) -> None:
    for bed_type, available in beds.items():
        services.adjust_capacity(actor=None, hospital=hospital, bed_type=bed_type, value=available)


def _triage(world: World, incident: object, **counts: int) -> None:
    for category, count in counts.items():
        services.report_triage(
            actor=world.crew,
            incident=incident,
            category=category,
            value=count,  # type: ignore[arg-type]
        )


def test_crews_tally_the_scene_in_one_tap_per_patient(world: World) -> None:
    incident = services.start_incident(actor=world.coordinator, name="高速道路 多重事故")
    url = reverse("ems:mci-scene", args=[incident.public_id])
    crew = logged_in(world.crew)
    for _ in range(3):
        crew.post(url, {"category": "red", "delta": 1}, **SCRIPT)
    crew.post(url, {"category": "yellow", "method": "pat", "delta": 1}, **SCRIPT)
    crew.post(url, {"category": "red", "delta": -1}, **SCRIPT)
    summary = selectors.mci_summary(incident)
    assert summary.reported == {"red": 2, "yellow": 1}
    assert summary.by_method[("yellow", "pat")] == 1
    assert logged_in(world.near_staff).post(url, {"category": "red", "delta": 1}).status_code == 403
    assert logged_in(world.resident).get(url).status_code == 403
    services.end_incident(actor=world.coordinator, incident=incident)
    assert crew.post(url, {"category": "red", "delta": 1}, **SCRIPT).status_code == 409


def test_coordinator_distributes_twenty_patients_by_tier_and_free_beds(world: World) -> None:
    _beds(world.tertiary, icu=3, er=2, hcu=1)
    _beds(world.near, icu=1, er=3, hcu=3)
    _beds(world.far, icu=0, er=4, hcu=2)
    incident = services.start_incident(
        actor=world.coordinator, name="訓練", latitude=33.26, longitude=130.3
    )
    _triage(world, incident, red=4, yellow=6, green=9, black=1)
    plan = selectors.suggest_distribution(incident)
    by = {(h.organisation.slug, c): n for h, c, n in plan}
    # Red first to the critical care centre (ICU, then ER), the rest to the secondary's ICU.
    assert by[("tertiary", "red")] == 4
    assert sum(n for (_h, c), n in by.items() if c == "red") == 4
    # No bed is counted twice: each hospital's plan fits its free beds.
    for hospital in (world.tertiary, world.near, world.far):
        planned = sum(n for (slug, _c), n in by.items() if slug == hospital.organisation.slug)
        free = sum(hospital.capacities.values_list("available", flat=True))
        assert planned <= free

    response = logged_in(world.coordinator).post(
        reverse("ems:mci-allocate", args=[incident.public_id]),
        {f"allocate-{h.pk}-{c}": n for h, c, n in plan},
        **SCRIPT,
    )
    assert response.json()["ok"], response.json()
    summary = selectors.mci_summary(incident)
    assert sum(summary.allocated.values()) == sum(n for _h, _c, n in plan)
    assert summary.total == 20
    # Not more than the scene reported: the 5th red patient does not exist.
    with pytest.raises(ValidationError):
        services.allocate_patients(
            actor=world.coordinator, incident=incident, allocations=[(world.far, "red", 1)]
        )
    page = (
        logged_in(world.tertiary_staff)
        .get(reverse("ems:hospital", args=["tertiary"]))
        .content.decode()
    )
    assert 'data-category="red" data-patients="4"' in page
    count = services.acknowledge_allocations(actor=world.tertiary_staff, hospital=world.tertiary)
    assert count == MciAllocation.objects.filter(hospital=world.tertiary).count()


def test_only_the_coordinator_runs_disaster_mode(world: World) -> None:
    for user in (world.crew, world.near_staff, world.resident):
        response = logged_in(user).post(reverse("ems:mci-list"), {"name": "X"})
        assert response.status_code == 403
    assert not TriageCount.objects.exists()
    response = logged_in(world.coordinator).post(reverse("ems:mci-list"), {"name": "大雨"})
    assert response.status_code == 302
