"""Disaster mode (mass-casualty incidents): the coordinator starts an incident, sees the scene's
triage counts and the capacity by tier, and distributes the patients; crews report triage counts
from the scene in one tap per patient; hospitals see what is coming (hospital screen)."""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kurashi.core.auth import authenticated_user
from kurashi.modules.ems import selectors, services
from kurashi.modules.ems.forms import IncidentForm, TriageForm
from kurashi.modules.ems.models import Hospital, MassCasualtyIncident, Triage, TriageCount
from kurashi.modules.ems.views.common import done, error_messages, failed


def _require_coordinator(request: HttpRequest) -> None:
    if not selectors.is_coordinator(request.user):
        raise PermissionDenied(selectors.COORDINATE)


def _incident(public_id: uuid.UUID) -> MassCasualtyIncident:
    incident = MassCasualtyIncident.objects.filter(public_id=public_id).first()
    if incident is None:
        raise Http404
    return incident


@login_required
@require_http_methods(["GET", "POST"])
def incidents_view(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    user = authenticated_user(request)
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.start_incident(actor=user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return done(
                request,
                _("Disaster mode started: crews can report triage counts now."),
                reverse("ems:mci", args=[incident.public_id]),
            )
    incidents = list(MassCasualtyIncident.objects.all()[:30])
    return render(
        request,
        "ems/mci/incidents.html",
        {"form": form, "incidents": incidents},
        status=400 if request.method == "POST" else 200,
    )


def _distribution_rows(
    incident: MassCasualtyIncident, suggested: bool
) -> tuple[list[dict[str, object]], list[tuple[Hospital, str, int]]]:
    now = timezone.now()
    plan = selectors.suggest_distribution(incident, now=now) if suggested else []
    planned = {(h.pk, category): count for h, category, count in plan}
    rows = []
    for row in selectors.capacity_rows(now=now):
        rows.append(
            {
                "row": row,
                "fields": [
                    (category, planned.get((row.hospital.pk, category), ""))
                    for category in selectors.LIVING
                ],
            }
        )
    return rows, plan


@login_required
@require_GET
def incident_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require_coordinator(request)
    incident = _incident(public_id)
    suggested = bool(request.GET.get("suggest"))
    rows, plan = _distribution_rows(incident, suggested)
    summary = selectors.mci_summary(incident)
    tiers = selectors.capacity_by_tier([r["row"] for r in rows])  # type: ignore[misc]
    bed_types = [("er", "ER"), ("icu", "ICU"), ("hcu", "HCU"), ("scu", "SCU")]
    context = {
        "incident": incident,
        "summary": summary,
        "triage_rows": [
            (
                value,
                label,
                summary.reported.get(value, 0),
                summary.allocated.get(value, 0),
                summary.unallocated.get(value, 0),
            )
            for value, label in Triage.choices
        ],
        "tier_rows": [(tier, [tier.beds.get(key, 0) for key, _l in bed_types]) for tier in tiers],
        "rows": rows,
        "suggested": suggested,
        "planned_total": sum(count for _h, _c, count in plan),
        "triage": Triage.choices,
        "living": [(c, Triage(c).label) for c in selectors.LIVING],
        "bed_types": bed_types,
    }
    template = "ems/mci/_incident.html" if request.GET.get("partial") else "ems/mci/incident.html"
    return render(request, template, context)


@login_required
@require_POST
def allocate_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require_coordinator(request)
    user = authenticated_user(request)
    incident = _incident(public_id)
    to = reverse("ems:mci", args=[incident.public_id])
    hospitals = {h.pk: h for h in Hospital.objects.select_related("organisation")}
    allocations = []
    errors = []
    for key in request.POST:
        value = request.POST.get(key, "")
        if not key.startswith("allocate-") or not value.strip():
            continue
        _prefix, hospital_id, category = key.split("-", 2)
        try:
            count = int(value)
        except ValueError:
            errors.append(_("Write the number of patients as digits."))
            continue
        hospital = hospitals.get(int(hospital_id)) if hospital_id.isdigit() else None
        if hospital is None or category not in selectors.LIVING:
            errors.append(_("Unknown hospital or category."))
            continue
        if count:
            allocations.append((hospital, category, count))
    if errors:
        return failed(request, errors, to)
    try:
        created = services.allocate_patients(
            actor=user, incident=incident, allocations=allocations, request=request
        )
    except ValidationError as error:
        return failed(request, error_messages(error), to, status=409)
    return done(
        request,
        _("%(count)d patients distributed.") % {"count": sum(a.patients for a in created)},
        to,
    )


@login_required
@require_POST
def end_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require_coordinator(request)
    services.end_incident(
        actor=authenticated_user(request), incident=_incident(public_id), request=request
    )
    return done(request, _("Disaster mode ended."), reverse("ems:mci-list"))


@login_required
@require_http_methods(["GET", "POST"])
def scene_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The crew's triage tally at the scene: one tap per patient triaged."""
    user = authenticated_user(request)
    if not (selectors.crew_hq_ids(user) or selectors.is_coordinator(user)):
        raise PermissionDenied(selectors.OPERATE_CASES)
    incident = _incident(public_id)
    to = reverse("ems:mci-scene", args=[incident.public_id])
    if request.method == "POST":
        form = TriageForm(request.POST)
        if not form.is_valid():
            return failed(request, error_messages(form.errors), to)
        data = form.cleaned_data
        try:
            services.report_triage(
                actor=user,
                incident=incident,
                category=data["category"],
                method=data["method"],
                delta=data["delta"],
                value=data["value"],
                request=request,
            )
        except ValidationError as error:
            return failed(request, error_messages(error), to, status=409)
        return done(request, _("Triage count saved."), to)
    summary = selectors.mci_summary(incident)
    context = {
        "incident": incident,
        "summary": summary,
        "tally": [
            (
                value,
                label,
                [
                    (method, method_label, summary.by_method.get((value, method), 0))
                    for method, method_label in TriageCount.Method.choices
                ],
            )
            for value, label in Triage.choices
        ],
    }
    template = "ems/mci/_tally.html" if request.GET.get("partial") else "ems/mci/scene.html"
    return render(request, template, context)
