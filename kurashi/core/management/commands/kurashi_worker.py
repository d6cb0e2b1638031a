import os
import socket
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string

from kurashi.core.services import beat

HEARTBEAT_SECONDS = 15.0


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
        try:
            call_command(
                "db_worker",
                queue_name=queues,
                exclude_queues=exclude_queues,
                interval=interval,
                batch=batch,
                reload=False,
                worker_id=worker_id,
                startup_delay=False,
                verbosity=options["verbosity"],
            )
        finally:
            stop.set()
