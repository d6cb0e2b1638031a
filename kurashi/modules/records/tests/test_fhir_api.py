"""The FHIR R4 API: CapabilityStatement, read, search with paging and _include, $everything,
Bundle upload; every returned resource validates with fhir.resources' R4B models; the 34 official
R4 examples and the Synthea bulk data import and read back equal; fhirpy (a real client, over
real HTTP) reads, searches and pages."""

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from kurashi.core.models import Municipality
from kurashi.core.services import load_municipalities
from kurashi.modules.records import fhir, intake, selectors, services
from kurashi.modules.records.models import Resource
from kurashi.modules.records.tests.conftest import (
    FIXTURES,
    PHYSICIAN,
    World,
    add_observation,
    add_patient,
    build_world,
    hospital,
    load_json,
    verified_client,
)
from kurashi.testing.builders import make_member


def validate_all(body: dict[str, Any]) -> int:
    """Validate a response and every resource inside it; returns how many were checked."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    checked = 1
    for entry in body.get("entry", []):
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        checked += 1
    return checked


def many_observations(world: World, count: int) -> None:
    for index in range(count):
        add_observation(world, fhir_id=f"obs-{index + 1}", text=f"検査{index}")


@pytest.fixture
def record(world: World) -> World:
    add_patient(world)
    many_observations(world, 5)
    services.store_resource(
        resource={
            "resourceType": "AllergyIntolerance",
            "id": "alg-1",
            "code": {"text": "アスピリン"},
            "patient": {"reference": "Patient/pat-yamada"},
        },
        facility=world.discloser,
        patient=world.identifier,
    )
    return world


def test_every_returned_resource_validates_with_r4b(record: World) -> None:
    doctor = verified_client(record.doctor)
    auditor = verified_client(record.auditor)
    checked = 0
    for url in (
        "/fhir/R4/metadata",
        "/fhir/R4/Patient?name=カリヤマダ",
        "/fhir/R4/Patient?family=ｶﾘﾔﾏﾀﾞ&birthdate=1976-01-01",
        "/fhir/R4/Patient/pat-yamada",
        "/fhir/R4/Observation?patient=Patient/pat-yamada&_count=2&_include=Observation:subject",
        "/fhir/R4/Observation?code=urn:oid:1.2.392.200119.4.504|2A010000001930901&date=ge2024-01-01",
        "/fhir/R4/AllergyIntolerance?patient=pat-yamada",
        "/fhir/R4/Condition",
        "/fhir/R4/MedicationRequest",
        "/fhir/R4/DocumentReference",
        "/fhir/R4/Consent",
        "/fhir/R4/Patient/pat-yamada/$everything",
        "/fhir/R4/Observation/missing",
        "/fhir/R4/Observation?unknown=1",
    ):
        response = doctor.get(url)
        assert response["Content-Type"].startswith("application/fhir+json")
        checked += validate_all(response.json())
    for url in ("/fhir/R4/AuditEvent?_count=50", "/fhir/R4/AuditEvent?patient=Patient/pat-yamada"):
        body = auditor.get(url).json()
        checked += validate_all(body)
        assert body["entry"]
    log_id = auditor.get("/fhir/R4/AuditEvent").json()["entry"][0]["resource"]["id"]
    checked += validate_all(auditor.get(f"/fhir/R4/AuditEvent/{log_id}").json())
    assert checked > 30


def test_search_finds_by_kana_and_includes_the_patient(record: World) -> None:
    doctor = verified_client(record.doctor)
    found = doctor.get("/fhir/R4/Patient?name=かりやまだ ちよ").json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["pat-yamada"]
    page = doctor.get(
        "/fhir/R4/Observation?subject=Patient/pat-yamada&_count=2&_include=Observation:subject"
    ).json()
    modes = [(e["search"]["mode"], e["resource"]["resourceType"]) for e in page["entry"]]
    assert modes == [("match", "Observation"), ("match", "Observation"), ("include", "Patient")]
    next_url = next(link["url"] for link in page["link"] if link["relation"] == "next")
    ids = [e["resource"]["id"] for e in page["entry"] if e["search"]["mode"] == "match"]
    while next_url:
        page = doctor.get(next_url.replace("http://testserver", "")).json()
        ids += [
            e["resource"]["id"] for e in page.get("entry", []) if e["search"]["mode"] == "match"
        ]
        next_url = next((link["url"] for link in page["link"] if link["relation"] == "next"), "")
    assert sorted(ids) == [f"obs-{i}" for i in range(1, 6)]


def test_errors_are_operation_outcomes(record: World) -> None:
    doctor = verified_client(record.doctor)
    for url, status in (
        ("/fhir/R4/Observation/nope", 404),
        ("/fhir/R4/Observation?bogus=1", 400),
        ("/fhir/R4/Observation?_count=abc", 400),
        ("/fhir/R4/Observation?date=not-a-date", 400),
        ("/fhir/R4/Basic", 404),
    ):
        response = doctor.get(url)
        assert response.status_code == status, url
        assert response.json()["resourceType"] == "OperationOutcome"


def test_everything_spans_facilities_of_the_same_person(record: World) -> None:
    second = hospital("h-second", "第二病院")
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "second-1",
                    "identifier": [{"system": "urn:second", "value": "S1"}],
                    "name": [
                        {
                            "extension": [{"url": fhir.REPRESENTATION, "valueCode": "SYL"}],
                            "text": "ｶﾘﾔﾏﾀﾞ ﾁﾖ",
                        },
                        {
                            "extension": [{"url": fhir.REPRESENTATION, "valueCode": "IDE"}],
                            "text": "仮山田 千代",
                        },
                    ],
                    "gender": "female",
                    "birthDate": "1976-01-01",
                    "telecom": [{"system": "phone", "value": "099-440-2919"}],
                }
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "second-c1",
                    "code": {"text": "高血圧症"},
                    "subject": {"reference": "Patient/second-1"},
                }
            },
        ],
    }
    report = intake.import_bundle(data, facility=second, actor=None)
    assert report.problems == []
    assert report.created == 2
    body = (
        verified_client(record.doctor)
        .get("/fhir/R4/Patient/pat-yamada/$everything?_count=100")
        .json()
    )
    ids = {e["resource"]["id"] for e in body["entry"]}
    assert {"pat-yamada", "second-1", "second-c1", "alg-1", "obs-1"} <= ids


def test_official_r4_examples_import_and_read_back_equal(world: World) -> None:
    files = sorted(
        (FIXTURES / "r4-official").glob("*.json"),
        key=lambda p: (not p.name.startswith("Patient"), p.name),
    )
    assert len(files) == 34
    uploader = make_member(world.discloser, *PHYSICIAN, "records.manage_index")
    token = services.issue_api_token(user=uploader, label="test", actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    compared = 0
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        response = client.post(
            "/fhir/R4/", data=json.dumps(data), content_type="application/fhir+json"
        )
        assert response.status_code == 200, (path.name, response.content[:500])
        if data.get("type") == "transaction":
            body = response.json()
            assert body["type"] == "transaction-response"
            mapping = {}
            for entry in data["entry"]:
                mapping[entry["fullUrl"]] = None
            locations = [e["response"]["location"] for e in body["entry"]]
            assert len(locations) == len(data["entry"])
            for entry, location in zip(data["entry"], locations, strict=True):
                expected = intake._rewrite(
                    dict(entry["resource"]),
                    dict(zip(list(mapping), locations, strict=True))
                    | {
                        "/".join(k.split("/")[-2:]): v
                        for k, v in zip(list(mapping), locations, strict=True)
                    },
                )
                expected["id"] = location.split("/")[1]
                got = client.get(f"/fhir/R4/{location}").json()
                assert fhir.canonical(got) == fhir.canonical(expected), path.name
                compared += 1
        else:
            got = client.get(f"/fhir/R4/{data['resourceType']}/{data['id']}")
            assert got.status_code == 200, (path.name, got.content[:300])
            assert fhir.canonical(got.json()) == fhir.canonical(data), path.name
            get_fhir_model_class(data["resourceType"]).model_validate(got.json())
            compared += 1
    assert compared == 33 + 5
    again = client.post(
        "/fhir/R4/",
        data=(FIXTURES / "r4-official" / "Patient-example.json").read_text(),
        content_type="application/fhir+json",
    )
    assert "0 created, 0 updated, 1 unchanged" in again.json()["issue"][0]["diagnostics"]


def test_synthea_bulk_imports_and_reads_back_equal(world: World) -> None:
    paths = sorted((FIXTURES / "synthea-bulk-3pt").glob("*.ndjson"))
    report = intake.import_ndjson(paths, facility=world.discloser, actor=None)
    assert report.problems == []
    rows = list(intake.read_ndjson(paths))
    assert report.created == len(rows) > 1500
    stored = {(r.resource_type, r.fhir_id): r for r in Resource.objects.all()}
    for _where, original in rows:
        row = stored[(original["resourceType"], original["id"])]
        assert fhir.canonical(selectors.resource_json(row)) == fhir.canonical(original)
    linked = Resource.objects.filter(resource_type="Condition", patient__isnull=False).count()
    assert linked == sum(1 for _w, r in rows if r["resourceType"] == "Condition")
    again = intake.import_ndjson(paths, facility=world.discloser, actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))


def test_transaction_with_an_invalid_entry_stores_nothing(world: World) -> None:
    uploader = make_member(world.discloser, "records.manage_index")
    token = services.issue_api_token(user=uploader, label="t", actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:1",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"text": "a"},
                },
                "request": {"method": "POST", "url": "Observation"},
            },
            {
                "fullUrl": "urn:uuid:2",
                "resource": {"resourceType": "Observation", "status": "final"},
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    before = Resource.objects.count()
    response = client.post(
        "/fhir/R4/", data=json.dumps(bundle), content_type="application/fhir+json"
    )
    assert response.status_code in (400, 422)
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Resource.objects.count() == before
    session = verified_client(uploader)
    assert (
        session.post("/fhir/R4/", data="{}", content_type="application/fhir+json").status_code
        == 403
    )


def test_jp_core_patient_names_are_searchable(world: World) -> None:
    data = load_json("jp-core/Patient-jp-patient-example-1.json")
    intake.import_bundle(data, facility=world.discloser, actor=None)
    liaison_doctor = make_member(world.discloser, *PHYSICIAN)
    client = verified_client(liaison_doctor)
    for query in (
        "name=山田太郎",
        "name=やまだ",
        "given=タロウ",
        "identifier=00000010",
        "gender=male&birthdate=1970-01-01",
    ):
        body = client.get(f"/fhir/R4/Patient?{query}").json()
        assert [e["resource"]["id"] for e in body.get("entry", [])] == ["jp-patient-example-1"], (
            query
        )


@pytest.mark.django_db(transaction=True)
def test_fhirpy_reads_searches_and_pages_over_http(live_server: Any) -> None:
    from fhirpy import SyncFHIRClient

    if not Municipality.objects.exists():
        load_municipalities()
    world = build_world()
    add_patient(world)
    many_observations(world, 7)
    token = services.issue_api_token(user=world.doctor, label="fhirpy", actor=None)
    client = SyncFHIRClient(f"{live_server.url}/fhir/R4", authorization=f"Bearer {token}")
    patient = client.reference("Patient", "pat-yamada").to_resource()
    assert patient["birthDate"] == "1976-01-01"
    found = client.resources("Patient").search(name="カリヤマダ").fetch()
    assert [p.id for p in found] == ["pat-yamada"]
    observations = (
        client.resources("Observation").search(patient="Patient/pat-yamada").limit(3).fetch_all()
    )
    assert sorted(o.id for o in observations) == sorted(f"obs-{i}" for i in range(1, 8))
    other = services.issue_api_token(user=world.other_doctor, label="x", actor=None)
    denied = SyncFHIRClient(f"{live_server.url}/fhir/R4", authorization=f"Bearer {other}")
    assert denied.resources("Observation").search(patient="Patient/pat-yamada").fetch() == []


def test_network_consents_are_served_as_fhir_consent(world: World) -> None:
    client = Client()
    client.force_login(world.resident)
    body = client.get("/fhir/R4/Consent").json()
    validate_all(body)
    consent = body["entry"][0]["resource"]
    assert (consent["status"], consent["provision"]["type"]) == ("active", "permit")
    assert {a["reference"]["display"] for a in consent["provision"]["actor"]} == {
        "同意病院",
        "開示病院",
    }
    services.withdraw_consent(person=world.person, actor=world.resident)
    body = verified_client(world.liaison).get("/fhir/R4/Consent").json()
    assert body["entry"][0]["resource"]["status"] == "inactive"
    assert "end" in body["entry"][0]["resource"]["provision"]["period"]
