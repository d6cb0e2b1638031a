"""The plan, for the portal and other modules.

get_plan() returns the immutable plan document (pillars, measures, actors; bilingual Text that
renders in the active language). list_measure_states() / get_measure_state() join each measure
with the modules that deliver it and the live indicators they registered (kurashi.core.hooks).
"""

from kurashi.modules.plan.document import Actor, Measure, Pillar, PlanDocument, Text
from kurashi.modules.plan.selectors import (
    IndicatorReading,
    MeasureState,
    get_measure_state,
    get_plan,
    list_measure_states,
)

__all__ = [
    "Actor",
    "IndicatorReading",
    "Measure",
    "MeasureState",
    "Pillar",
    "PlanDocument",
    "Text",
    "get_measure_state",
    "get_plan",
    "list_measure_states",
]
