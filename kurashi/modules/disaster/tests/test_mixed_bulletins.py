"""A VPWW53 with 大雨特別警報 for some municipalities and only 注意報 for others, and the replay of
a whole sequence (issue → upgrade → partial lift → final 「なし」), asserting per municipality what
the pages, the API, CAP and the notices say (issue 13 points 1, 2, 3 and 6).

The bulletins are built in JMA's VPWW53 layout (tests/jma/builders.saga_bulletin, the layout of
the official sample official_15_14_01_170216_VPWW53.xml); the situation is modelled on the
2019-08-28 Saga heavy rain (大雨特別警報 for part of the prefecture while the north had only
advisories) — the areas are illustrative, not the bulletin JMA issued that day.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from lxml import etree

from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.outputs.cap import alert_to_cap, validate_cap
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import NOTHING, saga_bulletin
from kurashi.modules.notify import public as notify_public

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """The emergency page keeps its rendered bytes for 30 s: start every test without them."""
    cache.clear()


# notify's stored notices, looked up by label: modules import each other only via public.py.
NoticeRow = apps.get_model("notify", "Notice")
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}

SAGA = "412015"  # 佐賀市
KARATSU = "412023"  # 唐津市
TOSU = "412031"  # 鳥栖市
TAKEO = "412066"  # 武雄市
OGI = "412082"  # 小城市

EMERGENCY_RAIN = ("大雨特別警報", "33", "発表", "土砂災害、浸水害")
FLOOD_WARNING = ("洪水警報", "04", "発表")
ADVISORY = ("大雨注意報", "10", "発表")

ISSUE = {
    SAGA: [("大雨警報", "03", "発表", "浸水害"), FLOOD_WARNING],
    TAKEO: [("大雨警報", "03", "発表", "浸水害"), FLOOD_WARNING],
    OGI: [("大雨警報", "03", "発表", "土砂災害")],
    KARATSU: [ADVISORY],
    TOSU: [ADVISORY],
}
UPGRADE = {
    SAGA: [EMERGENCY_RAIN, FLOOD_WARNING],
    TAKEO: [EMERGENCY_RAIN, FLOOD_WARNING],
    OGI: [("大雨警報", "03", "継続", "土砂災害、浸水害"), ("洪水注意報", "18", "発表")],
    KARATSU: [ADVISORY],
    TOSU: [ADVISORY, ("雷注意報", "14", "発表")],
}
PARTIAL_LIFT = {
    SAGA: [("大雨警報", "03", "発表", "土砂災害"), ("洪水注意報", "18", "発表")],
    TAKEO: [EMERGENCY_RAIN, FLOOD_WARNING],
    OGI: [ADVISORY],
    KARATSU: list(NOTHING),
    TOSU: list(NOTHING),
}


@pytest.fixture
def ingest(django_capture_on_commit_callbacks: Any) -> Callable[..., Alert]:
    def run(report_datetime: str, kinds: dict[str, list[tuple[str, ...]]]) -> Alert:
        with django_capture_on_commit_callbacks(execute=True):
            result = ingest_document(
                data=saga_bulletin(
                    report_datetime=report_datetime,
                    kinds=kinds,
                    headline="【特別警報（大雨）】佐賀県では、土砂災害や低い土地の浸水に最大級の警戒をしてください。",
                ),
                source="cli",
                source_name=f"vpww53-{report_datetime}.xml",
            )
        assert result.status == "created"
        assert result.bulletin is not None
        assert result.bulletin.outcome == "applied"
        return Alert.objects.get(is_current=True)

    return run


@pytest.fixture
def mixed(ingest: Callable[..., Alert]) -> Alert:
    ingest("2019-08-28T04:00:00+09:00", ISSUE)
    return ingest("2019-08-28T05:50:00+09:00", UPGRADE)


def row_of(html: str, code: str) -> str:
    match = re.search(rf'<tr data-code="{code}".*?</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


def cap_infos(alert: Alert) -> list[Any]:
    xml = alert_to_cap(alert)
    validate_cap(xml)
    return etree.fromstring(xml).findall("cap:info", NS)


def info_of(infos: list[Any], code: str, language: str = "ja-JP") -> Any:
    (found,) = [
        info
        for info in infos
        if info.findtext("cap:language", namespaces=NS) == language
        and code in [v.text for v in info.findall("cap:area/cap:geocode/cap:value", NS)]
    ]
    return found


def notice_lines(alert: Alert, code: str, language: str = "ja") -> list[str]:
    """What a subscriber of `code` reads: the notice's structured areas rendered by notify."""
    notice = NoticeRow.objects.get(key=alert.identifier)
    (area,) = [a for a in notify_public.areas_from_json(notice.content["areas"]) if a.code == code]
    return notify_public.area_lines(area, language)


# --- point 1: every page names the kinds in force in that municipality ------------------------


def test_the_portal_names_each_municipalitys_own_kinds(mixed: Alert, client: Client) -> None:
    html = client.get("/disaster/?full=1").content.decode()

    saga = row_of(html, SAGA)
    assert "大雨特別警報（土砂災害、浸水害）、洪水警報" in saga
    assert "警戒レベル5相当" in saga
    karatsu = row_of(html, KARATSU)
    assert "大雨注意報" in karatsu
    assert "特別警報" not in karatsu
    assert "警戒レベル2" in karatsu
    ogi = row_of(html, OGI)
    assert "大雨警報（土砂災害、浸水害）、洪水注意報" in ogi
    assert "警戒レベル3相当" in ogi
    assert "特別警報" not in row_of(html, "412058")  # 伊万里市: nothing in force
    warnings = html.split('id="warnings-heading"', 1)[1]
    rows = re.findall(r"<tr id=\"alert-.*?</tr>", warnings, re.S)
    assert len(rows) == 4  # one row per group of municipalities told the same
    emergency_row = next(row for row in rows if "特別警報" in row)
    assert "佐賀市" in emergency_row
    assert "武雄市" in emergency_row
    assert "唐津市" not in emergency_row


def test_an_advisory_town_page_shows_its_advisory_and_its_own_action(
    mixed: Alert, client: Client
) -> None:
    html = client.get("/disaster/m/412023/").content.decode()

    assert "大雨注意報" in html
    assert "警戒レベル2" in html
    assert "ハザードマップ等で避難場所や避難経路を確認してください。" in html
    assert "特別警報" not in html
    assert "命の危険" not in html
    assert "緊急安全確保" not in html


def test_the_english_pages_name_saga_citys_own_kinds(mixed: Alert, client: Client) -> None:
    emergency = client.get("/en/disaster/emergency/").content.decode()
    saga_section = emergency.split('id="m412015"', 1)[1].split("</section>", 1)[0]
    assert "Heavy Rain Emergency Warning (Landslide, Inundation), Flood Warning" in saga_section
    assert "Alert level 5 equivalent" in saga_section
    page = client.get("/en/disaster/m/412082/").content.decode()  # Ogi City
    assert "Heavy Rain Warning (Landslide, Inundation), Flood Advisory" in page
    assert "Emergency Warning" not in page


def test_the_api_gives_each_municipality_its_kinds(mixed: Alert, client: Client) -> None:
    (item,) = client.get(f"/api/v1/disaster/alerts?municipality={KARATSU}").json()["items"]
    areas = {area["code"]: area for area in item["areas"]}

    assert [k["kind"] for k in areas[KARATSU]["kinds"]] == ["heavy_rain_advisory"]
    assert areas[KARATSU]["level"] == 2
    assert areas[KARATSU]["instruction"] == "check_route"
    assert areas[KARATSU]["kinds"][0]["labels"]["vi"] == "Thông tin lưu ý mưa to"
    assert areas[SAGA]["level"] == 5
    assert areas[SAGA]["level_is_equivalent"] is True
    assert areas[SAGA]["kinds"][0]["conditions"] == ["landslide", "inundation"]
    assert areas[SAGA]["kinds"][0]["labels"]["ja"] == "大雨特別警報（土砂災害、浸水害）"


def test_each_notice_names_the_recipients_own_kinds(mixed: Alert) -> None:
    assert notice_lines(mixed, KARATSU) == ["唐津市：【警戒レベル2】大雨注意報"]
    assert notice_lines(mixed, SAGA) == [
        "佐賀市：【警戒レベル5相当】大雨特別警報（土砂災害、浸水害）、洪水警報"
    ]
    assert notice_lines(mixed, KARATSU, "en") == [
        "Karatsu City (唐津市): [Alert level 2] Heavy Rain Advisory"
    ]


# --- point 2: CAP groups the areas by what they are told ------------------------------------


def test_cap_has_one_info_per_group_of_areas_and_language(mixed: Alert) -> None:
    infos = cap_infos(mixed)

    japanese = [i for i in infos if i.findtext("cap:language", namespaces=NS) == "ja-JP"]
    assert len(japanese) >= 2
    assert len(infos) == 12 * len(japanese)
    saga = info_of(infos, SAGA)
    assert saga.findtext("cap:event", namespaces=NS) == (
        "大雨特別警報（土砂災害、浸水害）、洪水警報"
    )
    assert saga.findtext("cap:severity", namespaces=NS) == "Extreme"
    assert sorted(v.text for v in saga.findall("cap:area/cap:geocode/cap:value", NS)) == [
        SAGA,
        TAKEO,
    ]
    karatsu = info_of(infos, KARATSU)
    assert karatsu.findtext("cap:event", namespaces=NS) == "大雨注意報"
    assert karatsu.findtext("cap:severity", namespaces=NS) == "Moderate"
    assert karatsu.findtext("cap:urgency", namespaces=NS) == "Expected"
    english = info_of(infos, KARATSU, "en-US")
    assert english.findtext("cap:event", namespaces=NS) == "Heavy Rain Advisory"
    assert english.findtext("cap:instruction", namespaces=NS) == (
        "Check your shelter and the way to it on the hazard map."
    )


# --- point 3: a JMA level 5 is 「警戒レベル5相当」, never 緊急安全確保 --------------------------


def test_a_jma_level_5_is_never_headed_as_emergency_safety_measures(
    mixed: Alert, client: Client
) -> None:
    for path in ("/disaster/?full=1", "/disaster/emergency/", "/disaster/m/412015/", "/"):
        html = client.get(path).content.decode()
        # The legends that explain what each level means may name the orders; no row may.
        rows = html.split('<ul class="legend"', 1)[0].split("<dl>", 1)[0]
        assert "緊急安全確保" not in rows, path
        assert "警戒レベル5相当" in html, path
    saga = info_of(cap_infos(mixed), SAGA)
    assert saga.findtext("cap:headline", namespaces=NS).startswith("警戒レベル5相当")


# --- point 6: the conditions are shown everywhere ------------------------------------------


def test_conditions_are_named_on_pages_api_cap_and_notices(mixed: Alert, client: Client) -> None:
    page = client.get("/disaster/m/412082/").content.decode()
    assert "大雨警報（土砂災害、浸水害）" in page
    easy = client.get("/disaster/easy/m/412082/").content.decode()
    assert "おおあめ けいほう（どしゃさいがい、みず に つかる）" in easy
    infos = cap_infos(mixed)
    assert (
        info_of(infos, OGI)
        .findtext("cap:event", namespaces=NS)
        .startswith("大雨警報（土砂災害、浸水害）")
    )
    assert (
        info_of(infos, OGI, "en-US")
        .findtext("cap:event", namespaces=NS)
        .startswith("Heavy Rain Warning (Landslide, Inundation)")
    )
    assert notice_lines(mixed, OGI)[0].startswith(
        "小城市：【警戒レベル3相当】大雨警報（土砂災害、浸水害）"
    )


# --- the whole sequence --------------------------------------------------------------------


def test_replay_issue_upgrade_partial_lift_and_final_nothing(
    ingest: Callable[..., Alert], client: Client
) -> None:
    issued = ingest("2019-08-28T04:00:00+09:00", ISSUE)
    assert issued.msg_type == "Alert"
    assert notice_lines(issued, SAGA) == ["佐賀市：【警戒レベル3相当】大雨警報（浸水害）、洪水警報"]
    assert "大雨注意報" in row_of(client.get("/disaster/").content.decode(), KARATSU)

    upgraded = ingest("2019-08-28T05:50:00+09:00", UPGRADE)
    assert upgraded.msg_type == "Update"
    assert client.get("/disaster/").status_code == 302  # L5 in force: the emergency page
    assert notice_lines(upgraded, TAKEO)[0].startswith("武雄市：【警戒レベル5相当】大雨特別警報")

    lifted = ingest("2019-08-28T14:00:00+09:00", PARTIAL_LIFT)
    assert lifted.msg_type == "Update"
    portal = client.get("/disaster/?full=1").content.decode()
    assert "大雨警報（土砂災害）、洪水注意報" in row_of(portal, SAGA)
    assert "警戒レベル3相当" in row_of(portal, SAGA)
    assert "大雨特別警報" in row_of(portal, TAKEO)
    assert "大雨" not in row_of(portal, KARATSU)
    assert 'class="all-clear"' in client.get("/disaster/m/412023/").content.decode()
    assert notice_lines(lifted, KARATSU) == ["唐津市：大雨注意報は解除されました。"]
    # A downgrade (特別警報 → 警報, 警報 → 注意報) is no lifting: nothing is said to be lifted.
    assert notice_lines(lifted, SAGA) == [
        "佐賀市：【警戒レベル3相当】大雨警報（土砂災害）、洪水注意報"
    ]
    infos = cap_infos(lifted)
    cleared = info_of(infos, KARATSU)
    assert cleared.findtext("cap:responseType", namespaces=NS) == "AllClear"
    assert cleared.findtext("cap:headline", namespaces=NS) == "大雨注意報は解除されました。"
    api = client.get("/api/v1/disaster/alerts").json()["items"][0]["areas"]
    assert {a["code"]: a["level"] for a in api} == {
        SAGA: 3,
        TAKEO: 5,
        OGI: 2,
        KARATSU: 0,
        TOSU: 0,
    }

    final = ingest("2019-08-29T11:00:00+09:00", {})
    assert final.msg_type == "Cancel"
    assert client.get("/api/v1/disaster/alerts").json()["count"] == 0
    portal = client.get("/disaster/?full=1").content.decode()
    assert 'class="all-clear"' in portal
    assert "大雨" not in row_of(portal, TAKEO)
    assert notice_lines(final, TAKEO) == [
        "武雄市：大雨特別警報（土砂災害、浸水害）、洪水警報は解除されました。"
    ]
    assert notice_lines(final, TAKEO, "en") == [
        "Takeo City (武雄市): Lifted: Heavy Rain Emergency Warning (Landslide, Inundation), "
        "Flood Warning."
    ]
    final_infos = cap_infos(final)
    assert {i.findtext("cap:responseType", namespaces=NS) for i in final_infos} == {"AllClear"}
    assert info_of(final_infos, OGI).findtext("cap:headline", namespaces=NS) == (
        "大雨注意報は解除されました。"
    )


def test_an_r06_kind_hides_the_old_format_kind_of_the_same_phenomenon(
    ingest: Callable[..., Alert], client: Client
) -> None:
    ingest("2026-06-01T10:00:00+09:00", {SAGA: [("大雨警報", "03", "発表", "浸水害")]})
    r06 = saga_bulletin(
        report_datetime="2026-06-01T10:00:00+09:00",
        kinds={SAGA: [("レベル３大雨警報", "03", "発表")]},
    ).replace("気象特別警報・警報・注意報".encode(), "気象警報・注意報（Ｒ０６）（大雨）".encode())
    ingest_document(data=r06, source="cli", source_name="vpww55.xml")

    saga = row_of(client.get("/disaster/?full=1").content.decode(), SAGA)

    assert "レベル３大雨警報" in saga
    assert "大雨警報（浸水害）" not in saga
