"""FHIR exports say what the pages say (issue 18 point 7): the Location an Encounter points at is
in the Location export, and a hospital reads a case through FHIR exactly when its pages show it."""

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class

from kurashi.core.models import User
from kurashi.modules.ems import services
from kurashi.modules.ems.models import Case
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_inquiry

API = "/api/v1/ems"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_encounter_destination_is_a_location_of_the_export(world: World) -> None:
    case = make_case(world.hq)
    sent = services.send_parallel_request(
        actor=world.crew, case=case, client_key="loc-1", targets=[(world.near, "14")]
    )
    services.answer_request(actor=world.near_staff, inquiry=sent[0], accept=True)
    crew = logged_in(world.crew)
    encounter = crew.get(f"{API}/fhir/Encounter/{case.public_id}").json()
    destination = encounter["hospitalization"]["destination"]["reference"]
    bundle = crew.get(f"{API}/fhir/Location/").json()
    get_fhir_model_class("Bundle").model_validate(bundle)
    exported = {f"Location/{e['resource']['id']}": e["resource"] for e in bundle["entry"]}
    assert destination in exported
    location = exported[destination]
    assert location["managingOrganization"]["reference"] == f"Organization/hospital-{world.near.pk}"
    assert location["position"] == {"latitude": 33.255, "longitude": 130.300}
    organisations = {
        f"Organization/{e['resource']['id']}"
        for e in crew.get(f"{API}/fhir/Organization/").json()["entry"]
    }
    assert location["managingOrganization"]["reference"] in organisations


def _hospital_reads(world: World, case: Case) -> tuple[int, int]:
    """(FHIR Encounter status, hospital case page status) for the near hospital's staff."""
    client = logged_in(world.near_staff)
    api = client.get(f"{API}/fhir/Encounter/{case.public_id}").status_code
    page = client.get(reverse("ems:hospital-case", args=["near", case.public_id])).status_code
    return api, page


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("pending", (200, 200)),  # asked, answer due: it must see the patient
        ("withdrawn", (404, 404)),  # another hospital accepted first
        ("refused", (404, 404)),  # it declined: no further need to know
        ("callback", (404, 404)),  # phone log, not a request to answer in the app
    ],
)
def test_a_hospital_reads_a_case_through_fhir_exactly_when_its_page_shows_it(
    world: World, result: str, expected: tuple[int, int]
) -> None:
    case = make_case(world.hq)
    make_inquiry(case, world.near, result)
    assert _hospital_reads(world, case) == expected


def test_the_destination_keeps_reading_the_case_and_the_others_lose_it(world: World) -> None:
    case = make_case(world.hq)
    sent = services.send_parallel_request(
        actor=world.crew,
        case=case,
        client_key="rule-1",
        targets=[(world.near, "14"), (world.far, "")],
    )
    assert _hospital_reads(world, case) == (200, 200)
    services.answer_request(actor=world.far_staff, inquiry=sent[1], accept=True)
    assert _hospital_reads(world, case) == (404, 404)  # near's request was withdrawn
    far = logged_in(world.far_staff)
    assert far.get(f"{API}/fhir/Encounter/{case.public_id}").status_code == 200
    assert far.get(reverse("ems:hospital-case", args=["far", case.public_id])).status_code == 200
