from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kurashi.core.audit import record_audit
from kurashi.core.models import User
from kurashi.modules.plan.models import MeasureProgress
from kurashi.modules.plan.selectors import (
    can_report_progress,
    get_department_organisation,
    get_plan,
)


@transaction.atomic
def report_progress(
    *,
    actor: User,
    measure_id: str,
    status: str,
    note_ja: str,
    note_en: str,
    request: HttpRequest | None = None,
) -> MeasureProgress:
    """Record the responsible department's progress on a measure.

    Allowed to members of that department (or of a unit under it) holding plan.report_progress.
    """
    measure = get_plan().measure(measure_id)
    if measure is None:
        raise ValidationError(_("There is no measure %(id)s in the plan.") % {"id": measure_id})
    if not can_report_progress(actor, measure):
        raise PermissionDenied("plan.report_progress")
    department = get_department_organisation(measure)
    progress = MeasureProgress.objects.filter(measure_id=measure_id).first() or MeasureProgress(
        measure_id=measure_id
    )
    before = (
        {"status": progress.status, "note_ja": progress.note_ja, "note_en": progress.note_en}
        if progress.pk
        else {}
    )
    progress.status = status
    progress.note_ja = note_ja.strip()
    progress.note_en = note_en.strip()
    progress.updated_by = actor
    progress.full_clean()
    progress.save()
    record_audit(
        actor=actor,
        action="plan.progress.report",
        obj=progress,
        organisation_id=department.pk if department else None,
        request=request,
        detail={
            "before": before,
            "after": {"status": status, "note_ja": progress.note_ja, "note_en": progress.note_en},
        },
    )
    return progress
