"""JSON API of the plan: /api/v1/plan/ , /api/v1/plan/measures , /api/v1/plan/measures/{id}."""

from dataclasses import asdict

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from ninja import Router, Status
from ninja.decorators import decorate_view

from kurashi.modules.plan.document import Text
from kurashi.modules.plan.schemas import ErrorOut, MeasureOut, PlanOut
from kurashi.modules.plan.selectors import (
    MeasureState,
    get_measure_state,
    get_plan,
    list_measure_states,
)

router = Router(tags=["plan"])


def _text(text: Text | None) -> dict[str, str] | None:
    return asdict(text) if text else None


def _measure(state: MeasureState) -> dict[str, object]:
    measure = state.measure
    return {
        "id": measure.id,
        "pillar_id": measure.pillar_id,
        "title": _text(measure.title),
        "department": _text(measure.department),
        "description": _text(measure.description),
        "status": state.status,
        "delivered_by": [
            {"module": d.module, "url": reverse(d.url_name)} for d in state.deliveries
        ],
        "indicators": [
            {"key": i.key, "label": i.label, "value": i.value, "unit": i.unit}
            for i in state.indicators
        ],
        "progress_note": _text(state.note),
        "url": reverse("plan:measure", args=[measure.id]),
    }


@router.get("/", response=PlanOut, summary="The plan: motto, actors and pillars")
@decorate_view(cache_control(public=True, max_age=30))
def plan(request: HttpRequest) -> dict[str, object]:
    document = get_plan()
    return {
        "title": _text(document.title),
        "motto": _text(document.motto),
        "period": _text(document.period),
        "actors": [
            {"key": a.key, "name": _text(a.name), "role": _text(a.role)} for a in document.actors
        ],
        "pillars": [
            {
                "id": p.id,
                "title": _text(p.title),
                "aims": [_text(a) for a in p.aims],
                "measure_ids": [m.id for m in p.measures],
            }
            for p in document.pillars
        ],
    }


@router.get(
    "/measures",
    response=list[MeasureOut],
    summary="All 28 measures with delivery status and live indicators",
)
@decorate_view(cache_control(public=True, max_age=30))
def measures(request: HttpRequest) -> list[dict[str, object]]:
    # Indicator labels in the API are Japanese; both languages of every plan text are returned.
    with translation.override("ja"):
        return [_measure(state) for state in list_measure_states()]


@router.get(
    "/measures/{measure_id}",
    response={200: MeasureOut, 404: ErrorOut},
    summary="One measure, e.g. 1.1",
)
@decorate_view(cache_control(public=True, max_age=30))
def measure(request: HttpRequest, measure_id: str) -> Status[dict[str, object]]:
    if get_plan().measure(measure_id) is None:
        return Status(
            404, {"detail": f"No measure {measure_id} in the plan (ids run from 1.1 to 5.3)."}
        )
    with translation.override("ja"):
        return Status(200, _measure(get_measure_state(measure_id)))
