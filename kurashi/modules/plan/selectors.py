"""Reads of the plan: the document joined with deliveries, indicators and progress."""

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from kurashi.core import hooks
from kurashi.core.models import Organisation, User
from kurashi.core.permissions import has_permission, has_permission_within
from kurashi.modules.plan.document import Measure, PlanDocument, Text, plan_document
from kurashi.modules.plan.models import MeasureProgress


@dataclass(frozen=True)
class IndicatorReading:
    key: str
    label: str
    value: int | float | str | None
    unit: str
    note: str


@dataclass(frozen=True)
class MeasureState:
    measure: Measure
    deliveries: tuple[hooks.MeasureDelivery, ...]
    indicators: tuple[IndicatorReading, ...]
    status: str
    status_label: str
    note: Text | None

    @property
    def is_delivered(self) -> bool:
        return bool(self.deliveries)


def get_plan() -> PlanDocument:
    return plan_document()


def _readings(measure_id: str) -> tuple[IndicatorReading, ...]:
    readings = []
    for indicator in hooks.plan_indicators.items():
        if indicator.measure_id != measure_id:
            continue
        value = hooks.indicator_value(indicator)
        readings.append(
            IndicatorReading(
                key=indicator.key,
                label=str(indicator.label),
                value=value.value if value else None,
                unit=str(value.unit) if value else "",
                note=str(value.note) if value else "",
            )
        )
    return tuple(readings)


def _state(measure: Measure, progress: MeasureProgress | None) -> MeasureState:
    deliveries = tuple(d for d in hooks.plan_deliveries.items() if d.measure_id == measure.id)
    if progress is not None:
        status = progress.status
    else:
        status = MeasureProgress.Status.IN_SERVICE if deliveries else MeasureProgress.Status.PLANNED
    note = (
        Text(progress.note_ja, progress.note_en)
        if progress and (progress.note_ja or progress.note_en)
        else None
    )
    return MeasureState(
        measure=measure,
        deliveries=deliveries,
        indicators=_readings(measure.id),
        status=status,
        status_label=str(MeasureProgress.Status(status).label),
        note=note,
    )


def list_measure_states() -> list[MeasureState]:
    """All 28 measures in plan order, with what delivers them and their live figures (1 query)."""
    progress = {p.measure_id: p for p in MeasureProgress.objects.all()}
    return [_state(measure, progress.get(measure.id)) for measure in plan_document().measures]


def get_measure_state(measure_id: str) -> MeasureState:
    measure = plan_document().measure(measure_id)
    if measure is None:
        raise Http404(measure_id)
    return _state(measure, MeasureProgress.objects.filter(measure_id=measure_id).first())


def get_department_organisation(measure: Measure) -> Organisation | None:
    """The prefectural department responsible for `measure`, if it has an organisation here."""
    if measure.department is None:
        return None
    return Organisation.objects.filter(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT, name_ja=measure.department.ja, is_active=True
    ).first()


def can_report_progress(user: User | Any, measure: Measure) -> bool:
    """Members of the measure's department, or of a unit under it, holding plan.report_progress;
    superusers for a measure whose department has no organisation here."""
    department = get_department_organisation(measure)
    if department is None:
        return has_permission(user, "plan.report_progress")
    return has_permission_within(user, "plan.report_progress", organisation_id=department.pk)
