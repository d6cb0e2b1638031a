"""SS-MIX2 standardized storage: HL7 v2.5 messages (ISO-2022-JP) → FHIR R4 dicts. Pure.

Layout: <root>/<ID 1-3>/<ID 4-6>/<patient ID>/<date|->/<data type>/<file>; file name
<ID>_<date>_<type>_<order no>_<timestamp>_<department>_<condition flag 1/0/2>.
Mapping after JAMI's ssmix2-to-fhir ConceptMaps, simplified: PID → Patient, AL1 → AllergyIntolerance,
OBX (ADT-00 body measurements, OML-11 results) → Observation, PRB → Condition, RXE (+RXC) →
MedicationRequest, PV1 of ADT-12/22/52 → Encounter."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

JLAC10 = "urn:oid:1.2.392.200119.4.504"
HOT = "urn:oid:1.2.392.200119.4.403.1"  # HOT9/13 (standard drug master)
MEDIS_DISEASE = "urn:oid:1.2.392.200119.4.101.6"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOCAL = "https://kurashi.example.jp/fhir/CodeSystem/ssmix2-local"
KNOWN_TYPES = {"ADT-00", "ADT-12", "ADT-22", "ADT-52", "PPR-01", "OMP-01", "OMP-02", "OML-11"}
FILE_NAME = re.compile(
    r"^(?P<patient>[^_]+)_(?P<date>\d{8}|-)_(?P<type>[A-Z]{3}-\d{2})_(?P<order>\d{15})_"
    r"(?P<stamp>\d{17})_(?P<department>[^_]+)_(?P<flag>[012])$"
)


@dataclass
class Problem:
    file: str
    line: int
    message: str


@dataclass
class ParsedFile:
    patient_id: str
    data_type: str
    order: str
    flag: str
    patient: dict[str, Any] | None = None
    resources: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (key, resource)
    problems: list[Problem] = field(default_factory=list)


def read_message(path: Path) -> list[str]:
    text = path.read_bytes().decode("iso2022_jp")
    return [s for s in re.split(r"\r\n|\r|\n", text) if s.strip()]


def _field(fields: list[str], index: int) -> str:
    return fields[index] if index < len(fields) else ""


def _component(value: str, index: int) -> str:
    parts = value.split("^")
    return parts[index - 1] if 0 < index <= len(parts) else ""


def hl7_datetime(value: str) -> str | None:
    """HL7 TS (YYYYMMDD[HHMM[SS[.S]]]) → FHIR dateTime in JST; None when malformed."""
    digits = value.split(".")[0].strip()
    if not digits:
        return None
    try:
        if len(digits) == 8:
            return datetime.strptime(digits + "+0900", "%Y%m%d%z").strftime("%Y-%m-%d")
        if len(digits) in (12, 14):
            fmt = "%Y%m%d%H%M" if len(digits) == 12 else "%Y%m%d%H%M%S"
            return datetime.strptime(digits + "+0900", fmt + "%z").strftime(  # noqa: DTZ007
                "%Y-%m-%dT%H:%M:%S+09:00"
            )
    except ValueError:
        return None
    return None


def _concept(value: str, default_system: str = LOCAL) -> dict[str, Any]:
    code, display, system = _component(value, 1), _component(value, 2), _component(value, 3)
    systems = {
        "JC10": JLAC10,
        "HOT13": HOT,
        "HOT9": HOT,
        "MDCDX2": MEDIS_DISEASE,
        "I10": ICD10,
    }
    coding: dict[str, Any] = {"system": systems.get(system, f"{LOCAL}/{system or 'unknown'}")}
    if not system:
        coding["system"] = default_system
    if code:
        coding["code"] = code
    if display:
        coding["display"] = display
    concept: dict[str, Any] = {"coding": [coding]}
    if display:
        concept["text"] = display
    return concept


def stable_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def patient_from_pid(fields: list[str], *, patient_fhir_id: str, system: str) -> dict[str, Any]:
    patient_id = _field(fields, 3).split("^")[0]
    names = []
    for repetition in _field(fields, 5).split("~"):
        family, given = _component(repetition, 1), _component(repetition, 2)
        kind = repetition.rstrip("^").split("^")[-1]  # I (漢字) / P (カナ) / A, last component
        if not (family or given):
            continue
        name: dict[str, Any] = {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation",
                    "valueCode": "SYL" if kind == "P" else "IDE",
                }
            ],
            "use": "official",
            "text": f"{family} {given}".strip(),
        }
        if family:
            name["family"] = family
        if given:
            name["given"] = [given]
        names.append(name)
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_fhir_id,
        "identifier": [{"system": system, "value": patient_id}],
        "name": names,
    }
    sex = {"M": "male", "F": "female", "O": "other", "U": "unknown"}.get(_field(fields, 8))
    if sex:
        resource["gender"] = sex
    born = hl7_datetime(_field(fields, 7))
    if born:
        resource["birthDate"] = born[:10]
    telecom = []
    for index, use in ((13, "home"), (14, "work")):
        for repetition in _field(fields, index).split("~"):
            number = _component(repetition, 12) or _component(repetition, 1)
            if number:
                telecom.append({"system": "phone", "value": number, "use": use})
    if telecom:
        resource["telecom"] = telecom
    address = _field(fields, 11)
    if address.strip("^"):
        entry: dict[str, Any] = {}
        if _component(address, 5):
            entry["postalCode"] = _component(address, 5)
        if _component(address, 8):
            entry["text"] = _component(address, 8)
        if _component(address, 6):
            entry["country"] = _component(address, 6)
        if entry:
            resource["address"] = [entry]
    return resource


ALLERGY_CATEGORY = {"DA": "medication", "FA": "food", "LA": "environment", "PA": "environment"}


def parse_file(path: Path, *, root: Path, facility_key: str, system: str) -> ParsedFile:
    relative = str(path.relative_to(root))
    match = FILE_NAME.match(path.name)
    parsed = ParsedFile(patient_id="", data_type="", order="", flag="1")
    if match is None:
        parsed.problems.append(Problem(relative, 0, "file name does not follow SS-MIX2 rules"))
        return parsed
    parsed.patient_id, parsed.data_type = match["patient"], match["type"]
    parsed.order, parsed.flag = match["order"], match["flag"]
    try:
        segments = read_message(path)
    except (UnicodeDecodeError, ValueError) as error:
        parsed.problems.append(Problem(relative, 0, f"not ISO-2022-JP text: {error}"))
        return parsed
    if not segments or not segments[0].startswith("MSH|"):
        parsed.problems.append(Problem(relative, 1, "first segment is not MSH"))
        return parsed
    patient_fhir_id = "ss-" + stable_id(facility_key, parsed.patient_id)[:24]
    patient_ref = {"reference": f"Patient/{patient_fhir_id}"}
    order_time: str | None = None
    specimen_time: str | None = None
    category = ""
    ordinal = 0
    for line, segment in enumerate(segments, start=1):
        fields = segment.split("|")
        name = fields[0]
        if not re.fullmatch(r"[A-Z][A-Z0-9]{2}", name):
            parsed.problems.append(Problem(relative, line, f"malformed segment: {segment[:40]!r}"))
            continue
        key = f"{parsed.patient_id}:{parsed.data_type}:{parsed.order}:{line}"
        ordinal += 1
        try:
            if name == "PID":
                if _field(fields, 3).split("^")[0] != parsed.patient_id:
                    parsed.problems.append(
                        Problem(relative, line, "PID-3 does not match the file's patient id")
                    )
                    continue
                parsed.patient = patient_from_pid(
                    fields, patient_fhir_id=patient_fhir_id, system=system
                )
            elif name == "ORC":
                order_time = hl7_datetime(_field(fields, 9)) or order_time
                category = _component(_field(fields, 29), 1) or category
            elif name == "OBR":
                specimen_time = hl7_datetime(_field(fields, 7)) or specimen_time
            elif name == "AL1" and parsed.data_type == "ADT-00":  # orders repeat AL1
                parsed.resources.append((key, _allergy(fields, patient_ref, facility_key, key)))
            elif name == "OBX" and parsed.data_type in ("ADT-00", "OML-11"):
                observation = _observation(
                    fields,
                    patient_ref,
                    facility_key,
                    key,
                    parsed.data_type,
                    specimen_time or order_time,
                )
                parsed.resources.append((key, observation))
            elif name == "PRB":
                parsed.resources.append((key, _condition(fields, patient_ref, facility_key, key)))
            elif name == "RXE":
                components = [s.split("|") for s in segments[line:] if s.startswith("RXC|")]
                parsed.resources.append(
                    (
                        key,
                        _medication(
                            fields,
                            components,
                            segments,
                            patient_ref,
                            facility_key,
                            key,
                            order_time,
                            category,
                        ),
                    )
                )
            elif name == "PV1" and parsed.data_type in {"ADT-12", "ADT-22", "ADT-52"}:
                parsed.resources.append(
                    (key, _encounter(fields, patient_ref, facility_key, parsed, key))
                )
        except (IndexError, ValueError) as error:
            parsed.problems.append(Problem(relative, line, f"{name}: {error}"))
    if parsed.patient is None:
        parsed.problems.append(Problem(relative, 0, "no usable PID segment"))
    return parsed


def _allergy(fields: list[str], patient: dict[str, str], facility: str, key: str) -> dict[str, Any]:
    kind = _component(_field(fields, 2), 1)
    if not _field(fields, 3):
        raise ValueError("AL1-3 (allergen) is empty")
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": "ss-" + stable_id(facility, key, "AllergyIntolerance"),
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "code": _concept(_field(fields, 3)),
        "patient": patient,
    }
    if kind in ALLERGY_CATEGORY:
        resource["category"] = [ALLERGY_CATEGORY[kind]]
    return resource


def _observation(
    fields: list[str],
    patient: dict[str, str],
    facility: str,
    key: str,
    data_type: str,
    when: str | None,
) -> dict[str, Any]:
    value_type, raw_value = _field(fields, 2), _field(fields, 5)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "ss-" + stable_id(facility, key, "Observation"),
        "status": "final" if _field(fields, 11) in ("F", "") else "preliminary",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory"
                        if data_type == "OML-11"
                        else "vital-signs"
                        if _component(_field(fields, 3), 1).startswith("9N")
                        else "laboratory",
                    }
                ]
            }
        ],
        "code": _concept(_field(fields, 3)),
        "subject": patient,
    }
    if when:
        resource["effectiveDateTime"] = when
    if value_type == "NM":
        unit = _field(fields, 6)
        quantity: dict[str, Any] = {"value": float(raw_value)}
        if _component(unit, 1):
            quantity["unit"] = _component(unit, 1)
        resource["valueQuantity"] = quantity
    elif value_type in ("CWE", "CE"):
        resource["valueCodeableConcept"] = _concept(raw_value)
    elif raw_value:
        resource["valueString"] = raw_value
    return resource


def _condition(
    fields: list[str], patient: dict[str, str], facility: str, key: str
) -> dict[str, Any]:
    code = _concept(_field(fields, 3))
    icd = _field(fields, 10)
    if _component(icd, 1):
        code["coding"].append({"system": ICD10, "code": _component(icd, 1)})
    resolved = hl7_datetime(_field(fields, 9))
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": "ss-" + stable_id(facility, key, "Condition"),
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "resolved" if resolved else "active",
                }
            ]
        },
        "code": code,
        "subject": patient,
    }
    onset = hl7_datetime(_field(fields, 16)) or hl7_datetime(_field(fields, 7))
    if onset:
        resource["onsetDateTime"] = onset
    if resolved:
        resource["abatementDateTime"] = resolved
    recorded = hl7_datetime(_field(fields, 2))
    if recorded:
        resource["recordedDate"] = recorded
    return resource


def _medication(
    fields: list[str],
    components: list[list[str]],
    segments: list[str],
    patient: dict[str, str],
    facility: str,
    key: str,
    authored: str | None,
    category: str,
) -> dict[str, Any]:
    give = _field(fields, 2)
    concept = _concept(give)
    if components:  # injections: the drug is in RXC
        concept = _concept(_field(components[0], 2))
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "ss-" + stable_id(facility, key, "MedicationRequest"),
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": patient,
    }
    if category in ("I", "O"):
        resource["category"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                        "code": "inpatient" if category == "I" else "outpatient",
                    }
                ]
            }
        ]
    if authored:
        resource["authoredOn"] = authored
    dosage: dict[str, Any] = {}
    amount, unit = (
        _field(fields, 3),
        _component(_field(fields, 5), 2) or _component(_field(fields, 5), 1),
    )
    if amount:
        dosage["doseAndRate"] = [{"doseQuantity": {"value": float(amount), "unit": unit}}]
    timing = next((s.split("|") for s in segments if s.startswith("TQ1|")), None)
    if timing is not None:
        text = _field(timing, 3).split("&")
        if len(text) > 1 and text[1]:
            dosage["text"] = text[1]
        duration = _field(timing, 6)
        if _component(duration, 1).isdigit():
            resource["dispenseRequest"] = {
                "expectedSupplyDuration": {
                    "value": int(_component(duration, 1)),
                    "unit": "日",
                    "system": "http://unitsofmeasure.org",
                    "code": "d",
                }
            }
    route = next((s.split("|") for s in segments if s.startswith("RXR|")), None)
    if route is not None and _component(_field(route, 1), 2):
        dosage["route"] = {"text": _component(_field(route, 1), 2)}
    if dosage:
        resource["dosageInstruction"] = [dosage]
    return resource


def _encounter(
    fields: list[str], patient: dict[str, str], facility: str, parsed: ParsedFile, key: str
) -> dict[str, Any]:
    inpatient = _field(fields, 2) == "I"
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": "ss-" + stable_id(facility, key, "Encounter"),
        "status": "finished"
        if parsed.data_type == "ADT-52"
        else "in-progress"
        if parsed.data_type == "ADT-22"
        else "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "IMP" if inpatient else "AMB",
        },
        "subject": patient,
    }
    admitted = hl7_datetime(_field(fields, 44))
    discharged = hl7_datetime(_field(fields, 45))
    period: dict[str, str] = {}
    if admitted:
        period["start"] = admitted
    if discharged:
        period["end"] = discharged
    if period:
        resource["period"] = period
    return resource
