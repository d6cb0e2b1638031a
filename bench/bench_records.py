"""Regional clinical records at scale, on the real server (`kurashi run`) and PostgreSQL:

1. load: N patients (person, local identifier, consent, JP Core Patient) and M Observations,
   sealed (AES-GCM) and indexed with keyed tokens exactly as the importer stores them, written
   with COPY (PostgreSQL) or bulk_create (SQLite);
2. FHIR search p50/p95: GET /fhir/R4/Observation?patient=…&_count=20 and …&code=… for random
   patients, as a physician of another hospital reading through consent (each request also
   appends to the hash-chained access log);
3. Patient/$everything p50/p95 for one patient (first page of 100, and all pages);
4. import throughput: the Synthea bulk NDJSON (1,609 resources) through the real importer
   (R4B validation, patient matching, sealing, tokens), in resources/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python bench/bench_records.py [--patients 100000 --observations 10000000] [--save]

Defaults (2,000 patients / 200,000 observations) finish in a few minutes. Progress goes to
stderr; stdout gets exactly one JSON line.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import REPO_ROOT, emit, environment, percentile, progress

from kurashi.testing.server import start_server

CODES = [
    ("2A010000001930901", "白血球数", "/μL"),
    ("5C070000002306201", "CRP定量", "mg/dL"),
    ("3D045000001906202", "HbA1c", "%"),
    ("3B035000002327201", "AST", "U/L"),
    ("3B045000002327201", "ALT", "U/L"),
]
JLAC10 = "urn:oid:1.2.392.200119.4.504"


def setup_django(env: dict[str, str]) -> None:
    for key in ("KURASHI_VAR_DIR", "DATABASE_URL", "SECRET_KEY"):
        if key in env:
            os.environ[key] = env[key]
    os.environ.pop("KURASHI_TESTING", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kurashi.settings")
    import django

    django.setup()


def load(patients: int, observations: int, batch: int = 2000) -> dict[str, object]:
    """Write the synthetic population; returns the ids the measurements need."""
    from django.db import connection

    from kurashi.core.models import Organisation
    from kurashi.modules.records import crypto, fhir
    from kurashi.modules.records.matching import Demographics
    from kurashi.modules.records.models import (
        Consent,
        LocalIdentifier,
        Person,
        Resource,
    )

    rng = random.Random(1)
    facility, _ = Organisation.objects.get_or_create(
        slug="bench-discloser", defaults={"kind": "hospital", "name_ja": "開示病院（ベンチ）"}
    )
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    per_patient = max(1, observations // patients)
    postgres = connection.vendor == "postgresql"

    def next_id(model: type) -> int:
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        return int(last or 0) + 1

    person_id, identifier_id, resource_id, consent_id = (
        next_id(Person),
        next_id(LocalIdentifier),
        next_id(Resource),
        next_id(Consent),
    )
    first_person, first_resource = person_id, resource_id
    started = time.monotonic()
    rows = {"person": [], "identifier": [], "consent": [], "resource": [], "token": []}
    written = 0

    def flush() -> None:
        nonlocal written
        tables = [
            ("records_person", ("id", "demographics", "created_at"), rows["person"]),
            (
                "records_localidentifier",
                (
                    "id",
                    "facility_id",
                    "system",
                    "value_token",
                    "value",
                    "person_id",
                    "link",
                    "demographics",
                    "created_at",
                ),
                rows["identifier"],
            ),
            (
                "records_consent",
                (
                    "id",
                    "person_id",
                    "scope",
                    "status",
                    "signed_on",
                    "form_name",
                    "form_content_type",
                    "recorded_at",
                ),
                rows["consent"],
            ),
            (
                "records_resource",
                (
                    "id",
                    "resource_type",
                    "fhir_id",
                    "patient_id",
                    "facility_id",
                    "payload",
                    "content_token",
                    "version",
                    "occurred_at",
                    "last_updated",
                    "source",
                ),
                rows["resource"],
            ),
            ("records_resourcetoken", ("resource_id", "parameter", "token"), rows["token"]),
        ]
        with connection.cursor() as cursor:
            for table, columns, values in tables:
                if not values:
                    continue
                if postgres:
                    with cursor.cursor.copy(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                    ) as copy:  # type: ignore[attr-defined]
                        for value in values:
                            copy.write_row(value)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                        values,
                    )
                written += len(values)
                values.clear()

    for index in range(patients):
        demographics = Demographics(
            kanji_name=f"試験{index}",
            kana_name=f"シケン{index}",
            sex=rng.choice(["male", "female"]),
            postal_code=f"840{index % 10000:04d}",
            phones=(f"0952{index:06d}",),
        )
        rows["person"].append((person_id, crypto.seal_json(demographics.as_json()), now))
        rows["identifier"].append(
            (
                identifier_id,
                facility.pk,
                "urn:bench",
                crypto.token("identifier", str(index)),
                crypto.seal_text(str(index)),
                person_id,
                "confirmed",
                crypto.seal_json(demographics.as_json()),
                now,
            )
        )
        rows["consent"].append((consent_id, person_id, "all", "active", "2024-01-01", "", "", now))
        patient = {
            "resourceType": "Patient",
            "id": f"bp-{index}",
            "identifier": [{"system": "urn:bench", "value": str(index)}],
            "name": [
                {
                    "extension": [{"url": fhir.REPRESENTATION, "valueCode": "SYL"}],
                    "text": f"シケン{index}",
                }
            ],
            "gender": demographics.sex,
            "birthDate": "1970-01-01",
        }
        resources = [patient]
        for number in range(per_patient):
            code, text, unit = CODES[number % len(CODES)]
            resources.append(
                {
                    "resourceType": "Observation",
                    "id": f"bo-{index}-{number}",
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "laboratory",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [{"system": JLAC10, "code": code, "display": text}],
                        "text": text,
                    },
                    "subject": {"reference": f"Patient/bp-{index}"},
                    "effectiveDateTime": f"20{10 + number % 15:02d}-{1 + number % 12:02d}-{1 + number % 28:02d}T09:00:00+09:00",
                    "valueQuantity": {"value": round(rng.uniform(1, 100), 1), "unit": unit},
                }
            )
        for resource in resources:
            content = fhir.canonical(resource)
            occurred = fhir.occurred_at(resource)
            rows["resource"].append(
                (
                    resource_id,
                    resource["resourceType"],
                    resource["id"],
                    identifier_id,
                    facility.pk,
                    crypto.seal(content.encode()),
                    crypto.token("content", content),
                    1,
                    occurred.isoformat() if occurred else None,
                    now,
                    "bench",
                )
            )
            for parameter, value in fhir.search_values(resource):
                rows["token"].append((resource_id, parameter, crypto.token(parameter, value)))
            resource_id += 1
        person_id += 1
        identifier_id += 1
        consent_id += 1
        if len(rows["resource"]) >= batch * 10:
            flush()
            done = index + 1
            rate = (resource_id - first_resource) / (time.monotonic() - started)
            progress(
                f"  {done:,}/{patients:,} patients, {resource_id - first_resource:,} resources ({rate:,.0f}/s)"
            )
    flush()
    if postgres:
        with connection.cursor() as cursor:
            for table in (
                "records_person",
                "records_localidentifier",
                "records_consent",
                "records_resource",
                "records_resourcetoken",
            ):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
                cursor.execute(f"ANALYZE {table}")
    seconds = time.monotonic() - started
    return {
        "first_person": first_person,
        "patients": patients,
        "resources": resource_id - first_resource,
        "rows_written": written,
        "load_s": round(seconds, 1),
        "load_resources_per_s": round((resource_id - first_resource) / seconds),
        "per_patient": per_patient,
    }


def reader_token() -> str:
    from kurashi.core.models import Membership, Organisation, User
    from kurashi.core.services import RoleSpec, ensure_role
    from kurashi.modules.records import services

    reader_org, _ = Organisation.objects.get_or_create(
        slug="bench-reader", defaults={"kind": "hospital", "name_ja": "閲覧病院（ベンチ）"}
    )
    role = ensure_role(RoleSpec("bench-physician", "医師", "Physician", ("records.view_clinical",)))
    user, _ = User.objects.get_or_create(username="bench-physician")
    Membership.objects.get_or_create(user=user, organisation=reader_org, role=role)
    return services.issue_api_token(user=user, label="bench", actor=None)


def timed_gets(base: str, token: str, paths: list[str]) -> list[float]:
    import httpx

    latencies = []
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        client.get("/fhir/R4/metadata")
        for path in paths:
            started = time.perf_counter()
            response = client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return sorted(latencies)


def everything_all_pages(base: str, token: str, fhir_id: str) -> tuple[float, int]:
    import httpx

    started = time.perf_counter()
    count = 0
    url: str | None = f"{base}/fhir/R4/Patient/{fhir_id}/$everything?_count=100"
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        while url:
            body = client.get(url).json()
            count += len(body.get("entry", []))
            url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
    return (time.perf_counter() - started) * 1000, count


def import_throughput() -> dict[str, object]:
    from kurashi.core.models import Organisation
    from kurashi.modules.records import intake

    facility, _ = Organisation.objects.get_or_create(
        slug="bench-synthea", defaults={"kind": "hospital", "name_ja": "Synthea（ベンチ）"}
    )
    paths = sorted(
        (REPO_ROOT / "kurashi/modules/records/tests/fixtures/synthea-bulk-3pt").glob("*.ndjson")
    )
    started = time.monotonic()
    report = intake.import_ndjson(paths, facility=facility, actor=None)
    seconds = time.monotonic() - started
    return {
        "import_resources": report.created,
        "import_problems": len(report.problems),
        "import_s": round(seconds, 2),
        "import_resources_per_s": round(report.created / seconds, 1),
    }


def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--save", action="store_true")
    options = parser.parse_args()
    figures: dict[str, object] = {"benchmark": "records", **environment()}
    with start_server(web_workers=1, db_prefix="kurashi_bench_records", demo=False) as server:
        progress(f"server up at {server.base_url} on {server.database}")
        figures["database"] = server.database.split(":")[0]
        setup_django(server.env)
        progress(
            f"loading {options.patients:,} patients / {options.observations:,} observations ..."
        )
        loaded = load(options.patients, options.observations)
        figures.update({k: v for k, v in loaded.items() if k != "first_person"})
        figures["observations"] = options.patients * int(loaded["per_patient"])  # type: ignore[call-overload]
        token = reader_token()
        rng = random.Random(2)
        sample = [rng.randrange(options.patients) for _ in range(options.requests)]
        progress("measuring FHIR search ...")
        by_patient = timed_gets(
            server.base_url,
            token,
            [f"/fhir/R4/Observation?patient=Patient/bp-{i}&_count=20" for i in sample],
        )
        by_code = timed_gets(
            server.base_url,
            token,
            [
                f"/fhir/R4/Observation?patient=Patient/bp-{i}&code={JLAC10}|{CODES[1][0]}&_count=20"
                for i in sample
            ],
        )
        progress("measuring $everything ...")
        everything = timed_gets(
            server.base_url,
            token,
            [
                f"/fhir/R4/Patient/bp-{i}/$everything?_count=100"
                for i in sample[: max(20, options.requests // 2)]
            ],
        )
        all_pages_ms, all_pages_count = everything_all_pages(
            server.base_url, token, f"bp-{sample[0]}"
        )
        for name, values in (
            ("search_patient", by_patient),
            ("search_patient_code", by_code),
            ("everything_page100", everything),
        ):
            figures[f"{name}_p50_ms"] = round(percentile(values, 0.5) or 0, 1)
            figures[f"{name}_p95_ms"] = round(percentile(values, 0.95) or 0, 1)
        figures["everything_all_pages_ms"] = round(all_pages_ms, 1)
        figures["everything_resources"] = all_pages_count
        progress("measuring import throughput (Synthea NDJSON) ...")
        figures.update(import_throughput())
    emit(figures, save_as="records" if options.save else None)


if __name__ == "__main__":
    main()
