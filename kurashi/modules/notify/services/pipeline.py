"""The fan-out pipeline: a notice becomes outbox rows (one per recipient × channel × revision),
which workers claim in batches with a conditional UPDATE and hand to the channels.

Exactly once: the outbox's idempotency key (event key + revision + recipient + channel) is
unique, so re-dispatching a revision, or several JMA documents of one revision, add nothing. A
row is claimed by `UPDATE … SET status='sending', claim=<uuid> WHERE status='pending'`, which
only one worker can win on SQLite (one writer) and on PostgreSQL (the WHERE is re-checked after
the row lock), so two workers never take the same row; on PostgreSQL the candidate rows are
first locked with FOR UPDATE SKIP LOCKED, so racing workers take different rows instead of
queueing on each other's locks (see claim_batch). A worker killed mid-batch leaves its
rows 'sending'; release_stale_claims() puts them back after NOTIFY_CLAIM_TIMEOUT_SECONDS. The
null channel's hand-off is written in the same transaction as 'sent', so for it a crash can
neither lose nor repeat a message; real channels are at-least-once across a crash in that window
and carry the idempotency key (Message-ID-like header, Idempotency-Key) for receivers to dedupe.
"""

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Q, Subquery
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from kurashi.modules.notify.channels import Outcome, OutgoingMessage, Result, adapter_for
from kurashi.modules.notify.messages import RenderedMessage, render_message
from kurashi.modules.notify.models import (
    CHANNEL_BITS,
    Delivery,
    Lane,
    Notice,
    NullMessage,
    Subscription,
    SubscriptionArea,
)
from kurashi.modules.notify.notices import AreaState, areas_from_json
from kurashi.modules.notify.notices import Notice as NoticeData
from kurashi.modules.notify.selectors import Recipient, original_recipients, select_recipients
from kurashi.modules.notify.services.subscriptions import LinkMaker, remove_channel

logger = logging.getLogger(__name__)

CHUNK = 5000
INSERT_ROWS = 500  # rows per INSERT statement (x 7 parameters, far below SQLite's limit)


def _task(name: str) -> Task[Any, Any]:
    """A task of this module, looked up by name when enqueued: the tasks call these services,
    so services must not import the tasks module (Zulip publishes by queue name likewise)."""
    return import_string(f"kurashi.modules.notify.tasks.{name}")  # type: ignore[no-any-return]


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- dispatch ------------------------------------------------------------------------------


def dispatch_notice(notice: NoticeData) -> None:
    """Persist the notice and fan it out from the worker of its lane once this commits.

    Idempotent: a revision already received ((event_key, revision) or key) is left alone.
    Exercises and tests (is_exercise) are stored but never reach residents.
    """
    with transaction.atomic():
        if (
            Notice.objects.filter(key=notice.key).exists()
            or Notice.objects.filter(event_key=notice.event_key, revision=notice.revision).exists()
        ):
            return
        lane = notice.lane
        if notice.references_key and lane != Lane.EMERGENCY:
            # A correction travels in the lane of what it corrects (a 取消 of a L4 order is urgent).
            referenced = Notice.objects.filter(key=notice.references_key).first()
            if referenced is not None and referenced.lane == Lane.EMERGENCY:
                lane = Lane.EMERGENCY
        row = Notice.objects.create(
            key=notice.key,
            event_key=notice.event_key,
            revision=notice.revision,
            msg_type=notice.msg_type,
            references_key=notice.references_key,
            hazard=notice.hazard,
            level=notice.level,
            area_levels={code: int(level) for code, level in notice.area_levels.items()},
            area_geojson=notice.area_geojson,
            texts=notice.texts,
            content=notice.content_json(),
            web_url=notice.web_url,
            sent=notice.sent,
            is_exercise=notice.is_exercise,
            lane=lane,
        )
        notice_id = row.pk
        transaction.on_commit(
            lambda: _task("fan_out_notice_task").using(queue_name=lane).enqueue(notice_id=notice_id)
        )


# --- fan-out -------------------------------------------------------------------------------


def _quiet_until(recipient: Recipient, now: datetime) -> datetime | None:
    """The end of the recipient's quiet hours when `now` falls inside them, else None."""
    start, end = recipient.quiet_start, recipient.quiet_end
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    current = local.time()
    inside = start <= current < end if start < end else (current >= start or current < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until


@dataclass(frozen=True, slots=True)
class _OutboxRow:
    """One outbox row to write; the notice's id and lane are the same for the whole fan-out."""

    subscription_id: int | None
    channel: str
    idempotency_key: str
    is_correction: bool
    next_attempt_at: datetime


def _rows_for(
    notice: Notice, recipient: Recipient, now: datetime, *, is_correction: bool = False
) -> list[_OutboxRow]:
    next_attempt = now
    if notice.level < 4 and not is_correction:
        next_attempt = _quiet_until(recipient, now) or now
    prefix = f"{notice.event_key}:{notice.revision}:{recipient.subscription_id}:"
    return [
        _OutboxRow(
            recipient.subscription_id, channel, prefix + channel, is_correction, next_attempt
        )
        for channel, bit in CHANNEL_BITS.items()
        if recipient.channel_mask & bit
    ]


def _insert_values(
    table: str,
    columns: tuple[tuple[str, str], ...],
    constants: tuple[tuple[str, str], ...],
    rows: Sequence[Sequence[Any]],
) -> None:
    """INSERT … ON CONFLICT DO NOTHING of many rows at database speed (bulk_create spent most of
    a fan-out's time building a model instance per row). `columns` are (name, PostgreSQL type)
    of the values in `rows`; `constants` are (name, SQL literal) shared by every row.

    PostgreSQL: one statement per chunk of arrays, `INSERT … SELECT … FROM unnest(%s::t[], …)`,
    so the driver binds one parameter per column instead of parsing thousands of placeholders.
    SQLite (≥ 3.24): multi-row VALUES, INSERT_ROWS rows per statement."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name, _type in columns + constants)
    literals = "".join(", " + literal for _name, literal in constants)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{sql_type}[]" for _name, sql_type in columns)
            sql = (
                f"INSERT INTO {quote(table)} ({names}) "  # noqa: S608 (identifiers are ours)
                f"SELECT *{literals} FROM unnest({arrays}) ON CONFLICT DO NOTHING"
            )
            for start in range(0, len(rows), CHUNK):
                part = rows[start : start + CHUNK]
                cursor.execute(sql, [list(column) for column in zip(*part, strict=True)])
            return
        one = "(" + ", ".join(["%s"] * len(columns)) + literals + ")"
        for start in range(0, len(rows), INSERT_ROWS):
            part = rows[start : start + INSERT_ROWS]
            sql = (
                f"INSERT INTO {quote(table)} ({names}) VALUES "  # noqa: S608 (identifiers are ours)
                + ", ".join([one] * len(part))
                + " ON CONFLICT DO NOTHING"
            )
            cursor.execute(sql, [value for row in part for value in row])


_OUTBOX_COLUMNS = (
    ("notice_id", "bigint"),
    ("subscription_id", "bigint"),
    ("channel", "text"),
    ("lane", "text"),
    ("idempotency_key", "text"),
    ("is_correction", "boolean"),
    ("next_attempt_at", "timestamptz"),
)
_OUTBOX_CONSTANTS = (
    ("status", f"'{Delivery.Status.PENDING.value}'"),
    ("attempts", "0"),
    ("claim", "''"),
    ("last_error", "''"),
)


def _insert(notice: Notice, rows: list[_OutboxRow]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    adapted: dict[datetime, Any] = {}
    values = []
    for row in rows:
        when = adapted.get(row.next_attempt_at)
        if when is None:
            when = adapted[row.next_attempt_at] = adapt(row.next_attempt_at)
        values.append(
            (
                notice.pk,
                row.subscription_id,
                row.channel,
                notice.lane,
                row.idempotency_key,
                row.is_correction,
                when,
            )
        )
    with transaction.atomic():
        _insert_values(
            Delivery._meta.db_table,
            _OUTBOX_COLUMNS,
            _OUTBOX_CONSTANTS,
            values,
        )


def _enqueue_drains(lane: str, count: int) -> None:
    for _index in range(count):
        _task("drain_lane_task").using(queue_name=lane).enqueue(lane=lane)


def fan_out_notice(*, notice_id: int) -> int:
    """Write the outbox rows of a notice (idempotent; safe to run again after a crash) and start
    the lane's drainers. Returns the number of rows this run added or found."""
    notice = Notice.objects.get(pk=notice_id)
    if notice.fanned_out_at is not None:
        return 0
    now = timezone.now()
    drainers = int(_setting("NOTIFY_DRAINERS_PER_LANE", 2))
    total = 0
    started = False
    if not notice.is_exercise:
        first_size = int(_setting("NOTIFY_FIRST_BATCH_SIZE", 200))
        for chunk in _chunks(_outbox_rows(notice, now), CHUNK, first=first_size):
            _insert(notice, chunk)
            total += len(chunk)
            Notice.objects.filter(pk=notice.pk).update(fan_out_progress_at=timezone.now())
            if not started:
                # The first residents hear at once: a drainer on another worker of the lane
                # takes over while the rest is written, and this task hands the first small
                # chunk to the channels itself, so that even a single busy worker starts now.
                started = True
                _enqueue_drains(notice.lane, 1)
                deliver_batch(lane=notice.lane, size=first_size)
    Notice.objects.filter(pk=notice.pk).update(
        fanned_out_at=timezone.now(),
        recipient_count=Delivery.objects.filter(notice=notice).count(),
    )
    if total:
        _enqueue_drains(notice.lane, drainers)
    return total


def _chunks(rows: Iterable[_OutboxRow], size: int, *, first: int) -> Iterable[list[_OutboxRow]]:
    """Lists of `size` rows; the first one of only `first` rows (the first residents' turn)."""
    chunk: list[_OutboxRow] = []
    limit = first
    for row in rows:
        chunk.append(row)
        if len(chunk) >= limit:
            yield chunk
            chunk = []
            limit = size
    if chunk:
        yield chunk


def _outbox_rows(notice: Notice, now: datetime) -> Iterable[_OutboxRow]:
    corrected: set[int] = set()
    if notice.msg_type in ("Update", "Cancel") and notice.references_key:
        original = Notice.objects.filter(key=notice.references_key).first()
        if original is not None:
            # What was not handed over yet is superseded: nobody should get both.
            Delivery.objects.filter(notice=original, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED,
                last_error=f"superseded by revision {notice.revision}",
            )
            active = set(
                Subscription.objects.filter(
                    is_active=True,
                    pk__in=Delivery.objects.filter(notice=original).values("subscription_id"),
                ).values_list("pk", flat=True)
            )
            masks: dict[int, int] = defaultdict(int)
            for subscription_id, channel in original_recipients(original):
                if subscription_id is None:
                    if channel == "mastodon":
                        yield _mastodon_row(notice, now, is_correction=True)
                elif subscription_id in active:
                    masks[subscription_id] |= CHANNEL_BITS[channel]
            for subscription_id, mask in masks.items():
                corrected.add(subscription_id)
                yield from _rows_for(
                    notice, Recipient(subscription_id, mask, None, None), now, is_correction=True
                )
    if notice.msg_type != "Cancel":
        for recipient in select_recipients(notice):
            if recipient.subscription_id not in corrected:
                yield from _rows_for(notice, recipient, now)
        if _setting("NOTIFY_MASTODON_URL", "") and notice.level >= int(
            _setting("NOTIFY_MASTODON_MIN_LEVEL", 3)
        ):
            yield _mastodon_row(notice, now)


def _mastodon_row(notice: Notice, now: datetime, *, is_correction: bool = False) -> _OutboxRow:
    return _OutboxRow(
        None, "mastodon", f"{notice.event_key}:{notice.revision}:sns:mastodon", is_correction, now
    )


# --- delivery ------------------------------------------------------------------------------


def release_stale_claims(*, older_than_seconds: float | None = None) -> int:
    """Put rows claimed by a worker that died back in the queue."""
    seconds = (
        float(_setting("NOTIFY_CLAIM_TIMEOUT_SECONDS", 300))
        if older_than_seconds is None
        else older_than_seconds
    )
    cutoff = timezone.now() - timedelta(seconds=seconds)
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lte=cutoff).update(
        status=Delivery.Status.PENDING, claim=""
    )


def claim_batch(*, lane: str, size: int) -> str | None:
    """Claim up to `size` due rows of `lane` for this worker; the claim id, or None if none.

    PostgreSQL: the due rows are locked with FOR UPDATE SKIP LOCKED, so racing workers each take
    different rows at once (with a plain conditional UPDATE the loser would wait for the winner's
    lock, then re-check `status='pending'`, find nothing and stop draining although rows remain).
    SQLite has one writer (BEGIN IMMEDIATE), so the conditional UPDATE alone is exclusive there.
    """
    claim = uuid.uuid4().hex
    now = timezone.now()
    # Ordered along the queue index (lane, status, next_attempt_at): a range scan that stops
    # after `size` rows. Ordering by id instead sorted every pending row of the lane for each
    # batch, which made draining quadratic in the size of the outbox.
    due = Delivery.objects.filter(
        lane=lane, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:size])
            if not ids:
                return None
            # id = ANY(array): one parameter, not `size` placeholders for the driver to parse.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {connection.ops.quote_name(Delivery._meta.db_table)} SET status = %s, "  # noqa: S608
                    "claim = %s, claimed_at = %s, attempts = attempts + 1 "
                    "WHERE id = ANY(%s::bigint[]) AND status = %s",
                    [Delivery.Status.SENDING, claim, now, ids, Delivery.Status.PENDING],
                )
                claimed = cursor.rowcount
        else:
            claimed = Delivery.objects.filter(
                id__in=Subquery(due.values("id")[:size]), status=Delivery.Status.PENDING
            ).update(
                status=Delivery.Status.SENDING,
                claim=claim,
                claimed_at=now,
                attempts=F("attempts") + 1,
            )
    return claim if claimed else None


_CLAIMED_FIELDS = (
    "id",
    "notice_id",
    "subscription_id",
    "channel",
    "idempotency_key",
    "is_correction",
    "attempts",
    "subscription__is_active",
    "subscription__language",
    "subscription__token",
    "subscription__email",
    "subscription__push_endpoint",
    "subscription__push_p256dh",
    "subscription__push_auth",
    "subscription__webhook_url",
    "subscription__webhook_secret",
    "subscription__line_user_id",
    "subscription__phone",
)


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A claimed outbox row with what its channel needs of the subscription, read as plain
    values (model instances for every row and its subscription cost more than the sending)."""

    id: int
    notice_id: int
    subscription_id: int | None
    channel: str
    idempotency_key: str
    is_correction: bool
    attempts: int
    is_active: bool | None
    language: str | None
    token: str | None
    email: str | None
    push_endpoint: str | None
    push_p256dh: str | None
    push_auth: str | None
    webhook_url: str | None
    webhook_secret: str | None
    line_user_id: str | None
    phone: str | None


def deliver_batch(*, lane: str, size: int | None = None) -> int:
    """Claim one batch of `lane` and hand it to the channels; returns the rows handled."""
    size = size or int(_setting("NOTIFY_BATCH_SIZE", 500))
    claim = claim_batch(lane=lane, size=size)
    if claim is None:
        return 0
    rows = [
        _Claimed(*values)
        for values in Delivery.objects.filter(
            claim=claim, status=Delivery.Status.SENDING
        ).values_list(*_CLAIMED_FIELDS)
    ]
    notices = Notice.objects.in_bulk({row.notice_id for row in rows})
    by_channel: dict[str, list[_Claimed]] = defaultdict(list)
    for row in rows:
        by_channel[row.channel].append(row)
    links = LinkMaker()
    # Each recipient reads about its own municipalities only (messages.render_message).
    areas: dict[int, list[str]] = defaultdict(list)
    for subscription_id, code in SubscriptionArea.objects.filter(
        subscription_id__in={row.subscription_id for row in rows if row.subscription_id}
    ).values_list("subscription_id", "municipality_code"):
        areas[subscription_id].append(code)
    codes = {key: tuple(sorted(value)) for key, value in areas.items()}
    for channel, channel_rows in by_channel.items():
        _deliver_channel(claim, channel, channel_rows, notices, links, codes)
    return len(rows)


def _deliver_channel(
    claim: str,
    channel: str,
    rows: list[_Claimed],
    notices: dict[int, Notice],
    links: LinkMaker,
    codes: dict[int, tuple[str, ...]],
) -> None:
    adapter = adapter_for(channel)
    rendered_cache: dict[tuple[int, str, bool, tuple[str, ...]], RenderedMessage] = {}
    messages: list[OutgoingMessage] = []
    results: dict[int, Result] = {}
    for row in rows:
        if (row.subscription_id is None and channel != "mastodon") or row.is_active is False:
            # A subscription deleted (SET NULL) or switched off after its row was written.
            results[row.id] = Result(Outcome.FAILED, "unsubscribed before delivery")
            continue
        municipalities = codes.get(row.subscription_id or 0, ())
        messages.append(
            _outgoing(row, notices[row.notice_id], rendered_cache, links, municipalities)
        )
    if messages:
        for message, result in zip(messages, adapter.send_batch(messages), strict=True):
            results[message.delivery_id] = result
    _record_results(claim, adapter, rows, results)


def _structured(notice: Notice) -> tuple[tuple[AreaState, ...], str]:
    """The notice's areas and family, parsed once per batch (its rows share the instance)."""
    cached = notice.__dict__.get("_structured")
    if cached is None:
        content = notice.content or {}
        cached = (areas_from_json(content.get("areas")), str(content.get("family") or ""))
        notice.__dict__["_structured"] = cached
    return cached


def _outgoing(
    row: _Claimed,
    notice: Notice,
    cache: dict[tuple[int, str, bool, tuple[str, ...]], RenderedMessage],
    links: LinkMaker,
    municipalities: tuple[str, ...] = (),
) -> OutgoingMessage:
    language = row.language or "ja"
    areas, family = _structured(notice)
    cache_key = (notice.pk, language, row.is_correction, municipalities)
    base = cache.get(cache_key)
    if base is None:
        base = render_message(
            language=language,
            msg_type=notice.msg_type,
            level=notice.level,
            texts=notice.texts,
            web_url=notice.web_url,
            is_correction=row.is_correction,
            areas=areas,
            family=family,
            municipality_codes=municipalities,
        )
        cache[cache_key] = base
    message = base
    address: dict[str, str] = {}
    if row.subscription_id is not None:
        unsubscribe_url = links.url(row.subscription_id, row.token or "", language, "unsubscribe")
        message = (
            render_message(
                language=language,
                msg_type=notice.msg_type,
                level=notice.level,
                texts=notice.texts,
                web_url=notice.web_url,
                is_correction=row.is_correction,
                unsubscribe_url=unsubscribe_url,
                areas=areas,
                family=family,
                municipality_codes=municipalities,
            )
            if row.channel != "null"
            else RenderedMessage(base.language, base.subject, base.body, base.url, unsubscribe_url)
        )
        address = {
            "email": row.email or "",
            "endpoint": row.push_endpoint or "",
            "p256dh": row.push_p256dh or "",
            "auth": row.push_auth or "",
            "url": row.webhook_url or "",
            "secret": row.webhook_secret or "",
            "line_user_id": row.line_user_id or "",
            "phone": row.phone or "",
        }
    payload = message.as_payload(notice_key=notice.key, level=notice.level, hazard=notice.hazard)
    payload.update(
        event_key=notice.event_key,
        revision=notice.revision,
        msg_type=notice.msg_type,
        is_correction=row.is_correction,
        area_levels=notice.area_levels,
    )
    return OutgoingMessage(
        delivery_id=row.id,
        idempotency_key=row.idempotency_key,
        message=message,
        payload=payload,
        address=address,
    )


def _record_results(
    claim: str, adapter: Any, rows: list[_Claimed], results: dict[int, Result]
) -> None:
    now = timezone.now()
    channel = rows[0].channel  # one channel of one claimed batch
    sent_ids = [row.id for row in rows if results[row.id].outcome == Outcome.SENT]
    gone: list[int] = []
    with transaction.atomic():
        if sent_ids:
            # Addressed by the claim (one short statement, not hundreds of ids), minus the few
            # rows that did not go out.
            sent = Delivery.objects.filter(
                claim=claim, channel=channel, status=Delivery.Status.SENDING
            )
            if len(sent_ids) < len(rows):
                sent = sent.exclude(pk__in=set(results) - set(sent_ids))
            sent.update(status=Delivery.Status.SENT, sent_at=now, claim="", last_error="")
            if channel == "null":
                created = connection.ops.adapt_datetimefield_value(now)
                _insert_values(
                    NullMessage._meta.db_table,
                    (("delivery_id", "bigint"), ("created_at", "timestamptz")),
                    (),
                    [(pk, created) for pk in sent_ids],
                )
        for row in rows:
            result = results[row.id]
            if result.outcome == Outcome.SENT:
                continue
            fields: dict[str, Any] = {"claim": "", "last_error": result.error[:500]}
            if result.outcome == Outcome.RETRY and row.attempts < adapter.max_attempts:
                fields.update(
                    status=Delivery.Status.PENDING,
                    next_attempt_at=now + timedelta(seconds=adapter.retry_delay(row.attempts)),
                )
            else:
                fields["status"] = Delivery.Status.FAILED
                if result.outcome == Outcome.RETRY:
                    fields["last_error"] = f"gave up after {row.attempts} attempts: {result.error}"[
                        :500
                    ]
            Delivery.objects.filter(pk=row.id).update(**fields)
            if result.outcome == Outcome.GONE and row.subscription_id is not None:
                gone.append(row.subscription_id)
    for subscription_id in gone:
        remove_channel(subscription_id=subscription_id, channel=channel)


def drain_lane(*, lane: str, max_seconds: float | None = None) -> int:
    """Deliver due rows of `lane` until none is left (or max_seconds passed); then, if retries
    are waiting, schedule the next drain for when the first is due."""
    limit = float(_setting("NOTIFY_DRAIN_MAX_SECONDS", 600) if max_seconds is None else max_seconds)
    release_stale_claims()
    started = time.monotonic()
    handled = 0
    while time.monotonic() - started < limit:
        count = deliver_batch(lane=lane)
        if not count:
            break
        handled += count
    else:
        _enqueue_drains(lane, 1)  # time is up, more is due: continue in a fresh task
        return handled
    _schedule_retries(lane)
    return handled


def _schedule_retries(lane: str) -> None:
    earliest = Delivery.objects.filter(lane=lane, status=Delivery.Status.PENDING).aggregate(
        first=Min("next_attempt_at")
    )["first"]
    if earliest is None or earliest <= timezone.now():
        return
    task = _task("drain_lane_task").using(queue_name=lane)
    if task.get_backend().supports_defer:
        task.using(run_after=earliest).enqueue(lane=lane)


def recover(*, older_than_seconds: float | None = None) -> dict[str, int]:
    """Put work a dead worker left behind back in motion: release its claims, restart fan-outs
    that stopped moving, and start a drainer for every lane whose due rows nobody took.

    Safe while workers are alive (run every 30 s by `kurashi notify watch`): "stale" means older
    than `older_than_seconds` (default NOTIFY_CLAIM_TIMEOUT_SECONDS), so a fan-out that is still
    writing or a batch still being sent is left alone; and everything it restarts is idempotent
    (outbox keys are unique, claims are exclusive), so a restart too many costs time, never a
    duplicate message. `kurashi notify recover --stale-after 0` is the operator's immediate
    recovery after they know the workers are dead."""
    seconds = (
        float(_setting("NOTIFY_CLAIM_TIMEOUT_SECONDS", 300))
        if older_than_seconds is None
        else older_than_seconds
    )
    cutoff = timezone.now() - timedelta(seconds=seconds)
    released = release_stale_claims(older_than_seconds=seconds)
    unfinished = list(
        Notice.objects.filter(fanned_out_at__isnull=True, created_at__lte=cutoff)
        .filter(Q(fan_out_progress_at__isnull=True) | Q(fan_out_progress_at__lte=cutoff))
        .values_list("pk", "lane")
    )
    for notice_id, lane in unfinished:
        Notice.objects.filter(pk=notice_id).update(fan_out_progress_at=timezone.now())
        _task("fan_out_notice_task").using(queue_name=lane).enqueue(notice_id=notice_id)
    # Due rows nobody claimed for a while: their drainers died with a worker (or a crash
    # happened between writing and enqueueing). Rows due only recently are someone's backlog.
    lanes = set(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=cutoff)
        .values_list("lane", flat=True)
        .distinct()
    )
    for lane in sorted(lanes):
        _enqueue_drains(lane, int(_setting("NOTIFY_DRAINERS_PER_LANE", 2)))
    return {"released": released, "fan_outs": len(unfinished), "lanes": len(lanes)}
