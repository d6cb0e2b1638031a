"""Reads of the canonical alerts: what is in force, and the level of each municipality."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from kurashi.modules.disaster.models import Alert


def current_alerts(*, include_exercise: bool = False) -> QuerySet[Alert]:
    """Alerts in force (latest revision of each event, not cancelled, not expired), highest level first.

    訓練/試験 alerts are left out unless include_exercise (the exercise view)."""
    alerts = (
        Alert.objects.filter(is_current=True)
        .exclude(msg_type=Alert.MsgType.CANCEL)
        .filter(Q(expires__isnull=True) | Q(expires__gt=timezone.now()))
    )
    if not include_exercise:
        alerts = alerts.filter(status=Alert.Status.ACTUAL)
    return alerts.order_by("-level", "-sent")


def municipality_levels(*, include_exercise: bool = False) -> dict[str, int]:
    """The highest 警戒レベル in force per municipality code (municipalities with none are absent)."""
    levels: dict[str, int] = {}
    for area_levels in current_alerts(include_exercise=include_exercise).values_list(
        "area_levels", flat=True
    ):
        for code, level in (area_levels or {}).items():
            if level > levels.get(code, 0):
                levels[code] = level
    return levels
