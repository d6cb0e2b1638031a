"""Recording the canonical public Alert revisions (shared by JMA intake and evacuation orders)."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from kurashi.modules.disaster.models import Alert, Bulletin, EvacuationOrder
from kurashi.modules.notify import public as notify_public


@transaction.atomic
def record_alert(
    *,
    source: str,
    event_key: str,
    identifier: str,
    status: str,
    sent: datetime,
    hazard: str,
    area_levels: dict[str, int],
    texts: dict[str, dict[str, str]],
    sender_name_ja: str,
    cancel: bool = False,
    bulletin: Bulletin | None = None,
    evacuation_order: EvacuationOrder | None = None,
    effective: datetime | None = None,
    expires: datetime | None = None,
    area_geojson: dict[str, Any] | None = None,
    area_description_ja: str = "",
) -> Alert:
    """Add the next revision of event `event_key` and make it the current one.

    The first revision is an Alert; later ones are Updates (or a Cancel when `cancel`), each
    referencing the revision it replaces. Idempotent on `identifier`: recording the same identifier
    again returns the stored revision unchanged.
    """
    existing = Alert.objects.filter(identifier=identifier).first()
    if existing is not None:
        return existing
    previous = (
        Alert.objects.select_for_update()
        .filter(event_key=event_key, is_current=True)
        .order_by("-revision")
        .first()
    )
    if cancel:
        msg_type = Alert.MsgType.CANCEL
    elif previous is not None:
        msg_type = Alert.MsgType.UPDATE
    else:
        msg_type = Alert.MsgType.ALERT
    if msg_type != Alert.MsgType.ALERT and previous is None:
        raise ValueError(f"cannot cancel {event_key!r}: no alert of that event was published")
    levels = {code: int(level) for code, level in area_levels.items()}
    alert = Alert(
        identifier=identifier,
        source=source,
        event_key=event_key,
        revision=previous.revision + 1 if previous else 1,
        msg_type=msg_type,
        references=previous,
        status=status,
        sent=sent,
        effective=effective,
        expires=expires,
        hazard=hazard,
        level=0 if cancel else max(levels.values(), default=0),
        area_levels=dict.fromkeys(levels, 0) if cancel else levels,
        area_geojson=area_geojson,
        area_description_ja=area_description_ja,
        texts=texts,
        sender_name_ja=sender_name_ja,
        bulletin=bulletin,
        evacuation_order=evacuation_order,
    )
    alert.full_clean(exclude=["references", "bulletin", "evacuation_order"])
    if previous is not None:
        Alert.objects.filter(pk=previous.pk).update(is_current=False)
    alert.save()
    if alert.status == Alert.Status.ACTUAL:
        notice = notice_for(alert)
        transaction.on_commit(lambda: notify_public.dispatch_notice(notice))
    return alert


def notice_for(alert: Alert) -> notify_public.Notice:
    """The alert revision as the notify module receives it (only Actual alerts are handed over)."""
    codes = sorted(alert.area_levels or {})
    with translation.override("ja"):  # the Japanese page; it links to its English twin
        web_url = (
            reverse("disaster:municipality", kwargs={"code": codes[0]})
            if len(codes) == 1
            else reverse("disaster:portal")
        )
    return notify_public.Notice(
        key=alert.identifier,
        event_key=alert.event_key,
        revision=alert.revision,
        msg_type=alert.msg_type,
        references_key=alert.references.identifier if alert.references else "",
        hazard=alert.hazard,
        level=alert.level,
        area_levels=dict(alert.area_levels or {}),
        area_geojson=alert.area_geojson,
        texts=alert.texts or {},
        web_url=web_url,
        sent=alert.sent,
        is_exercise=alert.status != Alert.Status.ACTUAL,
    )
