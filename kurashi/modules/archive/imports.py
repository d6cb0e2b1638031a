"""Imports: Aozora Bunko texts, IIIF v2/v3 collection listings (as references with their
metadata) and CSV bulk cataloguing with a validation report. Every import is idempotent (items
are keyed by their source identifier) and reports progress through a callback."""

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from kurashi.core.models import Municipality
from kurashi.modules.archive import aozora, services
from kurashi.modules.archive.eras import year_from_text
from kurashi.modules.archive.models import Collection, Item, ItemText
from kurashi.modules.archive.rights import RIGHTS_URIS, Rights

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class SkippedEntry:
    """An entry of the source that was not imported at all (no usable URL or label …)."""

    position: int
    identifier: str
    reason: str


@dataclass
class ImportReport:
    """What an import did, or with dry_run would do: one outcome per item, and the entries of
    the source that could not be imported."""

    dry_run: bool = False
    outcomes: list[services.ImportOutcome] = field(default_factory=list)
    skipped_entries: list[SkippedEntry] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def items(self) -> list[int]:
        return [outcome.item_id for outcome in self.outcomes if outcome.item_id is not None]

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        return (
            f"created {self.count('created')}, updated {self.count('updated')}, "
            f"unchanged {self.count('unchanged')}, skipped {self.count('skipped')} "
            f"(deleted by a curator), entries not importable {len(self.skipped_entries)}"
            + (f" — dry run: nothing {verb}written" if self.dry_run else "")
        )

    def lines(self) -> list[str]:
        """One line per change, kept curated value and skipped entry, for the command."""
        lines = []
        for outcome in self.outcomes:
            label = f"{outcome.source_key} 「{outcome.title}」"
            if outcome.action == "skipped":
                lines.append(
                    f"skipped {label}: deleted by a curator / 削除済みのため取り込みません"
                )
            for name, (old, new) in outcome.changes.items():
                lines.append(f"{outcome.action} {label}: {name}: {old!r} → {new!r}")
            for name, (curated, source) in outcome.kept.items():
                lines.append(
                    f"kept {label}: {name}: curated {curated!r} (source {source!r}) / "
                    "目録担当者の値を保持"
                )
        lines += [
            f"entry {entry.position} {entry.identifier!r}: {entry.reason}"
            for entry in self.skipped_entries
        ]
        return lines


# --- Aozora Bunko -----------------------------------------------------------------------------


def aozora_collection() -> Collection:
    return services.ensure_collection(
        slug="aozora",
        title_ja="青空文庫（佐賀・民話関連）",
        title_en="Aozora Bunko (Saga and folk tales)",
        description_ja="青空文庫に収録された、佐賀・肥前にゆかりのある作品と昔話。",
        description_en="Public-domain works from Aozora Bunko about Saga/Hizen, and folk tales.",
        holder_ja="青空文庫",
        holder_en="Aozora Bunko",
        source_url="https://www.aozora.gr.jp/",
    )


def import_aozora_file(
    path: Path,
    *,
    collection: Collection,
    metadata: dict[str, Any] | None = None,
    publish: bool = True,
    dry_run: bool = False,
) -> services.ImportOutcome:
    """Import one Aozora text (UTF-8). `metadata` may add author_reading, title_reading,
    title_en, municipality code, subjects and the card URL (index.json of the data folder).
    An existing item keeps its curators' values and its publication state (services.import_item);
    a deleted one is skipped."""
    metadata = metadata or {}
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    parsed = aozora.parse(text)
    first_printed = next((line for line in parsed.footer if line.startswith("初出")), "")
    subjects = [
        keyword for keyword, count in (metadata.get("keyword_counts") or {}).items() if count
    ] + list(metadata.get("subjects", []))
    municipality = None
    if metadata.get("municipality"):
        municipality = Municipality.objects.filter(code=metadata["municipality"]).first()
    title = parsed.title + parsed.subtitle
    data = {
        "title": title,
        "title_reading": metadata.get("title_reading", ""),
        "title_en": metadata.get("title_en", ""),
        "creators": [parsed.author] if parsed.author else [],
        "creators_reading": [metadata["author_reading"]] if metadata.get("author_reading") else [],
        "description": metadata.get("description", ""),
        "description_en": metadata.get("topic", ""),
        "date_text": first_printed.removeprefix("初出：")[:100]
        if year_from_text(first_printed)
        else "",
        "municipality": municipality,
        "subjects": subjects,
        "type": Item.Type.TEXT,
        "language": "ja",
        "rights": Rights.PDM,
        "rights_holder_ja": "青空文庫",
        "rights_holder_en": "Aozora Bunko",
        "source_url": str(metadata.get("aozora_card", "")),
    }
    source_key = str(metadata.get("aozora_card") or f"aozora:{path.name}")
    with transaction.atomic():
        outcome = services.import_item(
            collection=collection,
            source_key=source_key,
            data=data,
            publish=publish,
            dry_run=dry_run,
        )
        if outcome.action == "skipped":
            return outcome
        existing = (
            ItemText.objects.filter(item_id=outcome.item_id)
            .values_list("source_sha256", flat=True)
            .first()
            if outcome.item_id is not None
            else None
        )
        if existing != digest:
            changes = {**outcome.changes, "text": (existing, digest)}
            outcome = replace(
                outcome, changes=changes, action="created" if existing is None else "updated"
            )
            if not dry_run and outcome.item_id is not None:
                services.set_item_text(
                    item=Item.objects.get(pk=outcome.item_id),
                    blocks=parsed.blocks,
                    footer=parsed.footer,
                    plain_text=parsed.plain_text,
                    reading_text=parsed.reading_text,
                    ruby_count=parsed.ruby_count,
                    source_sha256=digest,
                )
    return outcome


def import_aozora_directory(
    directory: Path, *, progress: Progress = _no_progress, dry_run: bool = False
) -> ImportReport:
    """Every *.txt of `directory`, with index.json (and readings.json) metadata when present."""
    metadata: dict[str, dict[str, Any]] = {}
    for name in ("index.json", "readings.json"):
        listing = directory / name
        if listing.exists():
            for entry in json.loads(listing.read_text(encoding="utf-8")):
                metadata.setdefault(entry["file"], {}).update(entry)
    files = sorted(directory.glob("*.txt"))
    collection = (
        Collection.objects.filter(slug="aozora").first() or Collection(slug="aozora")
        if dry_run
        else aozora_collection()
    )
    report = ImportReport(dry_run=dry_run)
    for done, path in enumerate(files, start=1):
        try:
            outcome = import_aozora_file(
                path,
                collection=collection,
                metadata=metadata.get(path.name),
                dry_run=dry_run,
            )
        except (UnicodeDecodeError, ValidationError) as error:
            report.skipped_entries.append(SkippedEntry(done, path.name, str(error)))
        else:
            report.outcomes.append(outcome)
        progress(done, len(files))
    return report


# --- IIIF collections --------------------------------------------------------------------------

_URI_TO_RIGHTS = {uri.rstrip("/"): code for code, uri in RIGHTS_URIS.items()}


def rights_from_uri(uri: str, default: str) -> str:
    normalised = uri.strip().rstrip("/").replace("https://", "http://")
    return _URI_TO_RIGHTS.get(normalised, default)


def _label(value: Any) -> str:
    """A IIIF v2 label (string, list, or @value objects) or a v3 language map, as text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " / ".join(_label(part) for part in value if _label(part))
    if isinstance(value, dict):
        if "@value" in value:
            return str(value["@value"])
        for language in ("ja", "none", "en"):
            if language in value:
                return _label(value[language])
        return next((_label(part) for part in value.values()), "")
    return ""


def _thumbnail(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return _thumbnail(value[0])
    if isinstance(value, dict):
        return str(value.get("@id") or value.get("id") or "")
    return ""


@dataclass(frozen=True)
class ManifestRef:
    url: str
    label: str
    rights: str
    thumbnail: str


def manifest_refs(
    data: dict[str, Any], *, default_rights: str, skipped: list[SkippedEntry] | None = None
) -> list[ManifestRef]:
    """The manifests listed by a IIIF Presentation 2 (manifests) or 3 (items) collection;
    entries that cannot be imported are added to `skipped` with the reason."""
    raw_entries = data.get("manifests") or data.get("items") or []
    refs = []
    for position, entry in enumerate(raw_entries if isinstance(raw_entries, list) else [], 1):
        if not isinstance(entry, dict):
            if skipped is not None:
                skipped.append(
                    SkippedEntry(position, "", "not a JSON object / オブジェクトではない")
                )
            continue
        kind = str(entry.get("type") or entry.get("@type") or "")
        if kind and kind not in {"Manifest", "sc:Manifest"}:
            if skipped is not None:
                skipped.append(
                    SkippedEntry(
                        position,
                        str(entry.get("id") or entry.get("@id") or ""),
                        f"not a manifest ({kind}) / マニフェストではない",
                    )
                )
            continue
        url = str(entry.get("@id") or entry.get("id") or "")
        label = _label(entry.get("label", "")).strip()
        reason = ""
        if not url.startswith(("http://", "https://")):
            reason = "no http(s) manifest URL / マニフェストの URL がない"
        elif len(url) > 500:
            reason = "manifest URL longer than 500 characters / URL が長すぎる"
        elif not label:
            reason = "no label / ラベルがない"
        if reason:
            if skipped is not None:
                skipped.append(SkippedEntry(position, url[:200], reason))
            continue
        licence = str(entry.get("license") or entry.get("rights") or "")
        thumbnail = _thumbnail(entry.get("thumbnail"))
        refs.append(
            ManifestRef(
                url=url,
                label=label[:300],
                rights=rights_from_uri(licence, default_rights),
                thumbnail=thumbnail if len(thumbnail) <= 500 else "",
            )
        )
    return refs


def import_iiif_collection(
    data: dict[str, Any],
    *,
    collection: Collection,
    default_rights: str = Rights.UND,
    limit: int | None = None,
    publish: bool = True,
    progress: Progress = _no_progress,
    dry_run: bool = False,
) -> ImportReport:
    """Import the manifests a IIIF collection lists, as image items that reference them. New
    items are published (with `publish`); existing ones keep curators' values and their
    publication state; deleted ones are skipped (services.import_item)."""
    report = ImportReport(dry_run=dry_run)
    refs = manifest_refs(data, default_rights=default_rights, skipped=report.skipped_entries)
    refs = refs[:limit]
    for done, ref in enumerate(refs, start=1):
        report.outcomes.append(
            services.import_item(
                collection=collection,
                source_key=ref.url,
                data={
                    "title": ref.label,
                    "type": Item.Type.IMAGE,
                    "rights": ref.rights,
                    "external_manifest_url": ref.url,
                    "thumbnail_url": ref.thumbnail
                    if ref.thumbnail.startswith(("http://", "https://"))
                    else "",
                    "date_text": ref.label[:100] if year_from_text(ref.label) else "",
                    "language": "ja",
                },
                publish=publish,
                dry_run=dry_run,
            )
        )
        progress(done, len(refs))
    return report


# --- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "collection",
    "title",
    "title_reading",
    "title_en",
    "creators",
    "date",
    "municipality_code",
    "place",
    "latitude",
    "longitude",
    "subjects",
    "type",
    "rights",
    "description",
    "status",
)
REQUIRED_COLUMNS = ("id", "collection", "title", "type", "rights")
# The longest value each column may hold (the model's field lengths): a longer value is an error
# reported for its line and column, never cut silently. Other columns: 5,000 characters.
CSV_MAX_LENGTHS = {
    "id": 300,
    "title": 300,
    "title_reading": 300,
    "title_en": 300,
    "date": 100,
    "place": 200,
}
MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_CSV_ROWS = 100_000


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message_ja: str
    message_en: str


@dataclass
class CsvReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    fatal: Problem | None = None
    dry_run: bool = False
    outcomes: list[services.ImportOutcome] = field(default_factory=list)

    @property
    def rejected_lines(self) -> int:
        return len({problem.line for problem in self.problems})


def _problem(line: int, column: str, message_ja: str, message_en: str) -> Problem:
    return Problem(line, column, message_ja, message_en)


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;；]", value) if part.strip()]


def _validate_row(
    line: int,
    row: dict[str, str],
    collections: dict[str, Collection],
    municipalities: dict[str, Municipality],
) -> tuple[list[Problem], dict[str, Any]]:
    problems: list[Problem] = []
    for column in REQUIRED_COLUMNS:
        if not row.get(column, "").strip():
            problems.append(
                _problem(line, column, f"「{column}」が空です。", f"“{column}” is empty.")
            )
    collection = collections.get(row.get("collection", "").strip())
    if row.get("collection", "").strip() and collection is None:
        problems.append(
            _problem(
                line, "collection", "そのコレクションはありません。", "There is no such collection."
            )
        )
    if row.get("type") and row["type"].strip() not in Item.Type.values:
        problems.append(
            _problem(
                line,
                "type",
                "種別が正しくありません（text, image, audio, video, performance）。",
                "Unknown type (text, image, audio, video, performance).",
            )
        )
    if row.get("rights") and row["rights"].strip() not in Rights.values:
        problems.append(
            _problem(line, "rights", "権利表記のコードが正しくありません。", "Unknown rights code.")
        )
    reading = row.get("title_reading", "").strip()
    if reading and not re.fullmatch(r"[\u3041-\u309f\u30a0-\u30ffー・\s　]+", reading):
        problems.append(
            _problem(
                line,
                "title_reading",
                "よみはひらがなかカタカナで書いてください。",
                "The reading must be in hiragana or katakana.",
            )
        )
    municipality = None
    code = row.get("municipality_code", "").strip()
    if code:
        municipality = municipalities.get(code)
        if municipality is None:
            problems.append(
                _problem(
                    line,
                    "municipality_code",
                    "市町コードが見つかりません。",
                    "Unknown municipality code.",
                )
            )
    point: list[float | None] = [None, None]
    for index, column in enumerate(("latitude", "longitude")):
        value = row.get(column, "").strip()
        if value:
            try:
                point[index] = float(value)
            except ValueError:
                problems.append(_problem(line, column, "数値ではありません。", "Not a number."))
    if (point[0] is None) != (point[1] is None) and not any(
        p.column in {"latitude", "longitude"} for p in problems
    ):
        problems.append(
            _problem(
                line,
                "latitude",
                "緯度と経度は両方指定してください。",
                "Give both latitude and longitude.",
            )
        )
    elif point[0] is not None and not (-90 <= point[0] <= 90 and -180 <= (point[1] or 0) <= 180):
        problems.append(
            _problem(
                line, "latitude", "緯度・経度が範囲外です。", "Latitude/longitude out of range."
            )
        )
    date_text = row.get("date", "").strip()
    if (
        date_text
        and year_from_text(date_text) is None
        and not re.search(r"[時代世紀頃]", date_text)
    ):
        problems.append(
            _problem(
                line,
                "date",
                "日付から年が読み取れません（例：明治十年、1931年）。",
                "No year can be read from the date (e.g. 明治十年, 1931年).",
            )
        )
    status = row.get("status", "").strip() or "draft"
    if status not in {"draft", "published"}:
        problems.append(
            _problem(
                line, "status", "状態は draft か published です。", "Status is draft or published."
            )
        )
    for column, value in row.items():
        limit = CSV_MAX_LENGTHS.get(column or "", 5000)
        if column and value and len(value.strip()) > limit:
            problems.append(
                _problem(
                    line,
                    column,
                    f"値が長すぎます（{len(value.strip())}文字、{limit}文字まで）。",
                    f"The value is too long ({len(value.strip())} characters, {limit} at most).",
                )
            )
    data = {
        "collection": collection,
        "source_key": row.get("id", "").strip(),
        "status": status,
        "fields": {
            "title": row.get("title", "").strip(),
            "title_reading": reading,
            "title_en": row.get("title_en", "").strip(),
            "creators": _split(row.get("creators", "")),
            "date_text": date_text,
            "municipality": municipality,
            "place_name": row.get("place", "").strip(),
            "latitude": point[0],
            "longitude": point[1],
            "subjects": _split(row.get("subjects", "")),
            "type": row.get("type", "").strip(),
            "rights": row.get("rights", "").strip(),
            "description": row.get("description", "").strip(),
        },
    }
    return problems, data


def _read_csv(raw: bytes) -> tuple[list[str], list[dict[str, str]]] | Problem:
    if len(raw) > MAX_CSV_BYTES:
        return _problem(
            0,
            "",
            "ファイルが大きすぎます（20 MB まで）。",
            "The file is too large (20 MB at most).",
        )
    if b"\x00" in raw:
        return _problem(
            0, "", "CSV ではないファイルです（NUL 文字）。", "This is not a CSV file (NUL bytes)."
        )
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return _problem(
            0,
            "",
            "文字コードが UTF-8 でも Shift_JIS でもありません。",
            "The encoding is neither UTF-8 nor Shift_JIS.",
        )
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [name.strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = []
        for row in reader:
            if None in row:
                return _problem(
                    reader.line_num,
                    "",
                    "列の数が見出しより多い行があります。",
                    "A row has more columns than the header.",
                )
            rows.append({key: (value or "") for key, value in row.items()})
            if len(rows) > MAX_CSV_ROWS:
                return _problem(reader.line_num, "", "行が多すぎます。", "Too many rows.")
    except csv.Error as error:
        return _problem(0, "", f"CSV として読めません：{error}", f"Not readable as CSV: {error}")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        return _problem(
            1, ", ".join(missing), "必須の列がありません。", "Required columns are missing."
        )
    return header, rows


def import_csv(
    raw: bytes, *, progress: Progress = _no_progress, dry_run: bool = False
) -> CsvReport:
    """Validate every row, then save the valid ones (each on its own): invalid rows and broken
    files change nothing. Rows are keyed by (collection, id), so a second run updates — only
    the fields the row fills, never a curator's value, never the publication state of an
    existing item (the status column applies to new items); deleted items are skipped."""
    report = CsvReport(dry_run=dry_run)
    parsed = _read_csv(raw)
    if isinstance(parsed, Problem):
        report.fatal = parsed
        return report
    _header, rows = parsed
    collections = {collection.slug: collection for collection in Collection.objects.all()}
    municipalities = {m.code: m for m in Municipality.objects.all()}
    for number, row in enumerate(rows, start=2):
        problems, data = _validate_row(number, row, collections, municipalities)
        if problems:
            report.problems.extend(problems)
            progress(number - 1, len(rows))
            continue
        try:
            outcome = services.import_item(
                collection=data["collection"],
                source_key=data["source_key"],
                data=data["fields"],
                publish=data["status"] == "published",
                dry_run=dry_run,
            )
        except ValidationError as error:
            with translation.override("ja"):
                message_ja = "; ".join(error.messages)
            with translation.override("en"):
                message_en = "; ".join(error.messages)
            report.problems.append(_problem(number, "", message_ja, message_en))
            continue
        report.outcomes.append(outcome)
        if outcome.action == "created":
            report.created += 1
        elif outcome.action == "updated":
            report.updated += 1
        elif outcome.action == "skipped":
            report.skipped += 1
        else:
            report.unchanged += 1
        progress(number - 1, len(rows))
    return report
