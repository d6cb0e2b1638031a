"""The FHIR R4 endpoint (/fhir/R4/): CapabilityStatement, read, search with _include and paging,
Patient/$everything, Bundle upload. Every request is authorised by role + facility + consent (or
break-glass, or the resident's own record) and written to the hash-chained access log."""

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from kurashi.core.models import Organisation, User
from kurashi.core.permissions import grant_for, has_permission
from kurashi.modules.records import crypto, fhir, intake, selectors, services
from kurashi.modules.records.models import (
    AccessLog,
    LocalIdentifier,
    Person,
    Resource,
    ResourceToken,
)
from kurashi.modules.records.views.common import needs_second_factor, session_expired

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
DEFAULT_COUNT = 20
MAX_COUNT = 200
CONTROL_PARAMETERS = {"_count", "_cursor", "_include", "_format", "_pretty", "_total"}
TOKEN_PARAMETERS = {
    "identifier",
    "code",
    "category",
    "status",
    "clinical-status",
    "gender",
    "telecom",
    "name",
    "family",
    "given",
}
DATE_PARAMETERS = {"date", "onset-date", "authoredon", "recorded-date"}
SEARCHABLE = (
    "Patient",
    "AllergyIntolerance",
    "Condition",
    "Observation",
    "MedicationRequest",
    "DocumentReference",
    "Consent",
    "AuditEvent",
    "Encounter",
    "Immunization",
    "MedicationStatement",
    "Procedure",
    "Composition",
    "Bundle",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Location",
)
Handler = Callable[..., HttpResponse]


def respond(body: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(status: int, code: str, message: str) -> HttpResponse:
    return respond(fhir.operation_outcome(code, message), status=status)


def fhir_view(handler: Handler) -> Handler:
    """Authenticate (bearer token or session with 2FA for staff) and turn errors into
    OperationOutcome."""

    @csrf_exempt
    @wraps(handler)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        user: User | Any = None
        if header.lower().startswith("bearer "):
            user = services.authenticate_token(header[7:].strip())
            if user is None:
                return outcome(401, "login", "Invalid or revoked bearer token / トークンが無効です")
            request.user = user
            request.records_token = True  # type: ignore[attr-defined]
        else:
            if request.method != "GET":
                return outcome(
                    403, "security", "Use a bearer token to write / 書き込みにはトークンが必要です"
                )
            if session_expired(request):
                return outcome(401, "login", "Session timed out / セッションの有効期限が切れました")
            user = request.user
            if needs_second_factor(request, user):
                return outcome(
                    401, "login", "Two-factor authentication is required / 二要素認証が必要です"
                )
        try:
            return handler(request, *args, **kwargs)
        except PermissionDenied as error:
            return outcome(403, "forbidden", f"Access denied / アクセスできません ({error})")
        except ValidationError as error:
            return outcome(400, "invalid", "; ".join(error.messages))
        except Resource.DoesNotExist:
            return outcome(404, "not-found", "Resource not found / 見つかりません")

    return wrapper


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4/")


# --- authorisation of rows --------------------------------------------------------------------


def person_of(row: Resource) -> Person | None:
    if row.patient_id is None:
        return None
    return selectors.current_person(row.patient.person) if row.patient else None


def own_facility_clinical(user: Any, row: Resource) -> bool:
    """A facility always reads what it disclosed itself."""
    if row.facility_id is None:
        return False
    return has_permission(user, selectors.VIEW_CLINICAL, organisation_id=row.facility_id) or (
        row.resource_type in selectors.MEDICATION_TYPES
        and has_permission(user, selectors.VIEW_MEDICATION, organisation_id=row.facility_id)
    )


def authorise_row(request: HttpRequest, row: Resource, action: str) -> None:
    user = request.user
    if row.resource_type == "AuditEvent":  # an uploaded one; the access log is audit_scope()
        if not (
            grant_for(user, selectors.VIEW_AUDIT)
            or own_facility_clinical(user, row)
            or has_permission(user, selectors.MANAGE_INDEX, organisation_id=row.facility_id)
        ):
            raise PermissionDenied(selectors.VIEW_AUDIT)
        return
    if row.resource_type not in selectors.CLINICAL_TYPES:
        if not selectors.may_read_directory(user):
            raise PermissionDenied("directory")
        return
    person = person_of(row)
    if person is None:
        if own_facility_clinical(user, row) or bool(grant_for(user, selectors.ADMINISTER)):
            services.append_access(
                user=user,
                action=action,
                purpose=selectors.PURPOSE_TREATMENT,
                facility_id=row.facility_id,
                resource_type=row.resource_type,
                resource_id=row.fhir_id,
            )
            return
        raise PermissionDenied("records.view_clinical")
    decision = selectors.decide_access(user, person, resource_type=row.resource_type)
    if not decision.allowed and own_facility_clinical(user, row):
        decision = selectors.AccessDecision(
            True, "own-facility", selectors.PURPOSE_TREATMENT, row.facility_id
        )
    services.log_decision(
        user=user,
        person=person,
        decision=decision,
        action=action,
        resource_type=row.resource_type,
        resource_id=row.fhir_id,
    )
    if not decision.allowed:
        raise PermissionDenied(decision.reason)


def decision_for(
    request: HttpRequest, person: Person, resource_type: str | None
) -> selectors.AccessDecision:
    """decide_access(), remembered for the rest of the request."""
    memo: dict[tuple[int, str | None], selectors.AccessDecision] = request.__dict__.setdefault(
        "_records_decisions", {}
    )
    key = (person.pk, resource_type)
    if key not in memo:
        memo[key] = selectors.decide_access(request.user, person, resource_type=resource_type)
    return memo[key]


def _patient_persons(request: HttpRequest) -> set[int]:
    """The persons named by patient=/subject= (searches about one patient: the common case)."""
    found: set[int] = set()
    for name in ("patient", "subject"):
        for value in request.GET.getlist(name):
            for row in _patient_rows(value).select_related("patient__person"):
                if row.patient is not None:
                    found.add(selectors.current_person(row.patient.person).pk)
    return found


def _scope_to_patients(
    request: HttpRequest, rows: QuerySet[Resource], resource_type: str
) -> QuerySet[Resource]:
    """Authorise a search about named patients person by person (no scan of every consent)."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("anonymous")
    allowed = [
        pk
        for pk in sorted(_patient_persons(request))
        if decision_for(request, Person.objects.get(pk=pk), resource_type).allowed
    ]
    _everywhere, facilities = selectors.clinical_facilities(user, resource_type)
    condition = Q(patient__person_id__in=allowed)
    if facilities:
        condition |= Q(facility_id__in=sorted(facilities))
    return rows.filter(condition)


def scope_rows(
    request: HttpRequest, rows: QuerySet[Resource], resource_type: str
) -> QuerySet[Resource]:
    user = request.user
    if resource_type not in selectors.CLINICAL_TYPES:
        if not selectors.may_read_directory(user):
            raise PermissionDenied("directory")
        return rows
    persons = Person.objects.filter(selectors.accessible_person_ids(user, resource_type))
    condition = Q(patient__person__in=persons)
    _everywhere, facilities = selectors.clinical_facilities(user, resource_type)
    if facilities:
        condition |= Q(facility_id__in=sorted(facilities))
    managed = grant_for(user, selectors.MANAGE_INDEX).organisation_ids
    if resource_type == "Consent" and managed:  # the liaison office registers consents
        condition |= Q(patient__person__identifiers__facility_id__in=sorted(managed))
        return rows.filter(condition).distinct()
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("anonymous")
    return rows.filter(condition)


# --- AuditEvent (BALP) from the access log ----------------------------------------------------

SUBTYPES = {
    "read": ("read", "R"),
    "search": ("search-type", "E"),
    "everything": ("operation", "E"),
    "summary": ("read", "R"),
    "break-glass": ("operation", "E"),
    "export": ("operation", "E"),
}


def audit_event(row: AccessLog) -> dict[str, Any]:
    subtype, action = SUBTYPES.get(row.action, ("operation", "E"))
    agents: list[dict[str, Any]] = [
        {
            "type": {
                "coding": [
                    {
                        "system": "http://dicom.nema.org/resources/ontology/DCM",
                        "code": "110153",
                        "display": "Source Role ID",
                    }
                ]
            },
            "who": {"identifier": {"value": row.username}, "display": row.username},
            "requestor": True,
            "role": [{"text": row.roles}] if row.roles else [],
        }
    ]
    if row.facility_id_value:
        agents.append(
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass",
                            "code": "PROV",
                            "display": "healthcare provider",
                        }
                    ]
                },
                "who": {
                    "identifier": {
                        "system": f"{fhir.BASE}/NamingSystem/organisation",
                        "value": str(row.facility_id_value),
                    },
                    "display": row.facility_label or str(row.facility_id_value),
                },
                "requestor": False,
            }
        )
    for agent in agents:
        if not agent.get("role"):
            agent.pop("role", None)
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"log-{row.pk}",
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "Restful Operation",
        },
        "subtype": [
            {"system": "http://hl7.org/fhir/restful-interaction", "code": subtype},
            {"system": f"{fhir.BASE}/CodeSystem/records-access", "code": row.action},
        ],
        "action": action,
        "recorded": row.at.isoformat(),
        "outcome": row.outcome,
        "agent": agents,
        "source": {
            "observer": {"display": "Kurashi regional records"},
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "4",
                    "display": "Application Server",
                }
            ],
        },
    }
    if row.purpose:
        event["purposeOfEvent"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                        "code": row.purpose,
                    }
                ]
            }
        ]
    entities: list[dict[str, Any]] = []
    if row.person_id_value:
        entities.append(
            {
                "what": {
                    "identifier": {
                        "system": fhir.REGIONAL_ID_SYSTEM,
                        "value": str(row.person_id_value),
                    }
                },
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "1",
                    "display": "Person",
                },
                "role": {
                    "system": "http://terminology.hl7.org/CodeSystem/object-role",
                    "code": "1",
                    "display": "Patient",
                },
            }
        )
    if row.resource_type and row.resource_id:
        entities.append(
            {
                "what": {"reference": f"{row.resource_type}/{row.resource_id}"},
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "2",
                    "display": "System Object",
                },
            }
        )
    query = row.detail.get("query") if isinstance(row.detail, dict) else None
    if query:
        entities.append(
            {
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "2",
                },
                "role": {
                    "system": "http://terminology.hl7.org/CodeSystem/object-role",
                    "code": "24",
                },
                "query": base64.b64encode(str(query).encode()).decode(),
            }
        )
    if entities:
        event["entity"] = entities
    return event


def audit_scope(user: Any) -> QuerySet[AccessLog]:
    if grant_for(user, selectors.VIEW_AUDIT):
        return AccessLog.objects.all()
    person = selectors.person_for_user(user)
    if person is not None:
        return selectors.list_accesses_for_person(person)
    raise PermissionDenied(selectors.VIEW_AUDIT)


# --- handlers ---------------------------------------------------------------------------------


@fhir_view
def metadata(request: HttpRequest) -> HttpResponse:
    search_params = [
        {"name": "_id", "type": "token"},
        {"name": "_count", "type": "number"},
        {"name": "patient", "type": "reference"},
        {"name": "subject", "type": "reference"},
        {"name": "code", "type": "token"},
        {"name": "category", "type": "token"},
        {"name": "identifier", "type": "token"},
        {"name": "status", "type": "token"},
        {"name": "date", "type": "date"},
    ]
    patient_params = [
        {"name": "name", "type": "string", "documentation": "exact, kana or kanji, spaces ignored"},
        {"name": "family", "type": "string"},
        {"name": "given", "type": "string"},
        {"name": "birthdate", "type": "date"},
        {"name": "gender", "type": "token"},
        {"name": "identifier", "type": "token"},
        {"name": "telecom", "type": "token"},
        {"name": "_id", "type": "token"},
    ]
    resources = []
    for resource_type in SEARCHABLE:
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": patient_params if resource_type == "Patient" else search_params,
        }
        if resource_type != "Patient":
            entry["searchInclude"] = [
                f"{resource_type}:patient",
                f"{resource_type}:subject",
                f"{resource_type}:encounter",
            ]
        if resource_type == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    statement = {
        "resourceType": "CapabilityStatement",
        "id": "kurashi-records",
        "status": "active",
        "date": "2026-11-26",
        "publisher": "Kurashi",
        "kind": "instance",
        "implementation": {
            "description": "Kurashi regional clinical record sharing (plan 1.3)",
            "url": base_url(request),
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Consent-based access; break-glass for emergencies; every access audited (BALP).",
                "security": {
                    "description": "Bearer token (facility systems) or session with two-factor authentication.",
                },
                "resource": resources,
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
            }
        ],
    }
    return respond(statement)


def _resource_or_audit(request: HttpRequest, resource_type: str, fhir_id: str) -> dict[str, Any]:
    if resource_type == "AuditEvent" and fhir_id.startswith("log-"):
        row = (
            audit_scope(request.user)
            .filter(pk=int(fhir_id[4:]) if fhir_id[4:].isdigit() else 0)
            .first()
        )
        if row is None:
            raise Resource.DoesNotExist
        return audit_event(row)
    stored = Resource.objects.select_related("patient__person").get(
        resource_type=resource_type, fhir_id=fhir_id
    )
    authorise_row(request, stored, "read")
    return selectors.resource_json(stored)


@fhir_view
def read(request: HttpRequest, resource_type: str, fhir_id: str) -> HttpResponse:
    data = _resource_or_audit(request, resource_type, fhir_id)
    return respond(data)


def _date_filter(rows: QuerySet[Resource], value: str) -> QuerySet[Resource]:
    prefix = value[:2] if value[:2] in {"eq", "ge", "le", "gt", "lt"} else "eq"
    moment = fhir.parse_fhir_datetime(value[2:] if value[:2] == prefix else value)
    if moment is None:
        raise ValidationError(f"Invalid date: {value} / 日付が正しくありません")
    if prefix == "eq":
        end = moment + (
            timedelta(days=1) if len(value.lstrip("eqgtl")) <= 10 else timedelta(seconds=1)
        )
        return rows.filter(occurred_at__gte=moment, occurred_at__lt=end)
    lookup = {"ge": "gte", "le": "lte", "gt": "gt", "lt": "lt"}[prefix]
    return rows.filter(**{f"occurred_at__{lookup}": moment})


def _patient_rows(value: str) -> QuerySet[Resource]:
    fhir_id = value.split("/")[-1]
    return Resource.objects.filter(resource_type="Patient", fhir_id=fhir_id)


def apply_parameters(
    request: HttpRequest, rows: QuerySet[Resource], resource_type: str
) -> QuerySet[Resource]:
    for name, values in request.GET.lists():
        if name in CONTROL_PARAMETERS:
            continue
        base, _sep, modifier = name.partition(":")
        for value in values:
            if base == "_id":
                rows = rows.filter(fhir_id__in=value.split(","))
            elif base in ("patient", "subject"):
                patients = list(_patient_rows(value).select_related("patient"))
                persons = [p.patient.person_id for p in patients if p.patient]
                person_ids = {
                    selectors.current_person(Person.objects.get(pk=pk)).pk for pk in persons
                }
                identifiers = LocalIdentifier.objects.filter(person_id__in=sorted(person_ids))
                rows = rows.filter(patient_id__in=list(identifiers.values_list("pk", flat=True)))
            elif base in DATE_PARAMETERS or (base == "birthdate" and resource_type != "Patient"):
                rows = _date_filter(rows, value)
            elif base in TOKEN_PARAMETERS or base == "birthdate":
                forms = [
                    fhir.name_forms(v) if base in ("name", "family", "given") else v
                    for v in value.split(",")
                ]
                tokens = [crypto.token(base, v) for v in forms]
                rows = rows.filter(
                    pk__in=ResourceToken.objects.filter(parameter=base, token__in=tokens).values(
                        "resource_id"
                    )
                )
            else:
                raise ValidationError(
                    f"Unsupported search parameter: {name} / 未対応の検索パラメータです"
                )
        del modifier
    return rows


def _count(request: HttpRequest) -> int:
    raw = request.GET.get("_count", "")
    if not raw:
        return DEFAULT_COUNT
    if not raw.isdigit():
        raise ValidationError("_count must be a number / _count は数値です")
    return max(1, min(int(raw), MAX_COUNT))


def _page(rows: QuerySet[Resource], request: HttpRequest) -> tuple[list[Resource], int | None]:
    cursor = request.GET.get("_cursor", "")
    if cursor:
        if not cursor.isdigit():
            raise ValidationError("Invalid _cursor / ページ指定が正しくありません")
        rows = rows.filter(pk__gt=int(cursor))
    count = _count(request)
    page = list(rows.order_by("pk").select_related("patient__person")[: count + 1])
    if len(page) > count:
        return page[:count], page[count - 1].pk
    return page, None


def _link(request: HttpRequest, path: str, cursor: int | None) -> str:
    params = [(k, v) for k, values in request.GET.lists() for v in values if k != "_cursor"]
    if cursor is not None:
        params.append(("_cursor", str(cursor)))
    query = urlencode(params)
    return f"{base_url(request)}{path}" + (f"?{query}" if query else "")


def _includes(request: HttpRequest, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    included: dict[str, dict[str, Any]] = {}
    for spec in request.GET.getlist("_include"):
        parts = spec.split(":")
        if len(parts) < 2:
            raise ValidationError(f"Invalid _include: {spec}")
        parameter, target = parts[1], parts[2] if len(parts) > 2 else None
        for resource in page:
            for reference in fhir.references_of(resource, parameter):
                kind, _sep, fhir_id = reference.partition("/")
                if not fhir_id or (target and kind != target) or reference in included:
                    continue
                row = Resource.objects.filter(resource_type=kind, fhir_id=fhir_id).first()
                if row is None:
                    continue
                try:
                    authorise_row(request, row, "read")
                except PermissionDenied:
                    continue
                included[reference] = selectors.resource_json(row)
    return list(included.values())


def _bundle(
    request: HttpRequest,
    path: str,
    matches: list[dict[str, Any]],
    includes: list[dict[str, Any]],
    next_cursor: int | None,
) -> dict[str, Any]:
    base = base_url(request)
    links = [
        {
            "relation": "self",
            "url": _link(request, path, None)
            if not request.GET.get("_cursor")
            else request.build_absolute_uri(),
        }
    ]
    if next_cursor is not None:
        links.append({"relation": "next", "url": _link(request, path, next_cursor)})
    entries = [
        {
            "fullUrl": f"{base}{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in matches
    ] + [
        {
            "fullUrl": f"{base}{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "include"},
        }
        for r in includes
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(),
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _log_page(request: HttpRequest, page: list[Resource], action: str) -> None:
    """One access-log row per patient in the page (so each resident sees the search)."""
    user = request.user
    seen: set[int] = set()
    query = request.META.get("QUERY_STRING", "")[:500]
    for row in page:
        person = person_of(row)
        if person is None or person.pk in seen:
            continue
        seen.add(person.pk)
        decision = decision_for(request, person, row.resource_type)
        if not decision.allowed:  # reached through the own-facility rule
            decision = selectors.AccessDecision(
                True, "own-facility", selectors.PURPOSE_TREATMENT, row.facility_id
            )
        services.log_decision(
            user=user,
            person=person,
            decision=decision,
            action=action,
            resource_type=row.resource_type,
            detail={"query": query},
        )
    if not seen:
        services.append_access(
            user=user,
            action=action,
            purpose=selectors.PURPOSE_TREATMENT,
            resource_type=page[0].resource_type if page else "",
            detail={"query": query},
        )


@fhir_view
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    if resource_type not in SEARCHABLE:
        return outcome(404, "not-supported", f"{resource_type} is not served here / 未対応です")
    if resource_type == "AuditEvent":
        return _search_audit(request)
    rows = Resource.objects.filter(resource_type=resource_type)
    if resource_type in selectors.CLINICAL_TYPES and _patient_persons(request):
        rows = _scope_to_patients(request, rows, resource_type)
    else:
        rows = scope_rows(request, rows, resource_type)
    rows = apply_parameters(request, rows, resource_type)
    page, next_cursor = _page(rows, request)
    _log_page(request, page, "search")
    matches = [selectors.resource_json(row) for row in page]
    return respond(
        _bundle(request, resource_type, matches, _includes(request, matches), next_cursor)
    )


def _search_audit(request: HttpRequest) -> HttpResponse:
    rows = audit_scope(request.user)
    for name, values in request.GET.lists():
        if name in CONTROL_PARAMETERS:
            continue
        for value in values:
            if name == "patient":
                fhir_id = value.split("/")[-1]
                row = Resource.objects.filter(resource_type="Patient", fhir_id=fhir_id).first()
                person_id = row.patient.person_id if row and row.patient else 0
                rows = rows.filter(person_id_value=person_id)
            elif name == "date":
                moment = fhir.parse_fhir_datetime(value[2:] if value[:2] in ("ge", "le") else value)
                if moment is None:
                    raise ValidationError(f"Invalid date: {value}")
                rows = (
                    rows.filter(at__gte=moment)
                    if value.startswith("ge")
                    else rows.filter(at__lte=moment)
                )
            elif name == "outcome":
                rows = rows.filter(outcome=value)
            else:
                raise ValidationError(f"Unsupported search parameter: {name}")
    cursor = request.GET.get("_cursor", "")
    if cursor.isdigit():
        rows = rows.filter(pk__gt=int(cursor))
    count = _count(request)
    page = list(rows.order_by("pk")[: count + 1])
    next_cursor = page[count - 1].pk if len(page) > count else None
    services.append_access(
        user=request.user,
        action="audit-search",
        purpose="HOPERAT",
        resource_type="AuditEvent",
        detail={"query": request.META.get("QUERY_STRING", "")[:500]},
    )
    events = [audit_event(row) for row in page[:count]]
    return respond(_bundle(request, "AuditEvent", events, [], next_cursor))


@fhir_view
def everything(request: HttpRequest, fhir_id: str) -> HttpResponse:
    """All resources of the regional person behind Patient/<id>, across facilities, paged."""
    patient = Resource.objects.select_related("patient__person").get(
        resource_type="Patient", fhir_id=fhir_id
    )
    person = person_of(patient)
    if person is None:
        raise Resource.DoesNotExist
    decision = selectors.decide_access(request.user, person)
    services.log_decision(
        user=request.user,
        person=person,
        decision=decision,
        action="everything",
        resource_type="Patient",
        resource_id=fhir_id,
    )
    if not decision.allowed:
        raise PermissionDenied(decision.reason)
    rows = selectors.person_resources(person)
    clinical_everywhere, clinical = (
        grant_for(request.user, selectors.VIEW_CLINICAL).everywhere,
        grant_for(request.user, selectors.VIEW_CLINICAL).organisation_ids,
    )
    if decision.reason == "consent" and not clinical_everywhere and not clinical:
        rows = rows.filter(resource_type__in=sorted(selectors.MEDICATION_TYPES))
    page, next_cursor = _page(rows, request)
    matches = [selectors.resource_json(row) for row in page]
    return respond(_bundle(request, f"Patient/{fhir_id}/$everything", matches, [], next_cursor))


def _upload_facility(request: HttpRequest) -> Organisation:
    grant = grant_for(request.user, selectors.MANAGE_INDEX)
    slug = request.headers.get("X-Kurashi-Facility", "")
    if slug:
        facility = Organisation.objects.filter(slug=slug).first()
        if facility is None or not grant.covers(organisation_id=facility.pk):
            raise PermissionDenied(selectors.MANAGE_INDEX)
        return facility
    if len(grant.organisation_ids) == 1:
        return Organisation.objects.get(pk=next(iter(grant.organisation_ids)))
    if not grant:
        raise PermissionDenied(selectors.MANAGE_INDEX)
    raise ValidationError(
        "Name the facility in the X-Kurashi-Facility header / 施設を指定してください"
    )


@fhir_view
def upload(request: HttpRequest) -> HttpResponse:
    """POST a Bundle (transaction, batch, collection or document) as the disclosing facility."""
    facility = _upload_facility(request)
    try:
        bundle = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return outcome(400, "structure", "The body is not JSON / JSON ではありません")
    if not isinstance(bundle, dict):
        return outcome(400, "structure", "The body is not a FHIR resource")
    user = request.user if isinstance(request.user, User) else None
    report = intake.import_bundle(bundle, facility=facility, actor=user, where="upload")
    services.append_access(
        user=request.user,
        action="import",
        purpose="HOPERAT",
        facility_id=facility.pk,
        resource_type="Bundle",
        detail={k: v for k, v in report.as_dict().items() if k != "problems"},
    )
    if report.problems:
        body = {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "error", "code": "invalid", "diagnostics": problem[:1000]}
                for problem in report.problems
            ],
        }
        return respond(body, status=422 if bundle.get("type") == "transaction" else 200)
    if bundle.get("type") in ("transaction", "batch"):
        entries = [
            {
                "response": {
                    "status": "201 Created",
                    "location": f"{target}",
                }
            }
            for target in dict.fromkeys(
                v for k, v in report.id_map.items() if k.startswith(("urn:", "http"))
            )
        ]
        return respond(
            {
                "resourceType": "Bundle",
                "type": f"{bundle['type']}-response",
                "entry": entries,
            }
        )
    return respond(
        fhir.operation_outcome(
            "informational",
            f"stored: {report.created} created, {report.updated} updated, {report.unchanged} unchanged",
            severity="information",
        )
    )
