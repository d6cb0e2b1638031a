"""The light emergency page: small, cacheable, fast, L4+ first, in three languages."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from kurashi.core.models import Municipality
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.tests.portal.conftest import (
    KARATSU,
    SAGA,
    TOSU,
    make_alert,
    make_shelter,
)
from kurashi.modules.disaster.views.portal import emergency_cache_keys
from kurashi.modules.disaster.views.portal_easy_texts import EASY_TEXTS

pytestmark = pytest.mark.django_db

LIMIT_BYTES = 50 * 1024
# Head room for the Japanese catalogue, whose strings are longer in UTF-8 than the msgids.
MEASURED_LIMIT_BYTES = 42 * 1024


def test_lists_level_4_and_above_first_with_instructions_and_open_shelters(client: Client) -> None:
    make_alert({TOSU: 3})
    make_alert({SAGA: 4})
    make_alert({KARATSU: 5})
    make_shelter(SAGA, name="佐賀市民会館", crowding=Shelter.Crowding.AVAILABLE)
    make_shelter(SAGA, name="未開設の公民館", open_state=Shelter.OpenState.NOT_OPEN)

    response = client.get("/disaster/emergency/")

    assert response.status_code == 200
    html = response.content.decode()
    urgent, others = (
        html.split("<h2>Other municipalities", 1)
        if "<h2>Other" in html
        else html.split("<h2>警戒レベルが出ている", 1)
    )
    assert urgent.index('id="m412023"') < urgent.index('id="m412015"')  # L5 唐津市, then L4 佐賀市
    assert 'id="m412031"' not in html  # L3 is listed briefly, without shelters
    assert 'href="/disaster/m/412031/"' in others
    assert "佐賀市民会館" in urgent
    assert "未開設の公民館" not in html
    assert 'href="/disaster/?full=1"' in html
    assert 'href="/disaster/m/412015/"' in html


def test_is_light_html_without_script_map_or_web_font(client: Client) -> None:
    make_alert({SAGA: 4})

    html = client.get("/disaster/emergency/").content.decode()

    assert "<script" not in html
    assert "leaflet" not in html
    assert "@font-face" not in html
    assert "fonts.googleapis" not in html
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == [
        "/static/disaster/portal/emergency.css"
    ]
    assert "<style" not in html
    assert " style=" not in html


def test_stays_under_50_kb_with_every_municipality_at_level_5_and_many_shelters(
    client: Client,
) -> None:
    codes = list(Municipality.objects.values_list("code", flat=True))
    long_text = "大雨特別警報" * 40
    for number in range(12):
        make_alert(
            dict.fromkeys(codes, 5),
            texts={
                "ja": {"event": long_text, "headline": long_text * 3},
                "en": {"event": "x" * 400},
            },
            area_description_ja="佐賀県全域" * 50,
            sender_name_ja=f"佐賀地方気象台{number}",
        )
    for code in codes:
        for number in range(8):
            make_shelter(
                code, name=f"とても長い名前の指定避難所その{number}" * 3, address="佐賀県" * 40
            )
    css = (
        Municipality._meta.apps.get_app_config("disaster").path
        + "/static/disaster/portal/emergency.css"
    )

    sizes = {}
    for path in ("/disaster/emergency/", "/en/disaster/emergency/", "/disaster/easy/emergency/"):
        response = client.get(path)
        assert response.status_code == 200
        sizes[path] = len(response.content)
    css_bytes = len(open(css, "rb").read())  # noqa: SIM115

    assert max(sizes.values()) + css_bytes < MEASURED_LIMIT_BYTES < LIMIT_BYTES, (sizes, css_bytes)


def test_is_cacheable_for_30_seconds(client: Client) -> None:
    response = client.get("/disaster/emergency/")

    assert response["Cache-Control"] == "public, max-age=30"
    assert response["ETag"].startswith('"')
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.get("Vary", "")


def test_the_rendered_bytes_are_cached_per_language(
    client: Client, django_assert_num_queries: object
) -> None:
    make_alert({SAGA: 4})
    make_shelter(SAGA)
    with django_assert_num_queries(3):  # type: ignore[operator]
        first = client.get("/disaster/emergency/")

    with django_assert_num_queries(0):  # type: ignore[operator]
        second = client.get("/disaster/emergency/")
    english = client.get("/en/disaster/emergency/")
    easy = client.get("/disaster/easy/emergency/")

    assert second.content == first.content
    assert english.content != first.content
    assert easy.content != first.content
    assert all(cache.get(key) is not None for key in emergency_cache_keys())


def test_a_new_state_shows_once_the_cached_copy_expires(client: Client) -> None:
    before = client.get("/disaster/emergency/").content.decode()
    make_alert({SAGA: 4})

    assert 'id="m412015"' not in client.get("/disaster/emergency/").content.decode()
    cache.clear()  # what 30 seconds do

    assert 'id="m412015"' not in before
    assert 'id="m412015"' in client.get("/disaster/emergency/").content.decode()


def test_answers_304_to_a_matching_etag(client: Client) -> None:
    etag = client.get("/disaster/emergency/")["ETag"]

    response = client.get("/disaster/emergency/", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_in_english_and_easy_japanese(client: Client) -> None:
    make_alert({SAGA: 4})

    english = client.get("/en/disaster/emergency/").content.decode()
    easy = client.get("/disaster/easy/emergency/").content.decode()

    assert '<html lang="en">' in english
    assert "Saga City" in english
    assert "Heavy Rain Warning" in english
    assert '<html lang="ja-x-easy">' in easy
    assert EASY_TEXTS["Level 4 and above: evacuate now"] in easy
    assert "おおあめ けいほう" in easy
    assert 'href="/disaster/easy/?full=1"' in easy
    assert 'href="/disaster/easy/m/412015/"' in easy


def test_without_any_level_4_it_says_so(client: Client) -> None:
    make_alert({SAGA: 2})

    html = client.get("/disaster/emergency/").content.decode()

    assert 'class="none"' in html
    assert 'href="/disaster/m/412015/"' in html
