"""Reads behind the machine outputs: the alerts of the CAP feeds and the alerts API."""

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from kurashi.core.models import Membership, User
from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.selectors.alerts import current_alerts

# Revisions that arrived this recently stay in the feed after they were replaced or cancelled, so
# that a consumer polling the feed sees the Update / Cancel that ends an alert.
RECENT_HOURS = 24
FEED_LIMIT = 200
PUBLIC_STATUSES = (Alert.Status.ACTUAL,)
EXERCISE_STATUSES = (Alert.Status.EXERCISE, Alert.Status.TEST)


def list_feed_alerts(*, exercise: bool = False, limit: int = FEED_LIMIT) -> list[Alert]:
    """Every revision that arrived in the last RECENT_HOURS, and the latest revision of every
    event that was in force at any moment of that window (in force at its start, by the one
    definition Alert.objects.in_force), newest arrival first; Actual only, or only 訓練/試験 when
    `exercise`.

    By arrival, not by the bulletin's own time: a Cancel (or an Update) that arrives late — a
    delayed feed, a replayed file — still reaches every consumer of the feed."""
    since = timezone.now() - timedelta(hours=RECENT_HOURS)
    statuses = EXERCISE_STATUSES if exercise else PUBLIC_STATUSES
    in_force_in_window = Alert.objects.in_force(at=since).values("pk")
    alerts = (
        Alert.objects.filter(status__in=statuses)
        .filter(Q(created_at__gte=since) | Q(pk__in=in_force_in_window))
        .select_related("references")
        .order_by("-created_at", "-id")
    )
    return list(alerts[:limit])


def get_alert(identifier: str) -> Alert:
    """One alert revision by its CAP identifier, or Alert.DoesNotExist."""
    return Alert.objects.select_related("references").get(identifier=identifier)


def is_staff_member(user: User | Any) -> bool:
    """Staff: a member of an active organisation (or a superuser); they see 訓練/試験 outputs."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, organisation__is_active=True).exists()


def list_public_alerts(*, municipality_code: str = "") -> QuerySet[Alert]:
    """Alerts in force for residents (current_alerts: Actual, current, not cancelled, not
    expired), highest level first."""
    return current_alerts(municipality_code=municipality_code).select_related("references")


def latest_change(*, exercise: bool = False) -> Any:
    statuses = EXERCISE_STATUSES if exercise else PUBLIC_STATUSES
    return (
        Alert.objects.filter(status__in=statuses)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
