from typing import Any

from django.core.management.base import BaseCommand

from kurashi.modules.archive import services
from kurashi.modules.archive.management.commands._progress import progress_bar


class Command(BaseCommand):
    help = (
        "Rebuild the search index of every archive item (after changing the reading dictionary, "
        "the variant kanji table or the field weights) and the term statistics. With "
        "--stats-only, recompute only the term statistics from the index (after a restore or "
        "manual SQL on the index). Search keeps working meanwhile."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--stats-only",
            action="store_true",
            help="recompute the term statistics only, without re-indexing the items",
        )

    def handle(self, *args: Any, stats_only: bool, **options: Any) -> None:
        if stats_only:
            rows = services.rebuild_term_stats()
            self.stdout.write(self.style.SUCCESS(f"Term statistics rebuilt: {rows} rows."))
            return
        with progress_bar("Re-indexing items", disable=options["verbosity"] == 0) as report:
            written = services.reindex_all(progress=report)
        self.stdout.write(
            self.style.SUCCESS(f"Index rebuilt: {written} postings; term statistics rebuilt.")
        )
