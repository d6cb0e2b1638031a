"""Importing the GSI shelter data: the real files, re-import, bad rows with line numbers,
encodings, column sets, GeoJSON, and positions outside Saga."""

import json
from collections import Counter

import pytest

from kurashi.core.models import AuditEvent
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.models.shelters import HAZARD_FLAG_FIELDS, SHELTER_COLUMNS
from kurashi.modules.disaster.selectors.shelters import check_position
from kurashi.modules.disaster.services.shelters import (
    import_shelters_file,
    import_shelters_path,
)
from kurashi.modules.disaster.tests.shelters.conftest import (
    DESIGNATED_CSV,
    EMERGENCY_CSV,
    FIXTURES,
    csv_rows,
    errors_of,
    import_text,
    row_of,
    to_csv,
)

# --- the real files --------------------------------------------------------------------------


def test_imports_all_654_designated_shelters_and_482_emergency_sites(db: None) -> None:
    designated = import_shelters_path(path=DESIGNATED_CSV)
    emergency = import_shelters_path(path=EMERGENCY_CSV)

    assert (designated.kind, designated.rows, designated.created, designated.errors) == (
        "shelter",
        654,
        654,
        [],
    )
    assert (emergency.kind, emergency.rows, emergency.created, emergency.errors) == (
        "emergency_site",
        482,
        482,
        [],
    )
    assert Shelter.objects.filter(kind=Shelter.Kind.SHELTER).count() == 654
    assert Shelter.objects.filter(kind=Shelter.Kind.EMERGENCY_SITE).count() == 482
    per_municipality = Counter(
        Shelter.objects.filter(kind=Shelter.Kind.SHELTER).values_list(
            "municipality_code", flat=True
        )
    )
    assert per_municipality["412015"] == 112  # 佐賀市
    assert per_municipality["412023"] == 109  # 唐津市
    assert per_municipality["414417"] == 7  # 太良町
    assert len(per_municipality) == 20
    assert Shelter.objects.filter(is_welfare=True).count() == 73
    assert Shelter.objects.filter(is_welfare=True, kind=Shelter.Kind.EMERGENCY_SITE).count() == 0


def test_designated_shelters_take_the_flags_of_the_site_at_the_same_address(db: None) -> None:
    saga = [row for row in csv_rows(DESIGNATED_CSV) if row["共通ID"].startswith("E41201")]
    import_text(to_csv(SHELTER_COLUMNS, saga))
    shelter = Shelter.objects.get(common_id="E4120100001111")
    assert not any(shelter.hazard_flags.values())  # no site imported yet
    sites = [row for row in csv_rows(EMERGENCY_CSV) if row["共通ID"].startswith("E41201")]

    import_text(to_csv(list(sites[0]), sites))

    shelter.refresh_from_db()
    site = Shelter.objects.get(common_id="E4120100001201")
    assert shelter.hazard_flags == site.hazard_flags
    assert any(shelter.hazard_flags.values())


# --- re-import -------------------------------------------------------------------------------


def test_import_is_audited_and_dry_run_changes_nothing(db: None) -> None:
    data = to_csv(SHELTER_COLUMNS, csv_rows(DESIGNATED_CSV)[:30]).encode()

    report = import_shelters_file(data=data, name="designated.csv", dry_run=True)

    assert (report.created, report.dry_run) == (30, True)
    assert Shelter.objects.exists() is False
    assert AuditEvent.objects.filter(action="disaster.shelters.import").exists() is False

    import_shelters_file(data=data, name="designated.csv")

    event = AuditEvent.objects.get(action="disaster.shelters.import")
    assert event.detail["created"] == 30
    assert event.detail["error_count"] == 0


# --- bad rows --------------------------------------------------------------------------------


def test_reports_bad_rows_with_line_numbers_and_saves_the_good_ones(db: None) -> None:
    kase = row_of(DESIGNATED_CSV, "E4120100001111")
    kase_kominkan = row_of(DESIGNATED_CSV, "E4120100002111")
    kinsen = row_of(DESIGNATED_CSV, "E4120100003111")
    kubo = row_of(DESIGNATED_CSV, "E4120100004111")

    def line(row: dict[str, str]) -> str:
        return to_csv(SHELTER_COLUMNS, [row]).split("\r\n", 1)[1]

    text = "".join(
        [
            ",".join(SHELTER_COLUMNS) + "\r\n",  # 1
            line(kase),  # 2 good
            line(kinsen | {"共通ID": ""}),  # 3
            line(kinsen | {"共通ID": "X123"}),  # 4
            line(kinsen | {"緯度": "北緯33度"}),  # 5
            line(kinsen | {"緯度": "35.681236", "経度": "139.767125"}),  # 6 東京駅
            line(
                kinsen | {"共通ID": "E1310100001111", "都道府県名及び市町村名": "東京都千代田区"}
            ),  # 7
            line(kinsen | {"都道府県名及び市町村名": "佐賀県唐津市"}),  # 8
            "1,E4120100005111,佐賀県佐賀市,短い行\r\n",  # 9
            line(kase),  # 10 duplicate of line 2
            line(kinsen | {"緯度": "33.450", "経度": "129.968"}),  # 11 唐津市役所
            line(kinsen | {"共通ID": "E4120100003201"}),  # 12 a site's ID
            line(kase_kominkan),  # 13 good
            line(kubo | {"備考": "1階\n2階"}),  # 14-15 good, a quoted note over two lines
            line(kinsen | {"経度": ""}),  # 16
        ]
    )

    report = import_text(text)

    assert errors_of(report) == [
        (3, ""),
        (4, "X123"),
        (5, "E4120100003111"),
        (6, "E4120100003111"),
        (7, "E1310100001111"),
        (8, "E4120100003111"),
        (9, "E4120100005111"),
        (10, "E4120100001111"),
        (11, "E4120100003111"),
        (12, "E4120100003201"),
        (16, "E4120100003111"),
    ]
    reasons = {error.line: error.reason for error in report.errors}
    assert reasons[3] == "共通ID is missing."
    assert "not a 14-character" in reasons[4]
    assert reasons[5] == "緯度 '北緯33度' is not a number."
    assert reasons[6] == "Coordinates 35.681236, 139.767125 are outside Saga Prefecture."
    assert "13101" in reasons[7]
    assert "not a municipality of Saga Prefecture" in reasons[7]
    assert "佐賀県唐津市" in reasons[8]
    assert "does not match" in reasons[8]
    assert reasons[9] == "The row has 4 cells; the header has 11."
    assert reasons[10] == "共通ID E4120100001111 appears twice in this file (first at line 2)."
    assert "lie in 唐津市, not in 佐賀市" in reasons[11]
    assert "but the file is a" in reasons[12]
    assert reasons[16] == "経度 is missing."
    assert (report.rows, report.created, report.updated, report.unchanged) == (14, 3, 0, 0)
    assert sorted(Shelter.objects.values_list("common_id", flat=True)) == [
        "E4120100001111",
        "E4120100002111",
        "E4120100004111",
    ]
    assert Shelter.objects.get(common_id="E4120100004111").note == "1階\n2階"


def test_rejects_a_bad_hazard_flag_value(db: None) -> None:
    site = row_of(EMERGENCY_CSV, "E4120100001201") | {"津波": "x"}
    text = to_csv(list(site), [site])

    report = import_text(text)

    assert errors_of(report) == [(2, "E4120100001201")]
    assert report.errors[0].reason == "Column 津波 has 'x'; expected 1 or blank."
    assert Shelter.objects.exists() is False


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf\r\n\r\n"])
def test_rejects_an_empty_file(db: None, data: bytes) -> None:
    report = import_shelters_file(data=data, name="empty.csv")

    assert report.file_error is True
    assert [(e.line, e.reason) for e in report.errors] == [(1, "The file is empty.")]


def test_rejects_bytes_that_are_not_text(db: None) -> None:
    report = import_shelters_file(data=b"\x89PNG\r\n\x1a\n\xff\xfe\xfd" * 10, name="photo.csv")

    assert report.file_error is True
    assert Shelter.objects.exists() is False


# --- encodings and headers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp932", "cp932"),
        ("utf-16", "utf-16"),  # with BOM (what Excel's "Unicode text" writes)
        ("utf-16-le", "utf-16-le"),  # without BOM
    ],
)
def test_accepts_utf8_bom_cp932_and_utf16(db: None, encoding: str, reported: str) -> None:
    rows = csv_rows(DESIGNATED_CSV)[:40]
    text = to_csv(SHELTER_COLUMNS, rows)

    report = import_text(text, encoding=encoding)

    assert (report.encoding, report.created, report.errors) == (reported, 40, [])
    assert Shelter.objects.get(common_id=rows[0]["共通ID"]).name == rows[0]["施設・場所名"]


def test_the_whole_real_file_survives_cp932(db: None) -> None:
    text = DESIGNATED_CSV.read_text(encoding="utf-8")

    report = import_shelters_file(data=text.encode("cp932"), name="designated-sjis.csv")

    assert (report.encoding, report.created, report.errors) == ("cp932", 654, [])


def test_matches_columns_by_name_not_position(db: None) -> None:
    rows = csv_rows(EMERGENCY_CSV)[:25]
    columns = [*reversed(list(rows[0])), "自治体独自の列"]

    report = import_text(to_csv(columns, rows))

    assert (report.kind, report.created, report.errors) == ("emergency_site", 25, [])
    site = Shelter.objects.get(common_id="E4120100001201")
    assert (site.for_flood, site.for_tsunami, site.latitude) == (True, False, 33.240969)


# --- GeoJSON ---------------------------------------------------------------------------------

GEOJSON_FILES = sorted(FIXTURES.glob("*/*.json"))


def test_geojson_gives_the_same_shelters_as_the_csv(db: None) -> None:
    reports = [import_shelters_path(path=path) for path in GEOJSON_FILES]

    assert [r.errors for r in reports] == [[]] * 6
    assert {r.unit for r in reports} == {"feature"}
    assert sum(r.created for r in reports) == 74 + 133  # 唐津市, 玄海町, 上峰町: sites + shelters
    csv_reports = [
        import_shelters_path(path=DESIGNATED_CSV),
        import_shelters_path(path=EMERGENCY_CSV),
    ]
    # Every row the GeoJSON created is identical to the CSV's: unchanged, not updated.
    assert [(r.updated, r.unchanged) for r in csv_reports] == [(0, 133), (0, 74)]
    assert sum(r.created for r in csv_reports) == 1136 - 207


def test_geojson_reports_bad_features_by_number(db: None) -> None:
    document = json.loads((FIXTURES / "emergency" / "413453.json").read_text(encoding="utf-8"))
    document["features"][1]["geometry"] = None
    document["features"][2]["geometry"]["coordinates"] = ["東経", "北緯"]
    document["features"][3]["properties"]["共通ID"] = "E41345000"

    report = import_shelters_file(
        data=json.dumps(document, ensure_ascii=False).encode(), name="413453.json"
    )

    assert report.unit == "feature"
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "The feature has no Point geometry with [longitude, latitude]."),
        (3, "緯度 '北緯' is not a number."),
        (
            4,
            "共通ID 'E41345000' is not a 14-character 全国共通避難所・避難場所ID "
            "(E + 5-digit municipality code + 5-digit serial + type digits + sequence).",
        ),
    ]
    assert report.created == 1


def test_rejects_json_that_is_not_a_feature_collection(db: None) -> None:
    report = import_shelters_file(data=b'{"type": "Feature"}', name="x.geojson")

    assert report.file_error is True
    assert report.errors[0].reason == "The file is not a GeoJSON FeatureCollection."


# --- positions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "latitude", "longitude", "expected", "code", "problem"),
    [
        ("佐賀市役所", 33.249367, 130.298822, "412015", "412015", ""),
        (
            "東京駅, far outside the box",
            35.681236,
            139.767125,
            None,
            None,
            "outside Saga Prefecture",
        ),
        (
            "福岡市役所, inside the box",
            33.590188,
            130.401718,
            None,
            None,
            "outside Saga Prefecture",
        ),
        (
            "佐世保市役所, inside the box",
            33.179914,
            129.715035,
            None,
            None,
            "outside Saga Prefecture",
        ),
        ("唐津市役所 for 佐賀市", 33.450, 129.968, "412015", None, "in another municipality"),
        ("向島, off the simplified coast", 33.490948, 129.778959, "412023", "412023", ""),
        (
            "not a position",
            float("nan"),
            130.3,
            None,
            None,
            "coordinates are not a position on Earth",
        ),
    ],
)
def test_check_position(
    db: None,
    _case: str,
    latitude: float,
    longitude: float,
    expected: str | None,
    code: str | None,
    problem: str,
) -> None:
    result = check_position(latitude, longitude, expected_code=expected)

    assert (result.municipality_code, result.problem) == (code, problem)


def test_hazard_flag_fields_match_the_gsi_columns() -> None:
    assert HAZARD_FLAG_FIELDS == (
        "for_flood",
        "for_landslide",
        "for_storm_surge",
        "for_earthquake",
        "for_tsunami",
        "for_fire",
        "for_inland_flood",
        "for_volcano",
    )
