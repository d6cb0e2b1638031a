"""JSON API of the JMA intake: POST /api/v1/disaster/jma/bulletins (staff: upload one XML
document), GET …/jma/bulletins (the intake log), GET …/jma/warnings (warnings in force)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth

from kurashi.core.permissions import grant_for, has_permission_anywhere
from kurashi.modules.disaster.selectors.jma import current_warnings, list_bulletins
from kurashi.modules.disaster.services import jma as jma_services

router = Router(tags=["disaster"])

INGEST_PERMISSION = "disaster.ingest_bulletin"
VIEW_PERMISSION = "disaster.view_intake"


class IngestOut(Schema):
    status: str  # created | duplicate | rejected
    bulletin_id: int | None = None
    type_code: str = ""
    head_title: str = ""
    control_status: str = ""
    info_type: str = ""
    outcome: str = ""
    changes: dict[str, Any] = Field(default_factory=dict)
    alerts: list[str] = Field(default_factory=list)
    reason: str = ""
    message: str = ""


class ErrorOut(Schema):
    detail: str


class BulletinOut(Schema):
    id: int
    type_code: str
    control_title: str
    control_status: str
    editorial_office: str
    head_title: str
    report_datetime: datetime
    event_id: str
    serial: str
    info_type: str
    headline: str
    outcome: str
    mentions_saga: bool
    family: str
    source: str
    received_at: datetime


class WarningOut(Schema):
    municipality_code: str
    kind_name: str
    kind_code: str
    level: int
    hazard: str
    status: str
    detail: str
    since: datetime
    expires_at: datetime | None
    family: str
    bulletin_id: int
    is_exercise: bool


def _may_ingest(request: HttpRequest) -> bool:
    """JMA bulletins change every municipality's state: only a prefecture-wide grant may ingest."""
    grant = grant_for(request.user, INGEST_PERMISSION)
    return grant.everywhere or grant.all_municipalities


@router.post(
    "/jma/bulletins",
    auth=django_auth,
    response={200: IngestOut, 201: IngestOut, 400: IngestOut, 403: ErrorOut},
    summary="Ingest one JMA 防災情報XML document (body: the XML)",
    description="201 with what changed, 200 when the bulletin was already ingested, 400 with the "
    "reason when the document is rejected (malformed, hostile, too large, unknown type). Needs the "
    "permission disaster.ingest_bulletin for the whole prefecture.",
)
def ingest_bulletin(request: HttpRequest) -> Status[dict[str, Any]]:
    if not _may_ingest(request):
        return Status(
            403, {"detail": "You need the permission disaster.ingest_bulletin (prefecture-wide)."}
        )
    limit = jma_services.max_document_bytes()
    data = request.body if hasattr(request, "_body") else request.read(limit + 1)
    name = request.headers.get("X-Filename", "")[:200]
    if len(data) > limit:
        declared = int(request.META.get("CONTENT_LENGTH") or len(data))
        result = jma_services.reject_document(
            data=data[:1000],
            reason="too_large",
            message=f"{declared:,} bytes is more than the limit of {limit:,} bytes",
            source="upload",
            source_name=name,
            actor=request.user,
            request=request,
            size_bytes=declared,
        )
    else:
        result = jma_services.ingest_document(
            data=data, source="upload", source_name=name, actor=request.user, request=request
        )
    status = {"created": 201, "duplicate": 200, "rejected": 400}[result.status]
    return Status(status, result.summary())


@router.get(
    "/jma/bulletins",
    auth=django_auth,
    response={200: list[BulletinOut], 403: ErrorOut},
    summary="The JMA intake log: stored bulletins, newest first (staff)",
)
@paginate(PageNumberPagination, page_size=50)
def bulletins(
    request: HttpRequest, type_code: str = "", saga_only: bool = False, exercise: bool | None = None
) -> Any:
    if not has_permission_anywhere(request.user, VIEW_PERMISSION):
        raise HttpError(403, "You need the permission disaster.view_intake.")
    return list_bulletins(exercise=exercise, saga_only=saga_only, type_code=type_code)


@router.get(
    "/jma/warnings",
    response=list[WarningOut],
    summary="JMA warnings in force per municipality (6-digit code), highest level first",
    description="Exercise (訓練/試験) state only with exercise=true, for staff with "
    "disaster.view_intake.",
)
@paginate(PageNumberPagination, page_size=100)
def warnings(request: HttpRequest, municipality_code: str = "", exercise: bool = False) -> Any:
    if exercise and not has_permission_anywhere(request.user, VIEW_PERMISSION):
        raise HttpError(403, "The exercise state needs the permission disaster.view_intake.")
    return current_warnings(exercise=exercise, municipality_code=municipality_code)
