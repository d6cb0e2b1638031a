"""Reads of the forms module. Every selector runs in the caller's tenant scope, except those
that say they open an explicit cross-tenant, read-only one (the public catalogue, shared
templates, document verification)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kurashi.core.tenancy import cross_tenant, tenant_names
from kurashi.modules.forms.adapters import Settlement
from kurashi.modules.forms.definition import parse_settings
from kurashi.modules.forms.models import (
    Case,
    CatalogueEntry,
    Dispatch,
    Form,
    FormTemplate,
    IssuedDocument,
    ItVendor,
    Payment,
    Submission,
    SupportProgramme,
)

PAGE_SIZE = 25


@dataclass(frozen=True)
class PublishedForm:
    """A form open for applications, as the catalogue and the API show it."""

    tenant_code: str
    tenant_name_ja: str
    tenant_name_en: str
    slug: str
    title_ja: str
    title_en: str
    description_ja: str
    description_en: str
    version: int
    identity_level: str
    fee_yen: int | None
    published_at: datetime | None


def _published(form: Form, names: dict[str, Any]) -> PublishedForm:
    version = form.published_version
    assert version is not None  # noqa: S101 (filtered on published_version)
    settings = parse_settings(version.settings)
    tenant = names.get(form.tenant_code)
    return PublishedForm(
        tenant_code=form.tenant_code,
        tenant_name_ja=tenant.name_ja if tenant else form.tenant_code,
        tenant_name_en=tenant.name_en if tenant else form.tenant_code,
        slug=form.slug,
        title_ja=settings.title.ja,
        title_en=settings.title.en,
        description_ja=settings.description.ja if settings.description else "",
        description_en=settings.description.en if settings.description else "",
        version=version.number,
        identity_level=str(settings.identity_level),
        fee_yen=settings.fee.amount_yen if settings.fee else None,
        published_at=version.published_at,
    )


def list_published_forms(*, tenant_code: str | None = None, query: str = "") -> list[PublishedForm]:
    """Published forms of every tenant (or one), for the public catalogue and API."""
    with cross_tenant(reason="public catalogue of published forms"):
        forms = Form.objects.filter(status=Form.Status.PUBLISHED, published_version__isnull=False)
        if tenant_code:
            forms = forms.filter(tenant_code=tenant_code)
        rows = list(forms.select_related("published_version").order_by("tenant_code", "slug"))
    names = dict(tenant_names())
    result = [_published(form, names) for form in rows]
    if query:
        needle = query.strip().lower()
        result = [
            f
            for f in result
            if needle in f.title_ja.lower()
            or needle in f.title_en.lower()
            or needle in f.description_ja.lower()
        ]
    return result


@dataclass(frozen=True)
class CatalogueItem:
    tenant_code: str
    title_ja: str
    title_en: str
    category: str
    channel: str
    external_url: str
    form_slug: str


def list_catalogue(*, tenant_code: str | None = None) -> list[CatalogueItem]:
    with cross_tenant(reason="public procedure catalogue"):
        entries = CatalogueEntry.objects.select_related("form")
        if tenant_code:
            entries = entries.filter(tenant_code=tenant_code)
        return [
            CatalogueItem(
                tenant_code=e.tenant_code,
                title_ja=e.title_ja,
                title_en=e.title_en,
                category=e.category,
                channel=e.channel,
                external_url=e.external_url,
                form_slug=e.form.slug if e.form and e.form.status == Form.Status.PUBLISHED else "",
            )
            for e in entries.order_by("category", "title_ja")
            if e.channel != CatalogueEntry.Channel.KURASHI
            or (e.form and e.form.status == Form.Status.PUBLISHED)
        ]


def get_public_form(*, tenant_code: str, slug: str) -> Form | None:
    """A published form (any tenant: the applicant chose it by its address)."""
    with cross_tenant(reason="public form page"):
        return (
            Form.objects.select_related("published_version")
            .filter(tenant_code=tenant_code, slug=slug, status=Form.Status.PUBLISHED)
            .first()
        )


def list_shared_templates() -> list[FormTemplate]:
    with cross_tenant(reason="shared form templates of every tenant"):
        return list(FormTemplate.objects.filter(is_shared=True).order_by("title_ja", "id"))


def find_document(code: str) -> IssuedDocument | None:
    with cross_tenant(reason="public document verification"):
        return (
            IssuedDocument.objects.select_related("submission__form")
            .filter(verification_code=code)
            .first()
        )


# --- staff (in the staff member's scope) -------------------------------------------------------


def list_forms() -> QuerySet[Form]:
    return (
        Form.objects.select_related("published_version")
        .annotate(
            submission_count=Count(
                "submissions", filter=~Q(submissions__status=Submission.Status.DRAFT)
            )
        )
        .order_by("tenant_code", "slug")
    )


def get_form(*, pk: int) -> Form | None:
    return Form.objects.select_related("published_version").filter(pk=pk).first()


def case_queue(
    *, status: str = "", assignee_id: int | None = None, overdue: bool = False, page: int = 1
) -> Page[Case]:
    cases = Case.objects.select_related(
        "submission__form", "submission__version", "assignee"
    ).order_by("due_at", "id")
    if status:
        cases = cases.filter(status=status)
    if assignee_id:
        cases = cases.filter(assignee_id=assignee_id)
    if overdue:
        cases = cases.filter(due_at__lt=timezone.now()).exclude(
            status__in=["approved", "rejected", "closed"]
        )
    return Paginator(cases, PAGE_SIZE).get_page(page)


def get_case(*, pk: int) -> Case | None:
    return (
        Case.objects.select_related(
            "submission__form", "submission__version", "assignee", "proposed_by"
        )
        .filter(pk=pk)
        .first()
    )


def dead_letters(*, page: int = 1) -> Page[Dispatch]:
    rows = (
        Dispatch.objects.filter(status=Dispatch.Status.DEAD)
        .select_related("submission__form")
        .order_by("-next_attempt_at", "-id")
    )
    return Paginator(rows, PAGE_SIZE).get_page(page)


def list_programmes(*, open_only: bool = False) -> list[SupportProgramme]:
    with cross_tenant(reason="public SME support catalogue"):
        rows = SupportProgramme.objects.filter(is_published=True).select_related("form")
        if open_only:
            now = timezone.now()
            rows = rows.filter(Q(acceptance_end__isnull=True) | Q(acceptance_end__gte=now))
        return list(rows.order_by("acceptance_end", "title_ja"))


def list_vendors(
    *, municipality_code: str = "", it_support_only: bool = False, page: int = 1
) -> Page[ItVendor]:
    with cross_tenant(reason="public IT vendor directory"):
        rows = ItVendor.objects.filter(is_published=True)
        if it_support_only:
            rows = rows.filter(is_it_support_provider=True)
        vendors = list(rows.order_by("name"))
    if municipality_code:
        vendors = [
            v
            for v in vendors
            if not v.municipality_codes or municipality_code in v.municipality_codes
        ]
    return Paginator(vendors, PAGE_SIZE).get_page(page)


# --- reconciliation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconciliationLine:
    reference: str
    status: (
        str  # matched | amount_mismatch | not_settled | unknown_reference | settled_not_recorded
    )
    amount_recorded: int | None
    amount_settled: int | None
    submission_reference: str


def reconcile(
    *, payments: list[Payment], settlements: list[Settlement]
) -> list[ReconciliationLine]:
    """Match our payments with the provider's settlement report by reference number (the caller
    passes only settlements of the tenants it may read)."""
    settled = {s.reference: s for s in settlements}
    lines = []
    for payment in payments:
        settlement = settled.pop(payment.reference, None)
        if settlement is None:
            status = "not_settled" if payment.status == Payment.Status.PAID else payment.status
            lines.append(
                ReconciliationLine(
                    payment.reference,
                    status,
                    payment.amount_yen,
                    None,
                    payment.submission.reference,
                )
            )
            continue
        if settlement.amount_yen != payment.amount_yen:
            status = "amount_mismatch"
        elif payment.status != Payment.Status.PAID:
            status = "settled_not_recorded"
        else:
            status = "matched"
        lines.append(
            ReconciliationLine(
                payment.reference,
                status,
                payment.amount_yen,
                settlement.amount_yen,
                payment.submission.reference,
            )
        )
    for settlement in settled.values():
        lines.append(
            ReconciliationLine(
                settlement.reference, "unknown_reference", None, settlement.amount_yen, ""
            )
        )
    return lines


def count_published_forms() -> int:
    with cross_tenant(reason="plan indicator"):
        return Form.objects.filter(status=Form.Status.PUBLISHED).count()


def count_submissions_this_month() -> int:
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with cross_tenant(reason="plan indicator"):
        return Submission.objects.filter(submitted_at__gte=start).count()
