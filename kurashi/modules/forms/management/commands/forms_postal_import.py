"""Load a postal table (郵便番号 → address) in the columns of data/postal_saga.csv — the shipped
Saga table, or one made from Japan Post's KEN_ALL for the whole country — replacing the rows of
the codes it contains. Idempotent."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kurashi.modules.forms.demo import load_postal_codes

COLUMNS = (
    "postal_code,local_government_code,prefecture,city,town,prefecture_kana,city_kana,town_kana"
)


class Command(BaseCommand):
    help = f"Import a postal-code CSV (UTF-8, header: {COLUMNS})."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        with path.open(encoding="utf-8-sig") as handle:
            header = handle.readline().strip()
        if header != COLUMNS:
            raise CommandError(f"{path}: the header must be {COLUMNS}, not {header}")
        try:
            count = load_postal_codes(path)
        except (KeyError, ValueError) as error:
            raise CommandError(f"{path}: {error}") from None
        self.stdout.write(f"{count} postal codes loaded from {path}")
