"""Pages of the records module: the resident's consent and "who viewed my record", the clinician
patient list and time-ordered summary, break-glass, the liaison office's consent and review
queues, overdue break-glass for administrators, comments and the yearly access review."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kurashi.core.models import Organisation, User
from kurashi.core.permissions import grant_for, has_permission_anywhere
from kurashi.modules.records import crypto, forms, matching, selectors, services
from kurashi.modules.records.models import (
    BreakGlass,
    LocalIdentifier,
    MatchReview,
    MergeRecord,
    Person,
    PersonKey,
)
from kurashi.modules.records.views.common import needs_second_factor, session_expired

View = Callable[..., HttpResponse]


def staff_user(request: HttpRequest) -> User:
    """The signed-in account (the decorators below guarantee one)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("records")
    return request.user


def signed_in(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if session_expired(request):
            messages.info(request, _("Your session timed out. Please log in again."))
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("core:login"))
        return view(request, *args, **kwargs)

    return wrapper


def staff_page(*permissions: str) -> Callable[[View], View]:
    """Network staff only: signed in with two-factor authentication, holding a permission."""

    def decorate(view: View) -> View:
        @signed_in
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(has_permission_anywhere(request.user, p) for p in permissions):
                raise PermissionDenied(permissions[0])
            if needs_second_factor(request, request.user):
                messages.warning(
                    request,
                    _(
                        "Clinical records need two-factor authentication. Set it up, then log in again."
                    ),
                )
                return redirect("core:two-factor")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def person_label(person: Person) -> dict[str, Any]:
    value = selectors.person_demographics(person)
    return {
        "id": person.pk,
        "kanji_name": value.kanji_name,
        "kana_name": value.kana_name,
        "birth_date": value.birth_date,
        "sex": value.sex,
    }


def _facilities(user: Any, permission: str) -> list[Organisation]:
    grant = grant_for(user, permission)
    if grant.everywhere:
        return list(
            Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL).order_by("name_ja")
        )
    return list(
        Organisation.objects.filter(pk__in=sorted(grant.organisation_ids)).order_by("name_ja")
    )


def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "person": selectors.person_for_user(user),
        "is_clinician": selectors.is_clinician(user),
        "can_break_glass": has_permission_anywhere(user, selectors.BREAK_GLASS),
        "can_manage": has_permission_anywhere(user, selectors.MANAGE_INDEX),
        "can_audit": has_permission_anywhere(user, selectors.VIEW_AUDIT),
        "can_administer": has_permission_anywhere(user, selectors.ADMINISTER),
    }
    return render(request, "records/index.html", context)


# --- resident ---------------------------------------------------------------------------------


@signed_in
def my_consent(request: HttpRequest) -> HttpResponse:
    person = selectors.person_for_user(request.user)
    consents = (
        list(person.consents.prefetch_related("facilities").order_by("-signed_on", "-pk"))
        if person
        else []
    )
    return render(
        request,
        "records/my_consent.html",
        {
            "person": person,
            "consents": consents,
            "has_active": any(c.status == "active" for c in consents),
        },
    )


@signed_in
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    person = selectors.person_for_user(request.user)
    if person is None:
        raise PermissionDenied("records.resident")
    count = services.withdraw_consent(person=person, actor=request.user)
    if count:
        messages.success(
            request, _("Your consent is withdrawn. No facility can see your record any more.")
        )
    else:
        messages.info(request, _("There was no active consent to withdraw."))
    return redirect("records:my-consent")


@signed_in
def my_accesses(request: HttpRequest) -> HttpResponse:
    person = selectors.person_for_user(request.user)
    rows = list(selectors.list_accesses_for_person(person)[:500]) if person else []
    return render(request, "records/my_accesses.html", {"person": person, "rows": rows})


# --- clinicians -------------------------------------------------------------------------------


@staff_page(selectors.VIEW_CLINICAL, selectors.VIEW_MEDICATION, selectors.BREAK_GLASS)
def patients(request: HttpRequest) -> HttpResponse:
    """Find a patient shared with my facility by kana name and/or birth date. Nobody is listed
    without a search, and every patient shown is written to the access log."""
    form = forms.PatientSearchForm(request.GET or None)
    people: list[dict[str, Any]] = []
    tokens = []
    if form.is_bound and form.is_valid():
        if form.cleaned_data["kana_name"]:
            kana = matching.matching_kana(form.cleaned_data["kana_name"])
            tokens.append(crypto.token("block", f"kana:{kana}"))
        if form.cleaned_data["birth_date"]:
            born = form.cleaned_data["birth_date"].isoformat()
            tokens.append(crypto.token("block", f"birth:{born}"))
    if tokens:
        allowed = Person.objects.filter(selectors.accessible_person_ids(request.user, None)).filter(
            merged_into__isnull=True
        )
        for token in tokens:
            allowed = allowed.filter(
                pk__in=PersonKey.objects.filter(token=token).values("person_id")
            )
        for person in allowed.order_by("-pk")[:50]:
            decision = selectors.decide_access(request.user, person)
            services.log_decision(
                user=request.user,
                person=person,
                decision=decision,
                action="search",
                resource_type="Patient",
            )
            people.append(person_label(person))
    return render(
        request, "records/patients.html", {"form": form, "people": people, "searched": bool(tokens)}
    )


def _summary_access(request: HttpRequest, person: Person) -> selectors.AccessDecision:
    decision = selectors.decide_access(request.user, person)
    services.log_decision(
        user=request.user,
        person=person,
        decision=decision,
        action="summary",
        resource_type="Patient",
    )
    if not decision.allowed:
        raise PermissionDenied(decision.reason)
    return decision


@signed_in
def summary(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.current_person(get_object_or_404(Person, pk=person_id))
    if person.resident_id != request.user.pk and needs_second_factor(request, request.user):
        return redirect("core:two-factor")
    decision = _summary_access(request, person)
    types = None
    if decision.reason == "consent" and not grant_for(request.user, selectors.VIEW_CLINICAL):
        types = selectors.MEDICATION_TYPES
    entries = selectors.person_summary(person, resource_types=types)
    disclosers = Organisation.objects.filter(
        pk__in=LocalIdentifier.objects.filter(person=person).values("facility_id")
    ).order_by("name_ja")
    comment_form = forms.CommentForm()
    comment_form.fields["to_facility"].queryset = disclosers  # type: ignore[attr-defined]
    return render(
        request,
        "records/summary.html",
        {
            "person": person_label(person),
            "entries": entries,
            "decision": decision,
            "disclosers": disclosers,
            "comment_form": comment_form if decision.facility_id else None,
            "can_manage": has_permission_anywhere(request.user, selectors.MANAGE_INDEX),
        },
    )


@staff_page(selectors.VIEW_CLINICAL, selectors.VIEW_MEDICATION, selectors.BREAK_GLASS)
@require_POST
def comment(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.current_person(get_object_or_404(Person, pk=person_id))
    form = forms.CommentForm(request.POST)
    form.fields["to_facility"].queryset = Organisation.objects.all()  # type: ignore[attr-defined]
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("records:summary", person_id=person.pk)
    try:
        services.post_comment(
            user=staff_user(request),
            person=person,
            to_facility_id=form.cleaned_data["to_facility"].pk,
            body=form.cleaned_data["body"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your comment was sent to the facility."))
    return redirect("records:summary", person_id=person.pk)


@staff_page(selectors.VIEW_CLINICAL, selectors.VIEW_MEDICATION, selectors.MANAGE_INDEX)
def comments(request: HttpRequest) -> HttpResponse:
    facility_ids = {m.organisation_id for m in request.user.memberships.all()}  # type: ignore[union-attr]
    rows = [
        {"comment": c, "body": crypto.unseal_text(c.body)}
        for c in selectors.list_comments_for_facilities(facility_ids)[:200]
    ]
    return render(request, "records/comments.html", {"rows": rows})


# --- break-glass ------------------------------------------------------------------------------


@staff_page(selectors.BREAK_GLASS)
def emergency(request: HttpRequest) -> HttpResponse:
    facilities = Organisation.objects.filter(
        pk__in=sorted(grant_for(request.user, selectors.BREAK_GLASS).organisation_ids)
    )
    form = forms.EmergencyForm(request.POST or None)
    form.fields["facility"].queryset = facilities  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        probe = matching.Demographics(
            kana_name=form.cleaned_data["kana_name"], birth_date=form.cleaned_data["birth_date"]
        ).normalised()
        found = [
            c
            for c in services.find_candidates(probe)
            if c.score.parts.get("kana", 0) >= 2.0 and c.score.parts.get("birth_date", 0) >= 2.0
        ]
        if len(found) != 1:
            services.append_access(
                user=request.user,
                action="break-glass",
                purpose="ETREAT",
                outcome="4",
                facility_id=form.cleaned_data["facility"].pk,
                detail={"found": len(found)},
            )
            form.add_error(
                None,
                _(
                    "No single patient matches this name and date of birth. Check the kana and the date."
                ),
            )
        else:
            try:
                services.start_break_glass(
                    user=staff_user(request),
                    person=found[0].person,
                    facility_id=form.cleaned_data["facility"].pk,
                    reason=form.cleaned_data["reason"],
                    ems_case_reference=form.cleaned_data["ems_case_reference"],
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("reason", message)
            else:
                messages.warning(
                    request,
                    _(
                        "Emergency access opened and recorded. Obtain consent or document the reason within 24 hours."
                    ),
                )
                return redirect("records:summary", person_id=found[0].person.pk)
    mine = BreakGlass.objects.filter(
        user=staff_user(request), resolution=BreakGlass.Resolution.PENDING
    ).order_by("-started_at")
    return render(
        request,
        "records/emergency.html",
        {"form": form, "mine": mine, "document_form": forms.DocumentForm()},
    )


@staff_page(selectors.BREAK_GLASS, selectors.ADMINISTER)
@require_POST
def document_break_glass(request: HttpRequest, glass_id: int) -> HttpResponse:
    glass = get_object_or_404(BreakGlass, pk=glass_id)
    form = forms.DocumentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Document the reason in at least 10 characters."))
        services.document_break_glass(
            glass=glass,
            actor=staff_user(request),
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The reason is documented."))
    target = (
        "records:overdue"
        if has_permission_anywhere(request.user, selectors.ADMINISTER)
        else "records:emergency"
    )
    return redirect(target)


@staff_page(selectors.ADMINISTER)
def overdue(request: HttpRequest) -> HttpResponse:
    rows = selectors.list_overdue_break_glass().order_by("due_at")
    return render(
        request,
        "records/overdue.html",
        {"rows": rows, "document_form": forms.DocumentForm()},
    )


# --- liaison office ---------------------------------------------------------------------------


@staff_page(selectors.MANAGE_INDEX)
def consent_form(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.current_person(get_object_or_404(Person, pk=person_id))
    form = forms.ConsentForm(request.POST or None, request.FILES or None)
    form.fields["facilities"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
        kind=Organisation.Kind.HOSPITAL
    ).order_by("name_ja")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("form_file")
        try:
            services.record_consent(
                person=person,
                scope=form.cleaned_data["scope"],
                signed_on=form.cleaned_data["signed_on"],
                facility_ids=[f.pk for f in form.cleaned_data["facilities"]],
                form=upload.read() if upload else None,
                form_name=upload.name if upload else "",
                form_content_type=getattr(upload, "content_type", "") if upload else "",
                actor=staff_user(request),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect("records:consent", person_id=person.pk)
    consents = person.consents.prefetch_related("facilities").order_by("-pk")
    return render(
        request,
        "records/consent_form.html",
        {"person": person_label(person), "form": form, "consents": consents},
    )


@staff_page(selectors.MANAGE_INDEX)
def reviews(request: HttpRequest) -> HttpResponse:
    rows = []
    for review in selectors.list_pending_reviews()[:100]:
        rows.append(
            {
                "review": review,
                "incoming": services.identifier_demographics(review.identifier),
                "candidate": selectors.person_demographics(review.candidate),
            }
        )
    merges = MergeRecord.objects.filter(undone_at__isnull=True).order_by("-merged_at")[:50]
    return render(request, "records/reviews.html", {"rows": rows, "merges": merges})


@staff_page(selectors.MANAGE_INDEX)
@require_POST
def decide_review(request: HttpRequest, review_id: int) -> HttpResponse:
    review = get_object_or_404(MatchReview, pk=review_id)
    try:
        services.decide_review(
            review=review,
            accept=request.POST.get("decision") == "accept",
            actor=staff_user(request),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("records:reviews")


@staff_page(selectors.MANAGE_INDEX)
@require_POST
def undo_merge(request: HttpRequest, merge_id: int) -> HttpResponse:
    record = get_object_or_404(MergeRecord, pk=merge_id)
    try:
        services.unmerge_persons(record=record, actor=staff_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The merge is undone."))
    return redirect("records:reviews")


# --- auditors ---------------------------------------------------------------------------------


@staff_page(selectors.VIEW_AUDIT, selectors.ADMINISTER)
def access_review(request: HttpRequest) -> HttpResponse:
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() else timezone.localdate().year
    report = selectors.access_review_report(year)
    services.append_access(
        user=request.user, action="access-review", purpose="HOPERAT", detail={"year": year}
    )
    check = services.verify_access_log()
    return render(
        request, "records/access_review.html", {"report": report, "year": year, "check": check}
    )
