"""Reads behind the machine outputs: the alerts of the CAP feeds and the alerts API."""

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from kurashi.core.models import Membership, User
from kurashi.modules.disaster.models import Alert

# Revisions sent this recently stay in the feed after they were replaced or cancelled, so that
# a consumer polling the feed sees the Update / Cancel that ends an alert.
RECENT_HOURS = 24
FEED_LIMIT = 200
PUBLIC_STATUSES = (Alert.Status.ACTUAL,)
EXERCISE_STATUSES = (Alert.Status.EXERCISE, Alert.Status.TEST)


def list_feed_alerts(*, exercise: bool = False, limit: int = FEED_LIMIT) -> list[Alert]:
    """Current alerts (not cancelled) plus every revision of the last RECENT_HOURS, newest
    first; Actual only, or only 訓練/試験 when `exercise`."""
    since = timezone.now() - timedelta(hours=RECENT_HOURS)
    statuses = EXERCISE_STATUSES if exercise else PUBLIC_STATUSES
    alerts = (
        Alert.objects.filter(status__in=statuses)
        .filter((Q(is_current=True) & ~Q(msg_type=Alert.MsgType.CANCEL)) | Q(sent__gte=since))
        .select_related("references")
        .order_by("-sent", "-id")
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
    """Alerts in force for residents (Actual, current, not cancelled), highest level first."""
    alerts = Alert.objects.filter(status=Alert.Status.ACTUAL, is_current=True).exclude(
        msg_type=Alert.MsgType.CANCEL
    )
    if municipality_code:
        alerts = alerts.filter(area_levels__has_key=municipality_code)
    return alerts.select_related("references").order_by("-level", "-sent", "-id")


def latest_change(*, exercise: bool = False) -> Any:
    statuses = EXERCISE_STATUSES if exercise else PUBLIC_STATUSES
    return (
        Alert.objects.filter(status__in=statuses)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
