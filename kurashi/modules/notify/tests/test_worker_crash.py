"""Exactly once under faults: real `kurashi worker` processes on the test database, one killed
with SIGKILL in the middle of a 20,000-recipient fan-out, then two racing to finish it."""

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kurashi.modules.notify.models import (
    ALL_HAZARDS_MASK,
    CHANNEL_BITS,
    Delivery,
    Notice,
    NullMessage,
    Subscription,
    SubscriptionArea,
)
from kurashi.modules.notify.notices import Notice as NoticeData
from kurashi.modules.notify.public import dispatch_notice
from kurashi.modules.notify.services import pipeline

pytestmark = pytest.mark.usefixtures("reference_data")

RECIPIENTS = 20_000
REPO_ROOT = Path(__file__).resolve().parents[4]
DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "emergency", "bulk"],
    }
}


def _worker_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KURASHI_TESTING", "DJANGO_SETTINGS_MODULE")
    }
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(settings_dict["NAME"])
    else:
        env["DATABASE_URL"] = (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
            f"{settings_dict['HOST'] or 'localhost'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    env["TASK_BACKEND"] = "django_tasks_db.DatabaseBackend"
    return env


@contextmanager
def workers(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "kurashi", "worker", "--queues", "default", "--interval", "0.1"],
            cwd=REPO_ROOT,
            env=_worker_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _wait(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout} s")


def test_killed_worker_then_two_racing_workers_send_each_message_exactly_once(
    notice_factory: Callable[..., NoticeData],
) -> None:
    subscriptions = Subscription.objects.bulk_create(
        Subscription(
            email="",
            is_confirmed=True,
            hazard_mask=ALL_HAZARDS_MASK,
            min_level=3,
            channel_mask=CHANNEL_BITS["null"],
            token=secrets.token_urlsafe(16),
        )
        for _ in range(RECIPIENTS)
    )
    SubscriptionArea.objects.bulk_create(
        (SubscriptionArea(subscription=s, municipality_code="412023") for s in subscriptions),
        batch_size=5000,
    )
    with override_settings(TASKS=DB_TASKS):
        dispatch_notice(notice_factory(level=3, area_levels={"412023": 3}))
        with workers(1) as (victim,):
            _wait(lambda: NullMessage.objects.count() >= 3000, timeout=240)
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
        interrupted = NullMessage.objects.count()
        assert 3000 <= interrupted < RECIPIENTS
        # The operator's recovery after a crash (the dead worker's claims are released at once).
        assert pipeline.recover(older_than_seconds=0)["lanes"] == 1
        raced_from = timezone.now()
        with workers(2):
            _wait(
                lambda: (
                    not Delivery.objects.filter(status__in=("pending", "sending")).exists()
                    and Notice.objects.filter(fanned_out_at__isnull=False).exists()
                ),
                timeout=300,
            )
    # Both workers drained concurrently (neither gave up on losing a claim race).
    drains = DBTaskResult.objects.filter(
        task_path__endswith=".drain_lane_task", started_at__gte=raced_from
    ).values_list("worker_ids", "return_value")
    delivering_workers = {worker_ids[-1] for worker_ids, handled in drains if handled}
    assert len(delivering_workers) == 2, list(drains)
    assert Delivery.objects.count() == RECIPIENTS
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert NullMessage.objects.count() == RECIPIENTS
    per_delivery = NullMessage.objects.values("delivery_id").annotate(n=Count("id"))
    assert not per_delivery.filter(n__gt=1).exists()
    per_subscription = Delivery.objects.values("subscription_id").annotate(n=Count("id"))
    assert per_subscription.count() == RECIPIENTS
    assert not per_subscription.filter(n__gt=1).exists()
