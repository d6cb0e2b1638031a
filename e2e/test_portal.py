"""The portal in a real browser: the plan's 28 measures in both languages, keyboard access, the
map without its tile server, and a demo staff login. Every test also asserts that the browser
reported no console error, uncaught exception or CSP violation (aborted map tiles excepted)."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import BrowserLog
from kurashi.testing.server import RunningServer

pytestmark = pytest.mark.e2e

PLAN_JSON = Path(__file__).resolve().parent.parent / "kurashi/modules/plan/data/plan.json"
PLAN = json.loads(PLAN_JSON.read_text(encoding="utf-8"))
MEASURES = {
    measure["id"]: measure["title"] for pillar in PLAN["pillars"] for measure in pillar["measures"]
}
MUNICIPALITY_COUNT = 20


def measure_ids(page: Page) -> list[str]:
    return page.locator("li.measure .measure__id").all_inner_texts()


def test_the_plan_data_has_28_measures_from_1_1_to_5_3() -> None:
    assert len(MEASURES) == 28
    assert next(iter(MEASURES)) == "1.1"
    assert list(MEASURES)[-1] == "5.3"


def test_home_lists_the_28_measures_in_japanese(server: str, page: Page, log: BrowserLog) -> None:
    response = page.goto("/")

    assert response is not None
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert measure_ids(page) == list(MEASURES)
    for measure_id, title in MEASURES.items():
        expect(
            page.locator(f"li.measure[id='measure-{measure_id}'] .measure__title")
        ).to_contain_text(title["ja"])
    log.assert_clean()


def test_language_switch_to_english_and_back(server: str, page: Page, log: BrowserLog) -> None:
    page.goto("/")
    switch = page.get_by_role("navigation", name=re.compile("言語|Language"))

    switch.get_by_role("link", name="English").click()

    page.wait_for_url(f"{server}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("li.measure[id='measure-1.1'] .measure__title")).to_contain_text(
        MEASURES["1.1"]["en"]
    )
    assert measure_ids(page) == list(MEASURES)
    expect(switch.locator("[aria-current]")).to_have_text("English")

    switch.get_by_role("link", name="日本語").click()

    page.wait_for_url(f"{server}/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("li.measure[id='measure-1.1'] .measure__title")).to_contain_text(
        MEASURES["1.1"]["ja"]
    )
    log.assert_clean()


def test_first_tab_focuses_the_skip_link_which_moves_focus_to_main(
    page: Page, log: BrowserLog
) -> None:
    page.goto("/")

    page.keyboard.press("Tab")

    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # shown on focus, not left off-screen

    page.keyboard.press("Enter")

    expect(page.locator("main#main")).to_be_focused()
    assert page.url.endswith("#main")
    log.assert_clean()


def test_map_draws_the_20_municipal_boundaries_with_tiles_blocked(
    page: Page, log: BrowserLog
) -> None:
    page.goto("/map/")

    page.wait_for_function(
        "typeof window.L === 'object' && !!document.querySelector('.leaflet-container')"
    )
    boundaries = page.locator(".leaflet-overlay-pane svg path.map-layer--municipalities")
    expect(boundaries).to_have_count(MUNICIPALITY_COUNT)  # waits for the GeoJSON layer
    assert log.blocked_requests, "the map asked for no tiles at all"
    assert all("cyberjapandata.gsi.go.jp" in url for url in log.blocked_requests)

    # Still usable without tiles: zoom, the layer switch, and the table below the map.
    page.locator(".leaflet-control-zoom-in").click()
    expect(boundaries).to_have_count(MUNICIPALITY_COUNT)
    overlay = (
        page.locator(".leaflet-control-layers-overlays label")
        .filter(has_text=re.compile("Municipal boundaries|市町界"))
        .locator("input[type=checkbox]")
    )
    expect(overlay).to_have_count(1)
    overlay.uncheck()
    expect(boundaries).to_have_count(0)
    overlay.check()
    expect(boundaries).to_have_count(MUNICIPALITY_COUNT)
    expect(page.locator("main table tbody tr")).to_have_count(MUNICIPALITY_COUNT)
    log.assert_clean()


def test_demo_staff_logs_in_and_reaches_the_account_page(
    server: str, page: Page, log: BrowserLog, demo_credentials: tuple[list[str], str]
) -> None:
    usernames, password = demo_credentials
    assert "ict-staff" in usernames

    page.goto("/accounts/")  # not logged in: sent to the login form, coming back afterwards
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.locator("input[name=username]").fill("ict-staff")
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(f"{server}/accounts/")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main dl dd").first).to_have_text("ict-staff")
    expect(page.get_by_role("navigation", name=re.compile("アカウント|Account"))).to_contain_text(
        "県 情報課"
    )
    log.assert_clean()


def test_wrong_password_is_refused(page: Page, log: BrowserLog) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("ict-staff")
    page.locator("input[name=password]").fill("not the demo password")
    page.locator("main form button[type=submit]").click()

    expect(page.locator("main [role=alert]")).to_be_visible()
    assert page.url.endswith("/accounts/login/")
    log.assert_clean()


def test_healthz_reports_the_database_in_use(kurashi_server: RunningServer, page: Page) -> None:
    response = page.request.get("/healthz")
    assert (response.status, response.json()) == (200, {"status": "ok"})  # public: ok/fail only

    status, health = kurashi_server.health()  # with the monitoring token: the details
    assert status == 200
    assert health["status"] == "ok"
    expected = "postgresql" if kurashi_server.database.startswith("postgresql") else "sqlite"
    assert health["components"]["database"]["vendor"] == expected
    assert health["components"]["tasks"]["live_workers"] >= 1
