"""The prefectural departments responsible for the plan's measures, as organisations."""

from collections.abc import Callable

from django.utils.text import slugify

from kurashi.core.models import Organisation
from kurashi.core.services import ensure_organisation
from kurashi.modules.plan.document import plan_document


def department_slug(name_en: str) -> str:
    return "pref-" + slugify(name_en)


def load_departments(progress: Callable[[int, int], None]) -> int:
    departments = {m.department.ja: m.department for m in plan_document().measures if m.department}
    for done, department in enumerate(departments.values(), start=1):
        ensure_organisation(
            slug=department_slug(department.en),
            kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
            name_ja=department.ja,
            name_en=department.en,
            covers_whole_prefecture=True,
        )
        progress(done, len(departments))
    return len(departments)
