"""Every JMA fixture parses into a typed envelope and body; mutated inputs never crash the parser."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kurashi.modules.disaster.jma.documents import AreaScheme
from kurashi.modules.disaster.jma.feed import parse_feed
from kurashi.modules.disaster.jma.parsers import parse_bulletin
from kurashi.modules.disaster.jma.xmlsafe import RejectedDocumentError
from kurashi.modules.disaster.tests.jma.builders import all_fixture_names, fixture

JST = timezone(timedelta(hours=9))
EXPECTED_TYPES = {
    "official_15_08_05_130412_VPWW53.xml": "VPWW53",
    "official_15_14_01_170216_VPWW53.xml": "VPWW53",
    "official_15_15_01_220314_VPWW54.xml": "VPWW54",
    "official_15_17_01_250123_VPWW54.xml": "VPWW54",
    "official_15_16_03_241226_VPWW55.xml": "VPWW55",
    "official_15_16_01_241031_VPWW56.xml": "VPWW56",
    "official_16_02_02_220728_VXKOii.xml": "VXKO",
    "official_16_04_01_220728_VXKOii.xml": "VXKO",
    "official_16_06_01_220728_VXKOii.xml": "VXKO",
    "official_17_01_01_190529_VXWW50.xml": "VXWW50",
    "official_17_02_03_190529_VXWW50.xml": "VXWW50",
    "official_17_04_01_250630_VXWW50.xml": "VXWW50",
    "official_18_03_01_190412_VPOA50.xml": "VPOA50",
    "official_19_03_01_130906_VPHW50.xml": "VPHW50",
    "official_19_07_01_140425_VPHW51.xml": "VPHW51",
    "official_32-39_11_01_120615_VXSE51.xml": "VXSE51",
    "official_32-39_11_05_240613_VXSE53.xml": "VXSE53",
    "official_32-39_12_03_250206_VTSE51.xml": "VTSE51",
    "official_32-39_12_07_250206_VTSE41.xml": "VTSE41",
    "official_32-39_12_13_250206_VTSE41.xml": "VTSE41",
    "official_33_12_01_240613_VXSE52.xml": "VXSE52",
    "official_57_03_01_240401_VPFT50.xml": "VPFT50",
    "official_62_01_01_130412_VPNO50.xml": "VPNO50",
    "official_81_01_04_250630_VPWP50.xml": "VPWP50",
    "official_82_01_01_241031_VPBS50.xml": "VPBS50",
    "official_82_01_02_250630_VPBS50.xml": "VPBS50",
    "real2024noto_EpicenterInfo.xml": "VXSE52",
    "real2024noto_IntensityReportL.xml": "VXSE51",
    "real2024noto_TsunamiAlarm.xml": "VTSE41",
    "real2024noto_TsunamiInfo.xml": "VTSE51",
    "real2024noto_WInfoL.xml": "VXSE53",
    "real2024noto_WInfoM.xml": "VXSE53",
    "real2024noto_canceledTsunamiAlarm.xml": "VTSE41",
}


def test_the_expected_table_covers_every_bulletin_fixture() -> None:
    names = [name for name in all_fixture_names() if not name.startswith("feed_")]
    assert sorted(EXPECTED_TYPES) == names


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_every_fixture_parses_with_its_type_and_a_complete_envelope(name: str) -> None:
    parsed = parse_bulletin(fixture(name))

    envelope = parsed.envelope
    assert parsed.type_code == EXPECTED_TYPES[name]
    assert envelope.control_status in {"通常", "訓練", "試験"}
    assert envelope.info_type in {"発表", "訂正", "取消"}
    assert envelope.editorial_office
    assert envelope.head_title
    assert envelope.report_datetime.tzinfo is not None
    assert envelope.control_datetime.utcoffset() == timedelta(0)  # Control/DateTime is UTC
    if parsed.type_code not in {"VPNO50", "VPFT50", "VXSE52"}:
        assert parsed.items, "a state-bearing message has body items"


def test_vpww53_has_kinds_with_status_and_municipality_codes() -> None:
    parsed = parse_bulletin(fixture("official_15_14_01_170216_VPWW53.xml"))

    municipal = [i for i in parsed.items if i.block == "気象警報・注意報（市町村等）"]
    shinjuku = next(i for i in municipal if i.areas[0].name == "新宿区")
    assert shinjuku.areas[0].code == "1310400"
    assert shinjuku.areas[0].scheme == AreaScheme.MUNICIPALITY
    assert shinjuku.kinds[0].name == "大雨特別警報"
    assert (shinjuku.kinds[0].code, shinjuku.kinds[0].status) == ("33", "発表")
    assert parsed.envelope.report_datetime == datetime(2017, 1, 26, 17, 20, tzinfo=JST)


def test_r06_vpww55_keeps_kind_and_last_kind() -> None:
    parsed = parse_bulletin(fixture("official_15_16_03_241226_VPWW55.xml"))

    kind = parsed.items[0].kinds[0]
    assert (kind.name, kind.code, kind.status) == ("レベル４大雨危険警報", "43", "発表")
    assert (kind.last_name, kind.last_code) == ("レベル３大雨警報", "03")
    assert parsed.envelope.info_kind_version == "1.5_0"


def test_vxko_rokkaku_lists_the_flood_forecast_and_the_five_municipalities() -> None:
    parsed = parse_bulletin(fixture("official_16_02_02_220728_VXKOii.xml"))

    (item,) = parsed.items
    assert (item.kinds[0].name, item.kinds[0].code) == ("氾濫警戒情報", "30")
    assert [(a.scheme, a.code) for a in item.areas] == [
        (AreaScheme.RIVER, "890904000100"),
        (AreaScheme.MUNICIPALITY, "4120600"),
        (AreaScheme.MUNICIPALITY, "4120900"),
        (AreaScheme.MUNICIPALITY, "4142300"),
        (AreaScheme.MUNICIPALITY, "4142400"),
        (AreaScheme.MUNICIPALITY, "4142500"),
    ]
    assert parsed.envelope.publishing_office == "武雄河川事務所 佐賀地方気象台"
    assert parsed.notes[0].startswith("【警戒レベル３相当】")


def test_vxse53_reads_the_earthquake_and_city_intensities() -> None:
    parsed = parse_bulletin(fixture("real2024noto_WInfoL.xml"))

    assert parsed.earthquake is not None
    assert parsed.earthquake.max_intensity == "7"
    assert parsed.earthquake.magnitude == "7.6"
    assert parsed.earthquake.hypocenter_name == "石川県能登地方"
    saga_city = next(
        i for i in parsed.items if i.areas[0].code == "4120100" and i.block == "震度（市町村等）"
    )
    assert saga_city.kinds[0].name == "震度2"


def test_vtse41_reads_category_last_kind_and_height() -> None:
    parsed = parse_bulletin(fixture("official_32-39_12_07_250206_VTSE41.xml"))

    ariake = next(i for i in parsed.items if i.areas[0].code == "712")
    assert ariake.areas[0].scheme == AreaScheme.TSUNAMI
    assert (ariake.kinds[0].name, ariake.kinds[0].code, ariake.kinds[0].detail) == (
        "津波警報",
        "51",
        "３ｍ",
    )
    assert parsed.envelope.control_status == "訓練"


def test_vpft50_parses_to_an_envelope_without_items() -> None:
    parsed = parse_bulletin(fixture("official_57_03_01_240401_VPFT50.xml"))

    assert parsed.items == ()
    assert parsed.envelope.head_title == "埼玉県熱中症警戒アラート"
    assert parsed.notes
    assert "熱中症" in parsed.notes[0]


def test_the_real_feed_is_read_by_the_atom_parser_with_office_and_type_from_the_url() -> None:
    feed = parse_feed(fixture("feed_extra_20240725.xml"))

    assert len(feed.items) == 350
    saga = [
        (i.type_code, i.data_url.rsplit("/", 1)[-1])
        for i in feed.items
        if i.office_code == "410000"
    ]
    assert saga == [
        ("VPWW53", "20240725041454_0_VPWW53_410000.xml"),
        ("VPWW54", "20240725041454_0_VPWW54_410000.xml"),
        ("VPFJ50", "20240725015540_0_VPFJ50_410000.xml"),
        ("VPWW53", "20240725012602_0_VPWW53_410000.xml"),
        ("VPWW54", "20240725012602_0_VPWW54_410000.xml"),
        ("VPFT50", "20240724195506_0_VPFT50_410000.xml"),
    ]
    assert {i.author for i in feed.items if i.office_code == "410000"} == {
        "佐賀地方気象台",
        "環境省 気象庁",  # VPFT50 熱中症警戒アラート
    }


def test_a_feed_given_as_a_bulletin_is_rejected_as_unknown_root() -> None:
    with pytest.raises(RejectedDocumentError) as raised:
        parse_bulletin(fixture("feed_extra_20240725.xml"))

    assert raised.value.reason == "unknown_root"


SMALL = fixture("official_16_02_02_220728_VXKOii.xml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(SMALL)),
    insert=st.binary(max_size=16),
)
def test_mutated_documents_either_parse_or_are_rejected_never_crash(
    cut: int, insert: bytes
) -> None:
    mutated = SMALL[:cut] + insert + SMALL[cut + len(insert) :]
    try:
        parsed = parse_bulletin(mutated)
    except RejectedDocumentError as rejected:
        reason = rejected.reason
    else:
        reason = ""
        assert parsed.type_code == "VXKO"
    assert reason in {
        "",
        "malformed",
        "not_xml",
        "invalid",
        "unknown_type",
        "unknown_root",
        "doctype",
        "empty",
    }
