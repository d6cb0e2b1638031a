from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from kurashi.core.auth import authenticated_user
from kurashi.modules.plan import services
from kurashi.modules.plan.forms import ProgressForm
from kurashi.modules.plan.selectors import (
    can_report_progress,
    get_department_organisation,
    get_measure_state,
    get_plan,
    list_measure_states,
)


@cache_control(public=True, max_age=60)
def index_view(request: HttpRequest) -> HttpResponse:
    return render(request, "plan/index.html", {"plan": get_plan(), "states": list_measure_states()})


def measure_view(request: HttpRequest, measure_id: str) -> HttpResponse:
    state = get_measure_state(measure_id)
    department = get_department_organisation(state.measure)
    can_report = can_report_progress(request.user, state.measure)
    return render(
        request,
        "plan/measure.html",
        {"state": state, "department_organisation": department, "can_report": can_report},
    )


@login_required
def progress_view(request: HttpRequest, measure_id: str) -> HttpResponse:
    measure = get_plan().measure(measure_id)
    if measure is None:
        raise Http404(measure_id)
    if not can_report_progress(request.user, measure):
        raise PermissionDenied("plan.report_progress")
    state = get_measure_state(measure_id)
    initial = {
        "status": state.status,
        "note_ja": state.note.ja if state.note else "",
        "note_en": state.note.en if state.note else "",
    }
    form = ProgressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.report_progress(
            actor=authenticated_user(request),
            request=request,
            measure_id=measure_id,
            **form.cleaned_data,
        )
        messages.success(request, _("Progress on %(id)s was saved.") % {"id": measure_id})
        return redirect("plan:measure", measure_id=measure_id)
    return render(
        request,
        "plan/progress.html",
        {"state": state, "form": form},
        status=400 if form.errors else 200,
    )
