"""kurashi records_verify_audit: recompute the access log's hash chain; exit 1 when broken."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kurashi.modules.records import services


class Command(BaseCommand):
    help = "Verify the hash chain of the records access log."

    def handle(self, *args: Any, **options: Any) -> None:
        check = services.verify_access_log()
        if not check.intact:
            raise CommandError(
                f"access log tampered: {check.rows} rows, broken at {check.broken[:20]}"
            )
        self.stdout.write(f"access log intact: {check.rows} rows")
