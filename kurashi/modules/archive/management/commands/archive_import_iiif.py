import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kurashi.modules.archive import services
from kurashi.modules.archive.imports import import_iiif_collection
from kurashi.modules.archive.management.commands._progress import progress_bar
from kurashi.modules.archive.rights import Rights


class Command(BaseCommand):
    help = (
        "Import the manifests listed by a IIIF Presentation 2 or 3 collection (JSON file) as image "
        "items that reference them. Idempotent (keyed by the manifest URL): a second run updates only "
        "what the source changed, never curators' values or the publication state, skips deleted "
        "items, and reports the entries it could not import."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("collection_json", type=Path)
        parser.add_argument("--slug", required=True, help="Collection identifier (OAI set), ASCII.")
        parser.add_argument("--title", required=True, help="Collection title in Japanese.")
        parser.add_argument("--title-en", default="")
        parser.add_argument("--holder", default="", help="Holding institution (Japanese).")
        parser.add_argument("--holder-en", default="")
        parser.add_argument(
            "--rights",
            default=Rights.UND,
            choices=Rights.values,
            help="Rights when a manifest's licence is not a CC/RightsStatements.org URI.",
        )
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument(
            "--trust-origin",
            action="append",
            default=None,
            metavar="ORIGIN",
            help="a holder's IIIF origin (e.g. https://www.sagalibdb.jp) whose manifests open in "
            "the viewer and whose thumbnails are shown through the cache; repeatable; replaces "
            "the collection's list",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would be created, updated, kept or skipped; write nothing",
        )

    def handle(self, *args: Any, collection_json: Path, **options: Any) -> None:
        try:
            data = json.loads(collection_json.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {collection_json}: {error}") from error
        if not isinstance(data, dict):
            raise CommandError("Not a IIIF collection (a JSON object was expected).")
        ensure = services.collection_preview if options["dry_run"] else services.ensure_collection
        try:
            collection = ensure(
                slug=options["slug"],
                title_ja=options["title"],
                title_en=options["title_en"],
                holder_ja=options["holder"],
                holder_en=options["holder_en"],
                source_url=str(data.get("@id") or data.get("id") or "")[:500],
                **({"iiif_origins": options["trust_origin"]} if options["trust_origin"] else {}),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        with progress_bar(options["title"], disable=options["verbosity"] == 0) as progress:
            report = import_iiif_collection(
                data,
                collection=collection,
                default_rights=options["rights"],
                limit=options["limit"],
                progress=progress,
                dry_run=options["dry_run"],
            )
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"{options['title']}: {report.summary()}"))
