"""kurashi records_import_ssmix2 <root> --facility <slug>: take in a hospital's SS-MIX2 storage
(idempotent and incremental; malformed segments are reported with file and line)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kurashi.core.models import Organisation
from kurashi.modules.records import intake


class Command(BaseCommand):
    help = "Import an SS-MIX2 standardized storage for one facility."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("root", type=Path)
        parser.add_argument("--facility", required=True, help="organisation slug")

    def handle(self, *args: Any, **options: Any) -> None:
        root: Path = options["root"]
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory / ディレクトリではありません")
        facility = Organisation.objects.filter(slug=options["facility"]).first()
        if facility is None:
            raise CommandError(f"unknown facility {options['facility']} / 施設が見つかりません")
        report = intake.import_ssmix2(root, facility=facility, actor=None)
        for problem in report.problems:
            self.stderr.write(problem)
        self.stdout.write(json.dumps(report.as_dict() | {"problems": len(report.problems)}))
