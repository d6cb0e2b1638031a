import logging
import os
import socket
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker
from django_tasks_db.utils import is_locked_database_exception

from kurashi.core.services import beat

HEARTBEAT_SECONDS = 15.0
MAX_LOCKED_DELAY = 10.0
logger = logging.getLogger("kurashi.worker")


class PatientWorker(db_worker.Worker):
    """django-tasks-db's worker, which outlives SQLite lock contention: a long write by another
    process (a CLI import) made BEGIN wait past the busy timeout, the worker died on "database is
    locked" and queued uploads waited for good. Here it waits and goes on."""

    def run(self) -> None:
        delay = 0.5
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return
            except OperationalError as error:
                if not is_locked_database_exception(error):
                    raise
                if time.monotonic() - started > 60:
                    delay = 0.5  # it had been running fine: start the backoff again
                logger.warning(
                    "The database is locked by another process (%s); trying again in %.1f s.",
                    error,
                    delay,
                )
                close_old_connections()
                connection.close()
                time.sleep(delay)
                delay = min(MAX_LOCKED_DELAY, delay * 2)


class Command(BaseCommand):
    help = "Run a task worker (django-tasks-db) that also reports a heartbeat for /healthz."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--queues", default="*", help="Comma-separated queue names, or * for all (default)."
        )
        parser.add_argument(
            "--exclude-queues", default="", help="Queues this worker leaves to others."
        )
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between polls when idle."
        )
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")

    def handle(
        self,
        *args: Any,
        queues: str,
        exclude_queues: str,
        interval: float,
        batch: bool,
        **options: Any,
    ) -> None:
        queue_names = queues.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queues=*")
        worker_id = f"{socket.gethostname()}-{os.getpid()}-{get_random_string(6)}"[:64]
        stop = threading.Event()

        def heartbeat() -> None:
            while True:
                try:
                    beat(f"worker:{worker_id}", queues=queues)
                except Exception:  # the database may be briefly unavailable; try again next beat
                    close_old_connections()
                finally:
                    connection.close()
                if stop.wait(HEARTBEAT_SECONDS):
                    return

        thread = threading.Thread(target=heartbeat, name="kurashi-heartbeat", daemon=True)
        thread.start()
        db_worker.Command().configure_logging(options["verbosity"])
        worker = PatientWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
