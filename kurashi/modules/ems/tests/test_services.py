from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from kurashi.core.models import AuditEvent, LiveEvent
from kurashi.modules.ems import broadcast, services
from kurashi.modules.ems.models import Acceptance, AcceptanceStatus, Case, Inquiry
from kurashi.modules.ems.services import CaseInput
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_inquiry, make_status

STROKE = CaseInput(category="stroke", age_group="elderly", sex="male", urgency="red")


def effective(hospital_id: int, key: str, now: object = None) -> tuple[str, str, bool]:
    row = AcceptanceStatus.objects.get(hospital_id=hospital_id, department_code=key)
    return row.effective(now or timezone.now())  # type: ignore[arg-type]


# --- statuses --------------------------------------------------------------------------------


def test_status_expires_to_not_updated_after_the_default_twelve_hours(world: World) -> None:
    start = timezone.now()
    services.set_acceptance(
        actor=world.near_staff, hospital=world.near, key="14", status="available", now=start
    )
    assert effective(world.near.pk, "14", start + timedelta(hours=11, minutes=59)) == (
        "available",
        "",
        False,
    )
    assert effective(world.near.pk, "14", start + timedelta(hours=12)) == ("stale", "", False)


@override_settings(EMS_STATUS_VALIDITY_HOURS=2)
def test_status_validity_is_configurable(world: World) -> None:
    start = timezone.now()
    services.set_acceptance(
        actor=world.near_staff, hospital=world.near, key="14", status="eager", now=start
    )
    assert effective(world.near.pk, "14", start + timedelta(hours=2, seconds=1))[0] == "stale"


def test_reconfirm_extends_every_status_in_one_tap(world: World) -> None:
    start = timezone.now() - timedelta(hours=11)
    make_status(world.near, "14", updated_at=start)
    make_status(world.near, "01", Acceptance.CONDITIONAL, updated_at=start)
    count = services.reconfirm_statuses(actor=world.near_staff, hospital=world.near)
    assert count == 2
    later = timezone.now() + timedelta(hours=11)
    assert effective(world.near.pk, "14", later)[0] == "available"
    assert effective(world.near.pk, "01", later)[0] == "conditional"
    assert AuditEvent.objects.filter(action="ems.status.reconfirm").count() == 1


def test_unavailable_needs_a_reason_and_stores_nothing_without_one(world: World) -> None:
    with pytest.raises(ValidationError):
        services.set_acceptance(
            actor=world.near_staff, hospital=world.near, key="14", status="unavailable"
        )
    with pytest.raises(ValidationError):
        services.set_acceptance(
            actor=world.near_staff, hospital=world.near, key="99", status="available"
        )
    with pytest.raises(ValidationError):
        services.set_acceptance(
            actor=world.near_staff, hospital=world.near, key="14", status="stale"
        )
    assert not AcceptanceStatus.objects.exists()


@pytest.mark.parametrize("reason", ["beds_full", "in_surgery", "cannot_treat"])
def test_refusal_for_beds_full_surgery_or_treatment_infers_unavailable(
    world: World, reason: str
) -> None:
    make_status(world.near, "14", Acceptance.EAGER)
    case = make_case(world.hq)
    services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key=f"k-{reason}",
        hospital=world.near,
        result="refused",
        department_code="14",
        refusal_reason=reason,
    )
    assert effective(world.near.pk, "14") == ("unavailable", reason, True)


def test_inference_ends_after_the_configured_time(world: World) -> None:
    make_status(world.near, "14", Acceptance.AVAILABLE)
    case = make_case(world.hq)
    with override_settings(EMS_INFERRED_UNAVAILABLE_MINUTES=30):
        services.log_inquiry(
            actor=world.crew,
            case=case,
            client_key="k-infer-1",
            hospital=world.near,
            result="refused",
            department_code="14",
            refusal_reason="beds_full",
        )
    assert (
        effective(world.near.pk, "14", timezone.now() + timedelta(minutes=29))[0] == "unavailable"
    )
    assert effective(world.near.pk, "14", timezone.now() + timedelta(minutes=31))[0] == "available"


def test_other_refusal_reasons_infer_nothing(world: World) -> None:
    make_status(world.near, "14", Acceptance.AVAILABLE)
    case = make_case(world.hq)
    services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key="k-nospec",
        hospital=world.near,
        result="refused",
        department_code="14",
        refusal_reason="not_specialty",
    )
    assert effective(world.near.pk, "14") == ("available", "", False)


def test_hospital_overrides_an_inferred_unavailable_by_setting_the_department(world: World) -> None:
    make_status(world.near, "14", Acceptance.AVAILABLE)
    case = make_case(world.hq)
    services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key="k-override",
        hospital=world.near,
        result="refused",
        department_code="14",
        refusal_reason="in_surgery",
    )
    services.reconfirm_statuses(actor=world.near_staff, hospital=world.near)
    assert effective(world.near.pk, "14")[0] == "unavailable"  # "no change" keeps the inference
    services.set_acceptance(
        actor=world.near_staff, hospital=world.near, key="14", status="available"
    )
    assert effective(world.near.pk, "14") == ("available", "", False)


def test_inference_without_a_status_row_creates_one_that_later_shows_not_updated(
    world: World,
) -> None:
    case = make_case(world.hq)
    services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key="k-norow",
        hospital=world.near,
        result="refused",
        department_code="10",
        refusal_reason="beds_full",
    )
    row = AcceptanceStatus.objects.get(hospital=world.near, department_code="10")
    assert row.effective(timezone.now())[0] == "unavailable"
    assert row.effective(timezone.now() + timedelta(hours=2))[0] == "stale"


# --- cases, inquiries, replay ------------------------------------------------------------------


def test_create_case_replayed_with_the_same_key_returns_the_first_case(world: World) -> None:
    first, created = services.create_case(
        actor=world.crew, fire_hq=world.hq, client_key="offline-1", data=STROKE
    )
    again, created_again = services.create_case(
        actor=world.crew, fire_hq=world.hq, client_key="offline-1", data=STROKE
    )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="ems.case.create").count() == 1


def test_create_case_finds_the_municipality_of_the_position(world: World) -> None:
    case, _created = services.create_case(
        actor=world.crew,
        fire_hq=world.hq,
        client_key="gps-1",
        data=STROKE,
        latitude=33.2494,
        longitude=130.2988,
    )
    assert case.municipality_code == "412015"


def test_timeline_tap_is_idempotent_and_keeps_the_first_time(world: World) -> None:
    case = make_case(world.hq)
    first = timezone.now() - timedelta(minutes=5)
    assert services.record_timeline(actor=world.crew, case=case, event="on_scene", at=first) is True
    assert services.record_timeline(actor=world.crew, case=case, event="on_scene") is False
    case.refresh_from_db()
    assert case.on_scene_at == first
    assert services.record_timeline(actor=world.crew, case=case, event="arrived") is True
    case.refresh_from_db()
    assert case.state == Case.State.ARRIVED


def test_inquiry_replay_never_duplicates(world: World) -> None:
    case = make_case(world.hq)
    for _attempt in range(3):
        services.log_inquiry(
            actor=world.crew,
            case=case,
            client_key="replay-1",
            hospital=world.near,
            result="refused",
            department_code="14",
            refusal_reason="not_specialty",
        )
    assert Inquiry.objects.filter(case=case).count() == 1


def test_phone_acceptance_decides_the_destination(world: World) -> None:
    case = make_case(world.hq)
    inquiry, _created = services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key="phone-ok",
        hospital=world.near,
        result="accepted",
        department_code="14",
    )
    case.refresh_from_db()
    assert (case.state, case.destination_id, inquiry.result) == (
        "decided",
        world.near.pk,
        "accepted",
    )


def test_refused_inquiry_needs_a_reason(world: World) -> None:
    case = make_case(world.hq)
    with pytest.raises(ValidationError):
        services.log_inquiry(
            actor=world.crew,
            case=case,
            client_key="no-reason",
            hospital=world.near,
            result="refused",
        )
    assert not Inquiry.objects.exists()


# --- parallel requests -------------------------------------------------------------------------


def test_parallel_request_first_accept_wins_and_others_are_withdrawn(world: World) -> None:
    case = make_case(world.hq)
    sent = services.send_parallel_request(
        actor=world.crew,
        case=case,
        client_key="group-1",
        targets=[(world.near, "14"), (world.far, "14"), (world.tertiary, "14")],
    )
    assert [i.result for i in sent] == ["pending"] * 3
    by_hospital = {i.hospital_id: i for i in sent}
    answer = services.answer_request(
        actor=world.far_staff, inquiry=by_hospital[world.far.pk], accept=True
    )
    assert answer.outcome == "accepted"
    late = services.answer_request(
        actor=world.near_staff, inquiry=by_hospital[world.near.pk], accept=True
    )
    assert late.outcome == "already_answered"
    case.refresh_from_db()
    assert (case.state, case.destination_id) == ("decided", world.far.pk)
    results = dict(Inquiry.objects.filter(case=case).values_list("hospital_id", "result"))
    assert results == {
        world.far.pk: "accepted",
        world.near.pk: "withdrawn",
        world.tertiary.pk: "withdrawn",
    }


def test_parallel_request_replay_returns_the_first_send(world: World) -> None:
    case = make_case(world.hq)
    first = services.send_parallel_request(
        actor=world.crew, case=case, client_key="group-2", targets=[(world.near, "14")]
    )
    again = services.send_parallel_request(
        actor=world.crew, case=case, client_key="group-2", targets=[(world.near, "14")]
    )
    assert [i.pk for i in first] == [i.pk for i in again]
    assert Inquiry.objects.count() == 1


@override_settings(EMS_MAX_PARALLEL_REQUESTS=2)
def test_parallel_request_is_capped(world: World) -> None:
    case = make_case(world.hq)
    with pytest.raises(ValidationError):
        services.send_parallel_request(
            actor=world.crew,
            case=case,
            client_key="group-3",
            targets=[(world.near, ""), (world.far, ""), (world.tertiary, "")],
        )
    assert not Inquiry.objects.exists()


def test_declined_request_keeps_the_case_open_and_infers(world: World) -> None:
    make_status(world.near, "14", Acceptance.AVAILABLE)
    case = make_case(world.hq)
    (inquiry,) = services.send_parallel_request(
        actor=world.crew, case=case, client_key="group-4", targets=[(world.near, "14")]
    )
    answer = services.answer_request(
        actor=world.near_staff, inquiry=inquiry, accept=False, refusal_reason="beds_full"
    )
    assert answer.outcome == "refused"
    case.refresh_from_db()
    assert case.state == "open"
    assert effective(world.near.pk, "14")[0] == "unavailable"


@pytest.mark.usefixtures("committed_db")
def test_events_are_published_only_after_commit(world: World) -> None:
    with transaction.atomic():
        services.set_acceptance(
            actor=world.near_staff, hospital=world.near, key="14", status="eager"
        )
        assert not LiveEvent.objects.exists()
    published = list(LiveEvent.objects.values_list("topics", "data"))
    assert published == [
        (["ems.status"], {"kind": "status", "hospital_id": world.near.pk, "key": "14"})
    ]


# --- escalation --------------------------------------------------------------------------------


def test_fourth_inquiry_escalates_the_case(world: World) -> None:
    case = make_case(world.hq)
    hospitals = [world.near, world.far, world.tertiary]
    for number, hospital in enumerate(hospitals, start=1):
        services.log_inquiry(
            actor=world.crew,
            case=case,
            client_key=f"esc-{number}",
            hospital=hospital,
            result="refused",
            refusal_reason="not_specialty",
        )
    case.refresh_from_db()
    assert case.is_difficult is False
    services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key="esc-4",
        hospital=world.near,
        result="refused",
        refusal_reason="busy",
    )
    case.refresh_from_db()
    assert (case.is_difficult, case.escalation_reason) == (True, "inquiries")
    assert (
        AuditEvent.objects.filter(action="ems.case.escalate", object_id=str(case.pk)).count() == 1
    )


def test_thirty_minutes_on_scene_escalates_without_any_write(world: World) -> None:
    start = timezone.now()
    case = make_case(world.hq, on_scene_at=start)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert services.check_escalations() == 0
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert services.check_escalations() == 1
        assert services.check_escalations() == 0  # flagged once
    case.refresh_from_db()
    assert (case.is_difficult, case.escalation_reason) == (True, "scene_time")


@override_settings(EMS_ESCALATION_INQUIRIES=2, EMS_ESCALATION_SCENE_MINUTES=10)
def test_escalation_thresholds_are_configurable(world: World) -> None:
    case = make_case(world.hq)
    make_inquiry(case, world.near, "refused", refusal_reason="busy")
    services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key="cfg-2",
        hospital=world.far,
        result="refused",
        refusal_reason="busy",
    )
    case.refresh_from_db()
    assert case.is_difficult is True


@pytest.mark.usefixtures("committed_db")
def test_escalation_reaches_coordinator_and_core_hospital_channels(world: World) -> None:
    case = make_case(world.hq)
    for number in range(3):
        make_inquiry(case, world.far, "refused", refusal_reason="busy", sequence=number + 1)
    services.log_inquiry(
        actor=world.crew,
        case=case,
        client_key="chan-4",
        hospital=world.near,
        result="refused",
        refusal_reason="busy",
    )
    escalations = [
        topics
        for topics, data in LiveEvent.objects.values_list("topics", "data")
        if data["kind"] == "escalation"
    ]
    assert len(escalations) == 1
    assert {
        broadcast.topic(broadcast.COORDINATOR),
        broadcast.topic(broadcast.hospital_channel(world.tertiary.organisation_id)),
    } <= set(escalations[0])


def test_outcome_needs_a_destination(world: World) -> None:
    case = make_case(world.hq)
    with pytest.raises(ValidationError):
        services.record_outcome(
            actor=world.near_staff, case=case, severity="severe", diagnosis="脳梗塞"
        )
    case.refresh_from_db()
    assert case.severity == ""


def test_escalation_command_beats_and_health_follows_the_setting(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    from kurashi.modules.ems.selectors import escalation_watcher_health

    settings.EMS_ESCALATION_WATCHER_ENABLED = True
    assert escalation_watcher_health()[0] is False
    case = make_case(world.hq, on_scene_at=timezone.now() - timedelta(minutes=45))
    call_command("ems_escalate")
    assert escalation_watcher_health()[0] is True
    case.refresh_from_db()
    assert case.is_difficult is True
