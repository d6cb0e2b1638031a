"""Area resolution to the 20 municipalities and the 警戒レベル table."""

import pytest

from kurashi.modules.disaster.jma.areas import saga_resolver
from kurashi.modules.disaster.jma.documents import Area, AreaScheme, Kind
from kurashi.modules.disaster.jma.levels import classify, stated_level
from kurashi.modules.disaster.jma.parsers import parse_bulletin
from kurashi.modules.disaster.tests.jma.builders import fixture

NORTH = {"412023", "412058", "413879", "414018"}
ALL = set(saga_resolver().municipalities)


@pytest.mark.parametrize(
    ("_case", "area", "expected"),
    [
        ("class20", Area(AreaScheme.MUNICIPALITY, "4120100", "佐賀市"), {"412015"}),
        ("class20_town", Area(AreaScheme.MUNICIPALITY, "4144100", "太良町"), {"414417"}),
        ("class15", Area(AreaScheme.FORECAST, "410022", "伊万里地区"), {"412058", "414018"}),
        ("class10_north", Area(AreaScheme.FORECAST, "410020", "北部"), NORTH),
        ("class10_south", Area(AreaScheme.FORECAST, "410010", "南部"), ALL - NORTH),
        ("office", Area(AreaScheme.FORECAST, "410000", "佐賀県"), ALL),
        ("seismic_north", Area(AreaScheme.SEISMIC, "720", "佐賀県北部"), NORTH),
        ("seismic_south", Area(AreaScheme.SEISMIC, "721", "佐賀県南部"), ALL - NORTH),
        (
            "tsunami_north",
            Area(AreaScheme.TSUNAMI, "720", "佐賀県北部"),
            {"412023", "413879", "412058"},
        ),
        (
            "tsunami_ariake",
            Area(AreaScheme.TSUNAMI, "712", "有明・八代海"),
            {"412015", "412082", "414255", "412074", "414417"},
        ),
        ("fukuoka_city", Area(AreaScheme.MUNICIPALITY, "4013000", "福岡市"), set()),
        ("tokyo_office", Area(AreaScheme.FORECAST, "130000", "東京都"), set()),
        ("seismic_fukuoka", Area(AreaScheme.SEISMIC, "710", "福岡県福岡"), set()),
        ("river", Area(AreaScheme.RIVER, "8909040001", "六角川"), set()),
    ],
)
def test_area_resolution(_case: str, area: Area, expected: set[str]) -> None:
    assert saga_resolver().resolve(area) == expected


def test_the_resolver_covers_exactly_the_20_municipalities() -> None:
    assert len(ALL) == 20


VPWW53 = parse_bulletin(fixture("official_15_14_01_170216_VPWW53.xml"))
VPWW55 = parse_bulletin(fixture("official_15_16_03_241226_VPWW55.xml"))
VXWW50 = parse_bulletin(fixture("official_17_01_01_190529_VXWW50.xml"))
VXWW50_R06 = parse_bulletin(fixture("official_17_04_01_250630_VXWW50.xml"))
VXKO = parse_bulletin(fixture("official_16_02_02_220728_VXKOii.xml"))
VTSE41 = parse_bulletin(fixture("official_32-39_12_07_250206_VTSE41.xml"))


@pytest.mark.parametrize(
    ("_case", "parsed", "kind", "in_force", "level", "hazard"),
    [
        ("special_heavy_rain", VPWW53, Kind("大雨特別警報", "33", "発表"), True, 5, "heavy_rain"),
        ("heavy_rain_warning", VPWW53, Kind("大雨警報", "03", "継続"), True, 3, "heavy_rain"),
        ("flood_warning", VPWW53, Kind("洪水警報", "04", "発表"), True, 3, "flood"),
        ("storm_surge_warning", VPWW53, Kind("高潮警報", "08", "発表"), True, 4, "storm_surge"),
        ("heavy_rain_advisory", VPWW53, Kind("大雨注意報", "10", "発表"), True, 2, "heavy_rain"),
        ("flood_advisory", VPWW53, Kind("洪水注意報", "18", "発表"), True, 2, "flood"),
        ("storm_surge_advisory", VPWW53, Kind("高潮注意報", "19", "継続"), True, 2, "storm_surge"),
        ("thunder_advisory", VPWW53, Kind("雷注意報", "14", "発表"), True, 0, "other"),
        ("gale_advisory", VPWW53, Kind("強風注意報", "15", "発表"), True, 0, "storm"),
        ("storm_warning", VPWW53, Kind("暴風警報", "05", "発表"), True, 0, "storm"),
        ("lifted", VPWW53, Kind("大雨警報", "03", "解除"), False, 3, "heavy_rain"),
        ("none", VPWW53, Kind("", "", "発表警報・注意報はなし"), False, 0, "other"),
        ("r06_level4", VPWW55, Kind("レベル４大雨危険警報", "43", "発表"), True, 4, "heavy_rain"),
        ("r06_level2", VPWW55, Kind("レベル２大雨注意報", "10", "継続"), True, 2, "heavy_rain"),
        (
            "r06_landslide5",
            VPWW55,
            Kind("レベル５土砂災害特別警報", "39", "発表"),
            True,
            5,
            "landslide",
        ),
        ("r06_lifted", VPWW55, Kind("解除", "00", "解除"), False, 0, "other"),
        ("landslide_alert", VXWW50, Kind("警戒", "3", "発表"), True, 4, "landslide"),
        ("landslide_lifted", VXWW50, Kind("解除", "1", "解除"), False, 4, "landslide"),
        ("landslide_r06", VXWW50_R06, Kind("警戒", "3", "発表"), True, 4, "landslide"),
        ("flood_caution", VXKO, Kind("氾濫注意情報", "20"), True, 2, "flood"),
        ("flood_alert", VXKO, Kind("氾濫警戒情報", "30"), True, 3, "flood"),
        ("flood_danger", VXKO, Kind("氾濫危険情報", "40"), True, 4, "flood"),
        ("flood_occurred", VXKO, Kind("氾濫発生情報", "50"), True, 5, "flood"),
        ("flood_lifted", VXKO, Kind("氾濫注意情報解除", "10"), False, 3, "flood"),
        ("major_tsunami", VTSE41, Kind("大津波警報", "52"), True, 5, "tsunami"),
        ("tsunami_warning", VTSE41, Kind("津波警報", "51"), True, 4, "tsunami"),
        ("tsunami_advisory", VTSE41, Kind("津波注意報", "62"), True, 2, "tsunami"),
        ("tsunami_lifted", VTSE41, Kind("警報解除", "50"), False, 0, "tsunami"),
        ("tsunami_forecast", VTSE41, Kind("津波予報（若干の海面変動）", "71"), False, 0, "tsunami"),
    ],
)
def test_level_table(
    _case: str, parsed: object, kind: Kind, in_force: bool, level: int, hazard: str
) -> None:
    rule = classify(parsed, kind)  # type: ignore[arg-type]

    assert (rule.in_force, rule.level, rule.hazard) == (in_force, level, hazard)


def test_landslide_alerts_get_their_display_name_from_the_system_in_use() -> None:
    assert classify(VXWW50, Kind("警戒", "3")).name == "土砂災害警戒情報"
    assert classify(VXWW50_R06, Kind("警戒", "3")).name == "レベル４土砂災害危険警報"


def test_stated_level_reads_full_width_digits() -> None:
    assert stated_level("【警戒レベル３相当情報［洪水］】") == 3
    assert stated_level("レベル５大雨特別警報") == 5
    assert stated_level("大雨警報") == 0
