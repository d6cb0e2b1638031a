"""The applicant's side: the catalogue, filling in page by page, save and resume, identity,
payment, the confirmation and the status page reached by its secret link or by its owner."""

import json
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kurashi.core.tenancy import cross_tenant, tenant_names, tenant_scope
from kurashi.modules.forms import answers as answer_rules
from kurashi.modules.forms import selectors
from kurashi.modules.forms.adapters import fakes_enabled, identity_provider, payment_provider
from kurashi.modules.forms.definition import IDENTITY_LABELS, FieldType, IdentityLevel
from kurashi.modules.forms.japanese import InputError, clean_postal_code
from kurashi.modules.forms.models import IssuedDocument, Payment, Submission
from kurashi.modules.forms.services import builder, cases, documents, filling
from kurashi.modules.forms.services.documents import answer_blocks
from kurashi.modules.forms.views import widgets
from kurashi.modules.forms.views.common import (
    acting_user,
    grant_draft,
    has_draft,
    private,
    public_unless_signed_in,
)


@require_GET
@public_unless_signed_in(60)
def catalogue_view(request: HttpRequest) -> HttpResponse:
    tenant = request.GET.get("tenant", "")
    query = request.GET.get("q", "")[:100]
    forms = selectors.list_published_forms(tenant_code=tenant or None, query=query)
    page = Paginator(forms, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    links = [
        c for c in selectors.list_catalogue(tenant_code=tenant or None) if c.channel != "kurashi"
    ]
    return render(
        request,
        "forms/catalogue.html",
        {
            "page": page,
            "links": links,
            "tenants": list(tenant_names().values()),
            "tenant": tenant,
            "query": query,
            "identity_labels": {str(k): v for k, v in IDENTITY_LABELS.items()},
        },
    )


@require_GET
def postal_view(request: HttpRequest, code: str) -> JsonResponse:
    try:
        normalised = clean_postal_code(code)
    except InputError as error:
        return JsonResponse({"error": str(error)}, status=400)
    addresses = filling.postal_lookup(normalised)
    response = JsonResponse({"postal_code": normalised, "addresses": addresses})
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_http_methods(["GET", "POST"])
@private
def start_view(request: HttpRequest, tenant_code: str, slug: str) -> HttpResponse:
    form = selectors.get_public_form(tenant_code=tenant_code, slug=slug)
    if form is None or form.published_version is None:
        raise Http404(_("This form does not exist or is closed."))
    _definition, form_settings = builder.parse(form.published_version)
    if request.method == "POST":
        with tenant_scope(form.tenant_code):
            submission = filling.start_submission(
                form=form, language=get_language() or "ja", owner=acting_user(request)
            )
        grant_draft(request, str(submission.public_id))
        return redirect("forms:fill", submission.public_id, submission.current_page)
    tenant = tenant_names().get(form.tenant_code)
    return render(
        request,
        "forms/start.html",
        {
            "form": form,
            "settings": form_settings,
            "tenant": tenant,
            "identity_label": IDENTITY_LABELS[form_settings.identity_level],
            "pages": _definition.pages,
        },
    )


def _draft(request: HttpRequest, public_id: UUID) -> Submission:
    """The submission this browser may edit: granted in its session, or owned by the user."""
    with cross_tenant(reason="find the applicant's own draft"):
        submission = (
            Submission.objects.select_related("form", "version").filter(public_id=public_id).first()
        )
    if submission is None:
        raise Http404
    owner = request.user.is_authenticated and submission.owner_id == request.user.pk
    if not (has_draft(request, str(public_id)) or owner):
        raise Http404
    return submission


def _page_context(
    request: HttpRequest,
    submission: Submission,
    page_key: str,
    errors: list[answer_rules.FieldError],
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    definition, form_settings = builder.parse(submission.version)
    page = definition.page(page_key)
    assert page is not None  # noqa: S101 (checked by the caller)
    answers = values if values is not None else submission.answers
    with tenant_scope(submission.tenant_code, read_only=True):
        slots = filling.open_slots(submission.form)
    visible = [p.key for p in answer_rules.visible_pages(definition, submission.answers)]
    sections = []
    for section in page.sections:
        fields = [
            widgets.build(f, answers.get(f.key), errors, slots=slots)
            for f in section.fields
            if answer_rules.is_visible(f.show_if, {**submission.answers, **answers})
            or _same_page_condition(f, page)
        ]
        sections.append({"section": section, "widgets": fields})
    return {
        "submission": submission,
        "settings": form_settings,
        "page": page,
        "sections": sections,
        "errors": errors,
        "step": (visible.index(page_key) + 1) if page_key in visible else 1,
        "steps": len(visible) or 1,
        "previous": filling.previous_page(submission, page_key),
        "other_language": "en" if (get_language() or "ja").startswith("ja") else "ja",
    }


def _same_page_condition(form_field: Any, page: Any) -> bool:
    """Fields whose condition depends on another field of the same page are drawn (hidden by the
    script until the condition holds) so that the page works without a round trip."""
    keys = {f.key for f in page.fields()}
    return bool(form_field.show_if) and all(c.field in keys for c in form_field.show_if)


@require_http_methods(["GET", "POST"])
@private
def fill_view(request: HttpRequest, public_id: UUID, page_key: str) -> HttpResponse:
    submission = _draft(request, public_id)
    if not filling.is_editable(submission):
        return redirect("forms:done", submission.public_id)
    definition, _settings = builder.parse(submission.version)
    if definition.page(page_key) is None:
        raise Http404
    if request.method == "GET":
        return render(request, "forms/fill.html", _page_context(request, submission, page_key, []))
    # The page was drawn for one version; a changed or foreign version id is refused unchanged.
    if request.POST.get("version") != str(submission.version_id):
        return render(
            request,
            "forms/error.html",
            {
                "message": _(
                    "This page belongs to another version of the form. Nothing was saved; open the form again."
                )
            },
            status=400,
        )
    action = request.POST.get("action", "next")
    validate = action == "next" or action == "review"
    language = request.POST.get("language", "") if action == "switch_language" else None
    if language not in (None, "ja", "en"):
        return HttpResponseBadRequest()
    with tenant_scope(submission.tenant_code):
        if action.startswith(("add:", "remove:")):
            data = _group_change(request.POST, action, definition)
            result = filling.save_page(
                submission=submission,
                page_key=page_key,
                data=data,
                files=request.FILES,
                validate=False,
            )
            return redirect(
                reverse("forms:fill", args=[submission.public_id, page_key])
                + f"#id_{action.split(':')[1]}"
            )
        result = filling.save_page(
            submission=submission,
            page_key=page_key,
            data=request.POST,
            files=request.FILES,
            validate=validate,
            language=language,
        )
    if action == "switch_language" and language:
        return redirect(
            translate_url(reverse("forms:fill", args=[submission.public_id, page_key]), language)
        )
    if action == "save":
        return redirect("forms:save", submission.public_id)
    if action == "back":
        previous = filling.previous_page(submission, page_key)
        return redirect("forms:fill", submission.public_id, previous or page_key)
    if action == "lookup":
        return redirect(reverse("forms:fill", args=[submission.public_id, page_key]))
    if result.errors:
        context = _page_context(
            request,
            submission,
            page_key,
            result.errors,
            values={**submission.answers, **result.answers},
        )
        return render(request, "forms/fill.html", context, status=400)
    following = filling.next_page(submission, page_key)
    if following is None:
        return redirect("forms:review", submission.public_id)
    return redirect("forms:fill", submission.public_id, following)


class _Data:
    """The posted data with a repeating group's item count changed (add / remove an item)."""

    def __init__(self, post: Any, overrides: dict[str, list[str]]) -> None:
        self.post, self.overrides = post, overrides

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.overrides:
            return self.overrides[key][0] if self.overrides[key] else default
        return self.post.get(key, default)

    def getlist(self, key: str) -> list[str]:
        values: list[str] = self.overrides.get(key, self.post.getlist(key))
        return values


def _group_change(post: Any, action: str, definition: Any) -> _Data:
    parts = action.split(":")
    group = definition.field(parts[1])
    if group is None or group.type != FieldType.GROUP:
        return _Data(post, {})
    try:
        count = int(post.get(f"{group.key}__count", "0"))
    except ValueError:
        count = 0
    if parts[0] == "add":
        return _Data(post, {f"{group.key}__count": [str(min(count + 1, group.max_items))]})
    try:
        index = int(parts[2])
    except (IndexError, ValueError):
        return _Data(post, {})
    overrides: dict[str, list[str]] = {f"{group.key}__count": [str(max(count - 1, 0))]}
    for position in range(index, count):
        for child in group.fields:
            for suffix in (
                "",
                *[f"__{p}" for p in (*answer_rules.NAME_PARTS, *answer_rules.ADDRESS_PARTS)],
            ):
                source = f"{group.key}__{position + 1}__{child.key}{suffix}"
                target = f"{group.key}__{position}__{child.key}{suffix}"
                overrides[target] = post.getlist(source)
    return _Data(post, overrides)


@require_http_methods(["GET", "POST"])
@private
def save_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    submission = _draft(request, public_id)
    error = ""
    if request.method == "POST":
        try:
            with tenant_scope(submission.tenant_code):
                filling.send_resume_link(
                    submission=submission,
                    email=request.POST.get("email", ""),
                    site_url=settings.SITE_URL,
                )
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            return render(request, "forms/saved.html", {"submission": submission})
    return render(
        request,
        "forms/save.html",
        {"submission": submission, "error": error},
        status=400 if error else 200,
    )


@require_GET
@private
def resume_view(request: HttpRequest, public_id: UUID, token: str) -> HttpResponse:
    with cross_tenant(reason="open a draft by its magic link"):
        submission = (
            Submission.objects.select_related("version").filter(public_id=public_id).first()
        )
    if submission is None:
        raise Http404
    with tenant_scope(submission.tenant_code):
        ok = filling.resume(submission=submission, token=token)
    if not ok:
        return render(
            request,
            "forms/error.html",
            {
                "message": _(
                    "This link has expired or is not valid. Ask for a new one from the form."
                )
            },
            status=410,
        )
    grant_draft(request, str(submission.public_id))
    messages.success(request, _("Welcome back. Your answers are as you left them."))
    if submission.language in ("ja", "en") and submission.language != (get_language() or "ja")[:2]:
        return redirect(
            translate_url(
                reverse("forms:fill", args=[submission.public_id, submission.current_page]),
                submission.language,
            )
        )
    return redirect("forms:fill", submission.public_id, submission.current_page)


@require_http_methods(["GET", "POST"])
@private
def review_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    submission = _draft(request, public_id)
    if not filling.is_editable(submission):
        return redirect("forms:done", submission.public_id)
    _definition, form_settings = builder.parse(submission.version)
    unfinished = filling.unfinished_pages(submission)
    missing_identity = filling.identity_missing(submission)
    error = ""
    if request.method == "POST":
        if request.POST.get("version") != str(submission.version_id):
            return render(
                request,
                "forms/error.html",
                {
                    "message": _(
                        "This page belongs to another version of the form. Nothing was saved; open the form again."
                    )
                },
                status=400,
            )
        try:
            with tenant_scope(submission.tenant_code):
                filling.submit(submission=submission, site_url=settings.SITE_URL)
        except filling.SubmissionError as problem:
            error = " ".join(problem.messages)
        else:
            if submission.status == Submission.Status.AWAITING_PAYMENT:
                return redirect("forms:pay", submission.public_id)
            return redirect("forms:done", submission.public_id)
    provider = (
        identity_provider(missing_identity)
        if missing_identity and missing_identity != IdentityLevel.EMAIL
        else None
    )
    return render(
        request,
        "forms/review.html",
        {
            "submission": submission,
            "settings": form_settings,
            "blocks": answer_blocks(submission),
            "unfinished": [(p.key, str(p.title)) for p in _definition.pages if p.key in unfinished],
            "missing_identity": IDENTITY_LABELS[missing_identity] if missing_identity else None,
            "needs_email_check": missing_identity == IdentityLevel.EMAIL,
            "provider": provider,
            "error": error,
        },
        status=400 if error else 200,
    )


@require_POST
@private
def identity_start_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    submission = _draft(request, public_id)
    missing = filling.identity_missing(submission)
    provider = identity_provider(missing) if missing else None
    if provider is None:
        return redirect("forms:review", submission.public_id)
    state = filling.new_state()
    request.session["forms_identity"] = {
        "state": state,
        "submission": str(submission.public_id),
        "provider": provider.name,
    }
    return redirect(provider.start_url(state=state))


@require_http_methods(["GET", "POST"])
@private
def fake_identity_view(request: HttpRequest, provider_name: str) -> HttpResponse:
    """The sign-in page of a fake identity provider (development, demo and tests only)."""
    pending = request.session.get("forms_identity") or {}
    if not fakes_enabled() or pending.get("provider") != provider_name:
        raise Http404
    level = IdentityLevel(provider_name)
    provider = identity_provider(level)
    if provider is None:
        raise Http404
    if request.method == "POST":
        if request.POST.get("state") != pending.get("state"):
            return HttpResponseBadRequest()
        try:
            identity = provider.complete(params={k: str(v) for k, v in request.POST.items()})
        except ValueError:
            return render(
                request,
                "forms/fake_identity.html",
                {
                    "provider": provider,
                    "state": pending["state"],
                    "error": _("Enter an identifier."),
                },
                status=400,
            )
        submission = _draft(request, UUID(pending["submission"]))
        with tenant_scope(submission.tenant_code):
            filling.record_identity(submission=submission, identity=identity)
        del request.session["forms_identity"]
        return redirect("forms:review", submission.public_id)
    return render(
        request,
        "forms/fake_identity.html",
        {"provider": provider, "state": request.GET.get("state", "")},
    )


@require_http_methods(["GET", "POST"])
@private
def pay_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    submission = _draft(request, public_id)
    if submission.status != Submission.Status.AWAITING_PAYMENT:
        return redirect("forms:done", submission.public_id)
    with tenant_scope(submission.tenant_code, read_only=True):
        payment = filling.pending_payment(submission)
    if payment is None:
        return redirect("forms:done", submission.public_id)
    if request.method == "POST":
        try:
            return redirect(filling.payment_start_url(payment))
        except ValidationError as problem:
            messages.error(request, " ".join(problem.messages))
    _definition, form_settings = builder.parse(submission.version)
    return render(
        request,
        "forms/pay.html",
        {"submission": submission, "payment": payment, "settings": form_settings},
    )


@require_http_methods(["GET", "POST"])
@private
def fake_pay_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The payment page of the fake acquirer: it settles and calls back like a real one."""
    provider = payment_provider("fake")
    if provider is None or not fakes_enabled():
        raise Http404
    with cross_tenant(reason="payment provider callback"):
        payment = Payment.objects.select_related("submission").filter(reference=reference).first()
    if payment is None:
        raise Http404
    if payment.status != Payment.Status.PENDING:
        return render(
            request,
            "forms/error.html",
            {
                "message": _("This payment has expired.")
                if payment.status == Payment.Status.EXPIRED
                else _("This payment is already settled.")
            },
            status=400,
        )
    if request.method == "POST":
        settlement = provider.settle(reference=payment.reference, amount_yen=payment.amount_yen)  # type: ignore[attr-defined]
        with tenant_scope(payment.tenant_code):
            filling.confirm_payment(
                reference=settlement.reference,
                amount_yen=settlement.amount_yen,
                provider_payment_id=settlement.provider_payment_id,
                site_url=settings.SITE_URL,
            )
        return redirect("forms:done", payment.submission.public_id)
    return render(request, "forms/fake_pay.html", {"payment": payment})


@require_GET
@private
def done_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    submission = _draft(request, public_id)
    if submission.status == Submission.Status.DRAFT:
        return redirect("forms:review", submission.public_id)
    _definition, form_settings = builder.parse(submission.version)
    return render(
        request,
        "forms/done.html",
        {
            "submission": submission,
            "settings": form_settings,
            "status_url": filling.status_url(submission) if submission.status_salt else "",
        },
    )


def _status_submission(request: HttpRequest, public_id: UUID, token: str | None) -> Submission:
    """A submission by its secret status link, or by its signed-in owner; 404 otherwise (the
    same answer for a wrong token and an unknown id)."""
    with cross_tenant(reason="applicant status page"):
        submission = (
            Submission.objects.select_related("form", "version")
            .filter(public_id=public_id)
            .exclude(reference="")
            .first()
        )
    if submission is None:
        raise Http404
    if token is not None and filling.status_token_matches(submission, token):
        return submission
    if token is None and request.user.is_authenticated and submission.owner_id == request.user.pk:
        return submission
    raise Http404


@require_http_methods(["GET", "POST"])
@private
def status_view(request: HttpRequest, public_id: UUID, token: str | None = None) -> HttpResponse:
    submission = _status_submission(request, public_id, token)
    with tenant_scope(submission.tenant_code, read_only=True):
        case = getattr(submission, "case", None)
        events = list(case.events.filter(is_visible_to_applicant=True)) if case else []
        docs = list(IssuedDocument.objects.filter(submission=submission))
    if (
        request.method == "POST"
        and request.POST.get("action") == "correct"
        and case
        and case.status == "correction_requested"
    ):
        grant_draft(request, str(submission.public_id))
        definition, _settings = builder.parse(submission.version)
        return redirect("forms:fill", submission.public_id, definition.pages[0].key)
    _definition, form_settings = builder.parse(submission.version)
    return render(
        request,
        "forms/status.html",
        {
            "submission": submission,
            "settings": form_settings,
            "case": case,
            "events": events,
            "documents": docs,
            "token": token,
            "blocks": answer_blocks(submission) if submission.anonymised_at is None else [],
        },
    )


@require_GET
@private
def document_view(
    request: HttpRequest, public_id: UUID, kind: str, token: str | None = None
) -> HttpResponseBase:
    submission = _status_submission(request, public_id, token)
    if kind not in IssuedDocument.Kind.values or submission.status != Submission.Status.SUBMITTED:
        raise Http404
    with tenant_scope(submission.tenant_code):
        document = (
            IssuedDocument.objects.filter(submission=submission, kind=kind)
            .order_by("-issued_at")
            .first()
        )
        if document is None and kind == IssuedDocument.Kind.RECEIPT:
            document = documents.issue(submission=submission, kind=kind)
    if document is None:
        raise Http404
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{submission.reference}-{kind}.pdf",
        content_type="application/pdf",
    )


@require_GET
@public_unless_signed_in(300)
def verify_view(request: HttpRequest, code: str) -> HttpResponse:
    document = selectors.find_document(code[:40])
    tenant = tenant_names().get(document.tenant_code) if document else None
    return render(
        request,
        "forms/verify.html",
        {"document": document, "tenant": tenant, "code": code[:40]},
        status=200 if document else 404,
    )


@require_GET
@private
def my_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('core:login')}?next={request.path}")
    with cross_tenant(reason="an applicant's own submissions"):
        rows = list(
            Submission.objects.filter(owner=acting_user(request))
            .select_related("form", "version")
            .order_by("-created_at")[:100]
        )
    return render(
        request, "forms/my.html", {"rows": [(s, builder.parse(s.version)[1]) for s in rows]}
    )


def case_status_label(submission: Submission) -> str:
    case = getattr(submission, "case", None)
    return case.get_status_display() if case else submission.get_status_display()


__all__ = ["cases", "json"]
