"""Builders and fixtures of the shelter tests: shelters, the real GSI data, the four actors."""

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import translation

from kurashi.core.models import AuditEvent, Organisation, User
from kurashi.modules.disaster.models import Shelter, ShelterStatusChange
from kurashi.modules.disaster.services.shelters import (
    DEMO_FILES,
    ImportReport,
    import_shelters_file,
    import_shelters_path,
)
from kurashi.testing import make_member, make_organisation

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DESIGNATED_CSV, EMERGENCY_CSV = DEMO_FILES
UPDATE = "disaster.update_shelter_status"


def make_shelter(**overrides: Any) -> Shelter:
    """A 指定避難所 of 佐賀市 at 佐賀市役所, not open; override any field."""
    values: dict[str, Any] = {
        "common_id": "E4120199999111",
        "kind": Shelter.Kind.SHELTER,
        "municipality_code": "412015",
        "name": "テスト避難所",
        "address": "佐賀県佐賀市栄町1-1",
        "latitude": 33.249367,
        "longitude": 130.298822,
    }
    values.update(overrides)
    return Shelter.objects.create(**values)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def live_state(shelter: Shelter) -> tuple[Any, ...]:
    shelter.refresh_from_db()
    return (
        shelter.open_state,
        shelter.crowding,
        shelter.crowding_manual,
        shelter.headcount,
        shelter.capacity,
        shelter.status_checked_at,
    )


def nothing_recorded() -> bool:
    return (
        not ShelterStatusChange.objects.exists()
        and not AuditEvent.objects.filter(action="disaster.shelter.status").exists()
    )


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Services and commands speak the active language (Japanese by default); the tests assert
    the English messages. Pages are requested under /en/ where their text is asserted."""
    with translation.override("en"):
        yield


@pytest.fixture
def saga_city(db: None) -> Organisation:
    return make_organisation(
        municipality_code="412015", slug="municipality-412015", name_ja="佐賀市"
    )


@pytest.fixture
def shelter(db: None) -> Shelter:
    return make_shelter()


@pytest.fixture
def staff_without_permission(saga_city: Organisation) -> User:
    return make_member(saga_city)


@pytest.fixture
def shelter_staff(saga_city: Organisation) -> User:
    return make_member(saga_city, UPDATE)


@pytest.fixture
def karatsu_shelter_staff(karatsu: Organisation) -> User:
    return make_member(karatsu, UPDATE)


@pytest.fixture(scope="module")
def gsi_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The 1,136 real shelters, imported once for a module's read-only tests, inside a
    transaction that is rolled back afterwards (like setUpTestData: each test still runs in its own
    savepoint, and the append-only audit log is never deleted from)."""
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            for path in DEMO_FILES:
                import_shelters_path(path=path)
            yield
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


@pytest.fixture
def imported(gsi_data: None, db: None) -> None:
    """The real shelters, available inside a test."""


ReadFile = Callable[[Path], bytes]


# --- CSV helpers shared by the import tests --------------------------------------------------


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def row_of(path: Path, common_id: str) -> dict[str, str]:
    return next(row for row in csv_rows(path) if row["共通ID"] == common_id)


def to_csv(columns: tuple[str, ...] | list[str], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue()


def import_text(text: str, *, name: str = "test.csv", encoding: str = "utf-8") -> ImportReport:
    return import_shelters_file(data=text.encode(encoding), name=name)


def errors_of(report: ImportReport) -> list[tuple[int, str]]:
    return [(error.line, error.common_id) for error in report.errors]
