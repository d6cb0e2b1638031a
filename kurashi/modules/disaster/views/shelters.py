"""Shelter pages: the public list and detail (work without JavaScript), the GeoJSON layer, and the
mobile staff pages where shelter staff update the live status in two taps (open the shelter, tap
a big button); htmx, when present, swaps only the status panel."""

import json
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kurashi.core.auth import authenticated_user
from kurashi.core.permissions import has_permission_anywhere
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.selectors.shelters import (
    FILTER_HAZARDS,
    GSI_CREDIT,
    UPDATE_STATUS,
    can_manage_shelter,
    filter_problems,
    get_shelter,
    list_manageable_shelters,
    list_shelters,
    municipality_names,
    shelters_geojson,
    status_history,
    suitable_hazards,
)
from kurashi.modules.disaster.services import shelters as services

PAGE_SIZE = 50
STAFF_PAGE_SIZE = 100


class ShelterFilterForm(forms.Form):
    municipality = forms.ChoiceField(label=gettext_lazy("Municipality"), required=False)
    hazard = forms.ChoiceField(
        label=gettext_lazy("Suitable for"),
        required=False,
        choices=[("", gettext_lazy("Any hazard")), *FILTER_HAZARDS],
    )
    state = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *Shelter.OpenState.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Both kinds")), *Shelter.Kind.choices],
    )
    q = forms.CharField(label=gettext_lazy("Name or address"), required=False, max_length=100)

    def __init__(self, *args: Any, municipalities: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = [  # type: ignore[attr-defined]
            ("", _("All municipalities")),
            *municipalities.items(),
        ]


class StatusActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(action.value, action.value) for action in services.Action])
    headcount = forms.IntegerField(
        label=gettext_lazy("People in the shelter"),
        required=False,
        min_value=0,
        max_value=services.MAX_COUNT,
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity"), required=False, min_value=0, max_value=services.MAX_COUNT
    )
    delta = forms.IntegerField(required=False, min_value=-1000, max_value=1000)


def _filters_query(form: ShelterFilterForm) -> str:
    data = {key: value for key, value in form.cleaned_data.items() if value}
    return urlencode(data)


@require_GET
def shelter_list_view(request: HttpRequest) -> HttpResponse:
    names = municipality_names()
    form = ShelterFilterForm(request.GET, municipalities=names)
    if form.is_valid():
        data = form.cleaned_data
        shelters = list_shelters(
            municipality_code=data["municipality"] or None,
            hazard=data["hazard"] or None,
            open_state=data["state"] or None,
            kind=data["kind"] or None,
            query=data["q"] or None,
        )
        query = _filters_query(form)
    else:
        shelters = list_shelters()
        query = ""
    page = Paginator(shelters, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "shelter": shelter,
            "municipality": names.get(shelter.municipality_code, shelter.municipality_code),
            "hazards": suitable_hazards(shelter),
        }
        for shelter in page.object_list
    ]
    return render(
        request,
        "disaster/shelters/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "geojson_query": query,
            "credit": GSI_CREDIT,
        },
        status=400 if form.errors else 200,
    )


@require_GET
def shelter_detail_view(request: HttpRequest, common_id: str) -> HttpResponse:
    shelter = get_shelter(common_id)
    if shelter is None:
        raise Http404(common_id)
    return render(
        request,
        "disaster/shelters/detail.html",
        {
            "shelter": shelter,
            "municipality": municipality_names().get(shelter.municipality_code, ""),
            "hazards": suitable_hazards(shelter),
            "can_manage": can_manage_shelter(request.user, shelter),
            "credit": GSI_CREDIT,
        },
    )


def geojson_response(request: HttpRequest) -> HttpResponse:
    """GeoJSON of the shelters filtered by ?hazard=&state=&municipality=&kind= (400 on a bad
    filter), cacheable for 30 s."""
    hazard = request.GET.get("hazard") or None
    state = request.GET.get("state") or None
    kind = request.GET.get("kind") or None
    municipality = request.GET.get("municipality") or None
    problems = filter_problems(
        hazard=hazard, open_state=state, kind=kind, municipality_code=municipality
    )
    if problems:
        return HttpResponse(
            json.dumps(
                {
                    "detail": "絞り込み条件が正しくありません / Unknown filter value: "
                    + ", ".join(problems)
                },
                ensure_ascii=False,
            ),
            content_type="application/json",
            status=400,
        )
    shelters = list_shelters(
        municipality_code=municipality, hazard=hazard, open_state=state, kind=kind
    )
    response = HttpResponse(
        json.dumps(shelters_geojson(shelters), ensure_ascii=False, separators=(",", ":")),
        content_type="application/geo+json",
    )
    response["Cache-Control"] = "public, max-age=30"
    return response


@require_GET
def shelters_geojson_view(request: HttpRequest) -> HttpResponse:
    return geojson_response(request)


# --- staff -----------------------------------------------------------------------------------


@login_required
@require_GET
def staff_list_view(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    if not has_permission_anywhere(user, UPDATE_STATUS):
        raise PermissionDenied(UPDATE_STATUS)
    query = request.GET.get("q", "").strip()[:100]
    shelters = list_manageable_shelters(user, query=query)
    page = Paginator(shelters, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    names = municipality_names()
    return render(
        request,
        "disaster/shelters/staff_list.html",
        {
            "page": page,
            "query": query,
            "query_string": urlencode({"q": query}) if query else "",
            "rows": [
                (shelter, names.get(shelter.municipality_code, "")) for shelter in page.object_list
            ],
        },
    )


ACTION_MESSAGES = {
    services.Action.OPEN: gettext_lazy("Saved: open (開設)."),
    services.Action.AVAILABLE: gettext_lazy("Saved: open, space available (空き)."),
    services.Action.CROWDED: gettext_lazy("Saved: open, crowded (混雑)."),
    services.Action.FULL: gettext_lazy("Saved: open, full (定員一杯)."),
    services.Action.AUTO_CROWDING: gettext_lazy(
        "Saved: crowding follows the headcount and capacity."
    ),
    services.Action.CLOSE: gettext_lazy("Saved: closed (閉鎖)."),
    services.Action.NOT_OPEN: gettext_lazy("Saved: not open (未開設)."),
    services.Action.CHECKED: gettext_lazy("Saved: status checked, nothing changed."),
    services.Action.COUNTS: gettext_lazy("Saved: headcount and capacity."),
    services.Action.ADJUST: gettext_lazy("Saved: headcount."),
}


@login_required
@require_http_methods(["GET", "POST"])
def staff_shelter_view(request: HttpRequest, common_id: str) -> HttpResponse:
    user = authenticated_user(request)
    shelter = get_shelter(common_id)
    if shelter is None:
        raise Http404(common_id)
    if not can_manage_shelter(user, shelter):
        raise PermissionDenied(UPDATE_STATUS)
    form = StatusActionForm(request.POST or None)
    message = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                shelter = services.update_shelter_status(
                    actor=user,
                    shelter_id=shelter.pk,
                    action=data["action"],
                    headcount=data["headcount"],
                    capacity=data["capacity"],
                    delta=data["delta"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                message = str(ACTION_MESSAGES[services.Action(data["action"])])
                if not getattr(request, "htmx", False):
                    messages.success(request, message)
                    return redirect("disaster:shelter-staff-detail", common_id=shelter.common_id)
                form = StatusActionForm()
        if form.errors:
            status = 400
    context = {
        "shelter": shelter,
        "municipality": municipality_names().get(shelter.municipality_code, ""),
        "form": form,
        "message": message,
        "history": [
            (
                change,
                Shelter.OpenState(change.open_state).label,
                Shelter.Crowding(change.crowding).label,
            )
            for change in status_history(shelter, limit=10)
        ],
        "suggested": Shelter.Crowding(shelter.suggested_crowding).label,
    }
    template = (
        "disaster/shelters/_staff_panel.html"
        if getattr(request, "htmx", False)
        else "disaster/shelters/staff_shelter.html"
    )
    return render(request, template, context, status=status)
