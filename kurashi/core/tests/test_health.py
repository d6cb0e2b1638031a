"""/healthz and the health checks of the components every installation has."""

from datetime import timedelta

import pytest
from django.db import connection
from django.tasks import task
from django.test import Client, override_settings
from django.utils import timezone

from kurashi.core import hooks
from kurashi.core.health import database_health, task_queue_health
from kurashi.core.models import Heartbeat
from kurashi.core.services import beat

DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "emergency", "bulk"],
    }
}


@task()
def noop_task() -> None:
    """A task for the queue-health tests; never run."""


@pytest.fixture
def monitor(settings: object) -> Client:
    """A monitoring system with the /healthz token."""
    settings.HEALTHZ_TOKEN = "monitor-token-1234"  # type: ignore[attr-defined]
    return Client(headers={"Authorization": "Bearer monitor-token-1234"})


def test_the_public_sees_only_ok_or_fail(db: None, client: Client, settings: object) -> None:
    settings.HEALTHZ_TOKEN = "monitor-token-1234"  # type: ignore[attr-defined]
    assert client.get("/healthz").json() == {"status": "ok"}
    wrong = client.get("/healthz", headers={"Authorization": "Bearer guess"})
    assert wrong.json() == {"status": "ok"}
    failing = hooks.HealthCheck(key="jma-feed", check=lambda: (False, {"error": "internal"}))
    with hooks.health_checks.temporarily(failing):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (503, {"status": "fail"})


def test_signed_in_residents_see_only_ok_or_fail(client: Client, resident: object) -> None:
    client.force_login(resident)  # type: ignore[arg-type]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_staff_see_the_details(client: Client, django_user_model: object) -> None:
    operator = django_user_model.objects.create_user(  # type: ignore[attr-defined]
        username="operator", password="x", is_staff=True
    )
    client.force_login(operator)
    assert client.get("/healthz").json()["components"]["database"]["status"] == "ok"


def test_reports_ok_for_database_and_tasks_under_test_settings(db: None, monitor: Client) -> None:
    response = monitor.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    database = body["components"]["database"]
    assert (database["status"], database["vendor"]) == ("ok", connection.vendor)
    assert isinstance(database["latency_ms"], float)
    assert body["components"]["tasks"] == {"status": "ok", "backend": "ImmediateBackend"}
    assert list(body["components"])[:3] == ["database", "tasks", "processes"]
    assert body["components"]["processes"] == {"status": "ok", "supervised": False}


def test_answers_503_when_a_registered_check_fails(db: None, monitor: Client) -> None:
    failing = hooks.HealthCheck(key="jma-feed", check=lambda: (False, {"last_seen": None}))

    with hooks.health_checks.temporarily(failing):
        response = monitor.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["components"]["jma-feed"] == {"status": "fail", "last_seen": None}
    assert body["components"]["database"]["status"] == "ok"
    assert monitor.get("/healthz").status_code == 200  # the check is gone again


def test_answers_503_when_a_check_raises(db: None, monitor: Client) -> None:
    def broken() -> tuple[bool, dict[str, object]]:
        raise ConnectionError("redis unreachable")

    with hooks.health_checks.temporarily(hooks.HealthCheck(key="cache", check=broken)):
        response = monitor.get("/healthz")

    assert response.status_code == 503
    assert response.json()["components"]["cache"] == {
        "status": "fail",
        "error": "redis unreachable",
    }


def test_a_failing_check_cannot_report_itself_ok_through_its_detail(
    db: None, monitor: Client
) -> None:
    liar = hooks.HealthCheck(key="liar", check=lambda: (False, {"status": "ok"}))

    with hooks.health_checks.temporarily(liar):
        response = monitor.get("/healthz")

    assert response.status_code == 503
    assert response.json()["components"]["liar"] == {"status": "fail"}


def test_database_health_reports_vendor(db: None) -> None:
    ok, detail = database_health()

    assert ok is True
    assert detail["vendor"] == connection.vendor


@override_settings(TASKS=DATABASE_TASKS)
def test_task_queue_is_unhealthy_without_a_live_worker(db: None) -> None:
    assert task_queue_health() == (
        False,
        {
            "backend": "DatabaseBackend",
            "pending": 0,
            "oldest_pending_seconds": 0.0,
            "live_workers": 0,
        },
    )


@override_settings(TASKS=DATABASE_TASKS, WORKER_HEARTBEAT_STALE_SECONDS=120)
def test_task_queue_is_healthy_with_a_live_worker_and_a_fresh_queue(db: None, time_machine) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    noop_task.enqueue()
    time_machine.shift(timedelta(seconds=30))
    beat("worker:host-1")

    assert task_queue_health() == (
        True,
        {
            "backend": "DatabaseBackend",
            "pending": 1,
            "oldest_pending_seconds": 30.0,
            "live_workers": 1,
        },
    )


@override_settings(TASKS=DATABASE_TASKS, WORKER_HEARTBEAT_STALE_SECONDS=120)
def test_task_queue_is_unhealthy_when_the_oldest_task_waits_too_long(
    db: None, time_machine
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    noop_task.enqueue()
    time_machine.shift(timedelta(seconds=121))
    beat("worker:host-1")

    ok, detail = task_queue_health()

    assert ok is False
    assert (detail["pending"], detail["oldest_pending_seconds"], detail["live_workers"]) == (
        1,
        121.0,
        1,
    )


@override_settings(TASKS=DATABASE_TASKS, WORKER_HEARTBEAT_STALE_SECONDS=120)
def test_task_queue_ignores_stale_worker_heartbeats(db: None) -> None:
    Heartbeat.objects.create(
        name="worker:host-1", last_seen_at=timezone.now() - timedelta(seconds=121)
    )
    beat("poller:jma")  # not a worker

    ok, detail = task_queue_health()

    assert ok is False
    assert detail["live_workers"] == 0


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("django.tasks.backends.immediate.ImmediateBackend", "ImmediateBackend"),
        ("django.tasks.backends.dummy.DummyBackend", "DummyBackend"),
    ],
)
def test_in_process_task_backends_are_always_healthy(db: None, path: str, name: str) -> None:
    with override_settings(TASKS={"default": {"BACKEND": path}}):
        assert task_queue_health() == (True, {"backend": name})
