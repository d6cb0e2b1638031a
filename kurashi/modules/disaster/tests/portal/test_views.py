"""The public disaster pages: the portal (ja, en, やさしい日本語), its table fallback, the
emergency switch, the municipality pages, the levels JSON and the nearest shelters."""

import json
import re

import pytest
from django.test import Client
from django.utils.translation import gettext, override

from kurashi.modules.disaster.models import Alert, Shelter
from kurashi.modules.disaster.tests.portal.conftest import (
    KARATSU,
    SAGA,
    SAGA_CITY_HALL,
    make_alert,
    make_shelter,
)
from kurashi.modules.disaster.views.portal_easy_texts import EASY_TEXTS

pytestmark = pytest.mark.django_db


def level_text(level: int, language: str = "ja") -> str:
    if language == "ja-x-easy":
        return EASY_TEXTS["Alert level %(level)s"] % {"level": level}
    with override(language):
        return gettext("Alert level %(level)s") % {"level": level}


def level_equivalent(level: int, language: str = "ja") -> str:
    """A level from JMA warnings: 「警戒レベルN相当」, never the order's name (issue 13 point 3)."""
    if language == "ja-x-easy":
        return EASY_TEXTS["Alert level %(level)s equivalent"] % {"level": level}
    with override(language):
        return gettext("Alert level %(level)s equivalent") % {"level": level}


def row_of(html: str, code: str) -> str:
    match = re.search(rf'<tr data-code="{code}".*?</tr>', html, re.S)
    assert match, f"no table row for {code}"
    return match.group(0)


# --- the portal ------------------------------------------------------------------------------


def test_portal_lists_the_20_municipalities_with_the_level_in_text(client: Client) -> None:
    make_alert({SAGA: 3, KARATSU: 2})

    response = client.get("/disaster/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<tr data-code=") == 20
    saga = row_of(html, SAGA)
    assert 'data-level="3"' in saga
    assert f'<span class="level level--3">{level_equivalent(3)}</span>' in saga
    assert "佐賀市" in saga
    assert "大雨警報" in saga
    assert f'<span class="level level--2">{level_text(2)}</span>' in row_of(html, KARATSU)
    assert response["Cache-Control"] == "public, max-age=30"


def test_portal_works_without_javascript_and_without_tiles(client: Client) -> None:
    make_alert({SAGA: 3})
    make_shelter(SAGA)

    html = client.get("/disaster/").content.decode()

    assert "<noscript>" in html
    assert 'class="reload-link"' in html  # no <meta http-equiv="refresh">
    assert "http-equiv" not in html
    assert 'action="/disaster/m/"' in html  # choose a municipality: its open shelters
    assert re.search(r"<td class=\"number\">1</td>", row_of(html, SAGA))
    assert 'id="warnings-heading"' in html
    assert "<style" not in html
    assert " style=" not in html
    assert "onclick" not in html


def test_portal_lists_the_warnings_with_kind_level_time_source_and_area(client: Client) -> None:
    make_alert({SAGA: 4, KARATSU: 3}, sender_name_ja="佐賀地方気象台")

    html = client.get("/disaster/?full=1").content.decode()
    warnings = html.split('id="warnings-heading"', 1)[1]

    assert "大雨警報" in warnings
    assert level_text(4) in warnings
    assert "<time datetime=" in warnings
    assert "佐賀地方気象台" in warnings
    assert "佐賀市" in warnings
    assert "唐津市" in warnings


def test_portal_in_english(client: Client) -> None:
    make_alert({SAGA: 3})

    response = client.get("/en/disaster/")

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Saga City" in row_of(html, SAGA)
    assert "Heavy Rain Warning" in row_of(html, SAGA)
    assert level_equivalent(3, "en") in row_of(html, SAGA)


def test_portal_in_easy_japanese(client: Client) -> None:
    make_alert({SAGA: 3})

    response = client.get("/disaster/easy/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert EASY_TEXTS["Disaster information"] in html
    saga = row_of(html, SAGA)
    assert level_equivalent(3, "ja-x-easy") in saga
    assert "おおあめ けいほう" in saga
    assert "<rt>さがし</rt>" in saga
    assert 'href="/disaster/easy/m/412015/"' in saga


def test_every_page_offers_the_three_languages(client: Client) -> None:
    for path in ("/disaster/", "/en/disaster/m/412015/", "/disaster/easy/emergency/"):
        html = client.get(path).content.decode()
        assert ">日本語<" in html, path
        assert ">English<" in html, path
        assert ">やさしい にほんご<" in html, path
    html = client.get("/disaster/m/412015/").content.decode()
    assert 'href="/disaster/easy/m/412015/"' in html
    assert 'href="/en/disaster/m/412015/"' in html


def test_portal_map_is_configured_from_settings_and_the_other_areas(
    client: Client, settings: object
) -> None:
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"  # type: ignore[attr-defined]
    settings.DISASTER_PORTAL_REFRESH_SECONDS = 12  # type: ignore[attr-defined]

    html = client.get("/disaster/").content.decode()

    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in html
    assert 'data-boundaries-url="/api/v1/municipalities.geojson"' in html
    assert 'data-levels-url="/disaster/levels.json"' in html
    assert 'data-refresh-seconds="12"' in html


# --- the emergency switch --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/disaster/", "/disaster/emergency/"),
        ("/en/disaster/", "/en/disaster/emergency/"),
        ("/disaster/easy/", "/disaster/easy/emergency/"),
    ],
)
def test_portal_switches_to_the_emergency_page_at_level_4(
    client: Client, path: str, target: str
) -> None:
    make_alert({SAGA: 4})

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == target
    assert response["Cache-Control"] == "public, max-age=10"


def test_full_page_link_bypasses_the_switch(client: Client) -> None:
    make_alert({SAGA: 5})

    response = client.get("/disaster/?full=1")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="emergency-banner"' in html
    assert 'href="/disaster/emergency/"' in html
    assert f'<span class="level level--5">{level_equivalent(5)}</span>' in row_of(html, SAGA)


@pytest.mark.parametrize(
    ("area_levels", "status"),
    [({SAGA: 3}, Alert.Status.ACTUAL), ({SAGA: 5}, Alert.Status.EXERCISE)],
)
def test_no_switch_below_level_4_or_for_exercises(
    client: Client, area_levels: dict[str, int], status: str
) -> None:
    make_alert(area_levels, status=status)

    assert client.get("/disaster/").status_code == 200


def test_switch_ends_when_the_alert_is_cancelled(client: Client) -> None:
    alert = make_alert({SAGA: 4})
    assert client.get("/disaster/").status_code == 302

    make_alert({SAGA: 4}, event_key=alert.event_key, cancel=True)

    assert client.get("/disaster/").status_code == 200


# --- partial and JSON ------------------------------------------------------------------------


def test_situation_partial_is_the_refreshable_table(client: Client) -> None:
    make_alert({SAGA: 4})

    response = client.get("/disaster/situation/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=5"
    html = response.content.decode()
    # A small document of its own (lang, title: issue 15); portal.js takes its body's children.
    assert '<html lang="ja">' in html
    assert "<main" not in html  # inserted into the portal's main, never a second one
    assert f'<span class="level level--4">{level_equivalent(4)}</span>' in row_of(html, SAGA)
    assert 'class="emergency-banner"' in html


def test_levels_json_gives_each_municipality_its_level_and_colours(client: Client) -> None:
    make_alert({SAGA: 4, KARATSU: 1})

    response = client.get("/disaster/levels.json")

    assert response["Cache-Control"] == "public, max-age=5"
    data = json.loads(response.content)
    assert data["highest_level"] == 4
    assert data["emergency"] is True
    assert len(data["municipalities"]) == 20
    assert data["municipalities"][SAGA] == {"level": 4, "fill": "#aa00aa", "ink": "#ffffff"}
    assert data["municipalities"][KARATSU] == {"level": 1, "fill": "#ffffff", "ink": "#000000"}
    assert data["municipalities"]["412031"]["level"] == 0


# --- one municipality ------------------------------------------------------------------------


def test_municipality_page_shows_its_level_alerts_and_open_shelters(client: Client) -> None:
    make_alert({SAGA: 4, KARATSU: 2})
    make_alert({KARATSU: 3})
    make_shelter(
        SAGA,
        name="佐賀市立テスト小学校",
        crowding=Shelter.Crowding.CROWDED,
        headcount=80,
        capacity=100,
    )
    make_shelter(SAGA, name="閉じた公民館", open_state=Shelter.OpenState.CLOSED)

    response = client.get("/disaster/m/412015/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=30"
    html = response.content.decode()
    assert '<h1><span lang="ja">佐賀市</span></h1>' in html
    assert level_equivalent(4) in html
    assert '<h3 id="alert-' in html
    assert "危険な場所から全員避難してください。" in html  # the action text of its level
    assert "佐賀市立テスト小学校" in html
    assert "(80/100)" in html
    assert "閉じた公民館" not in html
    assert 'href="https://maps.gsi.go.jp/#16/' in html
    assert 'href="/disaster/emergency/"' in html


def test_municipality_page_in_easy_japanese_uses_the_easy_texts(client: Client) -> None:
    make_alert({SAGA: 4})

    html = client.get("/disaster/easy/m/412015/").content.decode()

    assert "おおあめ けいほう" in html
    assert level_equivalent(4, "ja-x-easy") in html
    assert "あぶない ところ に いる ひと は みんな にげて ください。" in html
    heading = re.search(r'<p class="municipality-level__level">.*?</p>', html, re.S)
    assert heading
    assert EASY_TEXTS["Evacuation order"] not in heading.group(0)  # a JMA level 4 is no 避難指示
    assert "<rt>さがし</rt>" in html


def test_municipality_page_filters_shelters_by_hazard(client: Client) -> None:
    make_shelter(SAGA, name="高台の公園", for_tsunami=True)
    make_shelter(SAGA, name="川沿いの体育館", for_flood=True)

    html = client.get("/disaster/m/412015/?hazard=tsunami").content.decode()

    assert "高台の公園" in html
    assert "川沿いの体育館" not in html
    assert '<option value="tsunami" selected>' in html


def test_unknown_hazard_filter_is_ignored(client: Client) -> None:
    make_shelter(SAGA, name="体育館")

    html = client.get("/disaster/m/412015/?hazard=meteor").content.decode()

    assert "体育館" in html


def test_five_digit_code_redirects_to_the_six_digit_page(client: Client) -> None:
    response = client.get("/disaster/m/41201/?hazard=flood")

    assert response.status_code == 301
    assert response["Location"] == "/disaster/m/412015/?hazard=flood"
    assert client.get("/disaster/easy/m/41201/")["Location"] == "/disaster/easy/m/412015/"


@pytest.mark.parametrize("code", ["412016", "131016", "abcdef", "4120", "４１２０１５"])
def test_unknown_or_malformed_code_is_404(client: Client, code: str) -> None:
    assert client.get(f"/disaster/m/{code}/").status_code == 404


def test_choosing_a_municipality_leads_to_its_shelters(client: Client) -> None:
    response = client.get("/disaster/m/", {"code": SAGA, "hazard": "flood"})

    assert response.status_code == 302
    assert response["Location"] == "/disaster/m/412015/?hazard=flood#shelters"
    assert (
        client.get("/disaster/m/", {"code": "999999"})["Location"] == "/disaster/?full=1#shelters"
    )
    assert (
        client.get("/disaster/easy/m/", {"code": SAGA})["Location"]
        == "/disaster/easy/m/412015/#shelters"
    )


# --- nearest shelters ------------------------------------------------------------------------


def test_nearest_open_shelters_for_a_position_in_saga(client: Client) -> None:
    near = make_shelter(SAGA, name="近い", latitude=33.2500, longitude=130.2990, for_flood=True)
    make_shelter(SAGA, name="遠い", latitude=33.2800, longitude=130.3300, for_flood=True)
    make_shelter(SAGA, name="未開設", open_state=Shelter.OpenState.NOT_OPEN, for_flood=True)
    make_shelter(SAGA, name="津波だけ", latitude=33.2495, longitude=130.2989, for_tsunami=True)

    response = client.get(
        "/disaster/nearest.json",
        {"lat": SAGA_CITY_HALL[0], "lon": SAGA_CITY_HALL[1], "hazard": "flood"},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["status"] == "ok"
    assert data["municipality_code"] == SAGA
    assert [shelter["name"] for shelter in data["shelters"]] == ["近い", "遠い"]
    first = data["shelters"][0]
    assert first["common_id"] == near.common_id
    assert first["municipality"] == "佐賀市"
    assert first["distance_text"] == "70 m" or first["distance_text"].endswith(" m")
    assert first["map_url"] == "https://maps.gsi.go.jp/#16/33.250000/130.299000/"
    assert first["geo_uri"].startswith("geo:33.250000,130.299000?q=")
    assert first["page_url"] == "/disaster/m/412015/"


def test_nearest_says_so_when_no_shelter_is_open(client: Client) -> None:
    make_shelter(SAGA, open_state=Shelter.OpenState.NOT_OPEN)

    data = json.loads(
        client.get(
            "/disaster/nearest.json", {"lat": SAGA_CITY_HALL[0], "lon": SAGA_CITY_HALL[1]}
        ).content
    )

    assert data["status"] == "none"
    assert data["shelters"] == []
    assert data["message"]


def test_nearest_outside_saga(client: Client) -> None:
    make_shelter(SAGA)

    response = client.get("/disaster/nearest.json", {"lat": 35.681, "lon": 139.767})  # 東京駅

    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "outside"


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"lat": "x", "lon": "130"}, "bad_position"),
        ({"lat": "nan", "lon": "130"}, "bad_position"),
        ({}, "bad_position"),
        ({"lat": "33.2494", "lon": "130.2988", "hazard": "meteor"}, "bad_hazard"),
    ],
)
def test_nearest_rejects_bad_input_with_a_clear_message(
    client: Client, query: dict[str, str], problem: str
) -> None:
    response = client.get("/disaster/nearest.json", query)

    assert response.status_code == 400
    data = json.loads(response.content)
    assert data["status"] == problem
    assert data["message"]


def test_nearest_in_easy_japanese(client: Client) -> None:
    make_shelter(SAGA, crowding=Shelter.Crowding.AVAILABLE)

    data = json.loads(
        client.get(
            "/disaster/easy/nearest.json", {"lat": SAGA_CITY_HALL[0], "lon": SAGA_CITY_HALL[1]}
        ).content
    )

    assert data["shelters"][0]["crowding_text"] == EASY_TEXTS["Space available (空き)"]
    assert data["shelters"][0]["page_url"] == "/disaster/easy/m/412015/"


# --- home page -------------------------------------------------------------------------------


def test_home_card_shows_the_highest_levels_and_the_emergency_banner(client: Client) -> None:
    make_alert({SAGA: 4, KARATSU: 2})

    html = client.get("/").content.decode()

    assert 'class="disaster-card__emergency"' in html
    assert (
        f'<span class="level level--4">{level_equivalent(4)}</span> <a href="/disaster/m/412015/">'
        in html
    )
    assert 'href="/disaster/emergency/"' in html


def test_home_card_without_alerts_has_no_banner(client: Client) -> None:
    html = client.get("/").content.decode()

    assert 'class="disaster-card"' in html
    assert "disaster-card__emergency" not in html


# --- query counts ----------------------------------------------------------------------------


def test_portal_query_count_does_not_grow_with_alerts(
    client: Client, django_assert_max_num_queries: object
) -> None:
    for number in range(30):
        make_alert({SAGA: 1 + number % 3, KARATSU: 2})
    make_shelter(SAGA)

    with django_assert_max_num_queries(4):  # type: ignore[operator]
        assert client.get("/disaster/").status_code == 200


def test_municipality_page_query_count(
    client: Client, django_assert_max_num_queries: object
) -> None:
    for _ in range(10):
        make_alert({SAGA: 3})
        make_shelter(SAGA)

    with django_assert_max_num_queries(7):  # type: ignore[operator]
        assert client.get("/disaster/m/412015/").status_code == 200
