"""Escalate open cases past the on-scene threshold (搬送困難事案) — once, or every --interval
seconds with --loop (run it beside the web server; /healthz watches its heartbeat)."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from kurashi.core.services import beat
from kurashi.modules.ems import services
from kurashi.modules.ems.selectors import ESCALATION_HEARTBEAT as HEARTBEAT


class Command(BaseCommand):
    help = "Flag open cases with 30+ minutes on scene as 搬送困難事案 and alert the coordinator."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="Seconds (default EMS_ESCALATION_INTERVAL_SECONDS).",
        )

    def handle(self, *args: Any, loop: bool, interval: int | None, **options: Any) -> None:
        interval = interval or int(getattr(settings, "EMS_ESCALATION_INTERVAL_SECONDS", 30))
        while True:
            count = services.check_escalations()
            beat(HEARTBEAT, escalated=count)
            self.stdout.write(f"escalated {count} case(s)")
            if not loop:
                return
            time.sleep(max(interval, 5))
