from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MeasureProgress(models.Model):
    """The responsible department's latest report on one measure of the plan."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        IN_SERVICE = "in_service", _("In service")
        ON_HOLD = "on_hold", _("On hold")

    measure_id = models.CharField(max_length=8, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    note_ja = models.TextField(_("progress note (Japanese)"), max_length=2000, blank=True)
    note_en = models.TextField(_("progress note (English)"), max_length=2000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("measure progress")
        verbose_name_plural = _("measure progress")
        permissions = [  # noqa: RUF012
            ("report_progress", "Can report progress on the plan measures of the department"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(measure_id__regex=r"^[1-5]\.[1-9]$"),
                name="plan_progress_measure_id_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.status}"
