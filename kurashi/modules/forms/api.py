"""JSON API of the forms module, mounted at /api/v1/forms/: the published forms of every tenant
(public), one form's published definition (for other front ends), and — for signed-in staff —
the submissions of the tenants they may read."""

from django.http import HttpRequest
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from ninja import Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.security import SessionAuth
from pydantic import Field

from kurashi.core.tenancy import scope_for, tenant_names, tenant_scope_for
from kurashi.modules.forms import selectors
from kurashi.modules.forms.models import Case, Submission
from kurashi.modules.forms.schemas import (
    ErrorOut,
    FormDefinitionOut,
    SubmissionOut,
    TenantFormsOut,
)

router = Router(tags=["forms"])


class ListIn(Schema):
    tenant: str = Field("", max_length=6, description="6-digit local government code; empty: all")


def _form_out(form: selectors.PublishedForm) -> dict[str, object]:
    return {
        "tenant_code": form.tenant_code,
        "tenant_name": {"ja": form.tenant_name_ja, "en": form.tenant_name_en},
        "slug": form.slug,
        "title": {"ja": form.title_ja, "en": form.title_en},
        "description": {"ja": form.description_ja, "en": form.description_en},
        "version": form.version,
        "identity_level": form.identity_level,
        "fee_yen": form.fee_yen,
        "published_at": form.published_at,
        "url": reverse("forms:start", args=[form.tenant_code, form.slug]),
    }


@router.get("/", response=list[TenantFormsOut], summary="Published forms, per tenant")
@decorate_view(cache_control(public=True, max_age=60))
def list_forms(request: HttpRequest, params: Query[ListIn]) -> list[dict[str, object]]:
    forms = selectors.list_published_forms(tenant_code=params.tenant or None)
    names = tenant_names()
    grouped: dict[str, list[dict[str, object]]] = {}
    for form in forms:
        grouped.setdefault(form.tenant_code, []).append(_form_out(form))
    return [
        {
            "tenant_code": code,
            "tenant_name": {"ja": names[code].name_ja, "en": names[code].name_en}
            if code in names
            else {"ja": code, "en": code},
            "forms": items,
        }
        for code, items in grouped.items()
    ]


class SubmissionsIn(Schema):
    status: str = Field("", max_length=24)
    page: int = Field(1, ge=1, le=10_000)


@router.get(
    "/staff/submissions",
    response={200: list[SubmissionOut], 403: ErrorOut},
    auth=SessionAuth(),
    summary="Submitted applications of the tenants the signed-in staff member may read",
)
@decorate_view(never_cache)
def staff_submissions(request: HttpRequest, params: Query[SubmissionsIn]) -> Status[object]:
    scope = scope_for(request.user, "forms.process_cases")
    if scope.readable is not None and not scope.readable:
        return Status(403, {"detail": "You may not process cases anywhere."})
    with tenant_scope_for(request.user, "forms.process_cases"):
        rows = (
            Submission.objects.exclude(status=Submission.Status.DRAFT)
            .select_related("form", "version")
            .order_by("-submitted_at", "-id")
        )
        start = (params.page - 1) * selectors.PAGE_SIZE
        page = list(rows[start : start + selectors.PAGE_SIZE])
        cases = {c.submission_id: c.status for c in Case.objects.filter(submission__in=page)}
    return Status(
        200,
        [
            {
                "reference": s.reference,
                "tenant_code": s.tenant_code,
                "form": s.form.slug,
                "version": s.version.number,
                "status": s.status,
                "case_status": cases.get(s.pk, ""),
                "submitted_at": s.submitted_at,
            }
            for s in page
        ],
    )


@router.get(
    "/{tenant_code}/{slug}",
    response={200: FormDefinitionOut, 404: ErrorOut},
    summary="The published version of one form: definition and settings",
)
@decorate_view(cache_control(public=True, max_age=60))
def form_definition(request: HttpRequest, tenant_code: str, slug: str) -> Status[dict[str, object]]:
    form = selectors.get_public_form(tenant_code=tenant_code, slug=slug)
    if form is None or form.published_version is None:
        return Status(404, {"detail": "No published form with this tenant and identifier."})
    version = form.published_version
    settings = dict(version.settings)
    settings.pop("registration", None)  # the back office's addresses are not public
    return Status(
        200,
        {
            "tenant_code": form.tenant_code,
            "slug": form.slug,
            "version": version.number,
            "checksum": version.checksum,
            "definition": version.definition,
            "settings": settings,
        },
    )
