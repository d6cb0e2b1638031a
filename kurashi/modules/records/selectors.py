"""Reads of the records module: who may see whom (role + facility + consent or break-glass),
the patient index, summaries, the access log and the review queues."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kurashi.core.models import Membership, Organisation, User
from kurashi.core.permissions import grant_for, has_permission_anywhere
from kurashi.modules.records import crypto
from kurashi.modules.records.matching import Demographics
from kurashi.modules.records.models import (
    AccessLog,
    BreakGlass,
    Comment,
    Consent,
    LocalIdentifier,
    MatchReview,
    Person,
    Resource,
)

VIEW_CLINICAL = "records.view_clinical"
VIEW_MEDICATION = "records.view_medication"
BREAK_GLASS = "records.break_glass"
MANAGE_INDEX = "records.manage_index"
VIEW_AUDIT = "records.view_audit"
ADMINISTER = "records.administer_network"

# Resources about one patient (the patient compartment) that the API and summary serve.
CLINICAL_TYPES = frozenset(
    {
        "Patient",
        "AllergyIntolerance",
        "Condition",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "Immunization",
        "DocumentReference",
        "Encounter",
        "Procedure",
        "DiagnosticReport",
        "Composition",
        "Consent",
        "Device",
        "Specimen",
        "Provenance",
        "AuditEvent",
        "Bundle",
    }
)
# Least privilege: a pharmacist (薬剤師) sees what dispensing needs.
MEDICATION_TYPES = frozenset(
    {
        "Patient",
        "AllergyIntolerance",
        "MedicationRequest",
        "MedicationStatement",
        "Observation",
        "Condition",
        "Immunization",
    }
)
PURPOSE_TREATMENT = "TREAT"
PURPOSE_EMERGENCY = "ETREAT"
PURPOSE_PATIENT = "PATRQT"
PURPOSE_OPERATIONS = "HOPERAT"


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str  # resident | consent | break-glass | no-consent | role | anonymous
    purpose: str = ""
    facility_id: int | None = None
    break_glass_id: int | None = None


def current_person(person: Person) -> Person:
    """Follow merges to the surviving person."""
    seen = 0
    while person.merged_into_id is not None and seen < 50:
        person = Person.objects.get(pk=person.merged_into_id)
        seen += 1
    return person


def get_person(person_id: int) -> Person:
    return current_person(Person.objects.get(pk=person_id))


def person_demographics(person: Person) -> Demographics:
    data = crypto.unseal_json(person.demographics)
    if not isinstance(data, dict):
        raise TypeError("sealed JSON is not an object")
    return Demographics.from_json(data)


def identifier_value(identifier: LocalIdentifier) -> str:
    return crypto.unseal_text(identifier.value)


def person_for_user(user: User | Any) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    person = Person.objects.filter(resident=user).first()
    return current_person(person) if person else None


def _facilities(user: User | Any, permission: str) -> tuple[bool, frozenset[int]]:
    grant = grant_for(user, permission)
    return grant.everywhere, grant.organisation_ids


def clinical_facilities(user: User | Any, resource_type: str | None) -> tuple[bool, set[int]]:
    """(everywhere, facility ids) where `user` may read clinical data of this resource type."""
    everywhere, ids = _facilities(user, VIEW_CLINICAL)
    result = set(ids)
    if resource_type is None or resource_type in MEDICATION_TYPES:
        medication_everywhere, medication_ids = _facilities(user, VIEW_MEDICATION)
        everywhere = everywhere or medication_everywhere
        result |= medication_ids
    return everywhere, result


def active_consents(person: Person) -> QuerySet[Consent]:
    return Consent.objects.filter(person=person, status=Consent.Status.ACTIVE)


def consent_facility(person: Person, facility_ids: Iterable[int], everywhere: bool) -> int | None:
    """The first of `facility_ids` an active consent covers (0 for 'everywhere', None: none)."""
    ordered = sorted(facility_ids)
    for consent in active_consents(person).prefetch_related("facilities"):
        if consent.scope == Consent.Scope.ALL:
            if ordered:
                return ordered[0]
            if everywhere:
                return 0
        covered = {f.pk for f in consent.facilities.all()}
        for facility_id in ordered:
            if facility_id in covered:
                return facility_id
    return None


def active_break_glass(user: User | Any, person: Person) -> BreakGlass | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        BreakGlass.objects.filter(user=user, person=person, expires_at__gt=timezone.now())
        .order_by("-started_at")
        .first()
    )


def decide_access(
    user: User | Any, person: Person, *, resource_type: str | None = None
) -> AccessDecision:
    """May `user` read `person`'s record (of `resource_type`) now, and on which ground?"""
    if not getattr(user, "is_authenticated", False):
        return AccessDecision(False, "anonymous")
    if person.resident_id is not None and person.resident_id == user.pk:
        return AccessDecision(True, "resident", PURPOSE_PATIENT)
    if resource_type is not None and resource_type not in CLINICAL_TYPES:
        return AccessDecision(False, "role")
    everywhere, facilities = clinical_facilities(user, resource_type)
    if everywhere or facilities:
        facility = consent_facility(person, facilities, everywhere)
        if facility is not None:
            return AccessDecision(True, "consent", PURPOSE_TREATMENT, facility or None)
    glass = active_break_glass(user, person)
    if glass is not None:
        return AccessDecision(True, "break-glass", PURPOSE_EMERGENCY, glass.facility_id, glass.pk)
    if not (everywhere or facilities) and not has_permission_anywhere(user, BREAK_GLASS):
        return AccessDecision(False, "role")
    return AccessDecision(False, "no-consent", "", min(facilities) if facilities else None)


def accessible_person_ids(user: User | Any, resource_type: str | None) -> Q:
    """A filter on Person ids whose records `user` may read (for searches across patients)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    condition = Q(pk__in=[])
    own = Person.objects.filter(resident=user).values("pk")
    condition |= Q(pk__in=own)
    everywhere, facilities = clinical_facilities(user, resource_type)
    if resource_type is None or resource_type in CLINICAL_TYPES:
        consents = Consent.objects.filter(status=Consent.Status.ACTIVE)
        if everywhere:
            condition |= Q(pk__in=consents.values("person_id"))
        elif facilities:
            covered = consents.filter(
                Q(scope=Consent.Scope.ALL) | Q(facilities__in=sorted(facilities))
            )
            condition |= Q(pk__in=covered.values("person_id"))
        glass = BreakGlass.objects.filter(user=user, expires_at__gt=timezone.now())
        condition |= Q(pk__in=glass.values("person_id"))
    return condition


def may_read_directory(user: User | Any) -> bool:
    """Organisations, practitioners, locations: for anyone working in the network."""
    return any(
        has_permission_anywhere(user, name)
        for name in (VIEW_CLINICAL, VIEW_MEDICATION, BREAK_GLASS, MANAGE_INDEX)
    )


def is_clinician(user: User | Any) -> bool:
    return any(
        has_permission_anywhere(user, name)
        for name in (VIEW_CLINICAL, VIEW_MEDICATION, BREAK_GLASS)
    )


def roles_in(user: User | Any, facility_id: int | None) -> str:
    if not getattr(user, "is_authenticated", False):
        return ""
    memberships = Membership.objects.filter(user=user)
    if facility_id:
        memberships = memberships.filter(organisation_id=facility_id)
    return ",".join(sorted({m.role.code for m in memberships.select_related("role")}))[:200]


def facility_label(facility_id: int | None) -> str:
    if not facility_id:
        return ""
    organisation = Organisation.objects.filter(pk=facility_id).first()
    return organisation.name_ja if organisation else ""


def resource_json(resource: Resource) -> dict[str, Any]:
    data = crypto.unseal_json(resource.payload)
    if not isinstance(data, dict):
        raise TypeError("sealed JSON is not an object")
    return data


def person_resources(person: Person) -> QuerySet[Resource]:
    """Every resource of the person, from every facility (through their local identifiers)."""
    identifiers = list(LocalIdentifier.objects.filter(person=person).values_list("pk", flat=True))
    return Resource.objects.filter(patient_id__in=identifiers)


@dataclass(frozen=True)
class SummaryEntry:
    when: datetime | None
    resource_type: str
    fhir_id: str
    text: str
    facility: str


def _display(data: dict[str, Any]) -> str:
    for key in ("code", "medicationCodeableConcept", "vaccineCode", "type"):
        concept = data.get(key)
        if isinstance(concept, dict):
            if concept.get("text"):
                return str(concept["text"])
            for coding in concept.get("coding", []):
                if coding.get("display"):
                    return str(coding["display"])
                if coding.get("code"):
                    return str(coding["code"])
    if data.get("description"):
        return str(data["description"])
    return str(data.get("resourceType", ""))


def _value(data: dict[str, Any]) -> str:
    quantity = data.get("valueQuantity")
    if isinstance(quantity, dict) and "value" in quantity:
        return f"{quantity['value']} {quantity.get('unit', '')}".strip()
    if data.get("valueString"):
        return str(data["valueString"])
    concept = data.get("valueCodeableConcept")
    if isinstance(concept, dict):
        codings = [c for c in concept.get("coding", []) if isinstance(c, dict)]
        return str(concept.get("text") or (codings[0].get("code", "") if codings else ""))
    return ""


def person_summary(
    person: Person, *, resource_types: Iterable[str] | None = None
) -> list[SummaryEntry]:
    """The time-ordered patient summary for clinicians (newest first), across facilities."""
    rows = person_resources(person).exclude(resource_type="Patient").select_related("facility")
    if resource_types is not None:
        rows = rows.filter(resource_type__in=list(resource_types))
    entries = []
    for row in rows.order_by("-occurred_at", "-pk")[:500]:
        data = resource_json(row)
        text = _display(data)
        value = _value(data)
        entries.append(
            SummaryEntry(
                when=row.occurred_at,
                resource_type=row.resource_type,
                fhir_id=row.fhir_id,
                text=f"{text}: {value}" if value else text,
                facility=row.facility.name_ja if row.facility else "",
            )
        )
    return entries


def list_accesses_for_person(person: Person) -> QuerySet[AccessLog]:
    ids = [person.pk, *Person.objects.filter(merged_into=person).values_list("pk", flat=True)]
    return AccessLog.objects.filter(person_id_value__in=ids).order_by("-pk")


def list_pending_reviews() -> QuerySet[MatchReview]:
    return (
        MatchReview.objects.filter(state=MatchReview.State.PENDING)
        .select_related("identifier__facility", "candidate")
        .order_by("-score", "pk")
    )


def list_overdue_break_glass(now: datetime | None = None) -> QuerySet[BreakGlass]:
    """Break-glass accesses past their due time (or already flagged) still lacking consent or a
    documented reason."""
    return BreakGlass.objects.filter(
        Q(due_at__lt=now or timezone.now()) | Q(flagged_at__isnull=False),
        resolution=BreakGlass.Resolution.PENDING,
    ).select_related("user", "facility")


def list_comments_for_facilities(facility_ids: Iterable[int]) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(to_facility_id__in=list(facility_ids))
        .select_related("author", "author_facility", "to_facility")
        .order_by("-created_at")
    )


def find_person_by_identifier(*, facility_id: int, system: str, value: str) -> Person | None:
    identifier = LocalIdentifier.objects.filter(
        facility_id=facility_id, system=system, value_token=crypto.token("identifier", value)
    ).first()
    return current_person(identifier.person) if identifier else None


def access_review_report(year: int) -> dict[str, Any]:
    """The yearly access review (MHLW 6.0): who read how much, where, why; denials and
    break-glass."""
    rows = AccessLog.objects.filter(at__year=year)
    by_user = list(
        rows.values("username", "roles").annotate(total=Count("id")).order_by("-total")[:200]
    )
    by_facility = list(
        rows.values("facility_label").annotate(total=Count("id")).order_by("-total")[:200]
    )
    purposes = Counter(rows.values_list("purpose", flat=True))
    return {
        "total": rows.count(),
        "denied": rows.exclude(outcome="0").count(),
        "break_glass": rows.filter(action="break-glass", outcome="0").count(),
        "overdue": BreakGlass.objects.filter(
            started_at__year=year, flagged_at__isnull=False
        ).count(),
        "by_user": by_user,
        "by_facility": by_facility,
        "purposes": sorted(purposes.items()),
        "generated": timezone.localdate(),
    }


def count_linked_persons() -> int:
    """Persons known to two or more facilities (the point of the regional index)."""
    return (
        Person.objects.filter(merged_into__isnull=True)
        .annotate(facilities=Count("identifiers__facility", distinct=True))
        .filter(facilities__gte=2)
        .count()
    )


def overdue_health() -> tuple[bool, dict[str, Any]]:
    """Health: no break-glass left unflagged past its due time (the watcher runs)."""
    unflagged = list_overdue_break_glass().filter(flagged_at__isnull=True).count()
    return unflagged == 0, {"overdue_unflagged": unflagged}
