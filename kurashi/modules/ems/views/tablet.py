"""The ambulance tablet: open a case, the ranked hospital list, one-tap inquiries, parallel
requests and the timeline. Works without JavaScript (plain forms); with it, writes go through the
offline queue (static/ems/ems.js) and the page refreshes itself from the live stream."""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kurashi.core.auth import authenticated_user
from kurashi.core.models import Organisation
from kurashi.modules.ems import selectors, services
from kurashi.modules.ems.forms import (
    AttachmentForm,
    CaseForm,
    FindingsForm,
    InquiryForm,
    ParallelRequestForm,
    TimelineForm,
)
from kurashi.modules.ems.models import (
    Ambulance,
    Case,
    Department,
    Hospital,
    Inquiry,
    RefusalReason,
)
from kurashi.modules.ems.views.common import done, error_messages, failed

TIMELINE_BUTTONS = (
    ("called", "入電"),
    ("on_scene", "現着"),
    ("contact", "接触"),
    ("loaded", "車内収容"),
    ("left_scene", "現発"),
    ("arrived", "病院着"),
)


def _crew_hq(request: HttpRequest) -> tuple[list[Organisation], Organisation]:
    headquarters = selectors.crew_headquarters(request.user)
    if not headquarters:
        raise PermissionDenied(selectors.OPERATE_CASES)
    wanted = request.GET.get("hq") or request.POST.get("hq")
    chosen = next((hq for hq in headquarters if str(hq.pk) == wanted), headquarters[0])
    return list(headquarters), chosen


@login_required
@require_http_methods(["GET", "POST"])
def tablet_home_view(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    headquarters, hq = _crew_hq(request)
    ambulances = list(Ambulance.objects.filter(fire_hq=hq).values_list("pk", "call_sign"))
    if request.method == "POST":
        form = CaseForm(request.POST, ambulances=ambulances)
        if form.is_valid():
            data = form.cleaned_data
            ambulance = (
                Ambulance.objects.filter(pk=data["ambulance"]).first()
                if data["ambulance"]
                else None
            )
            try:
                case, created = services.create_case(
                    actor=user,
                    fire_hq=hq,
                    client_key=data["client_key"],
                    data=form.case_input(),
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    ambulance=ambulance,
                    called_at=data["called_at"],
                    request=request,
                )
            except ValidationError as error:
                return failed(request, error_messages(error), reverse("ems:tablet"))
            to = reverse("ems:case", args=[case.public_id])
            return done(request, _("Case opened.") if created else _("Case already opened."), to)
        if request.headers.get("X-Ems-Client") == "1":
            return failed(request, error_messages(form.errors), reverse("ems:tablet"))
        status = 400
    else:
        form = CaseForm(initial={"client_key": uuid.uuid4().hex}, ambulances=ambulances)
        status = 200
    cases = (
        selectors.visible_cases(user)
        .filter(fire_hq=hq, state__in=[Case.State.OPEN, Case.State.DECIDED])
        .select_related("destination__organisation")[:50]
    )
    template = (
        "ems/tablet/_open_cases.html" if request.GET.get("partial") else "ems/tablet/home.html"
    )
    return render(
        request,
        template,
        {
            "form": form,
            "cases": cases,
            "hq": hq,
            "headquarters": headquarters,
            "incidents": list(selectors.active_incidents()[:5]),
        },
        status=status,
    )


def _case_or_404(request: HttpRequest, public_id: uuid.UUID) -> Case:
    case = selectors.get_case_for(request.user, str(public_id))
    if case is None:
        raise Http404
    return case


def _case_context(request: HttpRequest, case: Case) -> dict[str, object]:
    now = timezone.now()
    inquiries = list(case.inquiries.select_related("hospital__organisation"))
    asked = frozenset(i.hospital_id for i in inquiries if i.result != Inquiry.Result.WITHDRAWN)
    needs = selectors.case_needs(case, now=now)
    ranked = selectors.rank_hospitals(
        category=case.category,
        urgency=case.urgency,
        latitude=case.latitude,
        longitude=case.longitude,
        now=now,
        asked_hospital_ids=asked,
        needs=needs,
    )
    return {
        "case": case,
        "inquiries": inquiries,
        "ranked": ranked,
        "timeline": [
            (key, label, getattr(case, services.TIMELINE_FIELDS[key]))
            for key, label in TIMELINE_BUTTONS
        ],
        "reasons": RefusalReason.choices,
        "can_operate": selectors.can_operate_case(request.user, case),
        "is_open": case.state == Case.State.OPEN,
        "max_parallel": selectors.max_parallel_requests(),
        "new_key": uuid.uuid4().hex,
        "pending_count": sum(1 for i in inquiries if i.result == Inquiry.Result.PENDING),
        "medical_notes": services.open_notes(case.handover_notes_sealed),
        "needs": needs,
        "findings_form": FindingsForm(
            initial={
                "symptom_onset_at": timezone.localtime(case.symptom_onset_at)
                if case.symptom_onset_at
                else None,
                **{
                    name: FindingsForm.initial_for(getattr(case, name))
                    for name in (
                        "cpss_face",
                        "cpss_arm",
                        "cpss_speech",
                        "elvo_gaze",
                        "elvo_cortical",
                    )
                },
                "trauma_mechanism": case.trauma_mechanism,
            }
        ),
        "attachment_form": AttachmentForm(),
        "attachments": selectors.case_attachments(case),
    }


@login_required
@require_GET
def case_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = authenticated_user(request)
    case = _case_or_404(request, public_id)
    if not selectors.can_operate_case(user, case) and not selectors.is_coordinator(user):
        raise Http404  # hospitals see cases on their own screen, not the crew's
    services.record_case_read(actor=user, case=case, request=request)
    partial = request.GET.get("partial")
    template = {
        "top": "ems/tablet/_case_top.html",
        "panel": "ems/tablet/_case_panel.html",
        "ranking": "ems/tablet/_ranking.html",
    }.get(partial or "", "ems/tablet/case.html")
    return render(request, template, _case_context(request, case))


def _writable_case(request: HttpRequest, public_id: uuid.UUID) -> Case:
    case = _case_or_404(request, public_id)
    if not selectors.can_operate_case(request.user, case):
        raise PermissionDenied(selectors.OPERATE_CASES)
    return case


@login_required
@require_POST
def timeline_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = authenticated_user(request)
    case = _writable_case(request, public_id)
    to = reverse("ems:case", args=[case.public_id])
    form = TimelineForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    changed = services.record_timeline(
        actor=user,
        case=case,
        event=form.cleaned_data["event"],
        at=form.cleaned_data["at"],
        request=request,
    )
    return done(request, _("Time recorded.") if changed else _("Already recorded."), to)


@login_required
@require_POST
def inquiry_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = authenticated_user(request)
    case = _writable_case(request, public_id)
    to = reverse("ems:case", args=[case.public_id])
    form = InquiryForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    data = form.cleaned_data
    hospital = Hospital.objects.filter(pk=data["hospital"]).first()
    if hospital is None:
        return failed(request, [_("Unknown hospital.")], to)
    try:
        _inquiry, created = services.log_inquiry(
            actor=user,
            case=case,
            client_key=data["client_key"],
            hospital=hospital,
            result=data["result"],
            department_code=data["department_code"],
            channel=data["channel"],
            refusal_reason=data["refusal_reason"],
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to, status=409)
    return done(request, _("Inquiry logged.") if created else _("Already logged."), to)


@login_required
@require_POST
def request_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = authenticated_user(request)
    case = _writable_case(request, public_id)
    to = reverse("ems:case", args=[case.public_id])
    hospitals = {h.pk: h for h in Hospital.objects.select_related("organisation")}
    choices = [(f"{pk}:", str(pk)) for pk in hospitals] + [
        (f"{hospital_id}:{code}", str(hospital_id))
        for hospital_id, code in Department.objects.values_list("hospital_id", "code")
    ]
    form = ParallelRequestForm(request.POST, choices=choices)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    targets = [(hospitals[pk], code) for pk, code in form.cleaned_data["targets"]]
    try:
        created = services.send_parallel_request(
            actor=user,
            case=case,
            client_key=form.cleaned_data["client_key"],
            targets=targets,
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to, status=409)
    return done(request, _("Request sent to %(count)d hospitals.") % {"count": len(created)}, to)


@login_required
@require_POST
def cancel_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = authenticated_user(request)
    case = _writable_case(request, public_id)
    services.cancel_case(actor=user, case=case, request=request)
    return done(request, _("Case cancelled."), reverse("ems:tablet"))


@login_required
@require_POST
def findings_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = authenticated_user(request)
    case = _writable_case(request, public_id)
    to = reverse("ems:case", args=[case.public_id])
    form = FindingsForm(request.POST)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    try:
        services.record_findings(
            actor=user,
            case=case,
            findings=services.Findings(
                **{
                    **form.cleaned_data,
                    "trauma_mechanism": form.cleaned_data["trauma_mechanism"] or "",
                }
            ),
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    return done(request, _("Findings saved: the list is ranked again."), to)


@login_required
@require_POST
def attachment_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A photo or an ECG, sent as a normal multipart form (files are not queued offline)."""
    user = authenticated_user(request)
    case = _writable_case(request, public_id)
    to = reverse("ems:case", args=[case.public_id])
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return failed(request, error_messages(form.errors), to)
    try:
        services.attach_to_case(
            actor=user,
            case=case,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            request=request,
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to)
    return done(request, _("Attached: the receiving hospital will see it."), to)


@login_required
@require_GET
def attachment_file_view(request: HttpRequest, public_id: uuid.UUID, pk: int) -> FileResponse:
    """The file, for the crew's headquarters and the receiving hospital only; audited."""
    user = authenticated_user(request)
    case = selectors.get_case_for(user, str(public_id))
    if case is None or not selectors.can_see_attachments(user, case):
        raise Http404
    attachment = case.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    services.record_attachment_read(actor=user, attachment=attachment, request=request)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
