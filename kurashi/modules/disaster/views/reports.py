"""Field report pages: the submission form and receipt, the public list, detail and photos, the
GeoJSON layer, and the moderation queue for staff."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from kurashi.core.audit import client_address
from kurashi.core.auth import authenticated_user
from kurashi.core.models import User
from kurashi.core.permissions import grant_for, has_permission, require_permission
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.selectors import reports as selectors
from kurashi.modules.disaster.services import reports as services

PUBLIC_PAGE_SIZE = 20
QUEUE_PAGE_SIZE = 25


def photo_too_large_message() -> str:
    return _("The photo is too large. The limit is %(limit)s MB.") % {
        "limit": services.megabytes(services.photo_max_bytes())
    }


def _name(municipality: Any) -> str:
    if municipality is None:
        return ""
    if (get_language() or "ja").startswith("ja"):
        return str(municipality.name_ja)
    return str(municipality.name_en or municipality.name_ja)


def _with_names(reports: Any) -> None:
    names = selectors.municipality_names()
    for report in reports:
        report.municipality_name = _name(names.get(report.municipality_code))


def _page(request: HttpRequest, items: Any, size: int) -> Page[Any]:
    return Paginator(items, size).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    return urlencode([(k, str(v)) for k, v in request.GET.items() if k != "page" and v])


# --- submission --------------------------------------------------------------------------------


def _form_page(
    request: HttpRequest, form: services.ReportForm, *, status: int = 200, notice: str = ""
) -> HttpResponse:
    response = render(
        request,
        "disaster/reports/new.html",
        {
            "form": form,
            "notice": notice,
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "photo_limit_mb": services.megabytes(services.photo_max_bytes()),
            "photo_limit_bytes": services.photo_max_bytes(),
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
def report_new_view(request: HttpRequest) -> HttpResponse:
    """CSRF is checked in _report_new once the photo-size upload handler is in place (Django
    reads the body for the CSRF token, and upload handlers cannot change after that)."""
    if request.method == "POST":
        if services.body_too_large(request):
            return _form_page(
                request, services.ReportForm(), status=413, notice=photo_too_large_message()
            )
        limiter = services.PhotoSizeLimit(request, services.photo_max_bytes())
        request.upload_handlers.insert(0, limiter)
        return _report_new(request, limiter)
    return _report_new(request, None)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _report_new(request: HttpRequest, limiter: services.PhotoSizeLimit | None) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, services.ReportForm())
    form = services.ReportForm(request.POST, request.FILES)
    if limiter is not None and limiter.exceeded:
        form.is_valid()
        form.add_error("photo", photo_too_large_message())
        return _form_page(request, form, status=413)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    user = request.user if isinstance(request.user, User) else None
    try:
        submitted = services.submit_report(
            **form.submission(),
            reporter=user,
            client_address=client_address(request),
        )
    except services.ReportRateLimitError as limited:
        return _form_page(request, form, status=429, notice=limited.message)
    except ValidationError as error:
        form.add_error(None, error)
        return _form_page(request, form, status=400)
    return redirect("disaster:report-receipt", token=submitted.receipt_token, permanent=False)


@never_cache
@require_GET
def report_receipt_view(request: HttpRequest, token: str) -> HttpResponse:
    report = selectors.get_report_by_receipt(services.hash_receipt_token(token))
    if report is None:
        raise Http404(_("There is no report with this receipt."))
    _with_names([report])
    target = report.merged_into
    public_url = ""
    if report.state == FieldReport.State.PUBLISHED and not report.is_exercise:
        public_url = reverse("disaster:report-detail", args=[report.pk])
    elif target is not None and target.state == FieldReport.State.PUBLISHED:
        public_url = reverse("disaster:report-detail", args=[target.pk])
    response = render(
        request,
        "disaster/reports/receipt.html",
        {"report": report, "public_url": public_url, "receipt_url": request.build_absolute_uri()},
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- public ------------------------------------------------------------------------------------


@require_GET
def report_list_view(request: HttpRequest) -> HttpResponse:
    municipality_code = request.GET.get("municipality", "")
    category = request.GET.get("category", "")
    if category not in FieldReport.Category.values:
        category = ""
    names = selectors.municipality_names()
    if municipality_code not in names:
        municipality_code = ""
    page = _page(
        request,
        selectors.list_published_reports(municipality_code=municipality_code, category=category),
        PUBLIC_PAGE_SIZE,
    )
    _with_names(page.object_list)
    return render(
        request,
        "disaster/reports/list.html",
        {
            "page": page,
            "municipalities": [(code, _name(m)) for code, m in names.items()],
            "categories": FieldReport.Category.choices,
            "selected_municipality": municipality_code,
            "selected_category": category,
            "query": _query_without_page(request),
            "can_moderate": bool(grant_for(request.user, services.MODERATE)),
        },
    )


@require_GET
def report_detail_view(request: HttpRequest, report_id: int) -> HttpResponse:
    try:
        report = selectors.get_published_report(report_id)
    except FieldReport.DoesNotExist:
        raise Http404(_("This report is not published.")) from None
    _with_names([report])
    return render(
        request,
        "disaster/reports/detail.html",
        {"report": report, "photos": selectors.list_report_photos(report)},
    )


@require_GET
def report_photo_view(request: HttpRequest, report_id: int) -> FileResponse:
    """The re-encoded photo: to everyone once the report (or the one it was merged into) is
    published, before that only to the municipality's moderators."""
    report = FieldReport.objects.select_related("merged_into").filter(pk=report_id).first()
    if report is None or not report.photo:
        raise Http404(_("No such photo."))
    public = selectors.photo_visible_to_public(report)
    if not public and not has_permission(
        request.user, services.MODERATE, municipality_code=report.municipality_code
    ):
        raise Http404(_("No such photo."))
    response = FileResponse(report.photo.open("rb"))
    response["Content-Type"] = (
        "image/webp" if (report.photo.name or "").endswith(".webp") else "image/jpeg"
    )
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


@require_GET
@cache_control(public=True, max_age=30)
def reports_geojson_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        selectors.published_reports_geojson(absolute_url=request.build_absolute_uri),
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


# --- moderation --------------------------------------------------------------------------------


@login_required
@require_GET
def moderation_queue_view(request: HttpRequest) -> HttpResponse:
    grant = grant_for(request.user, services.MODERATE)
    if not grant:
        raise PermissionDenied(services.MODERATE)
    state = request.GET.get("state", FieldReport.State.RECEIVED)
    if state not in FieldReport.State.values and state != "all":
        state = FieldReport.State.RECEIVED
    category = request.GET.get("category", "")
    if category not in FieldReport.Category.values:
        category = ""
    names = selectors.municipality_names()
    allowed = [
        (code, _name(m)) for code, m in names.items() if grant.covers(municipality_code=code)
    ]
    municipality_code = request.GET.get("municipality", "")
    if municipality_code not in dict(allowed):
        municipality_code = ""
    query = request.GET.get("q", "").strip()[:100]
    page = _page(
        request,
        selectors.list_reports_for_moderation(
            grant=grant,
            state="" if state == "all" else state,
            municipality_code=municipality_code,
            category=category,
            query=query,
        ),
        QUEUE_PAGE_SIZE,
    )
    _with_names(page.object_list)
    counts = selectors.count_reports_by_state(grant=grant)
    response = render(
        request,
        "disaster/reports/queue.html",
        {
            "page": page,
            "states": [
                (value, label, counts.get(value, 0)) for value, label in FieldReport.State.choices
            ],
            "total": sum(counts.values()),
            "selected_state": state,
            "selected_category": category,
            "selected_municipality": municipality_code,
            "search": query,
            "municipalities": allowed,
            "categories": FieldReport.Category.choices,
            "query": _query_without_page(request),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _action_message(action: str, report_id: int, into: int | None = None) -> str:
    messages = {
        "verify": _("Report %(id)s is verified."),
        "reject": _("Report %(id)s is rejected."),
        "publish": _("Report %(id)s is published."),
        "unpublish": _("Report %(id)s is no longer published."),
        "reopen": _("Report %(id)s is back in the queue."),
        "merge": _("Report %(id)s is merged into report %(into)s."),
        "unmerge": _("Report %(id)s is no longer merged."),
    }
    return messages[action] % {"id": report_id, "into": into}


@login_required
@require_http_methods(["GET", "POST"])
def moderation_detail_view(request: HttpRequest, report_id: int) -> HttpResponse:
    try:
        report = selectors.get_report(report_id)
    except FieldReport.DoesNotExist:
        raise Http404(_("There is no report %(id)s.") % {"id": report_id}) from None
    require_permission(request.user, services.MODERATE, municipality_code=report.municipality_code)
    actor = authenticated_user(request)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        note = request.POST.get("note", "")[:2000]
        try:
            if action == "merge":
                into = _int(request.POST.get("into"))
                if into is None:
                    raise ValidationError(_("Give the number of the report to merge into."))
                services.merge_report(
                    actor=actor, report_id=report.pk, into_id=into, note=note, request=request
                )
                messages.success(request, _action_message(action, report.pk, into))
            elif action == "unmerge":
                services.unmerge_report(
                    actor=actor, report_id=report.pk, note=note, request=request
                )
                messages.success(request, _action_message(action, report.pk))
            else:
                services.moderate_report(
                    actor=actor, report_id=report.pk, action=action, note=note, request=request
                )
                messages.success(request, _action_message(action, report.pk))
            return redirect("disaster:report-moderate", report_id=report.pk)
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        except FieldReport.DoesNotExist:
            error = _("There is no such report.")
    grant = grant_for(request.user, services.MODERATE)
    suggestions = (
        selectors.suggest_duplicates(report, grant=grant)
        if report.state != FieldReport.State.MERGED
        else []
    )
    _with_names([report, *[s.report for s in suggestions]])
    response = render(
        request,
        "disaster/reports/moderate.html",
        {
            "report": report,
            "actions": services.available_actions(report),
            "suggestions": suggestions,
            "photos": selectors.list_report_photos(report),
            "merged_reports": report.merged_reports.order_by("created_at"),
            "history": selectors.list_report_history(report)[:50],
            "error": error,
            "can_merge": report.state in services.OPEN_FOR_MERGE,
        },
        status=400 if error else 200,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None
