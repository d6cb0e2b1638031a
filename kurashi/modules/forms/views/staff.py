"""Staff pages: the form builder, versions and templates, the case queue and case page, exports,
the dead-letter list and the payment reconciliation report. Every view runs in the tenant scope
the staff member's memberships give for its permission (views.common.staff_view)."""

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import ChoiceField
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kurashi.core.models import User
from kurashi.core.permissions import has_permission
from kurashi.core.tenancy import list_tenants, tenant_names, tenant_scope
from kurashi.modules.forms import selectors
from kurashi.modules.forms.adapters import payment_provider
from kurashi.modules.forms.definition import FieldType
from kurashi.modules.forms.forms import (
    FieldForm,
    NewFormForm,
    PageConditionForm,
    PageForm,
    SettingsForm,
    TransitionForm,
)
from kurashi.modules.forms.models import (
    Case,
    CsvBatch,
    DeletionRecord,
    Dispatch,
    Form,
    FormVersion,
    Payment,
    Submission,
    SubmissionFile,
)
from kurashi.modules.forms.services import backoffice, builder, cases
from kurashi.modules.forms.services.cases import TRANSITIONS
from kurashi.modules.forms.services.documents import answer_blocks
from kurashi.modules.forms.views.common import acting_user, request_scope, staff_view

MANAGE = "forms.manage_forms"
PROCESS = "forms.process_cases"


def _form(request: HttpRequest, pk: int, *, write: bool = False) -> Form:
    form = selectors.get_form(pk=pk)
    if form is None:
        raise Http404
    if write and not request_scope(request).can_write(form.tenant_code):
        raise PermissionDenied(_("You can read this form but not change it."))
    return form


def _writable_tenants(request: HttpRequest) -> list[tuple[str, str]]:
    scope = request_scope(request)
    return [(t.code, t.name) for t in list_tenants() if scope.can_write(t.code)]


@require_GET
@staff_view(MANAGE)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.list_forms(), selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "forms/staff/dashboard.html",
        {"page": page, "tenants": tenant_names(), "can_create": bool(_writable_tenants(request))},
    )


@require_http_methods(["GET", "POST"])
@staff_view(MANAGE)
def new_form_view(request: HttpRequest) -> HttpResponse:
    tenants = _writable_tenants(request)
    if not tenants:
        raise PermissionDenied
    form = NewFormForm(request.POST or None, tenants=tenants)
    if request.method == "POST" and form.is_valid():
        try:
            created = builder.create_form(
                tenant_code=form.cleaned_data["tenant_code"],
                slug=form.cleaned_data["slug"],
                title_ja=form.cleaned_data["title_ja"],
                title_en=form.cleaned_data["title_en"],
                actor=acting_user(request),
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("The form was created as a draft."))
            return redirect("forms:builder", created.pk)
    return render(
        request, "forms/staff/new.html", {"form": form}, status=400 if form.errors else 200
    )


def _builder_context(request: HttpRequest, form: Form) -> dict[str, Any]:
    version = builder.latest_version(form)
    definition, settings = builder.parse(version)
    fields = definition.all_fields()
    return {
        "form_obj": form,
        "version": version,
        "definition": definition,
        "settings": settings,
        "versions": list(FormVersion.objects.filter(form=form).order_by("-number")),
        "can_write": request_scope(request).can_write(form.tenant_code),
        "page_form": PageForm(prefix="page"),
        "field_form": _field_form(definition, None),
        "groups": [f for f in fields if f.type == FieldType.GROUP],
        "tenant": tenant_names().get(form.tenant_code),
    }


def _field_form(definition: Any, data: Any, initial: dict[str, Any] | None = None) -> FieldForm:
    questions = [
        (f.key, f"{f.label.ja} ({f.key})")
        for f in definition.all_fields()
        if f.type != FieldType.GROUP
    ]
    groups = [(f.key, f.label.ja) for f in definition.all_fields() if f.type == FieldType.GROUP]
    return FieldForm(
        data,
        initial=initial,
        prefix="field",
        pages=[(p.key, f"{p.title.ja} ({p.key})") for p in definition.pages],
        questions=questions,
        groups=groups,
    )


@require_GET
@staff_view(MANAGE)
def builder_view(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "forms/staff/builder.html", _builder_context(request, _form(request, pk))
    )


def _apply(request: HttpRequest, form: Form, change: Any) -> bool:
    try:
        change()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    return True


@require_POST
@staff_view(MANAGE)
def page_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = _form(request, pk, write=True)
    page_form = PageForm(request.POST, prefix="page")
    if page_form.is_valid():
        data = page_form.cleaned_data
        if _apply(
            request,
            form,
            lambda: builder.add_page(
                form=form,
                actor=acting_user(request),
                key=data["key"],
                title_ja=data["title_ja"],
                title_en=data["title_en"],
            ),
        ):
            messages.success(request, _("Page added."))
    else:
        for problems in page_form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
    return redirect("forms:builder", form.pk)


@require_POST
@staff_view(MANAGE)
def section_add_view(request: HttpRequest, pk: int, page_key: str) -> HttpResponse:
    """A new section at the end of a page; questions added to the page go into it."""
    form = _form(request, pk, write=True)
    title_ja = request.POST.get("title_ja", "").strip()[:200]
    title_en = request.POST.get("title_en", "").strip()[:200]
    if _apply(
        request,
        form,
        lambda: builder.add_section(
            form=form,
            actor=acting_user(request),
            page_key=page_key,
            title_ja=title_ja,
            title_en=title_en,
        ),
    ):
        messages.success(request, _("Section added."))
    return redirect(reverse("forms:builder", args=[form.pk]) + f"#page-{page_key}")


@require_http_methods(["GET", "POST"])
@staff_view(MANAGE)
def page_edit_view(request: HttpRequest, pk: int, page_key: str) -> HttpResponse:
    form = _form(request, pk, write=True)
    definition, _settings = builder.parse(builder.latest_version(form))
    page = definition.page(page_key)
    if page is None:
        raise Http404
    if request.method == "POST" and request.POST.get("action") == "remove":
        if _apply(
            request,
            form,
            lambda: builder.remove_page(form=form, actor=acting_user(request), page_key=page_key),
        ):
            messages.success(request, _("Page removed."))
        return redirect("forms:builder", form.pk)
    earlier = []
    for other in definition.pages:
        if other.key == page_key:
            break
        earlier += [
            (f.key, f"{f.label.ja} ({f.key})") for f in other.fields() if f.type != FieldType.GROUP
        ]
    condition = page.show_if[0] if page.show_if else None
    edit = PageConditionForm(
        request.POST or None,
        initial={
            "title_ja": page.title.ja,
            "title_en": page.title.en,
            "condition_field": condition.field if condition else "",
            "condition_operator": condition.operator if condition else "equals",
            "condition_value": condition.value if condition else "",
        },
    )
    cast(ChoiceField, edit.fields["condition_field"]).choices = [("", "—"), *earlier]
    if request.method == "POST" and edit.is_valid():
        data = edit.cleaned_data
        if _apply(
            request,
            form,
            lambda: builder.update_page(
                form=form,
                actor=acting_user(request),
                page_key=page_key,
                title_ja=data["title_ja"],
                title_en=data["title_en"],
                show_if=edit.conditions(),
            ),
        ):
            messages.success(request, _("Page saved."))
            return redirect("forms:builder", form.pk)
    return render(
        request, "forms/staff/page_edit.html", {"form_obj": form, "page": page, "edit": edit}
    )


@require_http_methods(["GET", "POST"])
@staff_view(MANAGE)
def field_edit_view(request: HttpRequest, pk: int, field_key: str | None = None) -> HttpResponse:
    form = _form(request, pk, write=True)
    definition, _settings = builder.parse(builder.latest_version(form))
    initial = None
    group_of = ""
    if field_key:
        existing = definition.field(field_key)
        if existing is None:
            for group in definition.all_fields():
                child = next((c for c in group.fields if c.key == field_key), None)
                if child is not None:
                    existing, group_of = child, group.key
                    break
        if existing is None:
            raise Http404
        condition = existing.show_if[0] if existing.show_if else None
        initial = {
            "key": existing.key,
            "type": existing.type,
            "label_ja": existing.label.ja,
            "label_en": existing.label.en,
            "help_ja": existing.help.ja if existing.help else "",
            "help_en": existing.help.en if existing.help else "",
            "required": existing.required,
            "options": "\n".join(f"{o.value}|{o.label.ja}|{o.label.en}" for o in existing.options),
            "max_length": existing.max_length,
            "min_items": existing.min_items,
            "max_items": existing.max_items,
            "max_megabytes": existing.max_bytes // (1024 * 1024),
            "group_key": group_of,
            "condition_field": condition.field if condition else "",
            "condition_operator": condition.operator if condition else "equals",
            "condition_value": condition.value if condition else "",
        }
    field_form = _field_form(definition, request.POST or None, initial)
    if request.method == "POST":
        if request.POST.get("action") == "remove" and field_key:
            if _apply(
                request,
                form,
                lambda: builder.remove_field(
                    form=form,
                    actor=acting_user(request),
                    field_key=field_key,
                    group_key=group_of or None,
                ),
            ):
                messages.success(request, _("Question removed."))
            return redirect("forms:builder", form.pk)
        if request.POST.get("action") in ("up", "down") and field_key:
            _apply(
                request,
                form,
                lambda: builder.move_field(
                    form=form,
                    actor=acting_user(request),
                    field_key=field_key,
                    offset=-1 if request.POST["action"] == "up" else 1,
                ),
            )
            return redirect(reverse("forms:builder", args=[form.pk]) + f"#q-{field_key}")
        if field_form.is_valid():
            spec = field_form.field_spec()
            ok = _apply(
                request,
                form,
                lambda: builder.put_field(
                    form=form,
                    actor=acting_user(request),
                    field=spec,
                    page_key=field_form.cleaned_data.get("page_key") or None,
                    group_key=field_form.cleaned_data.get("group_key") or None,
                ),
            )
            if ok:
                messages.success(request, _("Question saved."))
                return redirect(reverse("forms:builder", args=[form.pk]) + f"#q-{spec['key']}")
    return render(
        request,
        "forms/staff/field_edit.html",
        {"form_obj": form, "field_form": field_form, "field_key": field_key},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_view(MANAGE)
def settings_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = _form(request, pk, write=True)
    version = builder.latest_version(form)
    settings_form = SettingsForm(
        request.POST or None, initial=SettingsForm.initial_from(version.settings)
    )
    if (
        request.method == "POST"
        and settings_form.is_valid()
        and _apply(
            request,
            form,
            lambda: builder.update_settings(
                form=form, actor=acting_user(request), settings=settings_form.settings_dict()
            ),
        )
    ):
        messages.success(request, _("Settings saved in the draft."))
        return redirect("forms:builder", form.pk)
    return render(
        request,
        "forms/staff/settings.html",
        {"form_obj": form, "settings_form": settings_form},
        status=400 if settings_form.errors else 200,
    )


@require_POST
@staff_view(MANAGE)
def publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = _form(request, pk, write=True)
    action = request.POST.get("action", "publish")
    if action == "publish":
        if _apply(
            request, form, lambda: builder.publish_form(form=form, actor=acting_user(request))
        ):
            messages.success(request, _("Published. Applicants now use this version."))
    elif action == "archive":
        builder.unpublish_form(form=form, actor=acting_user(request))
        messages.success(request, _("The form is closed for new applications."))
    elif action == "restore":
        number = request.POST.get("number", "")
        if number.isdigit() and _apply(
            request,
            form,
            lambda: builder.restore_version(
                form=form, number=int(number), actor=acting_user(request)
            ),
        ):
            messages.success(
                request,
                _(
                    "Version %(number)s was copied into the draft with all its settings; publish it to use it."
                )
                % {"number": number},
            )
    elif action == "template" and _apply(
        request,
        form,
        lambda: builder.publish_template(
            form=form,
            actor=acting_user(request),
            description=request.POST.get("description", "")[:2000],
        ),
    ):
        messages.success(request, _("Shared as a template for every municipality."))
    return redirect("forms:builder", form.pk)


@require_http_methods(["GET", "POST"])
@staff_view(MANAGE)
def templates_view(request: HttpRequest) -> HttpResponse:
    tenants = _writable_tenants(request)
    if request.method == "POST":
        template_id = request.POST.get("template", "")
        try:
            created = builder.copy_template(
                template_id=int(template_id) if template_id.isdigit() else 0,
                tenant_code=request.POST.get("tenant_code", ""),
                slug=request.POST.get("slug", ""),
                actor=acting_user(request),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The template was copied into a new draft form."))
            return redirect("forms:builder", created.pk)
    return render(
        request,
        "forms/staff/templates.html",
        {
            "templates": selectors.list_shared_templates(),
            "tenants": tenants,
            "names": tenant_names(),
        },
    )


@require_GET
@staff_view(PROCESS)
def export_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = _form(request, pk)
    encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"
    rows = (
        Submission.objects.filter(form=form, status=Submission.Status.SUBMITTED)
        .select_related("version")
        .order_by("submitted_at")
    )
    content = backoffice.export_csv(form=form, submissions=rows, encoding=encoding)
    response = HttpResponse(
        content, content_type=f"text/csv; charset={'Shift_JIS' if encoding == 'cp932' else 'utf-8'}"
    )
    response["Content-Disposition"] = f'attachment; filename="{form.tenant_code}-{form.slug}.csv"'
    return response


@require_http_methods(["GET", "POST"])
@staff_view(PROCESS)
def batches_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = _form(request, pk)
    if request.method == "POST":
        if not request_scope(request).can_write(form.tenant_code):
            raise PermissionDenied
        batch = backoffice.build_csv_batch(form=form, actor=acting_user(request))
        messages.success(
            request,
            _("A CSV file with %(count)d applications was made.") % {"count": batch.row_count}
            if batch
            else _("No new applications since the last file."),
        )
        return redirect("forms:batches", form.pk)
    return render(
        request,
        "forms/staff/batches.html",
        {"form_obj": form, "batches": CsvBatch.objects.filter(form=form)[:50]},
    )


@require_GET
@staff_view(PROCESS)
def batch_download_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = CsvBatch.objects.filter(pk=pk).first()
    if batch is None:
        raise Http404
    return FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=(batch.file.name or "batch.csv").rsplit("/", 1)[-1],
        content_type="text/csv",
    )


@require_GET
@staff_view(PROCESS)
def queue_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Case.Status.values:
        status = ""
    mine = request.GET.get("mine") == "1"
    overdue = request.GET.get("overdue") == "1"
    page = selectors.case_queue(
        status=status,
        assignee_id=request.user.pk if mine else None,
        overdue=overdue,
        page=int(request.GET.get("page", "1") or 1)
        if request.GET.get("page", "1").isdigit()
        else 1,
    )
    return render(
        request,
        "forms/staff/queue.html",
        {
            "page": page,
            "status": status,
            "mine": mine,
            "overdue": overdue,
            "statuses": Case.Status.choices,
            "is_overdue": cases.is_overdue,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view(PROCESS)
def case_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case(pk=pk)
    if case is None:
        raise Http404
    writable = request_scope(request).can_write(case.tenant_code)
    user: User = request.user  # type: ignore[assignment]
    transition_form = TransitionForm(request.POST or None, prefix="t")
    cast(ChoiceField, transition_form.fields["to"]).choices = [
        (s, Case.Status(s).label) for s in sorted(TRANSITIONS[case.status])
    ]
    if request.method == "POST":
        if not writable:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "transition" and transition_form.is_valid():
                cases.transition(
                    case=case,
                    to=transition_form.cleaned_data["to"],
                    actor=user,
                    message=transition_form.cleaned_data["message"],
                    request=request,
                )
                messages.success(request, _("The case was updated."))
            elif action == "assign":
                assignee = (
                    User.objects.filter(pk=request.POST.get("assignee") or 0).first()
                    if request.POST.get("assignee")
                    else None
                )
                cases.assign(case=case, assignee=assignee, actor=user, request=request)
                messages.success(request, _("Assignment saved."))
            elif action in ("confirm", "return"):
                cases.confirm_decision(
                    case=case, actor=user, approve=action == "confirm", request=request
                )
                messages.success(
                    request,
                    _("The decision was confirmed.")
                    if action == "confirm"
                    else _("The proposal was sent back."),
                )
            elif action in ("hold", "release"):
                backoffice.set_legal_hold(
                    submission=case.submission,
                    hold=action == "hold",
                    actor=user,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Legal hold updated."))
            else:
                for problems in transition_form.errors.values():
                    for problem in problems:
                        messages.error(request, str(problem))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("forms:case", case.pk)
    submission = case.submission
    return render(
        request,
        "forms/staff/case.html",
        {
            "case": case,
            "submission": submission,
            "blocks": answer_blocks(submission),
            "files": SubmissionFile.objects.filter(submission=submission),
            "events": case.events.all(),
            "payments": Payment.objects.filter(submission=submission),
            "dispatches": Dispatch.objects.filter(submission=submission),
            "transition_form": transition_form,
            "writable": writable,
            "can_approve": has_permission(
                user, "forms.approve_cases", municipality_code=case.tenant_code
            )
            and case.proposed_by_id != user.pk,
            "is_overdue": cases.is_overdue(case),
            "tenant": tenant_names().get(case.tenant_code),
        },
    )


@require_GET
@staff_view(PROCESS)
def file_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    stored = SubmissionFile.objects.filter(pk=pk).first()
    if stored is None:
        raise Http404
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@staff_view(PROCESS)
def dead_letters_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        dispatch = Dispatch.objects.filter(
            pk=request.POST.get("dispatch") or 0, status=Dispatch.Status.DEAD
        ).first()
        if dispatch is None or not request_scope(request).can_write(dispatch.tenant_code):
            raise Http404
        with tenant_scope(dispatch.tenant_code):
            backoffice.retry_dispatch(dispatch=dispatch, actor=acting_user(request))
        messages.success(request, _("It will be sent again."))
        return redirect("forms:dead_letters")
    page = selectors.dead_letters(
        page=int(request.GET.get("page", "1")) if request.GET.get("page", "1").isdigit() else 1
    )
    return render(request, "forms/staff/dead_letters.html", {"page": page})


@require_GET
@staff_view(PROCESS)
def reconciliation_view(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    payments = list(Payment.objects.select_related("submission").order_by("-created_at")[:1000])
    settlements = []
    provider = payment_provider("fake")
    if provider is not None:
        settlements = [
            s for s in provider.settlements() if scope.can_read(s.reference.split("-", 1)[0])
        ]
    lines = selectors.reconcile(payments=payments, settlements=settlements)
    page = Paginator(lines, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "forms/staff/reconciliation.html",
        {
            "page": page,
            "problems": sum(1 for line in lines if line.status not in ("matched", "pending")),
        },
    )


@require_GET
@staff_view(MANAGE)
def deletions_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(DeletionRecord.objects.all(), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "forms/staff/deletions.html", {"page": page})
