"""Reads of the JMA intake: bulletins, rejections, the warnings in force per municipality, and the
poller's health."""

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from kurashi.core.models import Heartbeat
from kurashi.modules.disaster.models import AreaWarning, Bulletin, FeedEntry, FeedState
from kurashi.modules.disaster.models.jma import RejectedBulletin

POLLER_HEARTBEAT = "jma-poller"


def list_bulletins(
    *, exercise: bool | None = None, saga_only: bool = False, type_code: str = ""
) -> QuerySet[Bulletin]:
    """Stored bulletins, newest report first. exercise: None = all, True = 訓練/試験 only,
    False = 通常 only."""
    bulletins = Bulletin.objects.defer("raw_xml")
    if exercise is True:
        bulletins = bulletins.exclude(control_status=Bulletin.ControlStatus.NORMAL)
    elif exercise is False:
        bulletins = bulletins.filter(control_status=Bulletin.ControlStatus.NORMAL)
    if saga_only:
        bulletins = bulletins.filter(mentions_saga=True)
    if type_code:
        bulletins = bulletins.filter(type_code=type_code)
    return bulletins.order_by("-received_at", "-id")


def get_bulletin(bulletin_id: int) -> Bulletin | None:
    return Bulletin.objects.filter(pk=bulletin_id).first()


def list_rejections() -> QuerySet[RejectedBulletin]:
    return RejectedBulletin.objects.select_related("submitted_by").order_by("-received_at", "-id")


def current_warnings(
    *, exercise: bool = False, municipality_code: str = ""
) -> QuerySet[AreaWarning]:
    """Warnings in force (not replaced, lifted, retracted or expired). exercise=False: only what
    residents see; exercise=True: only the 訓練/試験 state."""
    warnings = AreaWarning.objects.in_force().filter(is_exercise=exercise)
    if municipality_code:
        warnings = warnings.filter(municipality_code=municipality_code)
    return warnings.select_related("bulletin").order_by(
        "municipality_code", "-level", "kind_name", "id"
    )


def warnings_by_municipality(*, exercise: bool = False) -> dict[str, list[AreaWarning]]:
    """Warnings in force per municipality code. Where an R06 (2026) bulletin covers a hazard, the
    same hazard from the old-format VPWW53/54 (issued in parallel) is left out."""
    grouped: dict[str, list[AreaWarning]] = defaultdict(list)
    for warning in current_warnings(exercise=exercise):
        grouped[warning.municipality_code].append(warning)
    for code, warnings in grouped.items():
        r06_hazards = {w.hazard for w in warnings if w.family.startswith("weather-r06")}
        grouped[code] = [
            w for w in warnings if not (w.family.startswith("weather:") and w.hazard in r06_hazards)
        ]
    return dict(grouped)


def feed_states() -> QuerySet[FeedState]:
    return FeedState.objects.order_by("url")


def feed_entry_counts() -> dict[str, int]:
    counts = dict.fromkeys(FeedEntry.State.values, 0)
    for state in FeedEntry.State.values:
        counts[state] = FeedEntry.objects.filter(state=state).count()
    return counts


def poller_health() -> tuple[bool, dict[str, Any]]:
    """For /healthz: the poller's last heartbeat. Not running is a failure only when
    JMA_POLLING_ENABLED says it should run."""
    enabled = bool(getattr(settings, "JMA_POLLING_ENABLED", False))
    stale_after = 3 * float(getattr(settings, "JMA_POLL_SECONDS", 60)) + 30
    heartbeat = Heartbeat.objects.filter(name=POLLER_HEARTBEAT).first()
    if heartbeat is None:
        return (not enabled), {"enabled": enabled, "last_beat": None}
    age = (timezone.now() - heartbeat.last_seen_at).total_seconds()
    healthy = age <= stale_after or not enabled
    return healthy, {
        "enabled": enabled,
        "last_beat": heartbeat.last_seen_at.isoformat(),
        "age_seconds": round(age, 1),
    }
