"""The portal's pages: home (the plan dashboard) in Japanese and English, map, 404."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from kurashi.core import hooks
from kurashi.core.models import Municipality
from kurashi.modules.plan.public import get_plan

MOTTO = "ICTで暮らしを守り、未来を拓く。"


def language_switch(html: str) -> str:
    match = re.search(r'<nav class="language-switch".*?</nav>', html, re.DOTALL)
    assert match is not None
    return match.group(0)


def test_home_page_is_japanese_with_all_28_measures(
    db: None, client: Client, portal_only: None
) -> None:
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert MOTTO in html
    measures = get_plan().measures
    assert len(measures) == 28
    assert [m.id for m in measures if f'id="measure-{m.id}"' not in html] == []
    assert [m.id for m in measures if escape(m.title.ja) not in html] == []
    assert (response.context["measure_count"], response.context["delivered_count"]) == (28, 0)


def test_home_page_in_english_shows_english_titles(
    db: None, client: Client, portal_only: None
) -> None:
    response = client.get("/en/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert escape(get_plan().motto.en) in html
    assert f'<p class="hero__original" lang="ja">{MOTTO}</p>' in html
    assert [m.id for m in get_plan().measures if escape(m.title.en) not in html] == []


def test_language_switch_links_to_the_same_page_in_the_other_language(
    db: None, client: Client
) -> None:
    japanese = client.get("/")
    english = client.get("/en/")
    english_map = client.get("/en/map/")

    assert [
        (link["code"], link["url"], link["is_current"])
        for link in japanese.context["language_links"]
    ] == [
        ("ja", "/", True),
        ("en", "/en/", False),
    ]
    assert [
        (link["code"], link["url"], link["is_current"])
        for link in english.context["language_links"]
    ] == [
        ("ja", "/", False),
        ("en", "/en/", True),
    ]
    assert 'href="/en/"' in language_switch(japanese.content.decode())
    assert 'href="/"' in language_switch(english.content.decode())
    assert 'href="/map/"' in language_switch(english_map.content.decode())


def test_every_page_has_a_skip_link_to_the_main_content(db: None, client: Client) -> None:
    for path in ("/", "/en/", "/map/", "/plan/", "/accounts/login/"):
        html = client.get(path).content.decode()
        assert '<a class="skip-link" href="#main">' in html, path
        assert html.count('<main id="main"') == 1, path


def test_home_page_reads_the_database_once(
    db: None, client: Client, portal_only: None, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):  # the progress reports of the 28 measures
        response = client.get("/")

    assert response.status_code == 200


def test_home_page_query_count_does_not_grow_with_deliveries_and_indicators(
    db: None, client: Client, portal_only: None, django_assert_num_queries
) -> None:
    measures = get_plan().measures
    deliveries = [
        hooks.MeasureDelivery(measure_id=m.id, module="test", url_name="portal:map")
        for m in measures
    ]
    indicators = [
        hooks.Indicator(
            key=f"test-{m.id}",
            measure_id=m.id,
            label=f"指標 {m.id}",
            compute=lambda: hooks.IndicatorValue(value=3, unit="件"),
        )
        for m in measures
    ]

    with (
        hooks.plan_deliveries.temporarily(*deliveries),
        hooks.plan_indicators.temporarily(*indicators),
        django_assert_num_queries(1),
    ):
        response = client.get("/")

    assert response.context["delivered_count"] == 28


def test_home_page_shows_a_delivered_measure_and_its_indicator(
    db: None, client: Client, portal_only: None
) -> None:
    delivery = hooks.MeasureDelivery(
        measure_id="2.5", module="library", url_name="portal:map", label="蔵書検索"
    )
    indicator = hooks.Indicator(
        key="test-books",
        measure_id="2.5",
        label="貸出中の本",
        compute=lambda: hooks.IndicatorValue(value=1234, unit="冊"),
    )

    with hooks.plan_deliveries.temporarily(delivery), hooks.plan_indicators.temporarily(indicator):
        response = client.get("/")

    html = response.content.decode()
    assert response.context["delivered_count"] == 1
    assert '<a class="measure__service" href="/map/">' in html
    assert "<dt>貸出中の本</dt><dd>1234 冊</dd>" in html


def test_home_page_survives_a_failing_indicator(
    db: None, client: Client, portal_only: None
) -> None:
    def broken() -> hooks.IndicatorValue:
        raise TimeoutError("feed down")

    indicator = hooks.Indicator(
        key="test-broken", measure_id="1.1", label="壊れた指標", compute=broken
    )

    with hooks.plan_indicators.temporarily(indicator):
        response = client.get("/")

    assert response.status_code == 200
    readings = [r for s in response.context["pillars"][0]["states"] for r in s.indicators]
    assert [(r.key, r.value) for r in readings] == [("test-broken", None)]
    assert "<dt>壊れた指標</dt>" in response.content.decode()


def test_home_page_renders_registered_dashboard_cards(
    db: None, client: Client, portal_only: None
) -> None:
    card = hooks.DashboardCard(
        key="test-card",
        title="お知らせ",
        template_name="portal/_status.html",
        context=lambda request: {"status": "planned"},
    )

    with hooks.dashboard_cards.temporarily(card):
        response = client.get("/")

    assert '<h2 id="card-test-card">お知らせ</h2>' in response.content.decode()


def test_navigation_hides_invisible_and_unresolvable_items(db: None, client: Client) -> None:
    hidden = hooks.NavItem(
        key="test-hidden", label="隠す", url_name="portal:map", visible=lambda r: False
    )
    broken = hooks.NavItem(key="test-broken", label="壊れた", url_name="nowhere:missing")
    extra = hooks.NavItem(key="test-extra", label="追加", url_name="plan:index", order=1)

    with hooks.nav_items.temporarily(hidden, broken, extra):
        nav = client.get("/").context["nav_items"]

    keys = [item["key"] for item in nav]
    assert keys[:2] == ["home", "test-extra"]
    assert "test-hidden" not in keys
    assert "test-broken" not in keys
    assert [item["key"] for item in nav if item["is_current"]] == ["home"]


def test_home_page_may_be_cached_publicly(db: None, client: Client) -> None:
    assert client.get("/")["Cache-Control"] == "public, max-age=30"


def test_map_page_lists_the_20_municipalities(
    municipalities: list[Municipality], client: Client
) -> None:
    response = client.get("/map/")

    assert response.status_code == 200
    assert [m.code for m in response.context["municipalities"]] == [m.code for m in municipalities]
    assert len(response.context["municipalities"]) == 20
    html = response.content.decode()
    assert [
        m.code for m in municipalities if f'<th scope="row" lang="ja">{m.name_ja}</th>' not in html
    ] == []


def test_map_page_offers_the_boundaries_layer(db: None, client: Client) -> None:
    layers = client.get("/map/").context["layers"]

    assert layers[0] == {
        "key": "municipalities",
        "title": str(hooks.map_layers.get("municipalities").title),  # type: ignore[union-attr]
        "url": "/api/v1/municipalities.geojson",
        "kind": "polygons",
        "enabled": True,
        "attribution": "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成",
    }


def test_boundaries_layer_has_20_features(db: None, client: Client) -> None:
    collection = client.get("/api/v1/municipalities.geojson").json()

    assert len(collection["features"]) == 20


@pytest.mark.parametrize(
    ("path", "language"), [("/no-such-page/", "ja"), ("/en/no-such-page/", "en")]
)
def test_unknown_page_renders_the_404_page(
    db: None, client: Client, path: str, language: str
) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert '<main id="main"' in html
