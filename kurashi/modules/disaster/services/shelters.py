"""Writes of the shelters: the GSI import (CSV or GeoJSON), live status updates by shelter staff,
and the demo data.

Import. Rows are keyed on the 共通ID: a new ID creates a shelter, a known one updates only the
fields that come from the GSI file — never the live status (開設状況, crowding, counts). Every row
is checked (共通ID, municipality against the 共通ID and the 都道府県名及び市町村名 column,
coordinates in Saga and in that municipality, flag values); a bad row is reported with its line
(CSV) or feature number (GeoJSON) and the reason, and the good rows are saved. A file that cannot
be read at all (encoding, JSON, column set) changes nothing.
"""

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kurashi.core.audit import record_audit
from kurashi.core.codes import to_code6
from kurashi.core.models import Municipality, Organisation, Role, User
from kurashi.core.permissions import require_permission
from kurashi.core.services import RoleSpec, add_membership, ensure_role
from kurashi.modules.disaster.models import Shelter, ShelterStatusChange
from kurashi.modules.disaster.models.shelters import (
    HAZARD_COLUMNS,
    HAZARD_FLAG_FIELDS,
    suggest_crowding,
)
from kurashi.modules.disaster.selectors.shelters import (
    UPDATE_STATUS,
    SagaBounds,
    check_position,
    saga_bounds,
)

Progress = Callable[[int, int], None]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "shelters"
DEMO_FILES = (
    DATA_DIR / "saga_gsi_designated_shelters.csv",
    DATA_DIR / "saga_gsi_emergency_sites.csv",
)
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_COUNT = 100_000

# 共通ID: E + 5-digit municipality code + 5-digit facility serial + major type (1 指定避難所,
# 2 指定緊急避難場所) + minor type (1 一般 / 2 福祉; 0 for 緊急避難場所) + same-address sequence.
COMMON_ID = re.compile(r"E([0-9]{5})([0-9]{5})([12])([0-9])([1-9A-Za-z])")
PREFECTURE_JA = "佐賀県"
REQUIRED_COLUMNS = ("共通ID", "都道府県名及び市町村名", "施設・場所名", "緯度", "経度")
SHELTER_MARKER_COLUMNS = ("指定緊急避難場所との住所同一",)
EMERGENCY_MARKER_COLUMNS = tuple(column for _field, column in HAZARD_COLUMNS)
TRUE_VALUES = {"1", "１", "○", "◯", "〇", "true", "TRUE", "True"}
FALSE_VALUES = {"", "0", "０", "false", "FALSE", "False", "-"}

# Fields an import sets, per kind; everything else (live status) is left alone.
COMMON_IMPORTED_FIELDS = (
    "kind",
    "municipality_code",
    "name",
    "address",
    "latitude",
    "longitude",
    "is_welfare",
    "same_address_as_other_kind",
    "note",
    "source_no",
)
IMPORTED_FIELDS: dict[str, tuple[str, ...]] = {
    Shelter.Kind.SHELTER: (*COMMON_IMPORTED_FIELDS, "accepted_people", "other_matters"),
    Shelter.Kind.EMERGENCY_SITE: (*COMMON_IMPORTED_FIELDS, *HAZARD_FLAG_FIELDS),
}
MAX_LENGTHS = {
    "name": 200,
    "address": 300,
    "accepted_people": 200,
    "other_matters": 300,
    "source_no": 20,
}


# --- import report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int  # CSV: physical line where the record starts (header = 1); GeoJSON: feature number
    reason: str
    common_id: str = ""


@dataclass
class ImportReport:
    source: str
    unit: str = "line"  # "line" (CSV) or "feature" (GeoJSON)
    kind: str = ""
    encoding: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: bool = False
    dry_run: bool = False

    @property
    def saved(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "encoding": self.encoding,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "file_error": self.file_error,
            "dry_run": self.dry_run,
            "errors": [
                {"unit": self.unit, "line": e.line, "common_id": e.common_id, "reason": e.reason}
                for e in self.errors
            ],
        }


class FileRejectedError(Exception):
    """The whole file is unusable; nothing is imported."""


# --- reading files ---------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, UTF-16 (BOM, or NULs without one), CP932."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data, "utf-8-sig"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(data, "utf-16"), "utf-16"
    if len(data) >= 2 and b"\x00" in data[:200]:
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return _decode(data, encoding), encoding
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRejectedError(_("The file is neither UTF-8, UTF-16 nor Shift_JIS (CP932) text."))


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise FileRejectedError(
            _("The file is not valid %(encoding)s text (byte %(position)d).")
            % {"encoding": encoding.upper(), "position": error.start}
        ) from None


def _clean_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().strip('"').strip()


def kind_of_columns(columns: Iterable[str]) -> str:
    """Which GSI file the column names belong to; FileRejectedError naming what is missing."""
    present = set(columns)
    missing_common = [c for c in REQUIRED_COLUMNS if c not in present]
    is_emergency = all(c in present for c in EMERGENCY_MARKER_COLUMNS)
    is_shelter = all(c in present for c in SHELTER_MARKER_COLUMNS)
    if is_emergency and is_shelter:
        raise FileRejectedError(
            _(
                "Wrong column set: the header has the columns of both GSI files "
                "(指定避難所 and 指定緊急避難場所); import them as two files."
            )
        )
    if not is_emergency and not is_shelter:
        raise FileRejectedError(
            _(
                "Wrong column set: this is neither the GSI 指定避難所 file (needs %(shelter)s) "
                "nor the 指定緊急避難場所 file (needs %(emergency)s)."
            )
            % {
                "shelter": "、".join(SHELTER_MARKER_COLUMNS),
                "emergency": "、".join(EMERGENCY_MARKER_COLUMNS),
            }
        )
    if missing_common:
        raise FileRejectedError(
            _("Wrong column set: missing %(columns)s.") % {"columns": "、".join(missing_common)}
        )
    return Shelter.Kind.EMERGENCY_SITE.value if is_emergency else Shelter.Kind.SHELTER.value


@dataclass(frozen=True)
class RawRow:
    line: int
    values: dict[str, str]
    problem: str = ""


def read_csv(text: str) -> tuple[str, list[RawRow]]:
    """(kind, rows) of a GSI CSV, columns matched by header name."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[RawRow] = []
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if header is None:
                if not any(cell.strip() for cell in cells):
                    continue
                header = [_clean_header(cell) for cell in cells]
                duplicates = sorted({c for c in header if c and header.count(c) > 1})
                if duplicates:
                    raise FileRejectedError(
                        _("Wrong column set: repeated columns %(columns)s.")
                        % {"columns": "、".join(duplicates)}
                    )
                kind = kind_of_columns(header)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                rows.append(
                    RawRow(
                        start,
                        dict(zip(header, cells, strict=False)),
                        _("The row has %(cells)d cells; the header has %(columns)d.")
                        % {"cells": len(cells), "columns": len(header)},
                    )
                )
                continue
            rows.append(
                RawRow(
                    start, {name: value for name, value in zip(header, cells, strict=True) if name}
                )
            )
    except csv.Error as error:
        raise FileRejectedError(
            _("The file is not valid CSV (line %(line)d: %(error)s).")
            % {"line": reader.line_num, "error": error}
        ) from None
    if header is None:
        raise FileRejectedError(_("The file is empty."))
    return kind, rows


def _property_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def read_geojson(text: str) -> tuple[str, list[RawRow]]:
    """(kind, rows) of a GeoJSON FeatureCollection of Points with the GSI column names as
    properties (as published per municipality); coordinates come from the geometry."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileRejectedError(
            _("The file is not valid JSON (line %(line)d: %(error)s).")
            % {"line": error.lineno, "error": error.msg}
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise FileRejectedError(_("The file is not a GeoJSON FeatureCollection."))
    features = document.get("features")
    if not isinstance(features, list):
        raise FileRejectedError(_("The GeoJSON FeatureCollection has no features list."))
    keys: set[str] = set()
    for feature in features:
        if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
            keys |= set(feature["properties"])
    rows: list[RawRow] = []
    if not features:
        return Shelter.Kind.SHELTER.value, rows
    kind = kind_of_columns(keys | {"緯度", "経度"})
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            rows.append(RawRow(number, {}, _("The feature has no properties.")))
            continue
        values = {_clean_header(str(k)): _property_text(v) for k, v in properties.items()}
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(coordinates, list)
            or len(coordinates) < 2
        ):
            rows.append(
                RawRow(
                    number,
                    values,
                    _("The feature has no Point geometry with [longitude, latitude]."),
                )
            )
            continue
        values["経度"], values["緯度"] = (
            _property_text(coordinates[0]),
            _property_text(coordinates[1]),
        )
        rows.append(RawRow(number, values))
    return kind, rows


def read_file(data: bytes, *, name: str) -> tuple[str, str, str, list[RawRow]]:
    """(format "csv"/"geojson", encoding, kind, rows); FileRejectedError when unusable."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRejectedError(
            _("The file is larger than %(size)d MB.") % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    text, encoding = decode(data)
    stripped = text.lstrip("\ufeff \t\r\n")
    if name.lower().endswith((".json", ".geojson")) or stripped.startswith(("{", "[")):
        kind, rows = read_geojson(stripped)
        return "geojson", encoding, kind, rows
    kind, rows = read_csv(text)
    return "csv", encoding, kind, rows


# --- validating rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class ShelterData:
    common_id: str
    values: dict[str, Any]


class RowRejectedError(Exception):
    pass


def _flag_value(values: dict[str, str], column: str) -> bool:
    raw = values.get(column, "").strip()
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise RowRejectedError(
        _("Column %(column)s has %(value)r; expected 1 or blank.")
        % {"column": column, "value": raw}
    )


def _coordinate(values: dict[str, str], column: str) -> float:
    raw = values.get(column, "").strip()
    if not raw:
        raise RowRejectedError(_("%(column)s is missing.") % {"column": column})
    try:
        number = float(raw)
    except ValueError:
        raise RowRejectedError(
            _("%(column)s %(value)r is not a number.") % {"column": column, "value": raw}
        ) from None
    if not math.isfinite(number):
        raise RowRejectedError(
            _("%(column)s %(value)r is not a number.") % {"column": column, "value": raw}
        )
    return number


def _text(values: dict[str, str], column: str, field_name: str) -> str:
    text = values.get(column, "").strip()
    limit = MAX_LENGTHS.get(field_name)
    if limit and len(text) > limit:
        raise RowRejectedError(
            _("%(column)s is longer than %(limit)d characters.")
            % {"column": column, "limit": limit}
        )
    return text


def _normalise_place(text: str) -> str:
    return re.sub(r"[\s\u3000]+", "", text)


def validate_row(
    values: dict[str, str],
    *,
    kind: str,
    municipalities: dict[str, str],
    bounds: SagaBounds | None,
) -> ShelterData:
    """The model values of one row, or RowRejectedError with the reason."""
    common_id = values.get("共通ID", "").strip()
    if not common_id:
        raise RowRejectedError(_("共通ID is missing."))
    match = COMMON_ID.fullmatch(common_id)
    if match is None:
        raise RowRejectedError(
            _(
                "共通ID %(id)r is not a 14-character 全国共通避難所・避難場所ID "
                "(E + 5-digit municipality code + 5-digit serial + type digits + sequence)."
            )
            % {"id": common_id}
        )
    code5, _serial, major, minor, _sequence = match.groups()
    row_kind = Shelter.Kind.SHELTER if major == "1" else Shelter.Kind.EMERGENCY_SITE
    if row_kind != kind:
        raise RowRejectedError(
            _("共通ID %(id)r is a %(row_kind)s, but the file is a %(file_kind)s file.")
            % {
                "id": common_id,
                "row_kind": Shelter.Kind(row_kind).label,
                "file_kind": Shelter.Kind(kind).label,
            }
        )
    if (major == "1" and minor not in "12") or (major == "2" and minor != "0"):
        raise RowRejectedError(
            _("共通ID %(id)r has an invalid type digit %(minor)s.")
            % {"id": common_id, "minor": minor}
        )
    code = to_code6(code5)
    if code not in municipalities:
        raise RowRejectedError(
            _(
                "共通ID %(id)r names municipality %(code)s, which is not a municipality of Saga Prefecture."
            )
            % {"id": common_id, "code": code}
        )
    place = _normalise_place(values.get("都道府県名及び市町村名", ""))
    name_ja = municipalities[code]
    if place and place not in {f"{PREFECTURE_JA}{name_ja}", name_ja}:
        raise RowRejectedError(
            _(
                "都道府県名及び市町村名 %(place)r does not match the municipality of the 共通ID, "
                "%(name)s (%(code)s)."
            )
            % {"place": place, "name": name_ja, "code": code}
        )
    name = _text(values, "施設・場所名", "name")
    if not name:
        raise RowRejectedError(_("施設・場所名 is missing."))
    latitude = _coordinate(values, "緯度")
    longitude = _coordinate(values, "経度")
    position = check_position(latitude, longitude, expected_code=code, bounds=bounds)
    if not position.ok:
        if position.found_code and position.found_code in municipalities:
            raise RowRejectedError(
                _(
                    "Coordinates %(lat)s, %(lon)s lie in %(found)s, not in %(name)s (%(code)s) "
                    "as the 共通ID says."
                )
                % {
                    "lat": latitude,
                    "lon": longitude,
                    "found": municipalities[position.found_code],
                    "name": name_ja,
                    "code": code,
                }
            )
        raise RowRejectedError(
            _("Coordinates %(lat)s, %(lon)s are outside Saga Prefecture.")
            % {"lat": latitude, "lon": longitude}
        )
    result: dict[str, Any] = {
        "kind": kind,
        "municipality_code": code,
        "name": name,
        "address": _text(values, "住所", "address"),
        "latitude": latitude,
        "longitude": longitude,
        "is_welfare": minor == "2",
        "note": values.get("備考", "").strip(),
        "source_no": _text(values, "NO", "source_no"),
    }
    if kind == Shelter.Kind.EMERGENCY_SITE:
        for flag, column in HAZARD_COLUMNS:
            result[flag] = _flag_value(values, column)
        result["same_address_as_other_kind"] = _flag_value(values, "指定避難所との住所同一")
    else:
        result["same_address_as_other_kind"] = _flag_value(values, "指定緊急避難場所との住所同一")
        result["accepted_people"] = _text(values, "受入対象者", "accepted_people")
        result["other_matters"] = _text(values, "その他市町村長が必要と認める事項", "other_matters")
    return ShelterData(common_id, result)


# --- importing -------------------------------------------------------------------------------


def _noop_progress(done: int, total: int) -> None:
    return None


def import_shelters_file(
    *,
    data: bytes,
    name: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import one GSI file (CSV or GeoJSON, detected from the content). Never raises for bad
    input: the report says what was created, updated, unchanged and which rows were rejected."""
    progress = progress or _noop_progress
    report = ImportReport(source=name, dry_run=dry_run)
    try:
        file_format, report.encoding, report.kind, rows = read_file(data, name=name)
    except FileRejectedError as error:
        report.file_error = True
        report.errors.append(RowError(line=1, reason=str(error)))
        return report
    report.unit = "feature" if file_format == "geojson" else "line"
    report.rows = len(rows)
    municipalities = dict(Municipality.objects.values_list("code", "name_ja"))
    bounds = saga_bounds()
    valid: dict[str, ShelterData] = {}
    first_line: dict[str, int] = {}
    total = len(rows) + 1  # the last step is saving
    for done, row in enumerate(rows, start=1):
        common_id = row.values.get("共通ID", "").strip()
        try:
            if row.problem:
                raise RowRejectedError(row.problem)
            shelter = validate_row(
                row.values, kind=report.kind, municipalities=municipalities, bounds=bounds
            )
            if shelter.common_id in valid:
                raise RowRejectedError(
                    _("共通ID %(id)s appears twice in this file (first at %(unit)s %(line)d).")
                    % {
                        "id": shelter.common_id,
                        "unit": report.unit,
                        "line": first_line[shelter.common_id],
                    }
                )
        except RowRejectedError as error:
            report.errors.append(RowError(line=row.line, reason=str(error), common_id=common_id))
        else:
            valid[shelter.common_id] = shelter
            first_line[shelter.common_id] = row.line
        if done % 50 == 0:
            progress(done, total)
    if valid:
        _save(report, list(valid.values()), actor=actor, request=request)
    progress(total, total)
    return report


def _save(
    report: ImportReport,
    shelters: Sequence[ShelterData],
    *,
    actor: User | None,
    request: HttpRequest | None,
) -> None:
    fields = IMPORTED_FIELDS[report.kind]
    with transaction.atomic():
        existing = {
            row["common_id"]: row
            for row in Shelter.objects.filter(common_id__in=[s.common_id for s in shelters]).values(
                "common_id", *fields
            )
        }
        to_write: list[Shelter] = []
        for data in shelters:
            before = existing.get(data.common_id)
            if before is None:
                report.created += 1
            elif any(before[name] != data.values[name] for name in fields):
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            to_write.append(Shelter(common_id=data.common_id, **data.values))
        if to_write:
            # An upsert on the unique 共通ID: inserts new rows, and for known ones rewrites only
            # the imported fields — the live status columns are not in update_fields.
            Shelter.objects.bulk_create(
                to_write,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["common_id"],
                update_fields=[*fields, "updated_at"],
            )
            sync_inherited_hazard_flags()
        record_audit(
            actor=actor,
            action="disaster.shelters.import",
            object_type="disaster.shelter",
            object_label=report.source[:200],
            request=request,
            detail={key: value for key, value in report.as_dict().items() if key != "errors"}
            | {"error_count": len(report.errors)},
        )
        if report.dry_run:
            transaction.set_rollback(True)


def sync_inherited_hazard_flags() -> int:
    """Give every 指定避難所 the union of the hazard flags of the 指定緊急避難場所 at the same
    address (same 共通ID municipality + facility serial); returns how many rows changed."""
    by_address: dict[str, dict[str, bool]] = {}
    for row in Shelter.objects.filter(kind=Shelter.Kind.EMERGENCY_SITE).values(
        "common_id", *HAZARD_FLAG_FIELDS
    ):
        flags = by_address.setdefault(
            row["common_id"][1:11], dict.fromkeys(HAZARD_FLAG_FIELDS, False)
        )
        for flag in HAZARD_FLAG_FIELDS:
            flags[flag] = flags[flag] or row[flag]
    none = dict.fromkeys(HAZARD_FLAG_FIELDS, False)
    # Few distinct flag combinations exist: one UPDATE per combination, not one CASE per row.
    changes: dict[tuple[bool, ...], list[int]] = {}
    for row in Shelter.objects.filter(kind=Shelter.Kind.SHELTER).values(
        "pk", "common_id", *HAZARD_FLAG_FIELDS
    ):
        wanted = by_address.get(row["common_id"][1:11], none)
        if any(row[flag] != value for flag, value in wanted.items()):
            changes.setdefault(tuple(wanted[flag] for flag in HAZARD_FLAG_FIELDS), []).append(
                row["pk"]
            )
    for combination, pks in changes.items():
        Shelter.objects.filter(pk__in=pks).update(
            **dict(zip(HAZARD_FLAG_FIELDS, combination, strict=True))
        )
    return sum(len(pks) for pks in changes.values())


def import_shelters_path(
    *,
    path: Path,
    actor: User | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportReport:
    try:
        data = path.read_bytes()
    except OSError as error:
        report = ImportReport(source=str(path), file_error=True)
        report.errors.append(RowError(line=1, reason=str(error)))
        return report
    return import_shelters_file(
        data=data, name=path.name, actor=actor, progress=progress, dry_run=dry_run
    )


# --- live status -----------------------------------------------------------------------------


class Action(StrEnum):
    OPEN = "open"  # 開設 (crowding follows the counts unless staff chose it)
    AVAILABLE = "available"  # 開設 + 空き
    CROWDED = "crowded"  # 開設 + 混雑
    FULL = "full"  # 開設 + 定員一杯
    AUTO_CROWDING = "auto"  # crowding follows headcount / capacity again
    CLOSE = "close"  # 閉鎖 (headcount back to 0)
    NOT_OPEN = "not_open"  # back to 未開設 (stand down)
    CHECKED = "checked"  # nothing changed, but someone looked: refreshes the last-checked time
    COUNTS = "counts"  # set headcount and/or capacity
    ADJUST = "adjust"  # headcount + delta (the +/- buttons)


_MANUAL_CROWDING = {
    Action.AVAILABLE: Shelter.Crowding.AVAILABLE,
    Action.CROWDED: Shelter.Crowding.CROWDED,
    Action.FULL: Shelter.Crowding.FULL,
}


def _auto_crowding(shelter: Shelter) -> str:
    suggested = suggest_crowding(headcount=shelter.headcount, capacity=shelter.capacity)
    if suggested == Shelter.Crowding.UNKNOWN and shelter.is_open:
        # Just opened, nobody counted yet: there is room.
        return Shelter.Crowding.AVAILABLE if not shelter.headcount else suggested
    return suggested


def _check_count(value: int | None, *, label: str) -> None:
    if value is not None and not 0 <= value <= MAX_COUNT:
        raise ValidationError(
            _("%(label)s must be between 0 and %(max)d.") % {"label": label, "max": MAX_COUNT}
        )


def _snapshot(shelter: Shelter) -> dict[str, Any]:
    return {
        "open_state": shelter.open_state,
        "crowding": shelter.crowding,
        "crowding_manual": shelter.crowding_manual,
        "headcount": shelter.headcount,
        "capacity": shelter.capacity,
    }


def update_shelter_status(
    *,
    actor: User,
    shelter_id: int,
    action: Action | str,
    headcount: int | None = None,
    capacity: int | None = None,
    delta: int | None = None,
    request: HttpRequest | None = None,
) -> Shelter:
    """Apply one staff action to a shelter's live status, record it in the history and the
    audit log, and return the shelter. PermissionDenied unless `actor` holds
    disaster.update_shelter_status in the shelter's municipality; ValidationError for bad
    counts."""
    action = Action(action)
    _check_count(headcount, label=_("Headcount"))
    _check_count(capacity, label=_("Capacity"))
    if action == Action.COUNTS and headcount is None and capacity is None:
        raise ValidationError(_("Give a headcount or a capacity."))
    if action == Action.ADJUST and (delta is None or not -MAX_COUNT <= delta <= MAX_COUNT):
        raise ValidationError(_("The change of headcount is missing or too large."))
    with transaction.atomic():
        shelter = Shelter.objects.select_for_update().get(pk=shelter_id)
        require_permission(actor, UPDATE_STATUS, municipality_code=shelter.municipality_code)
        before = _snapshot(shelter)
        if action == Action.OPEN:
            shelter.open_state = Shelter.OpenState.OPEN
            if shelter.headcount is None:
                shelter.headcount = 0
        elif action in _MANUAL_CROWDING:
            shelter.open_state = Shelter.OpenState.OPEN
            if shelter.headcount is None:
                shelter.headcount = 0
            shelter.crowding = _MANUAL_CROWDING[action]
            shelter.crowding_manual = True
        elif action == Action.AUTO_CROWDING:
            shelter.crowding_manual = False
        elif action == Action.CLOSE:
            shelter.open_state = Shelter.OpenState.CLOSED
            shelter.headcount = 0
            shelter.crowding_manual = False
        elif action == Action.NOT_OPEN:
            shelter.open_state = Shelter.OpenState.NOT_OPEN
            shelter.headcount = None
            shelter.crowding_manual = False
        elif action == Action.COUNTS:
            if headcount is not None:
                shelter.headcount = headcount
            if capacity is not None:
                shelter.capacity = capacity or None
        elif action == Action.ADJUST:
            shelter.headcount = min(MAX_COUNT, max(0, (shelter.headcount or 0) + (delta or 0)))
        if not shelter.is_open:
            shelter.crowding = Shelter.Crowding.UNKNOWN
        elif not shelter.crowding_manual:
            shelter.crowding = _auto_crowding(shelter)
        shelter.status_checked_at = timezone.now()
        shelter.save(
            update_fields=[
                "open_state",
                "crowding",
                "crowding_manual",
                "headcount",
                "capacity",
                "status_checked_at",
                "updated_at",
            ]
        )
        ShelterStatusChange.objects.create(
            shelter=shelter,
            action=action.value,
            open_state=shelter.open_state,
            capacity=shelter.capacity,
            headcount=shelter.headcount,
            crowding=shelter.crowding,
            changed_by=actor,
        )
        record_audit(
            actor=actor,
            action="disaster.shelter.status",
            obj=shelter,
            municipality_code=shelter.municipality_code,
            request=request,
            detail={"action": action.value, "before": before, "after": _snapshot(shelter)},
        )
    return shelter


# --- demo data -------------------------------------------------------------------------------


def load_demo_shelters(progress: Progress) -> int:
    """The real GSI shelters of the 20 municipalities shipped in data/shelters/ (idempotent)."""
    reports = []
    for number, path in enumerate(DEMO_FILES):

        def part(done: int, total: int, number: int = number) -> None:
            progress(number * 1000 + done * 1000 // max(total, 1), len(DEMO_FILES) * 1000)

        report = import_shelters_path(path=path, progress=part)
        if report.file_error or report.errors:
            raise ValidationError(
                _("The shipped shelter file %(name)s has errors: %(errors)s")
                % {
                    "name": path.name,
                    "errors": "; ".join(f"{e.line}: {e.reason}" for e in report.errors[:5]),
                }
            )
        reports.append(report)
    return sum(report.rows for report in reports)


SHELTER_STAFF_ROLE = RoleSpec(
    code="shelter-staff",
    name_ja="避難所担当",
    name_en="Shelter staff",
    permissions=(UPDATE_STATUS,),
    description="Updates the live status (開設状況, crowding, headcount) of the shelters of "
    "their municipality.",
)
DEMO_SHELTER_STAFF = (
    ("saga-city-staff", "municipality-412015"),
    ("karatsu-staff", "municipality-412023"),
)


def load_demo_shelter_staff(progress: Progress) -> int:
    """The shelter-staff role, given to the demo staff of 佐賀市 and 唐津市 (idempotent; users
    or organisations missing from a partial demo load are skipped)."""
    with transaction.atomic():
        role: Role = ensure_role(SHELTER_STAFF_ROLE)
        added = 0
        for done, (username, slug) in enumerate(DEMO_SHELTER_STAFF, start=1):
            user = User.objects.filter(username=username).first()
            organisation = Organisation.objects.filter(slug=slug).first()
            if user is not None and organisation is not None:
                add_membership(actor=None, user=user, organisation=organisation, role=role)
                added += 1
            progress(done, len(DEMO_SHELTER_STAFF))
    return added
