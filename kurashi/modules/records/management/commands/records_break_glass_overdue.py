"""kurashi records_break_glass_overdue [--loop]: flag break-glass accesses still lacking consent
or a documented reason after 24 h and e-mail the network administrators (idempotent)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kurashi.modules.records import services


class Command(BaseCommand):
    help = "Flag overdue break-glass accesses for the network administrators."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="repeat every 5 minutes")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            flagged = services.flag_overdue_break_glass()
            self.stdout.write(f"flagged {len(flagged)} overdue break-glass access(es)")
            if not options["loop"]:
                return
            time.sleep(300)
