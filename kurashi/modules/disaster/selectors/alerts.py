"""Reads of the canonical alerts: what is in force, and the level of each municipality."""

from django.db.models import QuerySet

from kurashi.modules.disaster.models import Alert


def current_alerts(
    *, include_exercise: bool = False, municipality_code: str = ""
) -> QuerySet[Alert]:
    """Alerts in force (latest revision of each event, not cancelled, not expired: see
    AlertQuerySet.in_force), highest level first. The portal, the municipality and emergency
    pages, the alerts API, the CAP feed and the home card all read this.

    訓練/試験 alerts are left out unless include_exercise (the exercise view); with
    municipality_code, only alerts that speak about that municipality."""
    alerts = Alert.objects.in_force()
    if not include_exercise:
        alerts = alerts.filter(status=Alert.Status.ACTUAL)
    if municipality_code:
        alerts = alerts.filter(area_levels__has_key=municipality_code)
    return alerts.order_by("-level", "-sent", "-id")


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
