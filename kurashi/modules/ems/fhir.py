"""FHIR R4 JSON for hospitals (Organization), their acceptance (HealthcareService with a small
extension), ambulances (Location), cases (Encounter with the timeline) and inquiries (Task).

Plain dicts, checked against fhir.resources' R4B models in the tests. Extension and code system
URLs under https://kurashi.example.jp/fhir/ are Kurashi's own (documented in docs/ems.md)."""

from datetime import datetime
from typing import Any

from kurashi.modules.ems.models import DEPARTMENT_SYSTEM, Ambulance, Case, Hospital, Inquiry
from kurashi.modules.ems.selectors import StatusView, department_label

BASE = "https://kurashi.example.jp/fhir"
ACCEPTANCE_EXTENSION = f"{BASE}/StructureDefinition/ems-acceptance-status"
ACCEPTANCE_SYSTEM = f"{BASE}/CodeSystem/ems-acceptance-status"
REFUSAL_SYSTEM = f"{BASE}/CodeSystem/ems-refusal-reason"
CATEGORY_SYSTEM = f"{BASE}/CodeSystem/ems-symptom-category"
TIMELINE_EXTENSION = f"{BASE}/StructureDefinition/ems-timeline"
INSTITUTION_SYSTEM = "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no"
TASK_STATUS = {
    Inquiry.Result.PENDING: "requested",
    Inquiry.Result.ACCEPTED: "accepted",
    Inquiry.Result.REFUSED: "rejected",
    Inquiry.Result.CALLBACK: "on-hold",
    Inquiry.Result.WITHDRAWN: "cancelled",
}
ENCOUNTER_STATUS = {
    Case.State.OPEN: "arrived",
    Case.State.DECIDED: "in-progress",
    Case.State.ARRIVED: "finished",
    Case.State.CLOSED: "finished",
    Case.State.CANCELLED: "cancelled",
}


def _instant(value: datetime) -> str:
    return value.isoformat()


def organization(hospital: Hospital) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": f"hospital-{hospital.pk}",
        "active": hospital.organisation.is_active,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ]
            }
        ],
        "name": hospital.organisation.name_ja,
        "alias": [hospital.organisation.name_en] if hospital.organisation.name_en else [],
    }
    if hospital.institution_code:
        resource["identifier"] = [
            {"system": INSTITUTION_SYSTEM, "value": hospital.institution_code}
        ]
    if hospital.hotline:
        resource["telecom"] = [{"system": "phone", "value": hospital.hotline, "use": "work"}]
    return resource


def healthcare_service(hospital: Hospital, status: StatusView) -> dict[str, Any]:
    """One department (or symptom category) of a hospital with its acceptance as crews see it."""
    extension: list[dict[str, Any]] = [
        {
            "url": "status",
            "valueCoding": {"system": ACCEPTANCE_SYSTEM, "code": status.status or "unknown"},
        },
        {"url": "inferred", "valueBoolean": status.is_inferred},
    ]
    if status.reason:
        extension.append(
            {"url": "reason", "valueCoding": {"system": REFUSAL_SYSTEM, "code": status.reason}}
        )
    if status.valid_until:
        extension.append({"url": "validUntil", "valueDateTime": _instant(status.valid_until)})
    if status.updated_at:
        extension.append({"url": "updatedAt", "valueDateTime": _instant(status.updated_at)})
    is_department = status.key.isalnum() and len(status.key) <= 3
    coding = (
        {"system": DEPARTMENT_SYSTEM, "code": status.key, "display": department_label(status.key)}
        if is_department
        else {"system": CATEGORY_SYSTEM, "code": status.key, "display": status.label}
    )
    return {
        "resourceType": "HealthcareService",
        "id": f"hospital-{hospital.pk}-{status.key}",
        "extension": [{"url": ACCEPTANCE_EXTENSION, "extension": extension}],
        "active": True,
        "providedBy": {"reference": f"Organization/hospital-{hospital.pk}"},
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/service-category",
                        "code": "14",
                        "display": "Emergency Department",
                    }
                ]
            }
        ],
        "specialty": [{"coding": [coding]}],
        "name": f"{hospital.organisation.name_ja} {status.label}",
    }


def hospital_location_id(hospital_id: int) -> str:
    """The one id of a hospital's Location: Encounter.hospitalization.destination points here and
    the Location export lists it."""
    return f"hospital-{hospital_id}"


def hospital_location(hospital: Hospital) -> dict[str, Any]:
    """The hospital as a place (the destination of an Encounter), managed by its Organization."""
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": hospital_location_id(hospital.pk),
        "status": "active" if hospital.organisation.is_active else "inactive",
        "name": hospital.organisation.name_ja,
        "mode": "instance",
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                        "code": "HOSP",
                        "display": "Hospital",
                    }
                ]
            }
        ],
        "physicalType": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                    "code": "bu",
                    "display": "Building",
                }
            ]
        },
        "position": {"latitude": hospital.latitude, "longitude": hospital.longitude},
        "managingOrganization": {"reference": f"Organization/hospital-{hospital.pk}"},
    }
    if hospital.organisation.name_en:
        resource["alias"] = [hospital.organisation.name_en]
    if hospital.hotline:
        resource["telecom"] = [{"system": "phone", "value": hospital.hotline, "use": "work"}]
    return resource


def ambulance_location(ambulance: Ambulance) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": f"ambulance-{ambulance.pk}",
        "status": "active",
        "name": ambulance.call_sign,
        "mode": "kind",
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                        "code": "AMB",
                        "display": "Ambulance",
                    }
                ]
            }
        ],
        "physicalType": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                    "code": "ve",
                    "display": "Vehicle",
                }
            ]
        },
        "managingOrganization": {"display": ambulance.fire_hq.name_ja},
    }
    if ambulance.latitude is not None and ambulance.longitude is not None:
        resource["position"] = {"latitude": ambulance.latitude, "longitude": ambulance.longitude}
    return resource


def encounter(case: Case) -> dict[str, Any]:
    """The case as an emergency Encounter: period 入電 → 病院着, the timeline as an extension,
    the destination as hospitalization.destination. No patient identity is exported."""
    timeline = [
        ("called", case.called_at),
        ("on-scene", case.on_scene_at),
        ("patient-contact", case.contact_at),
        ("loaded", case.loaded_at),
        ("left-scene", case.left_scene_at),
        ("arrived-destination", case.arrived_hospital_at),
    ]
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": f"case-{case.public_id}",
        "identifier": [{"system": f"{BASE}/ems-case", "value": str(case.public_id)}],
        "status": ENCOUNTER_STATUS[Case.State(case.state)],
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "EMER",
            "display": "emergency",
        },
        "reasonCode": [
            {
                "coding": [{"system": CATEGORY_SYSTEM, "code": case.category}],
                "text": case.get_category_display(),
            }
        ],
        "serviceProvider": {"display": case.fire_hq.name_ja},
        "extension": [
            {
                "url": TIMELINE_EXTENSION,
                "extension": [
                    {"url": name, "valueDateTime": _instant(at)} for name, at in timeline if at
                ],
            }
        ]
        if any(at for _name, at in timeline)
        else [],
    }
    if not resource["extension"]:
        del resource["extension"]
    if case.called_at:
        period: dict[str, str] = {"start": _instant(case.called_at)}
        if case.arrived_hospital_at:
            period["end"] = _instant(case.arrived_hospital_at)
        resource["period"] = period
    if case.destination_id:
        resource["hospitalization"] = {
            "destination": {"reference": f"Location/{hospital_location_id(case.destination_id)}"}
        }
    return resource


def task(inquiry: Inquiry) -> dict[str, Any]:
    """An inquiry (照会) as a Task; a parallel request shares one groupIdentifier."""
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": f"inquiry-{inquiry.pk}",
        "status": TASK_STATUS[Inquiry.Result(inquiry.result)],
        "intent": "order",
        "priority": "stat",
        "code": {"text": "受入れ照会"},
        "focus": {"reference": f"Encounter/case-{inquiry.case.public_id}"},
        "owner": {"reference": f"Organization/hospital-{inquiry.hospital_id}"},
        "authoredOn": _instant(inquiry.requested_at),
        "input": [
            {
                "type": {"text": "channel"},
                "valueCode": inquiry.channel,
            }
        ],
    }
    if inquiry.request_group:
        resource["groupIdentifier"] = {
            "system": f"{BASE}/ems-request-group",
            "value": str(inquiry.request_group),
        }
    if inquiry.answered_at:
        resource["lastModified"] = _instant(inquiry.answered_at)
    if inquiry.refusal_reason:
        resource["statusReason"] = {
            "coding": [{"system": REFUSAL_SYSTEM, "code": inquiry.refusal_reason}],
            "text": inquiry.get_refusal_reason_display(),
        }
    return resource
