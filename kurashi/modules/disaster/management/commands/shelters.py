"""`kurashi shelters import FILE…` and `kurashi shelters export`: the GSI shelter data.

kurashi shelters import saga_gsi_designated_shelters.csv emergency/412023.json
kurashi shelters import --dry-run new.csv            # check only, change nothing
kurashi shelters export --kind emergency_site --municipality 412023 > out.csv
kurashi shelters export --bom > shelters.csv          # UTF-8 with BOM for spreadsheet programs
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kurashi.core.codes import to_code6
from kurashi.core.models import Municipality
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.selectors.shelters import export_gsi_csv
from kurashi.modules.disaster.services.shelters import ImportReport, import_shelters_path


class Command(BaseCommand):
    help = (
        "Import the GSI designated shelters / emergency evacuation sites (CSV or GeoJSON; UTF-8, "
        "UTF-8 with BOM, UTF-16 or CP932), or export them in the GSI CSV columns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        importer = commands.add_parser(
            "import",
            help="Import files; exit status 1 when a file or row was rejected (good rows are saved).",
        )
        importer.add_argument("files", nargs="+", type=Path, metavar="FILE")
        importer.add_argument(
            "--dry-run", action="store_true", help="Check and count, but change nothing."
        )
        importer.add_argument("--json", action="store_true", help="Print the reports as JSON.")
        importer.add_argument(
            "--no-progress", action="store_true", help="No progress bar (e.g. in cron)."
        )
        exporter = commands.add_parser("export", help="Write the GSI CSV to standard output.")
        exporter.add_argument(
            "--kind",
            choices=Shelter.Kind.values,
            default=Shelter.Kind.SHELTER,
            help="shelter = 指定避難所 (mergeFromCity_1.csv, default); "
            "emergency_site = 指定緊急避難場所 (mergeFromCity_2.csv).",
        )
        exporter.add_argument(
            "--municipality", help="5- or 6-digit municipality code (default: all)."
        )
        exporter.add_argument("--bom", action="store_true", help="Start with a UTF-8 BOM.")
        exporter.add_argument(
            "--output", type=Path, help="Write to this file instead of standard output."
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "import":
            self._import(options)
        else:
            self._export(options)

    def _import(self, options: dict[str, Any]) -> None:
        reports: list[ImportReport] = []
        quiet = options["no_progress"] or options["json"] or options["verbosity"] == 0
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=quiet,
            transient=True,
        ) as progress:
            for path in options["files"]:
                bar = progress.add_task(path.name, total=None)

                def on_progress(done: int, total: int, bar: Any = bar) -> None:
                    progress.update(bar, completed=done, total=total)

                reports.append(
                    import_shelters_path(
                        path=path, progress=on_progress, dry_run=options["dry_run"]
                    )
                )
        if options["json"]:
            self.stdout.write(
                json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2)
            )
        else:
            for report in reports:
                self._print(report)
        if any(report.errors for report in reports):
            sys.exit(1)

    def _print(self, report: ImportReport) -> None:
        kind = Shelter.Kind(report.kind).label if report.kind else "?"
        prefix = "[dry run] " if report.dry_run else ""
        if report.file_error:
            self.stderr.write(f"{prefix}{report.source}: rejected: {report.errors[0].reason}")
            return
        self.stdout.write(
            f"{prefix}{report.source} ({kind}, {report.encoding}): {report.rows} rows, "
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.errors)} rejected"
        )
        for error in report.errors:
            label = f" {error.common_id}" if error.common_id else ""
            self.stderr.write(f"  {report.unit} {error.line}{label}: {error.reason}")

    def _export(self, options: dict[str, Any]) -> None:
        code = options["municipality"]
        if code:
            try:
                code = to_code6(code)
            except ValueError as error:
                raise CommandError(str(error)) from None
            if not Municipality.objects.filter(code=code).exists():
                raise CommandError(f"No municipality {code} (the 20 Saga codes, e.g. 412023).")
        text = export_gsi_csv(kind=options["kind"], municipality_code=code, bom=options["bom"])
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8", newline="")
        else:
            sys.stdout.buffer.write(text.encode("utf-8"))
            sys.stdout.flush()
