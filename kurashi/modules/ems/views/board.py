"""The coordinator's board (every hospital with freshness, open cases, escalations) and the
FDMA KPIs with their CSV export."""

import csv
from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kurashi.core.auth import authenticated_user
from kurashi.modules.ems import selectors, services
from kurashi.modules.ems.forms import KpiFilterForm
from kurashi.modules.ems.selectors import INQUIRY_BANDS, SCENE_BANDS


@login_required
@require_GET
def board_view(request: HttpRequest) -> HttpResponse:
    if not selectors.is_coordinator(request.user):
        raise PermissionDenied(selectors.COORDINATE)
    now = timezone.now()
    services.check_escalations(now=now)  # the scene-time rule needs no write to fire
    context = {
        "rows": selectors.board_rows(now=now),
        "cases": list(selectors.open_cases()),
        "now": now,
    }
    template = "ems/board/_board.html" if request.GET.get("partial") else "ems/board/board.html"
    return render(request, template, context)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _kpi_scope(request: HttpRequest) -> list[int] | None:
    """The coordinator sees every HQ; a crew member only their own HQs."""
    if selectors.is_coordinator(request.user):
        return None
    hq_ids = selectors.crew_hq_ids(request.user)
    if not hq_ids:
        raise PermissionDenied(selectors.COORDINATE)
    return sorted(hq_ids)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _kpis(request: HttpRequest) -> tuple[KpiFilterForm, dict[str, object] | None]:
    today = timezone.localdate()
    default_start = _month_start(today)
    data = request.GET.copy()
    data.setdefault("start", default_start.isoformat())
    data.setdefault("end", (today + timedelta(days=1)).isoformat())
    data.setdefault("group_by", "fire_hq")
    form = KpiFilterForm(data)
    if not form.is_valid():
        return form, None
    scope = _kpi_scope(request)
    cases = selectors.kpi_cases(
        start=_aware(form.cleaned_data["start"]),
        end=_aware(form.cleaned_data["end"]),
        fire_hq_ids=scope,
    )
    total, rows = selectors.compute_kpis(cases, group_by=form.cleaned_data["group_by"])
    return form, {"total": total, "rows": rows}


@login_required
@require_GET
def kpi_view(request: HttpRequest) -> HttpResponse:
    _kpi_scope(request)
    form, result = _kpis(request)
    chart: list[tuple[str, int, int]] = []
    if result is not None:
        total = result["total"]
        chart = [
            (label, total.inquiry_bands.get(label, 0), total.cases)  # type: ignore[attr-defined]
            for _low, _high, label in INQUIRY_BANDS
        ]
    return render(
        request,
        "ems/board/kpis.html",
        {
            "form": form,
            "result": result,
            "inquiry_bands": [label for _l, _h, label in INQUIRY_BANDS],
            "scene_bands": [label for _l, _h, label in SCENE_BANDS],
            "chart": chart,
            "query": request.GET.urlencode(),
        },
        status=200 if result is not None else 400,
    )


@login_required
@require_GET
def kpi_csv_view(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    _kpi_scope(request)
    form, result = _kpis(request)
    if result is None:
        return HttpResponse(
            "\n".join(f"{error}" for errors in form.errors.values() for error in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    titles = {"fire_hq": "消防本部", "month": "月", "category": "症状分類", "tier": "医療機関区分"}
    rows = selectors.kpi_csv_rows(
        result["total"],  # type: ignore[arg-type]
        result["rows"],  # type: ignore[arg-type]
        group_title=titles[form.cleaned_data["group_by"]],
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ems-kpis-{form.cleaned_data["start"]}-{form.cleaned_data["group_by"]}.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    csv.writer(response).writerows(rows)
    services.record_export(actor=user, kind="kpi-csv", request=request)
    return response
