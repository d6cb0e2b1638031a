from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kurashi.modules.archive.imports import import_aozora_directory
from kurashi.modules.archive.management.commands._progress import progress_bar


class Command(BaseCommand):
    help = (
        "Import the Aozora Bunko texts (*.txt, UTF-8, with index.json metadata) of a folder as "
        "published text items. Idempotent: a second run updates, never duplicates."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        if not directory.is_dir():
            raise CommandError(f"Not a folder: {directory}")
        with progress_bar("Aozora Bunko", disable=options["verbosity"] == 0) as report:
            items = import_aozora_directory(directory, progress=report)
        self.stdout.write(self.style.SUCCESS(f"{len(items)} texts imported."))
