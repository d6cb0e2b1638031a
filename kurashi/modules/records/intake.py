"""Intake: SS-MIX2 standardized storage, FHIR Bundles (transaction / batch / collection /
document) and Synthea bulk NDJSON. Each resource is validated (R4B) before anything is stored;
problems are reported with where they were found and never abort the rest."""

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kurashi.core.models import Organisation, User
from kurashi.modules.records import crypto, fhir, hl7, services
from kurashi.modules.records.models import ImportedFile, LocalIdentifier, Resource

BATCH = 500


@dataclass
class IntakeReport:
    files_seen: int = 0
    files_imported: int = 0
    files_unchanged: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    id_map: dict[str, str] = field(default_factory=dict)  # fullUrl/urn → Type/id (transactions)

    @property
    def stored(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "files_seen": self.files_seen,
            "files_imported": self.files_imported,
            "files_unchanged": self.files_unchanged,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": self.problems,
        }

    def count(self, result: services.StoreResult) -> None:
        if result.created:
            self.created += 1
        elif result.changed:
            self.updated += 1
        else:
            self.unchanged += 1


def facility_patient_system(facility: Organisation) -> str:
    return f"{fhir.BASE}/NamingSystem/facility/{facility.slug}/patient-id"


def register_patient_resource(
    resource: dict[str, Any], *, facility: Organisation, actor: User | None
) -> LocalIdentifier:
    identifiers = [
        i for i in resource.get("identifier") or [] if isinstance(i, dict) and i.get("value")
    ]
    if identifiers:
        system = str(identifiers[0].get("system") or facility_patient_system(facility))
        value = str(identifiers[0]["value"])
    else:
        system, value = f"{fhir.BASE}/NamingSystem/fhir-id", str(resource.get("id"))
    return services.register_patient(
        facility=facility,
        system=system,
        value=value,
        demographics=fhir.patient_demographics(resource),
        actor=actor,
    )


def _patient_for(
    reference: str | None, local: dict[str, LocalIdentifier]
) -> LocalIdentifier | None:
    if not reference:
        return None
    if reference in local:
        return local[reference]
    if reference.startswith("Patient/"):
        fhir_id = reference.split("/")[1]
        row = Resource.objects.filter(resource_type="Patient", fhir_id=fhir_id).first()
        return row.patient if row else None
    return None


def store_many(
    resources: Iterable[tuple[str, dict[str, Any]]],
    *,
    facility: Organisation,
    actor: User | None,
    report: IntakeReport,
) -> None:
    """Store (where, resource) pairs; Patients first so that the others find their patient."""
    items = list(resources)
    local: dict[str, LocalIdentifier] = {}
    ordered = sorted(items, key=lambda item: item[1].get("resourceType") != "Patient")
    for start in range(0, len(ordered), BATCH):
        # one transaction per batch, a savepoint per resource: a bad one loses nothing else
        with transaction.atomic():
            for where, resource in ordered[start : start + BATCH]:
                _store_one(
                    where, resource, facility=facility, actor=actor, report=report, local=local
                )


def _store_one(
    where: str,
    resource: dict[str, Any],
    *,
    facility: Organisation,
    actor: User | None,
    report: IntakeReport,
    local: dict[str, LocalIdentifier],
) -> None:
    if _unchanged(resource, facility=facility, local=local):
        report.unchanged += 1
        return
    try:
        with transaction.atomic():
            services.validate_resource(resource)
            patient: LocalIdentifier | None = None
            if resource.get("resourceType") == "Patient":
                patient = register_patient_resource(resource, facility=facility, actor=actor)
                local[f"Patient/{resource.get('id')}"] = patient
            else:
                patient = _patient_for(fhir.patient_reference(resource), local)
                reference = fhir.patient_reference(resource)
                if patient is not None and reference:
                    local[reference] = patient
            result = services.store_resource(
                resource=resource,
                facility=facility,
                patient=patient,
                source=where,
                validate=False,
            )
            report.count(result)
    except ValidationError as error:
        report.problems.append(f"{where}: {'; '.join(error.messages)}")


def _unchanged(
    resource: dict[str, Any], *, facility: Organisation, local: dict[str, LocalIdentifier]
) -> bool:
    """Already stored with exactly this content by this facility (re-imports skip validation)."""
    fhir_id = resource.get("id")
    if not fhir_id:
        return False
    row = (
        Resource.objects.filter(resource_type=resource.get("resourceType"), fhir_id=str(fhir_id))
        .select_related("patient")
        .first()
    )
    if row is None or row.facility_id != facility.pk:
        return False
    if row.content_token != crypto.token("content", fhir.canonical(resource)):
        return False
    if row.patient_id is None and fhir.patient_reference(resource):
        return False  # its patient may have arrived since: let store_resource link it
    if row.resource_type == "Patient" and row.patient is not None:
        local[f"Patient/{fhir_id}"] = row.patient
    return True


# --- FHIR Bundles -----------------------------------------------------------------------------


def _rewrite(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, dict):
        result = {k: _rewrite(v, mapping) for k, v in value.items()}
        reference = result.get("reference")
        if isinstance(reference, str) and reference in mapping:
            result["reference"] = mapping[reference]
        return result
    if isinstance(value, list):
        return [_rewrite(v, mapping) for v in value]
    return value


def import_bundle(
    bundle: dict[str, Any], *, facility: Organisation, actor: User | None, where: str = "bundle"
) -> IntakeReport:
    """transaction/batch: entries get server ids, references to their fullUrls are rewritten;
    collection: entries are stored with their own ids (JP-CLINS 5情報); document: stored whole
    as a Bundle (a signed document is not taken apart)."""
    report = IntakeReport()
    kind = bundle.get("type")
    if bundle.get("resourceType") != "Bundle":
        services.validate_resource(bundle)
        store_many([(where, bundle)], facility=facility, actor=actor, report=report)
        return report
    services.validate_resource(bundle)
    entries = [e for e in bundle.get("entry") or [] if isinstance(e.get("resource"), dict)]
    if kind == "document":
        store_many([(where, bundle)], facility=facility, actor=actor, report=report)
        return report
    if kind in ("transaction", "batch"):
        mapping: dict[str, str] = {}
        for entry in entries:
            resource = entry["resource"]
            method = (entry.get("request") or {}).get("method", "POST")
            new_id = (
                resource.get("id") if method == "PUT" and resource.get("id") else uuid.uuid4().hex
            )
            target = f"{resource['resourceType']}/{new_id}"
            if entry.get("fullUrl"):
                mapping[str(entry["fullUrl"])] = target
                tail = "/".join(str(entry["fullUrl"]).split("/")[-2:])
                mapping.setdefault(tail, target)
            if resource.get("id"):
                mapping.setdefault(f"{resource['resourceType']}/{resource['id']}", target)
        report.id_map = mapping
        items = []
        for index, entry in enumerate(entries):
            resource = _rewrite(dict(entry["resource"]), mapping)
            target = mapping.get(str(entry.get("fullUrl")), "") or mapping.get(
                f"{resource['resourceType']}/{resource.get('id')}", ""
            )
            if target:
                resource["id"] = target.split("/")[1]
            items.append((f"{where}#entry{index}", resource))
        if kind == "transaction":
            with transaction.atomic():
                before = len(report.problems)
                store_many(items, facility=facility, actor=actor, report=report)
                if len(report.problems) > before:
                    transaction.set_rollback(True)
                    report.created = report.updated = report.unchanged = 0
        else:
            store_many(items, facility=facility, actor=actor, report=report)
        return report
    if kind == "collection":
        items = [(f"{where}#entry{i}", e["resource"]) for i, e in enumerate(entries)]
        store_many(items, facility=facility, actor=actor, report=report)
        return report
    raise ValidationError(
        f"Bundle type {kind} cannot be uploaded (use transaction, batch, collection or document)."
    )


def read_ndjson(paths: Iterable[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield f"{path.name}:{number}", json.loads(line)


def import_ndjson(
    paths: Iterable[Path], *, facility: Organisation, actor: User | None
) -> IntakeReport:
    """Synthea/bulk-export NDJSON files (one resource per line)."""
    report = IntakeReport()
    ordered = sorted(paths, key=lambda p: (p.name != "Patient.ndjson", p.name))
    report.files_seen = len(ordered)
    store_many(read_ndjson(ordered), facility=facility, actor=actor, report=report)
    report.files_imported = len(ordered)
    return report


# --- SS-MIX2 ----------------------------------------------------------------------------------


def ssmix2_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*/*/*/*/*") if p.is_file())


def import_ssmix2(root: Path, *, facility: Organisation, actor: User | None) -> IntakeReport:
    """Take in a facility's SS-MIX2 storage: new or changed files only (idempotent,
    incremental); deleted orders (condition flag 0) remove what that order had stored."""
    report = IntakeReport()
    system = facility_patient_system(facility)
    for path in ssmix2_files(root):
        report.files_seen += 1
        relative = str(path.relative_to(root))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        known = ImportedFile.objects.filter(facility=facility, path=relative).first()
        if known is not None and known.content_hash == digest:
            report.files_unchanged += 1
            continue
        parsed = hl7.parse_file(path, root=root, facility_key=str(facility.pk), system=system)
        report.problems.extend(f"{p.file}:{p.line}: {p.message}" for p in parsed.problems)
        if parsed.patient is None:
            continue
        if parsed.data_type not in hl7.KNOWN_TYPES:
            report.problems.append(f"{relative}:0: data type {parsed.data_type} is not imported")
        with transaction.atomic():
            source_prefix = f"ssmix2:{facility.pk}:{parsed.patient_id}:{parsed.order}:"
            if parsed.flag == "0":
                Resource.objects.filter(
                    facility=facility, source__startswith=source_prefix
                ).exclude(resource_type="Patient").delete()
                items: list[tuple[str, dict[str, Any]]] = [
                    (f"{source_prefix}patient", parsed.patient)
                ]
            else:
                items = [(f"{source_prefix}patient", parsed.patient)] + [
                    (f"{source_prefix}{key}", resource) for key, resource in parsed.resources
                ]
            before = report.stored
            store_many(items, facility=facility, actor=actor, report=report)
            ImportedFile.objects.update_or_create(
                facility=facility,
                path=relative,
                defaults={"content_hash": digest, "resource_count": report.stored - before},
            )
        report.files_imported += 1
    return report
