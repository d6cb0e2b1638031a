from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kurashi.modules.archive.imports import import_aozora_directory
from kurashi.modules.archive.management.commands._progress import progress_bar


class Command(BaseCommand):
    help = (
        "Import the Aozora Bunko texts (*.txt, UTF-8, with index.json metadata) of a folder as "
        "published text items. Idempotent: a second run updates only what the source changed, never "
        "curators' values or the publication state, and skips deleted items."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would be created, updated, kept or skipped; write nothing",
        )

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        if not directory.is_dir():
            raise CommandError(f"Not a folder: {directory}")
        with progress_bar("Aozora Bunko", disable=options["verbosity"] == 0) as progress:
            report = import_aozora_directory(
                directory, progress=progress, dry_run=options["dry_run"]
            )
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Aozora Bunko: {report.summary()}"))
