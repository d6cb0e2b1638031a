"""Staff pages of the JMA intake: the intake log (bulletins and rejected documents), one
bulletin, and the exercise view (訓練/試験 state that never reaches residents)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kurashi.core.models import Municipality
from kurashi.core.permissions import has_permission_anywhere
from kurashi.modules.disaster.selectors.alerts import current_alerts
from kurashi.modules.disaster.selectors.jma import (
    current_warnings,
    feed_entry_counts,
    feed_states,
    get_bulletin,
    list_bulletins,
    list_rejections,
    warnings_by_municipality,
)

VIEW_PERMISSION = "disaster.view_intake"
PAGE_SIZE = 50


def _require_intake_access(request: HttpRequest) -> None:
    if not has_permission_anywhere(request.user, VIEW_PERMISSION):
        raise PermissionDenied(VIEW_PERMISSION)


@login_required
def intake_view(request: HttpRequest) -> HttpResponse:
    _require_intake_access(request)
    show = request.GET.get("show", "")
    exercise = {"actual": False, "exercise": True}.get(show)
    bulletins = Paginator(
        list_bulletins(exercise=exercise, saga_only=request.GET.get("saga") == "1"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rejections = Paginator(list_rejections(), PAGE_SIZE).get_page(request.GET.get("rpage"))
    return render(
        request,
        "disaster/jma/intake.html",
        {
            "bulletins": bulletins,
            "rejections": rejections,
            "show": show,
            "saga_only": request.GET.get("saga") == "1",
            "feeds": list(feed_states()),
            "entry_counts": feed_entry_counts(),
        },
    )


@login_required
def bulletin_view(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    _require_intake_access(request)
    bulletin = get_bulletin(bulletin_id)
    if bulletin is None:
        raise Http404(bulletin_id)
    names = dict(Municipality.objects.values_list("code", "name_ja"))
    produced = [
        (warning, names.get(warning.municipality_code, warning.municipality_code))
        for warning in bulletin.area_warnings.order_by("municipality_code", "-level")
    ]
    return render(
        request,
        "disaster/jma/bulletin.html",
        {
            "bulletin": bulletin,
            "produced": produced,
            "alerts": bulletin.alerts.order_by("revision"),
        },
    )


@login_required
def exercise_view(request: HttpRequest) -> HttpResponse:
    _require_intake_access(request)
    by_code = warnings_by_municipality(exercise=True)
    rows = [
        (municipality, by_code.get(municipality.code, []))
        for municipality in Municipality.objects.order_by("code")
    ]
    exercise_alerts = current_alerts(include_exercise=True).exclude(status="Actual")
    return render(
        request,
        "disaster/jma/exercise.html",
        {
            "rows": rows,
            "has_state": current_warnings(exercise=True).exists(),
            "alerts": exercise_alerts,
            "bulletins": list_bulletins(exercise=True)[:20],
        },
    )
