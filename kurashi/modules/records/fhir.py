"""FHIR R4 helpers of the records module (pure: no database).

What to index for search (as keyed tokens), when a resource happened, which patient it is about,
JP Core patient demographics (names IDE/SYL by iso21090-EN-representation), and the canonical JSON
used to compare resources. Kurashi's own URLs are under https://kurashi.example.jp/fhir/ like the
ems module's; documented in docs/records.md."""

import json
import re
from datetime import UTC, date, datetime, time
from typing import Any

from kurashi.modules.records.matching import Demographics, normalise_kana, normalise_kanji

BASE = "https://kurashi.example.jp/fhir"
REGIONAL_ID_SYSTEM = f"{BASE}/NamingSystem/regional-patient-id"
REPRESENTATION = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"
JP_PATIENT_ID_PREFIX = "urn:oid:1.2.392.100495.20.3.51.1"
# Where the patient reference of each type lives (the Patient compartment, simplified).
PATIENT_FIELDS = ("subject", "patient", "beneficiary", "individual")
DATE_FIELDS = (
    "effectiveDateTime",
    "effectiveInstant",
    "effectivePeriod",
    "onsetDateTime",
    "onsetPeriod",
    "occurrenceDateTime",
    "authoredOn",
    "recordedDate",
    "performedDateTime",
    "performedPeriod",
    "period",
    "issued",
    "dateTime",
    "date",
    "recorded",
    "created",
    "dateAsserted",
)
CODE_FIELDS = ("code", "vaccineCode", "medicationCodeableConcept", "type")
REFERENCE_PARAMETERS = {
    "patient": ("subject", "patient", "beneficiary"),
    "subject": ("subject",),
    "encounter": ("encounter", "context"),
    "requester": ("requester",),
    "performer": ("performer",),
    "asserter": ("asserter",),
    "recorder": ("recorder",),
    "author": ("author",),
    "organization": ("managingOrganization", "organization"),
    "general-practitioner": ("generalPractitioner",),
}


def canonical(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def parse_fhir_datetime(value: str) -> datetime | None:
    """A FHIR date/dateTime/instant (possibly partial) as an aware datetime at its start."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            return datetime(int(value), 1, 1, tzinfo=UTC)
        if re.fullmatch(r"\d{4}-\d{2}", value):
            return datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=UTC)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def occurred_at(resource: dict[str, Any]) -> datetime | None:
    for name in DATE_FIELDS:
        value = resource.get(name)
        if isinstance(value, dict):
            value = value.get("start") or value.get("end")
        if isinstance(value, str) and (parsed := parse_fhir_datetime(value)):
            return parsed
    context = resource.get("context")
    if isinstance(context, dict) and isinstance(context.get("period"), dict):
        start = context["period"].get("start")
        if isinstance(start, str):
            return parse_fhir_datetime(start)
    return None


def _references(value: object) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        found.append(value["reference"])
    elif isinstance(value, list):
        for item in value:
            found.extend(_references(item))
    return found


def references_of(resource: dict[str, Any], parameter: str) -> list[str]:
    found: list[str] = []
    for name in REFERENCE_PARAMETERS.get(parameter, ()):
        value = resource.get(name)
        found.extend(_references(value))
        if isinstance(value, list):  # performer: [{actor: {...}}]
            for item in value:
                if isinstance(item, dict):
                    found.extend(_references(item.get("actor")))
    return found


def patient_reference(resource: dict[str, Any]) -> str | None:
    """'Patient/<id>' this resource is about, or None."""
    if resource.get("resourceType") == "Patient":
        return f"Patient/{resource.get('id', '')}"
    for name in PATIENT_FIELDS:
        for reference in _references(resource.get(name)):
            if reference.startswith(("Patient/", "urn:uuid:")):
                return reference
    return None


def _codings(concept: object) -> list[dict[str, Any]]:
    if isinstance(concept, list):
        return [c for item in concept for c in _codings(item)]
    if isinstance(concept, dict):
        codings = concept.get("coding")
        return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
    return []


def name_forms(value: str) -> str:
    return normalise_kana(value).lower()


def search_values(resource: dict[str, Any]) -> set[tuple[str, str]]:
    """(parameter, exact value) pairs to index; tokens are keyed hashes of these."""
    values: set[tuple[str, str]] = set()
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            values.add(("identifier", str(identifier["value"])))
            if identifier.get("system"):
                values.add(("identifier", f"{identifier['system']}|{identifier['value']}"))
    for name in CODE_FIELDS:
        for coding in _codings(resource.get(name)):
            if coding.get("code"):
                values.add(("code", str(coding["code"])))
                if coding.get("system"):
                    values.add(("code", f"{coding['system']}|{coding['code']}"))
    for coding in _codings(resource.get("category")):
        if coding.get("code"):
            values.add(("category", str(coding["code"])))
            if coding.get("system"):
                values.add(("category", f"{coding['system']}|{coding['code']}"))
    if isinstance(resource.get("status"), str):
        values.add(("status", resource["status"]))
    for coding in _codings(resource.get("clinicalStatus")):
        if coding.get("code"):
            values.add(("clinical-status", str(coding["code"])))
    if resource.get("resourceType") == "Patient":
        values |= _patient_values(resource)
    return values


def _patient_values(resource: dict[str, Any]) -> set[tuple[str, str]]:
    values: set[tuple[str, str]] = set()
    for name in resource.get("name") or []:
        if not isinstance(name, dict):
            continue
        family = str(name.get("family") or "")
        given = " ".join(str(g) for g in name.get("given") or [])
        if family:
            values.add(("family", name_forms(family)))
            values.add(("name", name_forms(family)))
        for part in name.get("given") or []:
            values.add(("given", name_forms(str(part))))
            values.add(("name", name_forms(str(part))))
        full = str(name.get("text") or f"{family}{given}")
        if full:
            values.add(("name", name_forms(full)))
    if resource.get("birthDate"):
        values.add(("birthdate", str(resource["birthDate"])))
    if resource.get("gender"):
        values.add(("gender", str(resource["gender"])))
    for telecom in resource.get("telecom") or []:
        if isinstance(telecom, dict) and telecom.get("value"):
            values.add(("telecom", re.sub(r"\D", "", str(telecom["value"])) or telecom["value"]))
    return values


def representation(name: dict[str, Any]) -> str:
    for extension in name.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == REPRESENTATION:
            return str(extension.get("valueCode") or "")
    return ""


def _name_text(name: dict[str, Any]) -> str:
    if name.get("text"):
        return str(name["text"])
    given = "".join(str(g) for g in name.get("given") or [])
    return f"{name.get('family') or ''}{given}"


def patient_demographics(resource: dict[str, Any]) -> Demographics:
    """Demographics of a (JP Core) Patient: IDE = kanji name, SYL = kana name."""
    from kurashi.modules.records.matching import romaji_to_katakana

    kanji = kana = ""
    latin = ""
    for name in resource.get("name") or []:
        if not isinstance(name, dict):
            continue
        kind = representation(name)
        if kind == "IDE" and not kanji:
            kanji = _name_text(name)
        elif kind == "SYL" and not kana:
            kana = _name_text(name)
        elif not kind and not latin and name.get("use") in (None, "official", "usual"):
            latin = (
                _name_text(name)
                if not name.get("given")
                else (" ".join(str(g) for g in name["given"]) + " " + str(name.get("family") or ""))
            )
    if latin and not kanji and not kana:
        if re.search(r"[A-Za-z]", latin):
            kana = romaji_to_katakana(
                " ".join(reversed(latin.split(" ", 1))) if " " in latin else latin
            )
        else:
            kanji = latin
    born = resource.get("birthDate")
    postal = ""
    address_text = ""
    for address in resource.get("address") or []:
        if isinstance(address, dict):
            postal = postal or str(address.get("postalCode") or "")
            address_text = address_text or str(
                address.get("text") or " ".join(address.get("line") or [])
            )
    phones = tuple(
        str(t["value"])
        for t in resource.get("telecom") or []
        if isinstance(t, dict) and t.get("system") == "phone" and t.get("value")
    )
    return Demographics(
        kanji_name=normalise_kanji(kanji),
        kana_name=kana,
        sex=str(resource.get("gender") or ""),
        birth_date=date.fromisoformat(born[:10])
        if isinstance(born, str) and len(born) >= 10
        else None,
        postal_code=postal,
        phones=phones,
        address=address_text,
    ).normalised()


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }
