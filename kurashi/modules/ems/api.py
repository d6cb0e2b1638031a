"""JSON API of the ems module, mounted at /api/v1/ems/.

Hospital systems update their acceptance status directly (PUT .../statuses/{key}) with a bearer
token (`kurashi ems_token`) or a logged-in session; the token acts with its user's permission and
only for its own hospital. FHIR R4 views of the same data live under /fhir/."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth
from pydantic import Field

from kurashi.modules.ems import fhir, selectors, services
from kurashi.modules.ems.models import Acceptance, Ambulance, ApiToken, Hospital, Inquiry

router = Router(tags=["ems"])


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ems_…`: a hospital system acting as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = services.authenticate_token(token)
        if found is not None:
            request.user = found.user
        return found


AUTH: list[Any] = [TokenAuth(), django_auth]


class ErrorOut(Schema):
    detail: str


class StatusOut(Schema):
    key: str
    label: str
    status: str = Field(
        description="eager ◎ | available ○ | conditional △ | unavailable × | stale 未更新 | '' never reported"
    )
    reason: str
    is_inferred: bool
    updated_at: datetime | None
    valid_until: datetime | None
    note: str


class HospitalOut(Schema):
    slug: str
    name: str
    tier: str
    medical_area: str
    is_emergency_designated: bool
    latitude: float
    longitude: float
    hotline: str
    is_demo: bool
    statuses: list[StatusOut]


class StatusIn(Schema):
    status: str = Field(description="eager | available | conditional | unavailable")
    reason: str = Field("", description="required for unavailable: in_surgery, beds_full, …")
    note: str = Field("", max_length=200)


class ReconfirmOut(Schema):
    confirmed: int


class RankedOut(Schema):
    slug: str
    name: str
    score: float
    status: str
    department_code: str
    distance_km: float | None
    minutes: float | None
    reason: str


def _hospital_out(hospital: Hospital, now: datetime) -> dict[str, Any]:
    return {
        "slug": hospital.organisation.slug,
        "name": hospital.organisation.name_ja,
        "tier": hospital.tier,
        "medical_area": hospital.medical_area,
        "is_emergency_designated": hospital.is_emergency_designated,
        "latitude": hospital.latitude,
        "longitude": hospital.longitude,
        "hotline": hospital.hotline,
        "is_demo": hospital.is_demo,
        "statuses": [vars(v) for v in selectors.status_views(hospital, now=now)],
    }


def _require_ems_user(request: HttpRequest) -> None:
    if not selectors.is_ems_user(request.user):
        raise HttpError(403, "EMS role required")


@router.get("/hospitals/", response={200: list[HospitalOut], 403: ErrorOut}, auth=AUTH)
def list_hospitals(request: HttpRequest) -> Any:
    """Every EMS hospital with its statuses as crews see them (未更新 and inferred × applied)."""
    _require_ems_user(request)
    now = timezone.now()
    return [_hospital_out(h, now) for h in selectors.hospitals_with_statuses()]


@router.get(
    "/hospitals/{slug}/", response={200: HospitalOut, 403: ErrorOut, 404: ErrorOut}, auth=AUTH
)
def get_hospital(request: HttpRequest, slug: str) -> Any:
    _require_ems_user(request)
    hospital = selectors.hospitals_with_statuses().filter(organisation__slug=slug).first()
    if hospital is None:
        return Status(404, {"detail": "unknown hospital"})
    return _hospital_out(hospital, timezone.now())


def _writable_hospital(request: HttpRequest, slug: str) -> Hospital | Status[Any]:
    hospital = selectors.get_hospital(slug)
    if hospital is None:
        return Status(404, {"detail": "unknown hospital"})
    token = request.auth  # type: ignore[attr-defined]
    if isinstance(token, ApiToken) and token.hospital_id != hospital.pk:
        return Status(403, {"detail": "this token is for another hospital"})
    if not selectors.can_manage_hospital(request.user, hospital):
        return Status(403, {"detail": "ems.manage_acceptance required for this hospital"})
    return hospital


@router.put(
    "/hospitals/{slug}/statuses/{key}",
    response={200: StatusOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
)
def put_status(request: HttpRequest, slug: str, key: str, payload: StatusIn) -> Any:
    """Set one department (SS-MIX2 統一診療科コード, e.g. `14`) or symptom category (e.g.
    `stroke`). Valid for EMS_STATUS_VALIDITY_HOURS, then shown as 未更新."""
    hospital = _writable_hospital(request, slug)
    if not isinstance(hospital, Hospital):
        return hospital
    if payload.status not in Acceptance.values or payload.status == Acceptance.STALE:
        return Status(
            400, {"detail": "status must be eager, available, conditional or unavailable"}
        )
    try:
        services.set_acceptance(
            actor=request.user,  # type: ignore[arg-type]
            hospital=hospital,
            key=key,
            status=payload.status,
            reason=payload.reason,
            note=payload.note,
            source="api" if isinstance(request.auth, ApiToken) else "manual",  # type: ignore[attr-defined]
            request=request,
        )
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages)})
    hospital = selectors.hospitals_with_statuses().get(pk=hospital.pk)
    view = next(v for v in selectors.status_views(hospital, now=timezone.now()) if v.key == key)
    return vars(view)


@router.post(
    "/hospitals/{slug}/reconfirm",
    response={200: ReconfirmOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
)
def reconfirm(request: HttpRequest, slug: str) -> Any:
    """ "No change": every status of the hospital is valid for another period."""
    hospital = _writable_hospital(request, slug)
    if not isinstance(hospital, Hospital):
        return hospital
    count = services.reconfirm_statuses(actor=request.user, hospital=hospital, request=request)  # type: ignore[arg-type]
    return {"confirmed": count}


@router.get("/ranking/", response={200: list[RankedOut], 403: ErrorOut}, auth=AUTH)
def ranking(
    request: HttpRequest,
    category: str,
    urgency: str = "yellow",
    lat: float | None = None,
    lon: float | None = None,
    limit: int = 20,
) -> Any:
    """The ranked hospital list for a symptom category and position (crews, coordinator)."""
    if not (selectors.crew_hq_ids(request.user) or selectors.is_coordinator(request.user)):
        return Status(403, {"detail": "ems.operate_cases or ems.coordinate required"})
    ranked = selectors.rank_hospitals(
        category=category,
        urgency=urgency,
        latitude=lat,
        longitude=lon,
        now=timezone.now(),
        limit=max(1, min(limit, 100)),
    )
    return [
        {
            "slug": r.hospital.slug,
            "name": r.hospital.name,
            "score": r.score,
            "status": r.status,
            "department_code": r.department_code,
            "distance_km": r.distance_km,
            "minutes": r.minutes,
            "reason": r.reason,
        }
        for r in ranked
    ]


# --- FHIR R4 -----------------------------------------------------------------------------------


@router.get("/fhir/Organization/", response={200: dict[str, Any], 403: ErrorOut}, auth=AUTH)
def fhir_organizations(request: HttpRequest) -> Any:
    _require_ems_user(request)
    entries = [fhir.organization(h) for h in Hospital.objects.select_related("organisation")]
    return _bundle(entries)


@router.get("/fhir/HealthcareService/", response={200: dict[str, Any], 403: ErrorOut}, auth=AUTH)
def fhir_services(request: HttpRequest) -> Any:
    _require_ems_user(request)
    now = timezone.now()
    entries = [
        fhir.healthcare_service(h, view)
        for h in selectors.hospitals_with_statuses()
        for view in selectors.status_views(h, now=now)
    ]
    return _bundle(entries)


@router.get("/fhir/Location/", response={200: dict[str, Any], 403: ErrorOut}, auth=AUTH)
def fhir_locations(request: HttpRequest) -> Any:
    """Every hospital (the places an Encounter's destination refers to), then ambulances: a
    crew sees its own HQ's, the coordinator all."""
    _require_ems_user(request)
    hospitals = [fhir.hospital_location(h) for h in Hospital.objects.select_related("organisation")]
    queryset = Ambulance.objects.select_related("fire_hq")
    if not selectors.is_coordinator(request.user):
        queryset = queryset.filter(fire_hq_id__in=sorted(selectors.crew_hq_ids(request.user)))
    return _bundle([*hospitals, *(fhir.ambulance_location(a) for a in queryset)])


@router.get(
    "/fhir/Encounter/{public_id}",
    response={200: dict[str, Any], 404: ErrorOut},
    auth=AUTH,
)
def fhir_encounter(request: HttpRequest, public_id: str) -> Any:
    case = selectors.get_case_for(request.user, public_id)
    if case is None:
        return Status(404, {"detail": "unknown case"})
    services.record_case_read(actor=request.user, case=case, request=request)  # type: ignore[arg-type]
    return fhir.encounter(case)


@router.get(
    "/fhir/Task/",
    response={200: dict[str, Any], 404: ErrorOut},
    auth=AUTH,
)
def fhir_tasks(request: HttpRequest, encounter: str) -> Any:
    """The inquiries of one case (`encounter` = the case id). A hospital sees only its own."""
    case = selectors.get_case_for(request.user, encounter)
    if case is None:
        return Status(404, {"detail": "unknown case"})
    services.record_case_read(actor=request.user, case=case, request=request)  # type: ignore[arg-type]
    inquiries = Inquiry.objects.filter(case=case).select_related("case")
    if not (
        selectors.can_operate_case(request.user, case) or selectors.is_coordinator(request.user)
    ):
        inquiries = inquiries.filter(
            hospital__organisation_id__in=sorted(
                selectors.hospital_organisation_ids(request.user, selectors.ANSWER_REQUESTS)
            )
        )
    return _bundle([fhir.task(i) for i in inquiries])


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }
