"""Health of the components every installation has: the database and the task queue; and who
may see the details behind /healthz's public ok/fail."""

import hmac
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.tasks import task_backends
from django.utils import timezone

from kurashi.core.models import Heartbeat


def may_see_health_details(request: HttpRequest) -> bool:
    """Staff (Django admin staff) or a monitor presenting HEALTHZ_TOKEN as a bearer token: the
    details name internals (queue sizes, process ids, errors) that the public need not see."""
    token = str(getattr(settings, "HEALTHZ_TOKEN", "") or "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def database_health() -> tuple[bool, dict[str, Any]]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return False, {"vendor": connection.vendor, "error": str(error)[:200]}
    return True, {
        "vendor": connection.vendor,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def task_queue_health() -> tuple[bool, dict[str, Any]]:
    backend = task_backends["default"]
    backend_name = type(backend).__name__
    if backend_name != "DatabaseBackend":
        # Immediate/dummy backends run (or drop) tasks in-process: nothing queues up.
        return True, {"backend": backend_name}
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    try:
        ready = DBTaskResult.objects.ready()
        pending = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        workers = list(
            Heartbeat.objects.filter(name__startswith="worker:").values_list("name", "last_seen_at")
        )
    except Exception as error:
        return False, {"backend": backend_name, "error": str(error)[:200]}
    stale_after = settings.WORKER_HEARTBEAT_STALE_SECONDS
    live = [name for name, seen in workers if (now - seen).total_seconds() <= stale_after]
    oldest_age = round((now - oldest).total_seconds(), 1) if oldest else 0.0
    healthy = bool(live) and oldest_age <= stale_after
    return healthy, {
        "backend": backend_name,
        "pending": pending,
        "oldest_pending_seconds": oldest_age,
        "live_workers": len(live),
    }


def watcher_health(
    name: str, *, enabled: bool, max_age_seconds: float = 300
) -> tuple[bool, dict[str, Any]]:
    """For a module's long-running watcher (`… --loop`, `notify watch`): healthy while its
    heartbeat `name` is fresh. Not running is a failure only when the watcher is `enabled`."""
    heartbeat = Heartbeat.objects.filter(name=name).first()
    if heartbeat is None:
        return (not enabled), {"enabled": enabled, "last_beat": None}
    age = (timezone.now() - heartbeat.last_seen_at).total_seconds()
    return (age <= max_age_seconds or not enabled), {
        "enabled": enabled,
        "last_beat": heartbeat.last_seen_at.isoformat(),
        "age_seconds": round(age, 1),
    }
