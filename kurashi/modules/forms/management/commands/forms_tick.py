"""The periodic work of the forms module — once, or every --interval seconds with --loop
(`kurashi run` starts it; at scale run exactly one): deliver due back-office dispatches (retries
with backoff, then the dead-letter list), expire unpaid submissions, send programme reminders,
and apply retention (delete/anonymise, legal hold, deletion records) once an hour."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from kurashi.core.services import beat
from kurashi.core.tenancy import cross_tenant
from kurashi.modules.forms.services import backoffice, filling, sme

HEARTBEAT = "forms-tick"
RETENTION_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = "Deliver back-office dispatches, expire unpaid submissions, send reminders, apply retention."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=int, default=30)
        parser.add_argument("--retention", action="store_true", help="apply retention now")

    def handle(
        self, *args: Any, loop: bool, interval: int, retention: bool, **options: Any
    ) -> None:
        last_retention = 0.0 if (retention or loop) else float("inf")
        while True:
            # A system job over every tenant: the one place that writes across tenants.
            with cross_tenant(reason="forms periodic jobs", write=True):
                dispatched = backoffice.process_dispatches()
                expired = filling.expire_unpaid()
                reminded = sme.send_reminders()
                removed: dict[str, int] = {}
                if time.monotonic() - last_retention >= RETENTION_EVERY_SECONDS or retention:
                    removed = backoffice.apply_retention()
                    last_retention = time.monotonic()
                    retention = False
            beat(HEARTBEAT, **dispatched, expired=expired, reminded=reminded, **removed)
            self.stdout.write(
                f"dispatches {dispatched}, expired {expired}, reminders {reminded}, retention {removed}"
            )
            if not loop:
                return
            time.sleep(max(interval, 5))
