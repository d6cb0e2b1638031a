import pytest
from django.core.management import call_command
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.task import Task

from kurashi.core.models import AuditEvent, User
from kurashi.modules.ems import fhir, services
from kurashi.modules.ems.models import AcceptanceStatus, Ambulance, ApiToken
from kurashi.modules.ems.selectors import status_views
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_inquiry, make_status

API = "/api/v1/ems"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- hospital systems update status directly ----------------------------------------------------


def test_hospital_system_updates_status_with_a_token(world: World) -> None:
    token = services.issue_api_token(actor=world.near_staff, hospital=world.near, label="HIS")
    response = Client().put(
        f"{API}/hospitals/near/statuses/14",
        {"status": "unavailable", "reason": "beds_full", "note": "ICU満床"},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "unavailable"
    row = AcceptanceStatus.objects.get(hospital=world.near, department_code="14")
    assert (row.status, row.reason, row.source, row.updated_by_id) == (
        "unavailable",
        "beds_full",
        "api",
        world.near_staff.pk,
    )
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no-token", 401),
        ("bad-token", 401),
        ("other-hospital-token", 403),
        ("bad-status", 400),
        ("unknown-key", 400),
    ],
)
def test_status_api_refuses_and_stores_nothing(world: World, case: str, expected: int) -> None:
    near_token = services.issue_api_token(actor=world.near_staff, hospital=world.near, label="HIS")
    far_token = services.issue_api_token(actor=world.far_staff, hospital=world.far, label="HIS")
    headers = {
        "no-token": {},
        "bad-token": bearer("ems_wrong"),
        "other-hospital-token": bearer(far_token),
        "bad-status": bearer(near_token),
        "unknown-key": bearer(near_token),
    }[case]
    status = "maybe" if case == "bad-status" else "available"
    key = "77" if case == "unknown-key" else "14"
    response = Client().put(
        f"{API}/hospitals/near/statuses/{key}",
        {"status": status},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == expected
    assert not AcceptanceStatus.objects.exists()


def test_session_user_without_permission_cannot_update(world: World) -> None:
    response = logged_in(world.crew).put(
        f"{API}/hospitals/near/statuses/14",
        {"status": "available"},
        content_type="application/json",
    )
    assert response.status_code in {403, 401}
    assert not AcceptanceStatus.objects.exists()


def test_reconfirm_api(world: World) -> None:
    make_status(world.near, "14")
    token = services.issue_api_token(actor=world.near_staff, hospital=world.near, label="HIS")
    response = Client().post(f"{API}/hospitals/near/reconfirm", **bearer(token))
    assert response.json() == {"confirmed": 1}


def test_hospital_list_needs_an_ems_role(world: World) -> None:
    assert Client().get(f"{API}/hospitals/").status_code == 401
    assert logged_in(world.resident).get(f"{API}/hospitals/").status_code == 403
    listed = logged_in(world.crew).get(f"{API}/hospitals/").json()
    assert {h["slug"] for h in listed} == {"near", "far", "tertiary"}


def test_ranking_api_for_crews(world: World) -> None:
    make_status(world.near, "14", "eager")
    response = logged_in(world.crew).get(f"{API}/ranking/?category=stroke&lat=33.256&lon=130.301")
    assert response.status_code == 200
    assert response.json()[0]["slug"] == "near"
    assert logged_in(world.near_staff).get(f"{API}/ranking/?category=stroke").status_code == 403


def test_token_command_checks_the_permission(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("ems_token", world.crew.username, "near")
    assert not ApiToken.objects.exists()


# --- FHIR R4 -----------------------------------------------------------------------------------


def test_organization_and_healthcare_service_validate_as_r4(world: World) -> None:
    make_status(world.near, "14", "unavailable", reason="beds_full")
    make_status(world.near, "stroke", "eager")
    Organization.model_validate(fhir.organization(world.near))
    from django.utils import timezone

    from kurashi.modules.ems.selectors import hospitals_with_statuses

    hospital = hospitals_with_statuses().get(pk=world.near.pk)
    services_json = [
        fhir.healthcare_service(hospital, view)
        for view in status_views(hospital, now=timezone.now())
    ]
    assert len(services_json) == 4  # 01, 10, 14 and the stroke category
    for resource in services_json:
        HealthcareService.model_validate(resource)
    neuro = next(r for r in services_json if r["id"].endswith("-14"))
    values = {e["url"]: e for e in neuro["extension"][0]["extension"]}
    assert values["status"]["valueCoding"]["code"] == "unavailable"
    assert values["reason"]["valueCoding"]["code"] == "beds_full"


def test_ambulance_encounter_and_task_validate_as_r4(world: World) -> None:
    ambulance = Ambulance.objects.create(
        fire_hq=world.hq, call_sign="佐賀救急1", latitude=33.25, longitude=130.3
    )
    Location.model_validate(fhir.ambulance_location(ambulance))
    case = make_case(world.hq)
    sent = services.send_parallel_request(
        actor=world.crew,
        case=case,
        client_key="fhir-1",
        targets=[(world.near, "14"), (world.far, "")],
    )
    services.answer_request(actor=world.near_staff, inquiry=sent[0], accept=True)
    services.record_timeline(actor=world.crew, case=case, event="on_scene")
    services.record_timeline(actor=world.crew, case=case, event="arrived")
    case.refresh_from_db()
    encounter = fhir.encounter(case)
    Encounter.model_validate(encounter)
    assert (
        encounter["hospitalization"]["destination"]["reference"]
        == f"Location/hospital-{world.near.pk}"
    )
    tasks = [fhir.task(i) for i in case.inquiries.select_related("case")]
    for task in tasks:
        Task.model_validate(task)
    assert sorted(t["status"] for t in tasks) == ["accepted", "cancelled"]
    assert len({t["groupIdentifier"]["value"] for t in tasks}) == 1


def test_fhir_endpoints_return_valid_bundles_and_audit_case_reads(world: World) -> None:
    make_status(world.near, "14")
    case = make_case(world.hq)
    make_inquiry(case, world.near)
    make_inquiry(case, world.far)
    crew = logged_in(world.crew)
    for path in (
        "Organization/",
        "HealthcareService/",
        "Location/",
        f"Task/?encounter={case.public_id}",
    ):
        bundle = crew.get(f"{API}/fhir/{path}").json()
        get_fhir_model_class("Bundle").model_validate(bundle)
    encounter = crew.get(f"{API}/fhir/Encounter/{case.public_id}").json()
    Encounter.model_validate(encounter)
    assert AuditEvent.objects.filter(action="ems.case.read", object_id=str(case.pk)).count() == 2
    # the near hospital sees only its own task; another crew sees nothing
    near_tasks = (
        logged_in(world.near_staff).get(f"{API}/fhir/Task/?encounter={case.public_id}").json()
    )
    assert [e["resource"]["owner"]["reference"] for e in near_tasks["entry"]] == [
        f"Organization/hospital-{world.near.pk}"
    ]
    assert (
        logged_in(world.other_crew).get(f"{API}/fhir/Encounter/{case.public_id}").status_code == 404
    )
