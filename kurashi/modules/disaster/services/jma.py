"""JMA 防災情報XML intake: ingesting documents into bulletins and per-municipality warning state,
recording the public Alert revisions, and polling the JMA Atom feeds.

Ingestion is idempotent on (Control/Title, EditorialOffice, EventID, Serial, ReportDateTime,
InfoType). A newer bulletin of a product family replaces the older one's state (partial families —
weather, landslide — only for the municipalities they list); 訂正 replaces like a newer report; 取消
retracts the bulletin it names and restores what that bulletin had replaced. 訓練/試験 bulletins
build a separate exercise state (AreaWarning.is_exercise) and Exercise/Test alerts on their own
event keys, so they never touch what residents see.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from kurashi.core.audit import record_audit
from kurashi.core.services import beat
from kurashi.modules.disaster.area_states import AreaState, KindInForce, area_state
from kurashi.modules.disaster.jma.areas import saga_resolver
from kurashi.modules.disaster.jma.documents import ParsedBulletin
from kurashi.modules.disaster.jma.feed import parse_feed
from kurashi.modules.disaster.jma.kinds import (
    RIVERS_EN,
    conditions_of,
    phenomenon_of,
    river_kind,
)
from kurashi.modules.disaster.jma.parsers import SUPPORTED_TYPE_CODES, parse_bulletin
from kurashi.modules.disaster.jma.state import MunicipalWarning, SagaState, saga_state
from kurashi.modules.disaster.jma.texts import alert_texts
from kurashi.modules.disaster.jma.xmlsafe import DEFAULT_MAX_BYTES, RejectedDocumentError
from kurashi.modules.disaster.models import Alert, AreaWarning, Bulletin, FeedEntry, FeedState
from kurashi.modules.disaster.models.jma import RejectedBulletin
from kurashi.modules.disaster.services.alerts import record_alert

logger = logging.getLogger(__name__)

SENDER_CODE = "410004"  # 佐賀県 (CAP identifiers are "urn:kurashi:410004:jma:…")
DEFAULT_FEED_URLS = (
    "https://www.data.jma.go.jp/developer/xml/feed/extra.xml",
    "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
    "https://www.data.jma.go.jp/developer/xml/feed/regular.xml",
)
HEARTBEAT_NAME = "jma-poller"
INFO_TYPE_EN = {"発表": "issued", "訂正": "corrected", "取消": "cancelled"}


# --- settings (read at call time, never at import) -----------------------------------------------


def max_document_bytes() -> int:
    return int(getattr(settings, "JMA_MAX_DOCUMENT_BYTES", DEFAULT_MAX_BYTES))


def feed_urls() -> list[str]:
    value = getattr(settings, "JMA_FEED_URLS", DEFAULT_FEED_URLS)
    if isinstance(value, str):
        value = value.split(",")
    return [url.strip() for url in value if url.strip()]


def office_codes() -> frozenset[str]:
    value = getattr(settings, "JMA_OFFICE_CODES", "410000,400000")
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(code.strip() for code in value if code.strip())


def poll_seconds() -> float:
    return float(getattr(settings, "JMA_POLL_SECONDS", 60))


def fetch_max_attempts() -> int:
    return int(getattr(settings, "JMA_FETCH_MAX_ATTEMPTS", 5))


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    """What ingesting one document did. status: created | duplicate | rejected."""

    status: str
    bulletin: Bulletin | None = None
    rejection: RejectedBulletin | None = None
    alerts: tuple[Alert, ...] = ()

    @property
    def reason(self) -> str:
        return f"{self.rejection.reason}: {self.rejection.message}" if self.rejection else ""

    def summary(self) -> dict[str, Any]:
        if self.rejection is not None:
            return {
                "status": self.status,
                "reason": self.rejection.reason,
                "message": self.rejection.message,
            }
        assert self.bulletin is not None  # noqa: S101 (created/duplicate always carry it)
        return {
            "status": self.status,
            "bulletin_id": self.bulletin.pk,
            "type_code": self.bulletin.type_code,
            "head_title": self.bulletin.head_title,
            "control_status": self.bulletin.control_status,
            "info_type": self.bulletin.info_type,
            "outcome": str(self.bulletin.outcome),
            "changes": self.bulletin.changes,
            "alerts": [alert.identifier for alert in self.alerts],
        }


# --- ingestion -----------------------------------------------------------------------------------


def ingest_document(
    *,
    data: bytes,
    source: str,
    source_name: str = "",
    actor: Any = None,
    request: HttpRequest | None = None,
) -> IngestResult:
    """Store one JMA document and apply it to the Saga state (or reject it with a reason)."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        parsed = parse_bulletin(data, max_bytes=max_document_bytes())
    except RejectedDocumentError as rejected:
        return reject_document(
            data=data,
            reason=rejected.reason,
            message=rejected.message,
            source=source,
            source_name=source_name,
            actor=actor,
            request=request,
            sha256=sha256,
        )
    envelope = parsed.envelope
    key = {
        "control_title": envelope.control_title,
        "editorial_office": envelope.editorial_office,
        "event_id": envelope.event_id,
        "serial": envelope.serial,
        "report_datetime": envelope.report_datetime,
        "info_type": envelope.info_type,
    }
    existing = Bulletin.objects.filter(**key).first()
    if existing is not None:
        return IngestResult(status="duplicate", bulletin=existing)
    try:
        with transaction.atomic():
            bulletin, alerts = _store_and_apply(
                parsed=parsed,
                data=data,
                sha256=sha256,
                source=source,
                source_name=source_name,
            )
            if source != "feed":
                record_audit(
                    actor=actor,
                    action="disaster.jma.ingest",
                    obj=bulletin,
                    request=request,
                    detail={
                        "source": source,
                        "name": source_name[:200],
                        "outcome": bulletin.outcome,
                    },
                )
    except IntegrityError:
        # Ingested concurrently by another process (poller and upload at once): same as a duplicate.
        existing = Bulletin.objects.filter(**key).first()
        if existing is None:
            raise
        return IngestResult(status="duplicate", bulletin=existing)
    logger.info(
        "JMA bulletin %s %s ingested from %s: %s",
        bulletin.type_code,
        bulletin.head_title,
        source,
        bulletin.outcome,
    )
    return IngestResult(status="created", bulletin=bulletin, alerts=tuple(alerts))


def reject_document(
    *,
    data: bytes,
    reason: str,
    message: str,
    source: str,
    source_name: str = "",
    actor: Any = None,
    request: HttpRequest | None = None,
    sha256: str = "",
    size_bytes: int | None = None,
) -> IngestResult:
    """Record a refused document (the first bytes only, as text) and nothing else."""
    head = data[:1000].decode("utf-8", errors="replace")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        rejection = RejectedBulletin.objects.create(
            reason=reason,
            message=message[:500],
            source=source,
            source_name=source_name[:500],
            size_bytes=len(data) if size_bytes is None else size_bytes,
            sha256=sha256 or hashlib.sha256(data).hexdigest(),
            head=head,
            submitted_by=user,
        )
        if source != "feed":
            record_audit(
                actor=actor,
                action="disaster.jma.reject",
                obj=rejection,
                request=request,
                detail={"reason": reason, "source": source, "name": source_name[:200]},
            )
    logger.warning(
        "JMA document rejected (%s) from %s %s: %s", reason, source, source_name, message
    )
    return IngestResult(status="rejected", rejection=rejection)


def _store_and_apply(
    *, parsed: ParsedBulletin, data: bytes, sha256: str, source: str, source_name: str
) -> tuple[Bulletin, list[Alert]]:
    envelope = parsed.envelope
    state = saga_state(parsed)
    bulletin = Bulletin.objects.create(
        type_code=parsed.type_code,
        control_title=envelope.control_title,
        control_status=envelope.control_status,
        control_datetime=envelope.control_datetime,
        editorial_office=envelope.editorial_office,
        publishing_office=envelope.publishing_office,
        head_title=envelope.head_title[:300],
        report_datetime=envelope.report_datetime,
        target_datetime=envelope.target_datetime,
        event_id=envelope.event_id[:100],
        serial=envelope.serial[:20],
        info_type=envelope.info_type,
        info_kind=envelope.info_kind[:100],
        info_kind_version=envelope.info_kind_version[:20],
        headline=envelope.headline,
        sha256=sha256,
        raw_xml=data.decode("utf-8", errors="replace"),
        source=source,
        source_name=source_name[:500],
        family=state.family or "",
        mentions_saga=state.mentions_saga,
    )
    if envelope.info_type == Bulletin.InfoType.CANCELLED:
        return bulletin, _retract(bulletin=bulletin, parsed=parsed)
    if envelope.info_type == Bulletin.InfoType.CORRECTED:
        corrected = _earlier_of_same_report(bulletin)
        if corrected is not None:
            Bulletin.objects.filter(pk=corrected.pk).update(superseded_by=bulletin)
    return bulletin, _apply(bulletin=bulletin, parsed=parsed, state=state)


def _current(family: str, *, is_exercise: bool, now: datetime) -> Any:
    return AreaWarning.objects.in_force(now).filter(family=family, is_exercise=is_exercise)


def _signature(rows: Iterable[Any]) -> set[tuple[str, str, int, str, str]]:
    return {
        (row.municipality_code, row.kind_name, row.level, row.detail, row.condition) for row in rows
    }


def _finish(bulletin: Bulletin, outcome: str, changes: dict[str, Any]) -> None:
    bulletin.outcome = outcome
    bulletin.changes = changes
    bulletin.save(update_fields=["outcome", "changes"])


def _apply(*, bulletin: Bulletin, parsed: ParsedBulletin, state: SagaState) -> list[Alert]:
    family = state.family
    if family is None:
        _finish(bulletin, Bulletin.Outcome.NO_STATE, {})
        return []
    is_exercise = bulletin.is_exercise
    now = timezone.now()
    # In force as of the bulletin's own time, so that replaying past events works the same.
    current = _current(family, is_exercise=is_exercise, now=bulletin.report_datetime)
    if not state.mentions_saga and not (state.replace_all and current.exists()):
        _finish(bulletin, Bulletin.Outcome.NOT_SAGA, {})
        return []
    newer = Bulletin.objects.filter(
        family=family,
        control_status__in=_status_group(bulletin),
        outcome__in=[Bulletin.Outcome.APPLIED, Bulletin.Outcome.UNCHANGED],
        report_datetime__gt=bulletin.report_datetime,
        superseded_by__isnull=True,
    ).exclude(pk=bulletin.pk)
    if newer.exists():
        _finish(bulletin, Bulletin.Outcome.STALE, {})
        return []
    affected = current if state.replace_all else current.filter(municipality_code__in=state.listed)
    before = list(affected)
    if _signature(before) == _signature(state.warnings) and before:
        _finish(bulletin, Bulletin.Outcome.UNCHANGED, {"levels": state.levels()})
        return []
    if not before and not state.warnings:
        _finish(bulletin, Bulletin.Outcome.UNCHANGED, {"levels": state.levels()})
        return []
    AreaWarning.objects.filter(pk__in=[row.pk for row in before]).update(
        is_current=False, ended_at=now, ended_by=bulletin
    )
    AreaWarning.objects.bulk_create(
        [_area_warning(warning, bulletin=bulletin, state=state) for warning in state.warnings]
    )
    # Lifted: what is no longer in force in a municipality — not a kind that became another
    # grade of the same phenomenon there (大雨警報 → 大雨特別警報 is an upgrade).
    after_phenomena = {
        (w.municipality_code, phenomenon_of(w.kind_key, river_kind(w.kind_name)[1]))
        for w in state.warnings
    }
    lifted_rows = [
        row
        for row in before
        if (row.municipality_code, phenomenon_of(row.kind_key, river_kind(row.kind_name)[1]))
        not in after_phenomena
    ]
    changes = {
        "added": sorted(
            {f"{w.municipality_code}:{w.kind_name}" for w in state.warnings}
            - {f"{r.municipality_code}:{r.kind_name}" for r in before}
        ),
        "lifted": sorted(
            {f"{r.municipality_code}:{r.kind_name}" for r in before}
            - {f"{w.municipality_code}:{w.kind_name}" for w in state.warnings}
        ),
        "levels": state.levels(),
    }
    _finish(bulletin, Bulletin.Outcome.APPLIED, changes)
    alert = _record_family_alert(
        bulletin=bulletin,
        family=family,
        lifted_rows=lifted_rows,
        expires=state.expires,
        suffix="",
    )
    return [alert] if alert else []


def _area_warning(
    warning: MunicipalWarning, *, bulletin: Bulletin, state: SagaState
) -> AreaWarning:
    return AreaWarning(
        municipality_code=warning.municipality_code,
        family=state.family or "",
        hazard=warning.hazard,
        kind_code=warning.kind_code[:10],
        kind_name=warning.kind_name[:100],
        level=warning.level,
        since=bulletin.report_datetime,
        bulletin=bulletin,
        is_exercise=bulletin.is_exercise,
        status=warning.status[:40],
        last_kind_name=warning.last_kind_name[:100],
        detail=warning.detail[:100],
        expires_at=state.expires,
        kind_key=warning.kind_key[:60],
        condition=warning.condition[:40],
    )


def _status_group(bulletin: Bulletin) -> list[str]:
    """Actual bulletins only ever interact with actual ones; 訓練/試験 with each other."""
    if bulletin.is_exercise:
        return [Bulletin.ControlStatus.EXERCISE, Bulletin.ControlStatus.TEST]
    return [Bulletin.ControlStatus.NORMAL]


def _alert_status(bulletin: Bulletin) -> str:
    return {
        Bulletin.ControlStatus.NORMAL: Alert.Status.ACTUAL,
        Bulletin.ControlStatus.EXERCISE: Alert.Status.EXERCISE,
        Bulletin.ControlStatus.TEST: Alert.Status.TEST,
    }[Bulletin.ControlStatus(bulletin.control_status)]


def event_key_for(family: str, *, is_exercise: bool) -> str:
    return f"jma:{family}" + (":exercise" if is_exercise else "")


def _identifier(bulletin: Bulletin, suffix: str) -> str:
    return (
        f"urn:kurashi:{SENDER_CODE}:jma:{bulletin.type_code}:"
        f"{bulletin.report_datetime:%Y%m%dT%H%M%S}:{INFO_TYPE_EN[bulletin.info_type]}:"
        f"{bulletin.sha256[:16]}{suffix}"
    )


def kind_in_force(row: AreaWarning) -> KindInForce:
    """An AreaWarning row as the kind notify and the pages name (its key, conditions, river)."""
    key = row.kind_key or "other"
    place_ja = place_en = ""
    if key.startswith("river_flood"):
        _key, place_ja = river_kind(row.kind_name)
        place_en = RIVERS_EN.get(place_ja, "")
    return KindInForce(
        kind=key,
        level=row.level,
        hazard=row.hazard,
        name_ja=row.kind_name,
        conditions=conditions_of(row.condition),
        place_ja=place_ja,
        place_en=place_en,
        value=row.detail if key == "seismic_intensity" else "",
    )


def _area_states(
    rows: Iterable[AreaWarning], lifted_rows: Iterable[AreaWarning]
) -> tuple[AreaState, ...]:
    """Per municipality: the kinds in force (`rows`) and the kinds this revision lifted."""
    kinds: dict[str, list[KindInForce]] = {}
    lifted: dict[str, list[KindInForce]] = {}
    for row in rows:
        kinds.setdefault(row.municipality_code, []).append(kind_in_force(row))
    for row in lifted_rows:
        lifted.setdefault(row.municipality_code, []).append(kind_in_force(row))
    return tuple(
        area_state(code, kinds=kinds.get(code, ()), lifted=lifted.get(code, ()))
        for code in sorted(set(kinds) | set(lifted))
    )


def _record_family_alert(
    *,
    bulletin: Bulletin,
    family: str,
    lifted_rows: list[AreaWarning],
    expires: datetime | None,
    suffix: str,
) -> Alert | None:
    """One Alert revision carrying the whole current state of `family`; a Cancel when nothing of
    the family is in force any more (skipped when no alert of it was ever published)."""
    is_exercise = bulletin.is_exercise
    event_key = event_key_for(family, is_exercise=is_exercise)
    rows = list(_current(family, is_exercise=is_exercise, now=bulletin.report_datetime))
    warnings = tuple(
        MunicipalWarning(
            municipality_code=row.municipality_code,
            kind_name=row.kind_name,
            kind_code=row.kind_code,
            status=row.status,
            hazard=row.hazard,
            level=row.level,
            detail=row.detail,
            kind_key=row.kind_key,
            condition=row.condition,
        )
        for row in rows
    )
    lifted_codes = frozenset(row.municipality_code for row in lifted_rows) - {
        row.municipality_code for row in rows
    }
    has_previous = Alert.objects.filter(event_key=event_key, is_current=True).exists()
    cancel = not warnings
    if cancel and not has_previous:
        return None
    area_levels: dict[str, int] = {}
    for warning in warnings:
        area_levels[warning.municipality_code] = max(
            area_levels.get(warning.municipality_code, 0), warning.level
        )
    for code in lifted_codes:
        area_levels.setdefault(code, 0)
    top = max(warnings, key=lambda w: w.level, default=None)
    hazard = top.hazard if top else family_hazard(family)
    texts = alert_texts(
        warnings=warnings,
        lifted_codes=lifted_codes,
        resolver=saga_resolver(),
        head_title=bulletin.head_title,
        headline=bulletin.headline,
        sender=bulletin.editorial_office,
    )
    resolver = saga_resolver()
    return record_alert(
        source=Alert.Source.JMA,
        event_key=event_key,
        identifier=_identifier(bulletin, suffix),
        status=_alert_status(bulletin),
        sent=bulletin.report_datetime,
        hazard=hazard,
        area_levels=area_levels,
        texts=texts,
        sender_name_ja=bulletin.editorial_office,
        cancel=cancel,
        bulletin=bulletin,
        expires=expires,
        area_description_ja="、".join(
            resolver.municipalities[code].name_ja for code in sorted(area_levels)
        )[:500],
        area_states=_area_states(rows, lifted_rows),
    )


def family_hazard(family: str) -> str:
    prefix = family.split(":", 1)[0]
    return {
        "landslide": "landslide",
        "flood": "flood",
        "tsunami": "tsunami",
        "earthquake": "earthquake",
        "tornado": "tornado",
        "flash": "heavy_rain",
    }.get(prefix, "heavy_rain" if prefix.startswith("weather") else "other")


def _earlier_of_same_report(bulletin: Bulletin) -> Bulletin | None:
    """The bulletin a 訂正 or 取消 refers to: same title, office and event (and serial when JMA
    gives one), not itself cancelled, the latest at or before this one's report time."""
    candidates = (
        Bulletin.objects.filter(
            control_title=bulletin.control_title,
            editorial_office=bulletin.editorial_office,
            event_id=bulletin.event_id,
            control_status__in=_status_group(bulletin),
            report_datetime__lte=bulletin.report_datetime,
            superseded_by__isnull=True,
        )
        .exclude(pk=bulletin.pk)
        .exclude(info_type=Bulletin.InfoType.CANCELLED)
    )
    if bulletin.serial:
        candidates = candidates.filter(serial=bulletin.serial)
    return candidates.order_by("-report_datetime", "-id").first()


def _retract(*, bulletin: Bulletin, parsed: ParsedBulletin) -> list[Alert]:
    target = _earlier_of_same_report(bulletin)
    if target is None:
        _finish(bulletin, Bulletin.Outcome.RETRACTED, {"retracted": None})
        return []
    now = timezone.now()
    Bulletin.objects.filter(pk=target.pk).update(superseded_by=bulletin)
    produced = list(AreaWarning.objects.filter(bulletin=target, is_current=True))
    AreaWarning.objects.filter(pk__in=[row.pk for row in produced]).update(
        is_current=False, ended_at=now, ended_by=bulletin
    )
    restored = AreaWarning.objects.filter(ended_by=target, is_current=False).unexpired(now)
    restored_count = restored.update(is_current=True, ended_at=None, ended_by=None)
    changes = {
        "retracted": target.pk,
        "lifted": sorted({f"{row.municipality_code}:{row.kind_name}" for row in produced}),
        "restored": restored_count,
    }
    _finish(bulletin, Bulletin.Outcome.RETRACTED, changes)
    alerts: list[Alert] = []
    family = target.family
    event_key = event_key_for(family, is_exercise=bulletin.is_exercise)
    if family and Alert.objects.filter(bulletin=target).exists():
        if Alert.objects.filter(event_key=event_key, is_current=True).exists():
            alerts.append(
                record_alert(
                    source=Alert.Source.JMA,
                    event_key=event_key,
                    identifier=_identifier(bulletin, ":cancel"),
                    status=_alert_status(bulletin),
                    sent=bulletin.report_datetime,
                    hazard=family_hazard(family),
                    area_levels={row.municipality_code: 0 for row in produced},
                    texts=_cancel_texts(target),
                    sender_name_ja=bulletin.editorial_office,
                    cancel=True,
                    bulletin=bulletin,
                    area_states=_area_states((), produced),
                )
            )
        if restored_count:
            alert = _record_family_alert(
                bulletin=bulletin,
                family=family,
                lifted_rows=[],
                expires=None,
                suffix=":restore",
            )
            if alert is not None:
                alerts.append(alert)
    return alerts


def _cancel_texts(target: Bulletin) -> dict[str, dict[str, str]]:
    reported = timezone.localtime(target.report_datetime)
    return {
        "ja": {
            "event": "取消",
            "headline": f"{target.head_title}（{reported:%m月%d日%H時%M分}発表）は取り消されました。",
            "description": "気象庁が発表を取り消しました。",
        },
        "ja-x-easy": {
            "event": "とりけし",
            "headline": "まえ の おしらせ は まちがい でした。とりけします。",
            "description": "きしょうちょう が とりけしました。",
        },
        "en": {
            "event": "Cancelled",
            "headline": f"The JMA bulletin of {reported:%Y-%m-%d %H:%M} was cancelled.",
            "description": "The Japan Meteorological Agency cancelled this bulletin.",
        },
    }


# --- polling the Atom feeds ----------------------------------------------------------------------


@dataclass
class PollReport:
    feeds: dict[str, str] = field(default_factory=dict)  # url → "200 (12 new)" / "304" / "error: …"
    new_entries: int = 0
    skipped: int = 0
    fetched: int = 0
    failed: int = 0
    ingested: dict[str, int] = field(default_factory=dict)  # created / duplicate / rejected

    def as_dict(self) -> dict[str, Any]:
        return {
            "feeds": self.feeds,
            "new_entries": self.new_entries,
            "skipped": self.skipped,
            "fetched": self.fetched,
            "failed": self.failed,
            "ingested": self.ingested,
        }


def is_handled_type(type_code: str) -> bool:
    return type_code in SUPPORTED_TYPE_CODES or type_code.startswith("VXKO")


def _client() -> httpx.Client:
    timeout = float(getattr(settings, "JMA_HTTP_TIMEOUT_SECONDS", 10))
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        headers={"User-Agent": "Kurashi JMA intake (+https://github.com/kurashi)"},
        follow_redirects=True,
    )


def poll_feeds(*, client: httpx.Client | None = None) -> PollReport:
    """One polling cycle: every configured feed with conditional GET, then every pending (or
    failed, up to JMA_FETCH_MAX_ATTEMPTS) entry's data URL, each fetched once."""
    report = PollReport()
    own_client = client is None
    http = client or _client()
    try:
        offices = office_codes()
        for url in feed_urls():
            report.feeds[url] = _poll_feed(http, url, offices=offices, report=report)
        _fetch_entries(http, report=report)
    finally:
        if own_client:
            http.close()
    return report


def _poll_feed(http: httpx.Client, url: str, *, offices: frozenset[str], report: PollReport) -> str:
    state, _created = FeedState.objects.get_or_create(url=url)
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        response = http.get(url, headers=headers)
    except httpx.HTTPError as error:
        return _feed_status(state, f"error: {type(error).__name__}: {error}"[:200])
    if response.status_code == 304:
        return _feed_status(state, "304 not modified")
    if response.status_code != 200:
        return _feed_status(state, f"error: HTTP {response.status_code}")
    try:
        feed = parse_feed(response.content, max_bytes=max_document_bytes())
    except RejectedDocumentError as rejected:
        return _feed_status(state, f"error: {rejected}"[:200])
    seen = set(
        FeedEntry.objects.filter(
            entry_id__in=[item.entry_id[:500] for item in feed.items]
        ).values_list("entry_id", flat=True)
    )
    entries: list[FeedEntry] = []
    for item in feed.items:
        entry_id = item.entry_id[:500]
        if entry_id in seen:
            continue
        seen.add(entry_id)
        if item.office_code not in offices:
            entry_state, reason = FeedEntry.State.SKIPPED, f"office {item.office_code or '?'}"
        elif not is_handled_type(item.type_code):
            entry_state, reason = FeedEntry.State.SKIPPED, f"type {item.type_code or '?'}"
        else:
            entry_state, reason = FeedEntry.State.PENDING, ""
        entries.append(
            FeedEntry(
                entry_id=entry_id,
                data_url=item.data_url[:500],
                title=item.title[:200],
                author=item.author[:200],
                office_code=item.office_code,
                type_code=item.type_code[:10],
                updated=item.updated,
                state=entry_state,
                reason=reason,
            )
        )
    # ignore_conflicts: another poller process may have stored the same entries meanwhile.
    FeedEntry.objects.bulk_create(entries, ignore_conflicts=True)
    new = len(entries)
    report.skipped += sum(1 for entry in entries if entry.state == FeedEntry.State.SKIPPED)
    report.new_entries += new
    state.etag = response.headers.get("ETag", "")[:200]
    state.last_modified = response.headers.get("Last-Modified", "")[:100]
    return _feed_status(state, f"200 ({new} new)")


def _feed_status(state: FeedState, status: str) -> str:
    state.last_polled_at = timezone.now()
    state.last_status = status
    state.save()
    return status


def _download(http: httpx.Client, url: str, limit: int) -> bytes:
    with http.stream("GET", url) as response:
        if response.status_code != 200:
            raise httpx.HTTPStatusError(
                f"HTTP {response.status_code}", request=response.request, response=response
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            chunks.append(chunk)
            if size > limit:
                break  # enough to know it is too large; the parser rejects it
        return b"".join(chunks)


def _fetch_entries(http: httpx.Client, *, report: PollReport) -> None:
    due = FeedEntry.objects.filter(
        Q(state=FeedEntry.State.PENDING)
        | Q(state=FeedEntry.State.FAILED, attempts__lt=fetch_max_attempts())
    ).order_by("updated", "id")
    limit = max_document_bytes()
    for entry in due:
        entry.attempts += 1
        try:
            data = _download(http, entry.data_url, limit)
        except httpx.HTTPError as error:
            entry.state = FeedEntry.State.FAILED
            entry.reason = f"{type(error).__name__}: {error}"[:500]
            entry.save(update_fields=["state", "reason", "attempts"])
            report.failed += 1
            logger.warning("JMA data %s failed: %s", entry.data_url, entry.reason)
            continue
        result = ingest_document(data=data, source="feed", source_name=entry.data_url)
        entry.state = FeedEntry.State.FETCHED
        entry.fetched_at = timezone.now()
        entry.reason = result.reason[:500] if result.status == "rejected" else result.status
        entry.save(update_fields=["state", "reason", "attempts", "fetched_at"])
        report.fetched += 1
        report.ingested[result.status] = report.ingested.get(result.status, 0) + 1


def run_poller(
    *,
    once: bool = False,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_cycle: Callable[[PollReport], None] | None = None,
) -> None:
    """Poll every JMA_POLL_SECONDS (or once), beating the jma-poller heartbeat after each cycle."""
    while True:
        started = time.monotonic()
        try:
            report = poll_feeds(client=client)
        except Exception:
            logger.exception("JMA polling cycle failed")
            report = PollReport(feeds={"*": "error: cycle failed"})
        beat(HEARTBEAT_NAME, **report.as_dict())
        if on_cycle is not None:
            on_cycle(report)
        if once:
            return
        sleep(max(0.0, poll_seconds() - (time.monotonic() - started)))
