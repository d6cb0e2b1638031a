"""kurashi records_import_fhir <file.json|dir of .ndjson> --facility <slug>: a Bundle or a
resource (JSON), or bulk NDJSON files (Synthea)."""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kurashi.core.models import Organisation
from kurashi.modules.records import intake


class Command(BaseCommand):
    help = "Import FHIR JSON (Bundle or resource) or a folder of NDJSON files for one facility."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--facility", required=True, help="organisation slug")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        facility = Organisation.objects.filter(slug=options["facility"]).first()
        if facility is None:
            raise CommandError(f"unknown facility {options['facility']} / 施設が見つかりません")
        try:
            if path.is_dir():
                report = intake.import_ndjson(
                    sorted(path.glob("*.ndjson")), facility=facility, actor=None
                )
            else:
                data = json.loads(path.read_text(encoding="utf-8"))
                report = intake.import_bundle(data, facility=facility, actor=None, where=path.name)
        except (ValueError, ValidationError) as error:
            raise CommandError(str(error)) from error
        for problem in report.problems:
            self.stderr.write(problem)
        self.stdout.write(json.dumps(report.as_dict() | {"problems": len(report.problems)}))
