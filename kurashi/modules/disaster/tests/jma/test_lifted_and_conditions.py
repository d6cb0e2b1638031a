"""Areas where nothing is in force (「発表警報・注意報はなし」) and the conditions of heavy-rain kinds
(浸水害 / 土砂災害), from JMA's official sample and from Saga bulletins in the same layout."""

import pytest

from kurashi.modules.disaster.jma.areas import AreaResolver, SagaMunicipality
from kurashi.modules.disaster.jma.documents import Kind
from kurashi.modules.disaster.jma.parsers import parse_bulletin
from kurashi.modules.disaster.jma.state import saga_state
from kurashi.modules.disaster.models import Alert, AreaWarning
from kurashi.modules.disaster.selectors.jma import current_warnings
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import NOTHING, fixture, saga_bulletin

TOKYO_SAMPLE = fixture("official_15_14_01_170216_VPWW53.xml")
# Three wards of the official sample, as a resolver knows municipalities (6-digit code, class20,
# class15, class10).
TOKYO = AreaResolver(
    [
        SagaMunicipality(
            "131016", "千代田区", "ちよだく", "Chiyoda", "1310100", "130012", "130010"
        ),
        SagaMunicipality(
            "131041", "新宿区", "しんじゅくく", "Shinjuku", "1310400", "130011", "130010"
        ),
        SagaMunicipality(
            "131181", "荒川区", "あらかわく", "Arakawa", "1311800", "130012", "130010"
        ),
    ]
)
SAGA = "412015"
KARATSU = "412023"


def ingest(data: bytes) -> dict[str, object]:
    return ingest_document(data=data, source="cli", source_name="test.xml").summary()


def state() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for warning in current_warnings():
        found.setdefault(warning.municipality_code, []).append(
            (warning.kind_name, warning.condition)
        )
    return found


def test_the_official_sample_keeps_an_area_with_nothing_in_force() -> None:
    parsed = parse_bulletin(TOKYO_SAMPLE)

    municipal = [item for item in parsed.items if item.block == "気象警報・注意報（市町村等）"]
    chiyoda = next(item for item in municipal if item.areas[0].name == "千代田区")
    assert chiyoda.kinds == (Kind(name="", status="発表警報・注意報はなし"),)


def test_the_official_sample_lists_areas_with_nothing_and_keeps_the_conditions() -> None:
    result = saga_state(parse_bulletin(TOKYO_SAMPLE), TOKYO)

    assert result.listed == {"131016", "131041", "131181"}
    by_code = {
        code: [
            (w.kind_name, w.kind_key, w.condition, w.level)
            for w in result.warnings
            if w.municipality_code == code
        ]
        for code in result.listed
    }
    assert by_code == {
        "131016": [],
        "131041": [("大雨特別警報", "heavy_rain_emergency_warning", "土砂災害", 5)],
        "131181": [
            ("大雨警報", "heavy_rain_warning", "浸水害", 3),
            ("洪水警報", "flood_warning", "", 3),
        ],
    }


@pytest.mark.django_db
def test_a_municipality_marked_nothing_in_force_loses_its_last_warning() -> None:
    ingest(
        saga_bulletin(
            report_datetime="2019-08-27T21:00:00+09:00",
            kinds={
                SAGA: [("大雨注意報", "10", "発表")],
                KARATSU: [("大雨警報", "03", "発表", "浸水害")],
            },
        )
    )

    result = ingest(
        saga_bulletin(
            report_datetime="2019-08-28T10:00:00+09:00",
            kinds={SAGA: [("大雨注意報", "10", "継続")], KARATSU: list(NOTHING)},
        )
    )

    assert result["outcome"] == "applied"
    assert state() == {SAGA: [("大雨注意報", "")]}
    alert = Alert.objects.get(is_current=True)
    karatsu = next(area for area in alert.area_states if area["code"] == KARATSU)
    assert karatsu["kinds"] == []
    assert [kind["name_ja"] for kind in karatsu["lifted"]] == ["大雨警報"]
    assert karatsu["instruction"] == "lifted"


@pytest.mark.django_db
def test_a_lifting_bulletin_alone_ends_every_warning_and_cancels_the_alert() -> None:
    ingest(
        saga_bulletin(
            report_datetime="2019-08-28T05:50:00+09:00",
            kinds={
                SAGA: [("大雨特別警報", "33", "発表", "土砂災害、浸水害")],
                KARATSU: [("大雨注意報", "10", "発表")],
            },
        )
    )

    result = ingest(saga_bulletin(report_datetime="2019-08-29T11:00:00+09:00", kinds={}))

    assert result["outcome"] == "applied"
    assert state() == {}
    assert AreaWarning.objects.filter(is_current=True).count() == 0
    cancel = Alert.objects.get(is_current=True)
    assert cancel.msg_type == "Cancel"
    lifted = {area["code"]: [k["name_ja"] for k in area["lifted"]] for area in cancel.area_states}
    assert lifted == {SAGA: ["大雨特別警報"], KARATSU: ["大雨注意報"]}


@pytest.mark.django_db
def test_conditions_are_kept_and_a_change_of_condition_is_a_new_revision() -> None:
    ingest(
        saga_bulletin(
            report_datetime="2019-08-28T04:00:00+09:00",
            kinds={SAGA: [("大雨警報", "03", "発表", "浸水害")]},
        )
    )
    assert state() == {SAGA: [("大雨警報", "浸水害")]}
    first = Alert.objects.get(is_current=True)
    (saga,) = first.area_states
    assert saga["kinds"][0]["conditions"] == ["inundation"]

    result = ingest(
        saga_bulletin(
            report_datetime="2019-08-28T04:40:00+09:00",
            kinds={SAGA: [("大雨警報", "03", "継続", "土砂災害、浸水害")]},
        )
    )

    assert result["outcome"] == "applied"
    assert state() == {SAGA: [("大雨警報", "土砂災害、浸水害")]}
    update = Alert.objects.get(is_current=True)
    assert update.msg_type == "Update"
    assert update.area_states[0]["kinds"][0]["conditions"] == ["landslide", "inundation"]
