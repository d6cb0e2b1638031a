"""Two workers claiming at the same moment take different rows, and the later one does not come
away empty-handed while rows are left (on PostgreSQL it skips the locked rows instead of waiting
for them; on SQLite it waits for the single writer)."""

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from kurashi.modules.notify.models import Delivery, Notice
from kurashi.modules.notify.services import pipeline
from kurashi.modules.notify.tests.factories import make_subscription

pytestmark = pytest.mark.usefixtures("reference_data")


def _outbox(rows: int) -> None:
    notice = Notice.objects.create(
        key="urn:claims",
        event_key="claims",
        revision=1,
        hazard="heavy_rain",
        level=3,
        sent=datetime(2026, 7, 25, tzinfo=UTC),
    )
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            notice=notice,
            subscription=make_subscription(channels=("null",)),
            channel="null",
            lane="default",
            idempotency_key=f"claims:{index}",
            next_attempt_at=now,
        )
        for index in range(rows)
    )


def _claimed(claim: str | None) -> set[int]:
    assert claim is not None
    return set(Delivery.objects.filter(claim=claim).values_list("id", flat=True))


def test_a_racing_worker_claims_other_rows_instead_of_none() -> None:
    _outbox(10)
    second: list[str | None] = []
    done = threading.Event()

    def other_worker() -> None:
        try:
            second.append(pipeline.claim_batch(lane="default", size=5))
        finally:
            done.set()
            connections.close_all()

    with transaction.atomic():
        first = pipeline.claim_batch(lane="default", size=5)  # locked, not yet committed
        thread = threading.Thread(target=other_worker)
        thread.start()
        done.wait(timeout=2.0)
        finished_while_first_held_its_rows = done.is_set()
    thread.join(timeout=20)
    assert second, "the second claim did not finish"
    first_rows, second_rows = _claimed(first), _claimed(second[0])
    assert len(first_rows) == len(second_rows) == 5
    assert not first_rows & second_rows
    assert Delivery.objects.filter(status="sending").count() == 10
    if connection.vendor == "postgresql":
        # SKIP LOCKED: no waiting on the other worker's uncommitted claim.
        assert finished_while_first_held_its_rows
    else:
        # SQLite: one writer, so the second claim waited for the first to commit.
        assert not finished_while_first_held_its_rows


def test_claims_skip_rows_not_due_and_other_lanes() -> None:
    _outbox(3)
    Delivery.objects.filter(idempotency_key="claims:0").update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    Delivery.objects.filter(idempotency_key="claims:1").update(lane="bulk")
    assert pipeline.claim_batch(lane="emergency", size=10) is None
    claim = pipeline.claim_batch(lane="default", size=10)
    assert set(Delivery.objects.filter(claim=claim).values_list("idempotency_key", flat=True)) == {
        "claims:2"
    }
    assert pipeline.claim_batch(lane="default", size=10) is None


def test_recovery_restarts_only_what_stopped_moving() -> None:
    """`notify watch` runs recover() every 30 s beside live workers: a fan-out that is still
    writing, a batch still being sent and a backlog that was due a moment ago are someone's
    work in progress and are left alone; what has not moved for the timeout is restarted."""
    _outbox(4)
    now = timezone.now()
    long_ago = now - timedelta(minutes=10)
    live = Notice.objects.create(
        key="urn:live", event_key="live", revision=1, hazard="heavy_rain", level=3, sent=now
    )
    Notice.objects.filter(pk=live.pk).update(created_at=long_ago, fan_out_progress_at=now)
    dead = Notice.objects.create(
        key="urn:dead", event_key="dead", revision=1, hazard="heavy_rain", level=3, sent=now
    )
    Notice.objects.filter(pk=dead.pk).update(created_at=long_ago, fan_out_progress_at=long_ago)
    fresh = Notice.objects.create(  # just dispatched: its fan-out task may still be queued
        key="urn:fresh", event_key="fresh", revision=1, hazard="heavy_rain", level=3, sent=now
    )
    rows = list(Delivery.objects.order_by("id").values_list("id", flat=True))
    # rows[0]: claimed a moment ago (being sent); rows[1]: claimed long ago by a dead worker;
    # rows[2]: due a moment ago (backlog); rows[3]: due long ago and nobody took it.
    Delivery.objects.filter(pk=rows[0]).update(status="sending", claim="a", claimed_at=now)
    Delivery.objects.filter(pk=rows[1]).update(status="sending", claim="b", claimed_at=long_ago)
    Delivery.objects.filter(pk=rows[3]).update(next_attempt_at=long_ago)

    enqueued: list[tuple[str, dict[str, object]]] = []

    class _Recorder:
        def __init__(self, name: str) -> None:
            self.name = name

        def using(self, **_options: object) -> "_Recorder":
            return self

        def enqueue(self, **kwargs: object) -> None:
            enqueued.append((self.name, kwargs))

    with mock.patch.object(pipeline, "_task", _Recorder):
        result = pipeline.recover(older_than_seconds=300)

    assert result == {"released": 1, "fan_outs": 1, "lanes": 1}
    assert ("fan_out_notice_task", {"notice_id": dead.pk}) in enqueued
    assert all(kwargs.get("notice_id") not in (live.pk, fresh.pk) for _, kwargs in enqueued)
    assert Delivery.objects.get(pk=rows[0]).status == "sending"  # the live batch is untouched
    assert Delivery.objects.get(pk=rows[1]).status == "pending"
    # The restarted fan-out counts as moving again: the next round leaves it to its new task.
    enqueued.clear()
    with mock.patch.object(pipeline, "_task", _Recorder):
        assert pipeline.recover(older_than_seconds=300)["fan_outs"] == 0
