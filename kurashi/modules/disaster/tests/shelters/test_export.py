"""Export in the GSI CSV columns (round trip), the API download and the `kurashi shelters`
command."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.models.shelters import EMERGENCY_SITE_COLUMNS, SHELTER_COLUMNS
from kurashi.modules.disaster.selectors.shelters import export_gsi_csv
from kurashi.modules.disaster.services.shelters import import_shelters_file
from kurashi.modules.disaster.tests.shelters.conftest import DESIGNATED_CSV, EMERGENCY_CSV


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize(
    ("kind", "original", "columns"),
    [
        ("shelter", DESIGNATED_CSV, SHELTER_COLUMNS),
        ("emergency_site", EMERGENCY_CSV, EMERGENCY_SITE_COLUMNS),
    ],
)
def test_export_reproduces_the_gsi_file(
    imported: None, kind: str, original: Path, columns: tuple[str, ...]
) -> None:
    exported = rows_of(export_gsi_csv(kind=kind))

    source = rows_of(original.read_text(encoding="utf-8-sig"))
    assert exported[0] == list(columns) == source[0]
    assert sorted(exported[1:]) == sorted(source[1:])


def test_export_then_import_changes_nothing(imported: None) -> None:
    before = list(Shelter.objects.order_by("common_id").values())
    reports = [
        import_shelters_file(
            data=export_gsi_csv(kind=kind, bom=True).encode("utf-8"), name=f"{kind}.csv"
        )
        for kind in ("shelter", "emergency_site")
    ]

    assert [(r.encoding, r.created, r.updated, r.unchanged, r.errors) for r in reports] == [
        ("utf-8-sig", 0, 0, 654, []),
        ("utf-8-sig", 0, 0, 482, []),
    ]
    assert list(Shelter.objects.order_by("common_id").values()) == before


def test_export_of_one_municipality_with_bom(imported: None) -> None:
    text = export_gsi_csv(kind="emergency_site", municipality_code="412023", bom=True)

    assert text.startswith("\ufeffNO,共通ID,都道府県名及び市町村名,")
    assert "\r\n" in text
    rows = rows_of(text)[1:]
    assert len(rows) == 40
    assert {row[2] for row in rows} == {"佐賀県唐津市"}


def test_export_rejects_an_unknown_kind(db: None) -> None:
    with pytest.raises(ValueError, match="unknown shelter kind"):
        export_gsi_csv(kind="hotel")


def test_api_download(imported: None) -> None:
    response = Client().get(
        "/api/v1/disaster/shelters/export.csv",
        {"kind": "shelter", "municipality": "414417", "bom": "true"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="saga_gsi_designated_shelters_414417.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffNO,共通ID,")
    assert len(rows_of(text)) == 1 + 7  # 太良町


def test_api_download_rejects_bad_parameters(db: None) -> None:
    client = Client()

    assert client.get("/api/v1/disaster/shelters/export.csv", {"kind": "hotel"}).status_code == 400
    assert (
        client.get("/api/v1/disaster/shelters/export.csv", {"municipality": "999999"}).status_code
        == 400
    )


def test_command_exports_to_a_file_and_to_stdout(
    imported: None, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    target = tmp_path / "karatsu.csv"

    call_command(
        "shelters",
        "export",
        "--kind",
        "emergency_site",
        "--municipality",
        "41202",
        "--output",
        str(target),
    )
    call_command("shelters", "export", "--municipality", "412023", "--bom")

    assert len(rows_of(target.read_text(encoding="utf-8"))) == 1 + 40
    written = capsysbinary.readouterr().out.decode("utf-8")
    assert written.startswith("\ufeffNO,共通ID,")
    assert len(rows_of(written)) == 1 + 109


def test_command_export_rejects_an_unknown_municipality(db: None) -> None:
    with pytest.raises(CommandError, match="No municipality 131016"):
        call_command("shelters", "export", "--municipality", "13101")
