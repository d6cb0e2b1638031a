"""The public disaster portal in Chromium: the table and the map without tiles, a new 警戒レベル 4
appearing on the open page within its refresh, the switch to the light emergency page, the nearest
open shelter from a (mocked) position, and axe on every public disaster page in ja, en and
やさしい日本語. Tile requests are aborted by the new_context fixture.

State is put into the server's database with `python -m kurashi shell -c …` (the server's own
code path for alerts, services.alerts.record_alert) and taken out again at the end of the module,
so later test files see no emergency."""

import json
import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import BrowserLog, ContextFactory
from e2e.test_accessibility import run_axe
from kurashi.testing.server import RunningServer

pytestmark = pytest.mark.e2e

TARA = "414417"
SAGA = "412015"
SAGA_CITY_HALL = {"latitude": 33.2494, "longitude": 130.2988}
MUNICIPALITY_COUNT = 20
# The cached emergency page and the cached redirect live at most 30 s.
CACHE_SECONDS = 30


def server_shell(server: RunningServer, code: str) -> str:
    """Run Python in `kurashi shell` against the e2e server's database; returns stdout."""
    return server.manage("shell", "-c", code)


RECORD = """
from django.utils import timezone
from kurashi.modules.disaster.services.alerts import record_alert
record_alert(
    source="jma", event_key={event_key!r}, identifier={identifier!r}, status="Actual",
    sent=timezone.now(), hazard="landslide", area_levels={levels!r}, cancel={cancel!r},
    texts={{"ja": {{"event": "土砂災害警戒情報", "headline": "佐賀市に土砂災害警戒情報を発表しました。"}},
            "ja-x-easy": {{"event": "どしゃ さいがいの じょうほう", "headline": "がけが くずれる かもしれません。"}},
            "en": {{"event": "Landslide alert", "headline": "A landslide alert was issued for Saga City."}}}},
    sender_name_ja="佐賀県・佐賀地方気象台",
)
"""

OPEN_SHELTER = """
import json
from kurashi.modules.disaster.models import Shelter
shelter = Shelter.objects.filter(municipality_code="412015").order_by("pk").first()
created = shelter is None
if created:
    shelter = Shelter.objects.create(common_id="E4120100099999", kind="shelter", municipality_code="412015",
        name="佐賀市役所（e2e）", address="佐賀県佐賀市栄町1-1", latitude=33.2494, longitude=130.2988)
previous = shelter.open_state
Shelter.objects.filter(pk=shelter.pk).update(open_state="open")
print(json.dumps({"pk": shelter.pk, "name": shelter.name, "created": created, "previous": previous}))
"""


class Alerts:
    """Alerts recorded on the server by this module, cancelled at its end."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.recorded: list[tuple[str, dict[str, int]]] = []

    def record(self, levels: dict[str, int]) -> None:
        key = f"e2e:portal:{time.time_ns()}"
        code = RECORD.format(event_key=key, identifier=key + ":1", levels=levels, cancel=False)
        server_shell(self.server, code)
        self.recorded.append((key, levels))

    def cancel_all(self) -> None:
        for key, levels in self.recorded:
            code = RECORD.format(
                event_key=key, identifier=key + ":cancel", levels=levels, cancel=True
            )
            server_shell(self.server, code)
        self.recorded.clear()


@pytest.fixture(scope="module")
def alerts(kurashi_server: RunningServer) -> Iterator[Alerts]:
    recorder = Alerts(kurashi_server)
    yield recorder
    recorder.cancel_all()


@pytest.fixture(scope="module")
def open_shelter(kurashi_server: RunningServer) -> Iterator[dict[str, object]]:
    shelter = json.loads(server_shell(kurashi_server, OPEN_SHELTER).strip().splitlines()[-1])
    yield shelter
    undo = (
        f"Shelter.objects.filter(pk={shelter['pk']}).delete()"
        if shelter["created"]
        else f"Shelter.objects.filter(pk={shelter['pk']}).update(open_state={shelter['previous']!r})"
    )
    server_shell(kurashi_server, "from kurashi.modules.disaster.models import Shelter\n" + undo)


def wait_for_map(page: Page) -> None:
    expect(page.locator(".leaflet-overlay-pane path.municipality-shape")).to_have_count(
        MUNICIPALITY_COUNT
    )


def test_portal_shows_the_table_and_the_map_polygons_without_tiles(
    page: Page, log: BrowserLog
) -> None:
    response = page.goto("/disaster/?full=1")

    assert response is not None
    assert response.status == 200
    rows = page.locator("#level-table tbody tr")
    expect(rows).to_have_count(MUNICIPALITY_COUNT)
    expect(rows.filter(has_text="佐賀市")).to_have_count(1)
    wait_for_map(page)
    expect(page.locator("#map-filters")).to_be_visible()
    expect(page.locator(".legend")).to_contain_text("5")
    assert (
        any("cyberjapandata" in url for url in log.blocked_requests) or log.blocked_requests == []
    )
    log.assert_clean()


def test_a_new_level_4_appears_after_the_refresh_and_the_portal_switches(
    new_context: ContextFactory, alerts: Alerts, server: str
) -> None:
    # 太良町: no other e2e module touches it (the evacuation test publishes a level 4 for 佐賀市).
    context, log = new_context()
    page = context.new_page()
    page.goto("/disaster/?full=1")
    wait_for_map(page)
    row = page.locator(f"#level-table tr[data-code='{TARA}']")
    expect(row).to_have_attribute("data-level", "0")
    page.locator("#situation").evaluate("element => { element.dataset.refreshSeconds = '1'; }")

    alerts.record({TARA: 4})

    expect(row).to_have_attribute("data-level", "4", timeout=15_000)
    expect(row.locator(".level--4")).to_have_text(re.compile("4"))
    expect(page.locator(".emergency-banner")).to_be_visible()
    expect(page.locator(f".map-label--{TARA}")).to_contain_text("4", timeout=5_000)
    expect(page.locator("#refresh-status")).not_to_be_empty()
    log.assert_clean()

    fresh = new_context()[0].new_page()  # no cached /disaster/ in this browser
    fresh.goto("/disaster/")
    assert urlsplit(fresh.url).path == "/disaster/emergency/"
    deadline = time.monotonic() + CACHE_SECONDS + 5
    while fresh.locator(f"#m{TARA}").count() == 0 and time.monotonic() < deadline:
        fresh.wait_for_timeout(1000)  # a copy cached before the alert lives up to 30 s
        fresh.reload()
    expect(fresh.locator(f"#m{TARA}")).to_contain_text("太良町")
    expect(
        fresh.get_by_role("link", name=re.compile("地図|map", re.IGNORECASE)).first
    ).to_have_attribute("href", "/disaster/?full=1")
    assert fresh.locator("script").count() == 0


def test_nearest_open_shelter_from_the_browser_position(
    new_context: ContextFactory, open_shelter: dict[str, object]
) -> None:
    context, log = new_context(geolocation=SAGA_CITY_HALL, permissions=["geolocation"])
    page = context.new_page()
    page.goto("/disaster/?full=1")

    page.locator("#nearest-button").click()

    results = page.locator("#nearest-results li")
    expect(results.first).to_be_visible()
    expect(results.filter(has_text=str(open_shelter["name"]))).to_have_count(1)
    expect(results.first.locator("a[href^='https://maps.gsi.go.jp/']")).to_have_count(1)
    expect(results.first.locator("a[href^='geo:']")).to_have_count(1)
    log.assert_clean()


def test_nearest_explains_a_position_outside_saga(new_context: ContextFactory) -> None:
    tokyo = {"latitude": 35.681, "longitude": 139.767}
    context, log = new_context(geolocation=tokyo, permissions=["geolocation"])
    page = context.new_page()
    page.goto("/en/disaster/?full=1")

    page.locator("#nearest-button").click()

    expect(page.locator("#nearest-status")).to_contain_text("outside Saga")
    expect(page.locator("#nearest-results li")).to_have_count(0)
    log.assert_clean()


def test_nearest_explains_a_denied_position(new_context: ContextFactory) -> None:
    context, _log = new_context(geolocation=SAGA_CITY_HALL, permissions=[])
    page = context.new_page()
    page.goto("/en/disaster/?full=1")

    page.locator("#nearest-button").click()

    expect(page.locator("#nearest-status")).to_contain_text(
        re.compile("did not allow|took too long")
    )
    expect(page.locator("form.choose-form")).to_be_visible()  # the way without a position


AXE_PATHS = [
    "/disaster/?full=1",
    "/en/disaster/?full=1",
    "/disaster/easy/?full=1",
    f"/disaster/m/{SAGA}/",
    f"/en/disaster/m/{SAGA}/",
    f"/disaster/easy/m/{SAGA}/",
    "/disaster/emergency/",
    "/en/disaster/emergency/",
    "/disaster/easy/emergency/",
]


@pytest.mark.parametrize("path", AXE_PATHS)
def test_axe_finds_no_wcag_violations(
    page: Page, log: BrowserLog, alerts: Alerts, path: str
) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200
    if "/m/" not in path and "emergency" not in path:
        wait_for_map(page)
    run_axe(page, path)
    log.assert_clean()
