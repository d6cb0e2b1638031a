"""What residents read after a mixed JMA bulletin, in Chromium: 大雨特別警報 for 武雄市, 大雨警報
（土砂災害、浸水害） for 小城市 and only 大雨注意報 for 唐津市. Each municipality's row and page
name its own kinds and the action of its own level, a JMA level 5 is 「警戒レベル5相当」, and the
pages pass axe in ja, en and やさしい日本語.

The bulletins go through the server's own intake (`kurashi shell`, services.jma.ingest_document,
in JMA's VPWW53 layout from tests/jma/builders.saga_bulletin); the module ends with the bulletin
that lifts everything, so later test files see no warning."""

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from e2e.axe import run_axe
from e2e.conftest import BrowserLog
from kurashi.testing.server import RunningServer

pytestmark = pytest.mark.e2e

TAKEO = "412066"
OGI = "412082"
KARATSU = "412023"

INGEST = """
from django.utils import timezone
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import saga_bulletin
when = timezone.localtime().replace(microsecond=0).isoformat()
result = ingest_document(data=saga_bulletin(report_datetime=when, kinds={kinds!r}), source="cli",
                         source_name="e2e-wording.xml")
print(result.status, result.bulletin.outcome if result.bulletin else result.reason)
"""
MIXED = {
    TAKEO: [("大雨特別警報", "33", "発表", "土砂災害、浸水害"), ("洪水警報", "04", "発表")],
    OGI: [("大雨警報", "03", "発表", "土砂災害、浸水害")],
    KARATSU: [("大雨注意報", "10", "発表")],
}


def ingest(server: RunningServer, kinds: dict[str, list[tuple[str, ...]]]) -> str:
    output = server.manage("shell", "-c", INGEST.format(kinds=kinds)).strip().splitlines()[-1]
    assert output.startswith("created applied"), output
    return output


@pytest.fixture(scope="module")
def mixed_bulletin(kurashi_server: RunningServer) -> Iterator[None]:
    ingest(kurashi_server, MIXED)
    yield
    time.sleep(1)  # the lifting bulletin must be newer than the mixed one
    ingest(kurashi_server, {})


def fresh(path: str) -> str:
    """The path with a unique query, past the micro-cache of public pages."""
    return f"{path}{'&' if '?' in path else '?'}e2e={time.time_ns()}"


def test_each_row_names_the_kinds_in_force_in_its_municipality(
    page: Page, log: BrowserLog, mixed_bulletin: None
) -> None:
    page.goto(fresh("/disaster/?full=1"))

    takeo = page.locator(f"#level-table tr[data-code='{TAKEO}']")
    expect(takeo).to_contain_text("大雨特別警報（土砂災害、浸水害）、洪水警報")
    expect(takeo.locator(".level--5")).to_have_text("警戒レベル5相当")
    expect(takeo).not_to_contain_text("緊急安全確保")
    karatsu = page.locator(f"#level-table tr[data-code='{KARATSU}']")
    expect(karatsu).to_contain_text("大雨注意報")
    expect(karatsu).not_to_contain_text("特別警報")
    expect(karatsu.locator(".level--2")).to_have_text("警戒レベル2")
    log.assert_clean()


def test_an_advisory_town_reads_its_advisory_and_the_action_of_level_2(
    page: Page, log: BrowserLog, mixed_bulletin: None
) -> None:
    page.goto(fresh(f"/disaster/m/{KARATSU}/"))

    expect(page.locator("#alerts-heading + article h3")).to_have_text("大雨注意報")
    expect(page.locator(".municipality-level__instruction")).to_have_text(
        "ハザードマップ等で避難場所や避難経路を確認してください。"
    )
    expect(page.locator("main")).not_to_contain_text("大雨特別警報")
    run_axe(page, f"/disaster/m/{KARATSU}/")

    page.goto(fresh(f"/en/disaster/m/{OGI}/"))
    expect(page.locator("#alerts-heading + article h3")).to_have_text(
        "Heavy Rain Warning (Landslide, Inundation)"
    )
    expect(page.locator(".municipality-level .level")).to_have_text("Alert level 3 equivalent")
    run_axe(page, f"/en/disaster/m/{OGI}/")
    log.assert_clean()


@pytest.mark.parametrize(
    "path", ["/disaster/emergency/", "/en/disaster/emergency/", "/disaster/easy/emergency/"]
)
def test_the_emergency_page_names_each_municipalitys_kinds_and_passes_axe(
    page: Page, log: BrowserLog, mixed_bulletin: None, path: str
) -> None:
    page.goto(fresh(path))
    deadline = time.monotonic() + 35
    while page.locator(f"#m{TAKEO}").count() == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(1000)  # a copy cached before the bulletin lives up to 30 s
        page.goto(fresh(path))

    section = page.locator(f"section[aria-labelledby='m{TAKEO}']")
    expected = {
        "/disaster/emergency/": ("警戒レベル5相当", "大雨特別警報（土砂災害、浸水害）"),
        "/en/disaster/emergency/": (
            "Alert level 5 equivalent",
            "Heavy Rain Emergency Warning (Landslide, Inundation)",
        ),
        "/disaster/easy/emergency/": (
            "けいかい レベル 5 と おなじ くらい",
            "おおあめ とくべつ けいほう（どしゃさいがい、みず に つかる）",
        ),
    }[path]
    expect(section.locator("h3 .lv")).to_have_text(expected[0])
    expect(section.locator(".do")).to_contain_text(expected[1])
    run_axe(page, path)
    log.assert_clean()
