"""The hospital screen: acceptance statuses per department (one tap each, one tap "no change"),
incoming requests with accept / decline, the pre-arrival summary, and the outcome afterwards."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kurashi.core.auth import authenticated_user
from kurashi.modules.ems import selectors, services
from kurashi.modules.ems.forms import (
    AnswerForm,
    CapacityForm,
    DeviceForm,
    DiversionForm,
    OutcomeForm,
    StatusForm,
)
from kurashi.modules.ems.models import (
    Acceptance,
    Case,
    Diversion,
    Hospital,
    HospitalDevice,
    Inquiry,
    RefusalReason,
    Severity,
)
from kurashi.modules.ems.views.common import done, error_messages, failed
from kurashi.modules.notify import public as notify_public

ANSWER_MESSAGES = {
    "accepted": gettext_lazy("Accepted: the crew sees your hospital as the destination."),
    "refused": gettext_lazy("Declined."),
    "too_late": gettext_lazy("Another hospital accepted first; this request was withdrawn."),
    "already_answered": gettext_lazy("This request was already answered or withdrawn."),
}


def _hospital_for(request: HttpRequest, slug: str) -> Hospital:
    hospital = selectors.get_hospital(slug)
    if hospital is None:
        raise Http404
    if not (
        selectors.can_manage_hospital(request.user, hospital)
        or selectors.can_answer_for(request.user, hospital)
    ):
        raise PermissionDenied(selectors.ANSWER_REQUESTS)
    return hospital


@login_required
@require_GET
def hospital_choose_view(request: HttpRequest) -> HttpResponse:
    hospitals = list(selectors.manageable_hospitals(request.user))
    if not hospitals:
        raise PermissionDenied(selectors.MANAGE_ACCEPTANCE)
    if len(hospitals) == 1:
        return redirect("ems:hospital", slug=hospitals[0].organisation.slug)
    return render(request, "ems/hospital/choose.html", {"hospitals": hospitals})


def _context(request: HttpRequest, hospital: Hospital) -> dict[str, object]:
    now = timezone.now()
    hospital = selectors.hospitals_with_statuses().get(pk=hospital.pk)
    requests = list(selectors.pending_requests_for(hospital))
    can_answer = selectors.can_answer_for(request.user, hospital)
    return {
        "hospital": hospital,
        "statuses": selectors.status_views(hospital, now=now),
        "requests": requests,
        "unacknowledged": [i for i in requests if i.acknowledged_at is None],
        "devices": list(selectors.hospital_devices(hospital)) if can_answer else [],
        "push_key": notify_public.web_push_public_key(),
        "capacities": selectors.hospital_capacities(hospital),
        "diversions": Diversion.choices,
        "allocations": list(selectors.allocations_for(hospital)) if can_answer else [],
        "arrivals": list(selectors.recent_arrivals_for(hospital, now=now)),
        "reasons": RefusalReason.choices,
        "severities": Severity.choices,
        "choices": [(v, label) for v, label in Acceptance.choices if v != Acceptance.STALE],
        "symbols": selectors.STATUS_SYMBOL,
        "can_manage": selectors.can_manage_hospital(request.user, hospital),
        "can_answer": can_answer,
        "validity_hours": int(selectors.status_validity().total_seconds() // 3600),
    }


@login_required
@require_GET
def hospital_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = authenticated_user(request)
    hospital = _hospital_for(request, slug)
    context = _context(request, hospital)
    # Every case shown (pre-arrival summaries, arrivals) is a read of patient data: audited.
    requests: list[Inquiry] = context["requests"]  # type: ignore[assignment]
    arrivals: list[Case] = context["arrivals"]  # type: ignore[assignment]
    for case in [i.case for i in requests] + arrivals:
        services.record_case_read(actor=user, case=case, request=request)
    template = {
        "alert": "ems/hospital/_alert.html",
        "requests": "ems/hospital/_requests.html",
        "statuses": "ems/hospital/_statuses.html",
        "devices": "ems/hospital/_devices.html",
        "capacity": "ems/hospital/_capacity.html",
        "mci": "ems/hospital/_mci.html",
    }.get(request.GET.get("partial") or "", "ems/hospital/screen.html")
    return render(request, template, context)


@login_required
@require_GET
def hospital_case_view(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    """The pre-arrival summary of one case, for the hospital asked (while its answer is due)
    and for the destination afterwards: selectors.hospital_reads, the rule FHIR follows too."""
    user = authenticated_user(request)
    hospital = _hospital_for(request, slug)
    if not selectors.can_answer_for(user, hospital):
        raise PermissionDenied(selectors.ANSWER_REQUESTS)
    case = selectors.hospital_case(hospital, str(public_id))
    if case is None:
        raise Http404
    services.record_case_read(actor=user, case=case, request=request)
    pending = (
        Inquiry.objects.filter(case=case, hospital=hospital, result=Inquiry.Result.PENDING)
        .order_by("requested_at")
        .first()
    )
    return render(
        request,
        "ems/hospital/case.html",
        {
            "hospital": hospital,
            "case": case,
            "inquiry": pending,
            "medical_notes": services.open_notes(case.handover_notes_sealed),
            "needs": selectors.case_needs(case),
            "attachments": selectors.case_attachments(case)
            if selectors.can_see_attachments(user, case)
            else [],
            "reasons": RefusalReason.choices,
            "can_answer": True,
        },
    )


@login_required
@require_POST
def status_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = authenticated_user(request)
    hospital = _hospital_for(request, slug)
    if not selectors.can_manage_hospital(user, hospital):
        raise PermissionDenied(selectors.MANAGE_ACCEPTANCE)
    to = reverse("ems:hospital", args=[slug])
    if request.POST.get("reconfirm"):
        count = services.reconfirm_statuses(actor=user, hospital=hospital, request=request)
        return done(request, _("%(count)d statuses confirmed, no change.") % {"count": count}, to)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    data = form.cleaned_data
    try:
        services.set_acceptance(
            actor=user,
            hospital=hospital,
            key=data["key"],
            status=data["status"],
            reason=data["reason"],
            note=data["note"],
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    return done(request, _("Status updated."), to)


@login_required
@require_POST
def answer_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = authenticated_user(request)
    hospital = _hospital_for(request, slug)
    if not selectors.can_answer_for(user, hospital):
        raise PermissionDenied(selectors.ANSWER_REQUESTS)
    to = reverse("ems:hospital", args=[slug])
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    inquiry = (
        Inquiry.objects.select_related("case", "hospital")
        .filter(pk=form.cleaned_data["inquiry"], hospital=hospital)
        .first()
    )
    if inquiry is None:
        raise Http404
    try:
        answer = services.answer_request(
            actor=user,
            inquiry=inquiry,
            accept=form.cleaned_data["decision"] == "accept",
            refusal_reason=form.cleaned_data["refusal_reason"],
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    message = str(ANSWER_MESSAGES[answer.outcome])
    if answer.outcome in {"too_late", "already_answered"}:
        return failed(request, [message], to, status=409)
    return done(request, message, to, outcome=answer.outcome)


@login_required
@require_POST
def outcome_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = authenticated_user(request)
    hospital = _hospital_for(request, slug)
    if not selectors.can_answer_for(user, hospital):
        raise PermissionDenied(selectors.ANSWER_REQUESTS)
    to = reverse("ems:hospital", args=[slug])
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    case = Case.objects.filter(public_id=form.cleaned_data["case"], destination=hospital).first()
    if case is None:
        raise Http404
    try:
        services.record_outcome(
            actor=user,
            case=case,
            severity=form.cleaned_data["severity"],
            diagnosis=form.cleaned_data["diagnosis"],
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    return done(request, _("Outcome saved."), to)


def _answering_hospital(request: HttpRequest, slug: str) -> Hospital:
    hospital = _hospital_for(request, slug)
    if not selectors.can_answer_for(request.user, hospital):
        raise PermissionDenied(selectors.ANSWER_REQUESTS)
    return hospital


@login_required
@require_POST
def acknowledge_view(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Seen": the sticky banner and the repeating sound stop on every screen of the hospital;
    the time and the person are recorded on each request."""
    user = authenticated_user(request)
    hospital = _answering_hospital(request, slug)
    count = services.acknowledge_requests(actor=user, hospital=hospital, request=request)
    return done(
        request,
        _("%(count)d new requests acknowledged.") % {"count": count},
        reverse("ems:hospital", args=[slug]),
        acknowledged=count,
    )


@login_required
@require_POST
def device_register_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The hospital screen's script posts the browser's push subscription here."""
    user = authenticated_user(request)
    hospital = _answering_hospital(request, slug)
    to = reverse("ems:hospital", args=[slug])
    form = DeviceForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    try:
        device = services.register_device(
            actor=user, hospital=hospital, request=request, **form.cleaned_data
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    return done(
        request,
        _("This device now receives a notification for every new request."),
        to,
        device=device.pk,
    )


@login_required
@require_POST
def device_remove_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    user = authenticated_user(request)
    hospital = _answering_hospital(request, slug)
    device = (
        HospitalDevice.objects.filter(pk=pk, hospital=hospital).select_related("hospital").first()
    )
    if device is None:
        raise Http404
    services.remove_device(actor=user, device=device, request=request)
    return done(request, _("Device removed."), reverse("ems:hospital", args=[slug]))


def _managing_hospital(request: HttpRequest, slug: str) -> Hospital:
    hospital = _hospital_for(request, slug)
    if not selectors.can_manage_hospital(request.user, hospital):
        raise PermissionDenied(selectors.MANAGE_ACCEPTANCE)
    return hospital


@login_required
@require_POST
def capacity_view(request: HttpRequest, slug: str) -> HttpResponse:
    """One tap: one bed more or less of a type, or the exact number."""
    user = authenticated_user(request)
    hospital = _managing_hospital(request, slug)
    to = reverse("ems:hospital", args=[slug])
    form = CapacityForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    try:
        row = services.adjust_capacity(
            actor=user,
            hospital=hospital,
            bed_type=form.cleaned_data["bed_type"],
            delta=form.cleaned_data["delta"],
            value=form.cleaned_data["value"],
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    return done(
        request,
        _("%(beds)s: %(count)d free.")
        % {"beds": row.get_bed_type_display(), "count": row.available},
        to,
    )


@login_required
@require_POST
def diversion_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = authenticated_user(request)
    hospital = _managing_hospital(request, slug)
    to = reverse("ems:hospital", args=[slug])
    form = DiversionForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    try:
        services.set_diversion(actor=user, hospital=hospital, request=request, **form.cleaned_data)
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    return done(request, _("Ambulance traffic updated."), to)


@login_required
@require_POST
def mci_acknowledge_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = authenticated_user(request)
    hospital = _answering_hospital(request, slug)
    count = services.acknowledge_allocations(actor=user, hospital=hospital, request=request)
    return done(
        request,
        _("%(count)d patient allocations acknowledged.") % {"count": count},
        reverse("ems:hospital", args=[slug]),
    )
