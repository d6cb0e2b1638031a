"""The hash chain of the access log: hash(prev_hash + canonical row). Pure functions."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
CHAINED_FIELDS = (
    "at",
    "user_id_value",
    "username",
    "roles",
    "facility_id_value",
    "facility_label",
    "person_id_value",
    "action",
    "resource_type",
    "resource_id",
    "purpose",
    "outcome",
    "detail",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_row(row: Any) -> str:
    return json.dumps(
        {name: _plain(getattr(row, name)) for name in CHAINED_FIELDS},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def row_hash(prev_hash: str, row: Any) -> str:
    return hashlib.sha256((prev_hash + canonical_row(row)).encode("utf-8")).hexdigest()
