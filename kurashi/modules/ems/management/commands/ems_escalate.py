"""Escalate open cases past the on-scene threshold (搬送困難事案) — once, or continuously with
--loop (run it beside the web server; /healthz watches its heartbeat).

The loop wakes when the next case on scene reaches the threshold (read from the database), and
at least every --interval seconds for cases recorded meanwhile, so an escalation is made within
about a second of the moment, not up to a whole interval late. The event reaches every open board
and the on-duty core hospitals through core's live-event bus."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections
from django.utils import timezone

from kurashi.core.services import beat
from kurashi.modules.ems import services
from kurashi.modules.ems.selectors import ESCALATION_HEARTBEAT as HEARTBEAT

MIN_SLEEP_SECONDS = 0.2
HEARTBEAT_SECONDS = 30.0


class Command(BaseCommand):
    help = "Flag open cases with 30+ minutes on scene as 搬送困難事案 and alert the coordinator."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Longest sleep between checks, in seconds (default EMS_ESCALATION_INTERVAL_SECONDS, 5).",
        )

    def handle(self, *args: Any, loop: bool, interval: float | None, **options: Any) -> None:
        interval = interval or float(getattr(settings, "EMS_ESCALATION_INTERVAL_SECONDS", 5))
        last_beat = 0.0
        while True:
            count = services.check_escalations()
            if count or not loop or time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                beat(HEARTBEAT, escalated=count)
                last_beat = time.monotonic()
            if count or not loop:
                self.stdout.write(f"escalated {count} case(s)")
            if not loop:
                return
            due = services.next_escalation_due()
            sleep = max(interval, 1.0)
            if due is not None:
                sleep = min(sleep, (due - timezone.now()).total_seconds() + 0.05)
            connections.close_all()  # no connection held while idle
            time.sleep(max(sleep, MIN_SLEEP_SECONDS))
