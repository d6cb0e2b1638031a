from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kurashi.modules.archive.imports import import_csv
from kurashi.modules.archive.management.commands._progress import progress_bar


class Command(BaseCommand):
    help = (
        "Catalogue items from a CSV file (UTF-8 or Shift_JIS; columns: id, collection, title, "
        "title_reading, title_en, creators, date, municipality_code, place, latitude, longitude, "
        "subjects, type, rights, description, status). Every row is validated; invalid rows are "
        "reported and change nothing. Idempotent (keyed by collection + id)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and report what would change; write nothing",
        )

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            raw = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        with progress_bar(file.name, disable=options["verbosity"] == 0) as report:
            result = import_csv(raw, progress=report, dry_run=options["dry_run"])
        if result.fatal is not None:
            raise CommandError(f"{result.fatal.message_ja} / {result.fatal.message_en}")
        for problem in result.problems:
            self.stderr.write(
                f"line {problem.line} [{problem.column}]: {problem.message_ja} / {problem.message_en}"
            )
        for outcome in result.outcomes:
            for name, (old, new) in outcome.changes.items():
                self.stdout.write(
                    f"{outcome.action} {outcome.source_key}: {name}: {old!r} → {new!r}"
                )
            for name, (curated, source) in outcome.kept.items():
                self.stdout.write(
                    f"kept {outcome.source_key}: {name}: curated {curated!r} (source {source!r})"
                )
            if outcome.action == "skipped":
                self.stdout.write(f"skipped {outcome.source_key}: deleted by a curator")
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
            f"skipped {result.skipped}, rejected lines {result.rejected_lines}"
            + (" — dry run: nothing written" if result.dry_run else "")
        )
