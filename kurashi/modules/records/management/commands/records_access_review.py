"""kurashi records_access_review [--year YYYY]: the yearly access review as JSON."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kurashi.modules.records import selectors, services


class Command(BaseCommand):
    help = "Print the yearly access review of the records access log (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or timezone.localdate().year
        report = selectors.access_review_report(year)
        check = services.verify_access_log()
        report["chain_intact"] = check.intact
        self.stdout.write(json.dumps(report, ensure_ascii=False, default=str))
