"""Recording the canonical public Alert revisions (shared by JMA intake and evacuation orders),
with what each municipality is told (Alert.area_states, notify's AreaState)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from kurashi.modules.disaster.area_states import ORDER_KINDS, ORDER_NAMES_JA, area_state
from kurashi.modules.disaster.jma.kinds import key_for_name
from kurashi.modules.disaster.models import Alert, Bulletin, EvacuationOrder
from kurashi.modules.notify import public as notify_public

AreaState = notify_public.AreaState
KindInForce = notify_public.KindInForce


def _default_area_states(
    *,
    source: str,
    hazard: str,
    area_levels: dict[str, int],
    texts: dict[str, dict[str, str]],
) -> tuple[AreaState, ...]:
    """Area states of a revision recorded without them: a municipality's order names its level's
    order (避難指示 …); anything else is named by the sender's Japanese event and its hazard."""
    states = []
    for code, level in sorted(area_levels.items()):
        if level <= 0:
            states.append(area_state(code))
            continue
        if source == Alert.Source.EVACUATION and level in ORDER_KINDS:
            kind = KindInForce(
                kind=ORDER_KINDS[level],
                level=level,
                hazard=hazard,
                name_ja=ORDER_NAMES_JA[level],
                source=notify_public.SOURCE_MUNICIPALITY,
            )
        else:
            name_ja = str((texts.get("ja") or {}).get("event") or "")
            known = key_for_name(name_ja)
            kind = KindInForce(
                kind=known.key,
                level=level,
                hazard=hazard,
                name_ja=name_ja,
                place_ja=known.place_ja,
                place_en=known.place_en,
                value=known.value,
            )
        states.append(area_state(code, kinds=(kind,)))
    return tuple(states)


def _cancelled(previous: Alert | None, codes: Iterable[str]) -> tuple[AreaState, ...]:
    """A Cancel lifts, in every municipality, what the revision it cancels had in force there."""
    before = {
        area.code: area.kinds
        for area in notify_public.areas_from_json(previous.area_states if previous else [])
    }
    return tuple(area_state(code, lifted=before.get(code, ())) for code in sorted(set(codes)))


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
    area_states: tuple[AreaState, ...] | None = None,
) -> Alert:
    """Add the next revision of event `event_key` and make it the current one.

    The first revision is an Alert; later ones are Updates (or a Cancel when `cancel`), each
    referencing the revision it replaces. Idempotent on `identifier`: recording the same identifier
    again returns the stored revision unchanged.

    `area_states` say what each municipality is told (kinds in force, kinds lifted, level); when
    not given they are derived from `area_levels` (a Cancel lifts what the revision it cancels
    had in force).
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
    if area_states is None:
        area_states = (
            _cancelled(previous, levels)
            if cancel
            else _default_area_states(source=source, hazard=hazard, area_levels=levels, texts=texts)
        )
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
        area_states=notify_public.areas_as_json(area_states),
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
    # Residents hear of a revision in force (the one definition, Alert.objects.in_force) or of
    # the Cancel of one — never of information that had expired before it was recorded (a
    # replayed 2011 earthquake report).
    in_force = cancel or Alert.objects.in_force().filter(pk=alert.pk).exists()
    if alert.status == Alert.Status.ACTUAL and in_force:
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
        family=family_of_alert(alert),
        areas=notify_public.areas_from_json(alert.area_states),
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


def family_of_alert(alert: Alert) -> str:
    """ "evacuation", or the JMA product family ("weather", "landslide", "flood", "tsunami" …)."""
    if alert.source == Alert.Source.EVACUATION:
        return "evacuation"
    family = alert.event_key.split(":")[1] if alert.event_key.count(":") >= 1 else ""
    return family.split("-", 1)[0]
