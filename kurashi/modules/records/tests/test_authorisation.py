"""The authorisation matrix of the issue, on the FHIR API and the clinician summary: anonymous;
resident (own record only); clinician without consent (denied); with consent (allowed); crew with
break-glass (allowed, flagged, audited); withdrawn consent (denied immediately); auditor (audit
only). And: tampering with an access-log row is detected."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from kurashi.modules.records import services
from kurashi.modules.records.models import AccessLog, AppendOnlyError, BreakGlass
from kurashi.modules.records.tests.conftest import (
    YAMADA,
    World,
    add_observation,
    add_patient,
    verified_client,
)

URL = "/fhir/R4/Observation/obs-1"


@pytest.fixture
def record(world: World) -> World:
    add_patient(world)
    add_observation(world)
    return world


def _last() -> AccessLog:
    return AccessLog.objects.order_by("-pk").first()  # type: ignore[return-value]


def test_anonymous_is_denied(record: World, client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    assert client.get(f"/records/patients/{record.person.pk}/").status_code == 302


def test_resident_reads_own_record_only(record: World) -> None:
    client = Client()
    client.force_login(record.resident)
    assert client.get(URL).status_code == 200
    assert _last().purpose == "PATRQT"
    stranger = Client()
    stranger.force_login(record.stranger)
    assert stranger.get(URL).status_code == 403
    assert stranger.get(f"/records/patients/{record.person.pk}/").status_code == 403


def test_clinician_of_a_facility_without_consent_is_denied(record: World) -> None:
    response = verified_client(record.other_doctor).get(URL)
    assert response.status_code == 403
    row = _last()
    assert (row.outcome, row.person_id_value, row.detail["denied"]) == (
        "4",
        record.person.pk,
        "no-consent",
    )
    search = verified_client(record.other_doctor).get("/fhir/R4/Observation")
    assert search.status_code == 200
    assert "entry" not in search.json()


def test_clinician_with_consent_is_allowed_and_audited(record: World) -> None:
    response = verified_client(record.doctor).get(URL)
    assert response.status_code == 200
    assert response.json()["id"] == "obs-1"
    row = _last()
    assert (row.purpose, row.facility_id_value, row.outcome) == ("TREAT", record.consented.pk, "0")
    page = verified_client(record.doctor).get(f"/records/patients/{record.person.pk}/")
    assert page.status_code == 200
    assert "白血球数" in page.content.decode()


def test_clinician_needs_two_factor_authentication(record: World) -> None:
    client = Client()
    client.force_login(record.doctor)
    response = client.get(URL)
    assert response.status_code == 401
    assert "Two-factor" in response.json()["issue"][0]["diagnostics"]
    assert client.get(f"/records/patients/{record.person.pk}/").status_code == 302


def test_pharmacist_sees_medication_data_but_not_documents(record: World) -> None:
    client = verified_client(record.pharmacist)
    assert client.get(URL).status_code == 200
    services.store_resource(
        resource={
            "resourceType": "DocumentReference",
            "id": "doc-1",
            "status": "current",
            "subject": {"reference": "Patient/pat-yamada"},
            "content": [{"attachment": {"contentType": "text/plain", "data": "5YWl6Zmi"}}],
        },
        facility=record.discloser,
        patient=record.identifier,
    )
    assert client.get("/fhir/R4/DocumentReference/doc-1").status_code == 403


def test_crew_with_break_glass_is_allowed_flagged_and_audited(record: World) -> None:
    client = verified_client(record.crew)
    assert client.get(URL).status_code == 403
    with pytest.raises(ValidationError):
        services.start_break_glass(
            user=record.crew, person=record.person, facility_id=record.fire.pk, reason=""
        )
    glass = services.start_break_glass(
        user=record.crew,
        person=record.person,
        facility_id=record.fire.pk,
        reason="意識障害で搬送中、既往歴確認",
        ems_case_reference="EMS-2026-0042",
    )
    opened = _last()
    assert (opened.action, opened.purpose, opened.detail["flagged"]) == (
        "break-glass",
        "ETREAT",
        True,
    )
    response = client.get(URL)
    assert response.status_code == 200
    row = _last()
    assert (row.purpose, row.detail["break_glass"], row.facility_id_value) == (
        "ETREAT",
        glass.pk,
        record.fire.pk,
    )
    assert glass.resolution == BreakGlass.Resolution.PENDING
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        flagged = services.flag_overdue_break_glass()
        assert [g.pk for g in flagged] == [glass.pk]
        assert services.flag_overdue_break_glass() == []  # idempotent
        assert verified_client(record.crew).get(URL).status_code == 403  # window closed
    glass.refresh_from_db()
    assert glass.flagged_at is not None
    admin = verified_client(record.admin)
    assert "EMS-2026-0042" in admin.get("/records/overdue/").content.decode()


def test_break_glass_needs_the_role(record: World) -> None:
    with pytest.raises(PermissionDenied):
        services.start_break_glass(
            user=record.pharmacist,
            person=record.person,
            facility_id=record.consented.pk,
            reason="緊急のため",
        )
    assert not BreakGlass.objects.exists()
    assert _last().outcome == "8"


def test_retroactive_consent_resolves_break_glass(record: World) -> None:
    glass = services.start_break_glass(
        user=record.other_doctor,
        person=record.person,
        facility_id=record.other.pk,
        reason="救急外来で意識なし",
    )
    services.record_consent(
        person=record.person, scope="all", signed_on=timezone.localdate(), actor=record.liaison
    )
    glass.refresh_from_db()
    assert glass.resolution == BreakGlass.Resolution.CONSENT


def test_withdrawn_consent_denies_immediately(record: World) -> None:
    doctor = verified_client(record.doctor)
    assert doctor.get(URL).status_code == 200
    resident = Client()
    resident.force_login(record.resident)
    response = resident.post("/records/me/withdraw/")
    assert response.status_code == 302
    assert doctor.get(URL).status_code == 403
    assert doctor.get(f"/records/patients/{record.person.pk}/").status_code == 403
    assert "entry" not in doctor.get("/fhir/R4/Observation").json()


def test_auditor_reads_audit_only(record: World) -> None:
    verified_client(record.doctor).get(URL)
    auditor = verified_client(record.auditor)
    assert auditor.get(URL).status_code == 403
    assert auditor.get(f"/records/patients/{record.person.pk}/").status_code == 403
    events = auditor.get("/fhir/R4/AuditEvent?_count=200").json()
    assert any(e["resource"].get("purposeOfEvent") for e in events["entry"])
    assert verified_client(record.doctor).get("/fhir/R4/AuditEvent").status_code == 403


def test_tampering_with_an_access_log_row_is_detected(record: World) -> None:
    verified_client(record.doctor).get(URL)
    verified_client(record.other_doctor).get(URL)
    assert services.verify_access_log().intact
    victim = AccessLog.objects.filter(outcome="4").first()
    assert victim is not None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AccessLog._meta.db_table} SET outcome = %s WHERE id = %s",  # noqa: S608
            ["0", victim.pk],
        )
    check = services.verify_access_log()
    assert not check.intact
    assert victim.pk in check.broken
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.get(pk=victim.pk).save()


def test_deleting_the_last_access_log_row_is_detected(record: World) -> None:
    verified_client(record.doctor).get(URL)
    last = _last()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AccessLog._meta.db_table} WHERE id = %s", [last.pk])  # noqa: S608
    assert not services.verify_access_log().intact


def test_comment_notifies_the_disclosing_facility(
    record: World, django_capture_on_commit_callbacks: object
) -> None:
    record.liaison.email = "liaison@example.test"
    record.liaison.save()
    client = verified_client(record.doctor)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            f"/records/patients/{record.person.pk}/comments/",
            {"to_facility": record.discloser.pk, "body": "検査値の単位を確認させてください"},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["liaison@example.test"]]
    assert "検査値" not in mail.outbox[0].body  # no clinical content by e-mail
    inbox = verified_client(record.liaison).get("/records/comments/")
    assert "検査値の単位" in inbox.content.decode()


def test_session_times_out_on_clinical_pages(record: World, settings: object) -> None:
    client = verified_client(record.doctor)
    assert client.get(URL).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert client.get(URL).status_code == 401


def test_yamada_demographics_are_linked(record: World) -> None:
    assert services.find_candidates(YAMADA.normalised())[0].person.pk == record.person.pk
