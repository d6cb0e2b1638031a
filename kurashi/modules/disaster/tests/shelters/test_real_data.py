"""The real GSI data (imported once for the module): values kept, flags inherited, re-import
idempotent and never touching live status, files that change nothing."""

import pytest

from kurashi.core.models import AuditEvent
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.models.shelters import SHELTER_COLUMNS
from kurashi.modules.disaster.services.shelters import (
    import_shelters_path,
    update_shelter_status,
)
from kurashi.modules.disaster.tests.shelters.conftest import (
    DESIGNATED_CSV,
    EMERGENCY_CSV,
    csv_rows,
    import_text,
    row_of,
    to_csv,
)
from kurashi.testing import make_member, make_organisation


def test_keeps_the_gsi_values_and_hazard_flags(imported: None) -> None:
    site = Shelter.objects.get(common_id="E4120100001201")
    assert (site.name, site.address, site.municipality_code) == (
        "嘉瀬小学校",
        "佐賀県佐賀市嘉瀬町十五12-1",
        "412015",
    )
    assert (site.latitude, site.longitude, site.source_no) == (33.240969, 130.257802, "103316")
    assert site.hazard_flags == {
        "for_flood": True,
        "for_landslide": False,
        "for_storm_surge": True,
        "for_earthquake": True,
        "for_tsunami": False,
        "for_fire": False,
        "for_inland_flood": True,
        "for_volcano": False,
    }
    assert site.same_address_as_other_kind is True
    assert (site.open_state, site.crowding, site.headcount) == ("not_open", "unknown", None)
    welfare = Shelter.objects.get(common_id="E4134500008121")  # 佐賀ケアセンターそよ風
    assert (welfare.kind, welfare.is_welfare) == ("shelter", True)


def test_inherited_flags_cover_exactly_the_shelters_gsi_marks_as_same_address(
    imported: None,
) -> None:
    # 430 designated shelters share an address with a site, exactly those GSI marks so.
    with_site = Shelter.objects.filter(kind=Shelter.Kind.SHELTER, same_address_as_other_kind=True)
    assert with_site.count() == 430
    lonely = Shelter.objects.filter(kind=Shelter.Kind.SHELTER, same_address_as_other_kind=False)
    assert lonely.count() == 224
    assert all(not any(s.hazard_flags.values()) for s in lonely)


def test_accepts_the_islands_and_border_cases_of_the_real_data(imported: None) -> None:
    island = Shelter.objects.get(common_id="E4120200087111")  # 入野小学校向島分校, 唐津市
    assert island.municipality_code == "412023"
    border = Shelter.objects.get(common_id="E4134500008121")  # 115 m into 吉野ヶ里町
    assert border.municipality_code == "413453"


def test_reimport_changes_nothing_and_creates_no_duplicate(imported: None) -> None:
    before = list(Shelter.objects.order_by("common_id").values())

    again = [import_shelters_path(path=DESIGNATED_CSV), import_shelters_path(path=EMERGENCY_CSV)]

    assert [(r.created, r.updated, r.unchanged, r.errors) for r in again] == [
        (0, 0, 654, []),
        (0, 0, 482, []),
    ]
    assert list(Shelter.objects.order_by("common_id").values()) == before


def test_reimport_updates_changed_rows_and_never_the_live_status(imported: None) -> None:
    shelter = Shelter.objects.get(common_id="E4120100001111")
    staff = make_member(
        make_organisation(municipality_code="412015", slug="municipality-412015"),
        "disaster.update_shelter_status",
    )
    update_shelter_status(
        actor=staff, shelter_id=shelter.pk, action="counts", headcount=40, capacity=50
    )
    update_shelter_status(actor=staff, shelter_id=shelter.pk, action="full")
    rows = csv_rows(DESIGNATED_CSV)
    for row in rows:
        if row["共通ID"] == "E4120100001111":
            row["施設・場所名"] = "嘉瀬小学校（新校舎）"
            row["緯度"] = "33.241"

    report = import_text(to_csv(SHELTER_COLUMNS, rows))

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 1, 653, [])
    shelter.refresh_from_db()
    assert (shelter.name, shelter.latitude) == ("嘉瀬小学校（新校舎）", 33.241)
    assert (shelter.open_state, shelter.crowding, shelter.crowding_manual) == ("open", "full", True)
    assert (shelter.headcount, shelter.capacity) == (40, 50)
    assert Shelter.objects.count() == 1136


def test_an_entirely_invalid_file_changes_nothing(imported: None) -> None:
    before = list(Shelter.objects.order_by("common_id").values())
    audit_before = AuditEvent.objects.count()
    rows = [row | {"緯度": "abc"} for row in csv_rows(DESIGNATED_CSV)]

    report = import_text(to_csv(SHELTER_COLUMNS, rows))

    assert (report.created, report.updated, report.unchanged, len(report.errors)) == (0, 0, 0, 654)
    assert report.errors[0].line == 2
    assert report.errors[-1].line == 655
    assert list(Shelter.objects.order_by("common_id").values()) == before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(
    ("_case", "header", "message"),
    [
        (
            "legacy 推奨データセット columns",
            "NO,名称,名称_カナ,住所,緯度,経度,市区町村コード",
            "Wrong column set: this is neither the GSI 指定避難所 file",
        ),
        (
            "shelter file without 共通ID",
            "NO,都道府県名及び市町村名,施設・場所名,住所,指定緊急避難場所との住所同一,緯度,経度",
            "Wrong column set: missing 共通ID.",
        ),
        (
            "both kinds in one header",
            ",".join(
                [
                    *SHELTER_COLUMNS,
                    "洪水",
                    "崖崩れ、土石流及び地滑り",
                    "高潮",
                    "地震",
                    "津波",
                    "大規模な火事",
                    "内水氾濫",
                    "火山現象",
                ]
            ),
            "Wrong column set: the header has the columns of both GSI files",
        ),
        ("repeated column", "共通ID,共通ID,緯度", "Wrong column set: repeated columns 共通ID."),
    ],
)
def test_rejects_a_file_with_the_wrong_column_set(
    imported: None, _case: str, header: str, message: str
) -> None:
    before = list(Shelter.objects.order_by("common_id").values())
    kase = row_of(DESIGNATED_CSV, "E4120100001111")

    report = import_text(header + "\r\n" + ",".join(kase.values()) + "\r\n")

    assert report.file_error is True
    assert len(report.errors) == 1
    assert report.errors[0].line == 1
    assert report.errors[0].reason.startswith(message)
    assert list(Shelter.objects.order_by("common_id").values()) == before
