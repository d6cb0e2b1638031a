"""JSON API of field reports: submit (multipart), follow a receipt, published reports and GeoJSON.

Submissions through the API are anonymous (the API takes no session, so no CSRF token either).
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from ninja import Field, Router, Schema, Status

from kurashi.core.audit import client_address
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.selectors import reports as selectors
from kurashi.modules.disaster.services import reports as services

router = Router(tags=["disaster"])


class SubmittedOut(Schema):
    id: int
    state: str
    receipt_token: str
    status_url: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


class ReceiptOut(Schema):
    id: int
    state: str
    state_label: str
    category: str
    municipality_code: str
    created_at: datetime
    published_at: datetime | None
    public_url: str | None


class ReportOut(Schema):
    id: int
    category: str
    category_label: str
    text: str
    municipality_code: str
    municipality_name_ja: str
    municipality_name_en: str
    place_description: str
    latitude: float
    longitude: float
    location_approximate: bool
    people_affected: int | None
    houses_damaged: int | None
    published_at: str | None
    photo_url: str | None
    photo_urls: list[str]
    url: str


_MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["category", "text"],
                    "properties": {
                        "category": {"type": "string", "enum": FieldReport.Category.values},
                        "text": {"type": "string", "minLength": 10, "maxLength": 2000},
                        "latitude": {"type": "number"},
                        "longitude": {"type": "number"},
                        "location_source": {"type": "string", "enum": ["gps", "map", "typed"]},
                        "municipality": {
                            "type": "string",
                            "description": "6-digit code; with place_description when no coordinates are given",
                        },
                        "place_description": {"type": "string", "maxLength": 200},
                        "photo": {"type": "string", "format": "binary"},
                        "keeps_photo_location": {"type": "boolean"},
                        "people_affected": {"type": "integer", "minimum": 0},
                        "houses_damaged": {"type": "integer", "minimum": 0},
                        "reporter_contact": {"type": "string", "maxLength": 200},
                    },
                }
            }
        },
    }
}


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


@router.post(
    "/reports",
    response={201: SubmittedOut, 400: ErrorOut, 413: ErrorOut, 429: ErrorOut},
    summary="Send a field report (multipart/form-data, same rules as the form)",
    openapi_extra=_MULTIPART,
)
def submit_report(request: HttpRequest) -> Status[dict[str, object]]:
    limit = services.photo_max_bytes()
    too_large: dict[str, object] = {
        "detail": _("The photo is too large. The limit is %(limit)s MB.")
        % {"limit": services.megabytes(limit)}
    }
    if services.body_too_large(request):
        if request.content_type != "multipart/form-data":  # e.g. 30 MB of JSON: no photo at all
            return Status(
                413,
                {
                    "detail": _(
                        "The request is too large (limit %(limit)s MB). Send the report as "
                        "multipart/form-data."
                    )
                    % {"limit": services.megabytes(limit)}
                },
            )
        return Status(413, too_large)
    limiter = services.PhotoSizeLimit(request, limit)
    request.upload_handlers.insert(0, limiter)
    form = services.ReportForm(request.POST, request.FILES)
    if limiter.exceeded:
        return Status(413, too_large)
    if not form.is_valid():
        return Status(
            400,
            {
                "detail": _("The report is not valid."),
                "errors": {field: list(messages) for field, messages in form.errors.items()},
            },
        )
    try:
        submitted = services.submit_report(
            **form.submission(), reporter=None, client_address=client_address(request)
        )
    except services.ReportRateLimitError as limited:
        return Status(429, {"detail": limited.message})
    except ValidationError as error:
        return Status(400, {"detail": _("The report is not valid."), "errors": _errors(error)})
    report = submitted.report
    return Status(
        201,
        {
            "id": report.pk,
            "state": report.state,
            "receipt_token": submitted.receipt_token,
            "status_url": request.build_absolute_uri(
                reverse("api-v1:report_receipt", args=[submitted.receipt_token])
            ),
            "message": _(
                "Your report was received. Municipal staff check it before it is published."
            ),
        },
    )


@router.get(
    "/reports/receipts/{token}",
    response={200: ReceiptOut, 404: ErrorOut},
    url_name="report_receipt",
    summary="The status of your own report, from the receipt token given at submission",
)
def report_receipt(request: HttpRequest, token: str) -> Status[dict[str, object]]:
    report = selectors.get_report_by_receipt(services.hash_receipt_token(token))
    if report is None:
        return Status(404, {"detail": _("There is no report with this receipt.")})
    public_id = None
    if report.state == FieldReport.State.PUBLISHED and not report.is_exercise:
        public_id = report.pk
    elif report.merged_into and report.merged_into.state == FieldReport.State.PUBLISHED:
        public_id = report.merged_into.pk
    return Status(
        200,
        {
            "id": report.pk,
            "state": report.state,
            "state_label": str(report.get_state_display()),
            "category": report.category,
            "municipality_code": report.municipality_code,
            "created_at": report.created_at,
            "published_at": report.published_at,
            "public_url": request.build_absolute_uri(
                reverse("disaster:report-detail", args=[public_id])
            )
            if public_id
            else None,
        },
    )


class ReportPageOut(Schema):
    count: int
    items: list[ReportOut]


@router.get(
    "/reports",
    response=ReportPageOut,
    summary="Published field reports, newest first (no reporter data); limit ≤ 500",
)
def list_reports(
    request: HttpRequest,
    municipality: str = "",
    category: str = "",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, object]:
    limit, offset = min(max(limit, 1), 500), max(offset, 0)
    names = selectors.municipality_names()
    reports = selectors.list_published_reports(municipality_code=municipality, category=category)
    page = reports.prefetch_related("merged_reports")[offset : offset + limit]
    return {
        "count": reports.count(),
        "items": [
            selectors.public_report_record(
                report, names=names, absolute_url=request.build_absolute_uri
            )
            for report in page
        ],
    }


@router.get(
    "/reports.geojson",
    url_name="reports_geojson",
    summary="Published field reports as a GeoJSON FeatureCollection (cacheable 30 s)",
)
@cache_control(public=True, max_age=30)
def reports_geojson(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        selectors.published_reports_geojson(absolute_url=request.build_absolute_uri),
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
