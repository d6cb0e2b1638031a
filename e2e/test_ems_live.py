"""EMS in a real browser, two contexts at once: an ambulance tablet and a hospital screen.

- the hospital switches a department to ×, and the tablet's ranked list changes without reload;
- the tablet sends a parallel request, the hospital accepts it, and the tablet shows the
  destination without reload;
- axe finds no WCAG 2.1 A/AA violation on the tablet, hospital, board and KPI pages.
Every test ends with a clean browser log (console errors, CSP violations)."""

import re

import pytest
from playwright.sync_api import FloatRect, Page, expect

from e2e.axe import run_axe
from e2e.conftest import BrowserLog, ContextFactory
from e2e.session import log_in
from kurashi.testing.push import PushReceiver

pytestmark = pytest.mark.e2e

TABLET = {
    "viewport": {"width": 1024, "height": 768},
    "has_touch": True,
    "permissions": ["geolocation"],
    "geolocation": {"latitude": 33.2494, "longitude": 130.2988},  # 佐賀市役所
}
KOSEIKAN = "佐賀県医療センター好生館"
LIVE_TIMEOUT_MS = 10_000


def open_case(page: Page, category_label: str) -> None:
    """Selection first: four taps and the big button."""
    page.goto("/ems/tablet/")
    expect(page.locator("#gps-status")).to_contain_text("GPS")
    page.get_by_label(category_label, exact=True).check()
    page.get_by_label("黄：準緊急", exact=True).check()
    page.get_by_label("成人", exact=True).check()
    page.get_by_label("女性", exact=True).check()
    page.get_by_role("button", name="事案を開始し病院を検索").click()
    page.wait_for_url(re.compile(r"/ems/tablet/cases/[0-9a-f-]+/$"))
    expect(page.locator("#ems-connection")).to_have_text("ライブ接続中", timeout=LIVE_TIMEOUT_MS)


def test_a_live_refresh_keeps_the_open_reason_list_and_the_focus(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    """The statuses table is replaced whenever a status changes anywhere. A nurse who has
    opened a department's refusal reasons must not see them fold away under their finger,
    and a keyboard user keeps their place."""
    context, log = new_context()
    hospital = context.new_page()
    log_in(hospital, server, "koseikan-staff", demo_credentials[1], "/ems/hospital/koseikan/")
    expect(hospital.locator("#ems-connection")).to_have_text(
        "ライブ接続中", timeout=LIVE_TIMEOUT_MS
    )
    rows = hospital.locator("#statuses tbody tr")
    first, other = rows.nth(0), rows.nth(1)
    other_key = other.get_attribute("data-key")
    first.locator("summary").click()
    expect(first.locator("details")).to_have_attribute("open", "")
    table = hospital.locator("#statuses")
    table.evaluate("element => element.dataset.generation = 'before'")
    button = other.locator("button[value=conditional]")
    button.focus()
    button.press("Enter")  # another department changes: the live stream refreshes the table
    expect(hospital.locator(f"#statuses tr[data-key='{other_key}']")).to_have_attribute(
        "data-status", "conditional", timeout=LIVE_TIMEOUT_MS
    )
    expect(hospital.locator("#statuses")).not_to_have_attribute("data-generation", "before")
    expect(hospital.locator("#statuses tbody tr").nth(0).locator("details")).to_have_attribute(
        "open", ""
    )
    focused = hospital.evaluate(
        "() => [document.activeElement.closest('tr')?.dataset.key, document.activeElement.value]"
    )
    assert focused == [other_key, "conditional"]
    log.assert_clean()


def test_hospital_switches_a_department_to_unavailable_and_the_tablet_list_follows(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    password = demo_credentials[1]
    tablet_context, tablet_log = new_context(**TABLET)
    hospital_context, hospital_log = new_context()
    tablet = tablet_context.new_page()
    hospital = hospital_context.new_page()
    log_in(tablet, server, "saga-fire-crew", password, "/ems/tablet/")
    log_in(hospital, server, "koseikan-staff", password, "/ems/hospital/koseikan/")

    open_case(tablet, "小児")
    row = tablet.locator("#ranking li").filter(has_text=KOSEIKAN)
    expect(row).to_have_count(1)
    assert "約" in row.locator(".ranked__reason").inner_text()  # distance from the GPS position
    hospital.locator("#statuses tr[data-key='09'] button[value=available]").click()
    expect(tablet.locator("#ranking li").filter(has_text=KOSEIKAN)).to_have_attribute(
        "data-status", "available", timeout=LIVE_TIMEOUT_MS
    )

    paediatrics = hospital.locator("#statuses tr[data-key='09']")
    paediatrics.locator("summary").click()
    paediatrics.get_by_role("button", name="ベッド満床").click()
    expect(hospital.locator("#statuses tr[data-key='09']")).to_have_attribute(
        "data-status", "unavailable", timeout=LIVE_TIMEOUT_MS
    )

    # No reload on the tablet: the live stream brings the change.
    expect(tablet.locator("#ranking li").filter(has_text=KOSEIKAN)).to_have_attribute(
        "data-status", "unavailable", timeout=LIVE_TIMEOUT_MS
    )
    expect(tablet.locator("#ranking li").filter(has_text=KOSEIKAN)).to_contain_text("ベッド満床")
    tablet_log.assert_clean()
    hospital_log.assert_clean()


def test_parallel_request_accepted_by_the_hospital_shows_the_destination_on_the_tablet(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    password = demo_credentials[1]
    tablet_context, tablet_log = new_context(**TABLET)
    hospital_context, hospital_log = new_context()
    tablet = tablet_context.new_page()
    hospital = hospital_context.new_page()
    log_in(tablet, server, "saga-fire-crew", password, "/ems/tablet/")
    log_in(hospital, server, "koseikan-staff", password, "/ems/hospital/koseikan/")
    expect(hospital.locator("#ems-connection")).to_have_text(
        "ライブ接続中", timeout=LIVE_TIMEOUT_MS
    )
    waiting_before = hospital.locator("#requests .request-card").count()

    open_case(tablet, "その他の急病")
    tablet.locator("#ranking li").filter(has_text=KOSEIKAN).locator("input[name=targets]").check()
    tablet.locator("#ranking li").filter(has_text="佐賀大学医学部附属病院").locator(
        "input[name=targets]"
    ).check()
    tablet.get_by_role("button", name="選んだ病院に一斉照会").click()
    expect(tablet.locator("#case-panel")).to_contain_text("アプリ一斉照会", timeout=LIVE_TIMEOUT_MS)

    # The hospital screen shows the request at once, with a visible alert.
    expect(hospital.locator("#request-alert [role=alert]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(hospital.locator("#requests .request-card")).to_have_count(waiting_before + 1)
    card = hospital.locator("#requests .request-card").filter(has_text="その他の急病").last
    expect(card).to_contain_text("成人")
    card.get_by_role("button", name="受入", exact=True).click()

    destination = tablet.locator("#destination")
    expect(destination).to_contain_text(KOSEIKAN, timeout=LIVE_TIMEOUT_MS)
    expect(tablet.locator("#case-panel")).to_contain_text("取り下げ")
    tablet_log.assert_clean()
    hospital_log.assert_clean()


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("saga-fire-crew", "/ems/tablet/"),
        ("koseikan-staff", "/ems/hospital/koseikan/"),
        ("ems-coordinator", "/ems/board/"),
        ("ems-coordinator", "/ems/kpis/"),
        ("ems-coordinator", "/en/ems/board/"),
    ],
)
def test_ems_pages_have_no_axe_violation(
    server: str,
    page_and_log: tuple[Page, BrowserLog],
    demo_credentials: tuple[list[str], str],
    username: str,
    path: str,
) -> None:
    page, log = page_and_log
    log_in(page, server, username, demo_credentials[1], path)
    run_axe(page, path)
    log.assert_clean()


def test_case_page_has_no_axe_violation(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    context, log = new_context(**TABLET)
    page = context.new_page()
    log_in(page, server, "saga-fire-crew", demo_credentials[1], "/ems/tablet/")
    open_case(page, "外傷")
    run_axe(page, "case page")
    log.assert_clean()


IPAD_PORTRAIT = {**TABLET, "viewport": {"width": 1024, "height": 1366}}
# Everything a gloved finger can press: links, buttons, form fields, disclosure summaries,
# labels that toggle a field, and any other focusable element.
INTERACTIVE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, label[for], "
    "[tabindex]:not([tabindex='-1'])"
)
MEASURE = """
(selector) => Array.from(document.querySelectorAll(selector))
  .filter((el) => !el.closest('[hidden]') && getComputedStyle(el).visibility !== 'hidden'
                  && getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0
                  && !el.classList.contains('skip-link'))
  .map((el) => {
    const box = el.getBoundingClientRect();
    const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '').trim();
    return [el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : ''), name.slice(0, 40),
            Math.round(box.width * 10) / 10, Math.round(box.height * 10) / 10];
  })
"""


def assert_glove_sized(page: Page, where: str) -> int:
    """Every visible interactive element is at least 48×48 CSS px; returns how many."""
    measured = page.evaluate(MEASURE, INTERACTIVE)
    small = [m for m in measured if m[2] < 48 or m[3] < 48]
    assert not small, f"{where}: controls smaller than 48×48 px: {small}"
    skip = page.locator(".skip-link")
    skip.focus()
    assert_at_least_48(skip.bounding_box())
    return len(measured)


def assert_at_least_48(box: FloatRect | None) -> None:
    assert box is not None
    assert min(box["width"], box["height"]) >= 48, box


def test_tablet_has_no_site_menu_the_list_above_the_fold_and_glove_sized_controls(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    """Issue 18 point 4, on a 1024×1366 tablet: the site menu pushed the ranked list 1,127 px
    down and the parallel-request checkbox was 13×13 px."""
    context, log = new_context(**IPAD_PORTRAIT)
    page = context.new_page()
    log_in(page, server, "saga-fire-crew", demo_credentials[1], "/ems/tablet/")
    expect(page.locator("nav.main-nav")).to_have_count(0)
    expect(page.locator("footer.site-footer")).to_have_count(0)
    assert assert_glove_sized(page, "tablet home") > 40

    open_case(page, "脳卒中疑い")
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator("nav.main-nav")).to_have_count(0)
    hospitals = page.locator("#ranking ol.ranked > li")
    assert hospitals.count() >= 3
    for index in range(3):  # the three best hospitals are on screen without scrolling
        box = hospitals.nth(index).bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= 1366, (index, box)
    checkbox = hospitals.first.locator("input[name=targets]")
    assert_at_least_48(checkbox.bounding_box())
    hospitals.first.locator("summary").click()  # the refusal reasons open: measure them too
    assert assert_glove_sized(page, "case page") > 30
    log.assert_clean()


def test_hospital_alert_stays_on_screen_rings_until_seen_and_pushes_to_the_device(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    """Issue 18 point 5: a nurse scrolled into the statuses table did not see a new request.
    Now a banner stays on top, the sound repeats until someone presses "seen" (recorded), and the
    hospital's registered device receives a Web Push (decrypted by a real receiver)."""
    password = demo_credentials[1]
    hospital_context, hospital_log = new_context(viewport={"width": 1024, "height": 768})
    tablet_context, tablet_log = new_context(**TABLET)
    hospital = hospital_context.new_page()
    tablet = tablet_context.new_page()
    log_in(hospital, server, "koseikan-staff", password, "/ems/hospital/koseikan/")
    expect(hospital.locator("#ems-connection")).to_have_text(
        "ライブ接続中", timeout=LIVE_TIMEOUT_MS
    )
    with PushReceiver() as receiver:
        # What ems.js posts after PushManager.subscribe() (headless Chromium has no push service).
        registered = hospital.evaluate(
            """async ([endpoint, keys]) => {
                const body = new URLSearchParams({endpoint, label: "救急外来PC", ...keys,
                    csrfmiddlewaretoken: document.querySelector("[name=csrfmiddlewaretoken]").value});
                const response = await fetch("/ems/hospital/koseikan/devices/", {method: "POST",
                    body, headers: {"X-Ems-Client": "1"}, credentials: "same-origin"});
                return response.json();
            }""",
            [receiver.endpoint("koseikan-er"), receiver.keys],
        )
        assert registered["ok"], registered
        hospital.locator("#statuses tbody tr").last.scroll_into_view_if_needed()
        assert hospital.evaluate("window.scrollY") > 300  # the nurse is deep in the table

        log_in(tablet, server, "saga-fire-crew", password, "/ems/tablet/")
        open_case(tablet, "胸痛・心疾患")
        tablet.locator("#ranking li").filter(has_text=KOSEIKAN).locator(
            "input[name=targets]"
        ).check()
        tablet.get_by_role("button", name="選んだ病院に一斉照会").click()

        banner = hospital.locator("#request-alert [role=alert]")
        expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(banner).to_contain_text("胸痛・心疾患")
        box = banner.bounding_box()
        assert box is not None
        assert 0 <= box["y"] < 768  # on screen where the nurse is, not at the top of the page
        expect(hospital.locator("#ems-live")).to_have_attribute(
            "data-beeps", re.compile(r"^([2-9]|[1-9][0-9]+)$"), timeout=LIVE_TIMEOUT_MS
        )  # the alarm repeats
        push = receiver.wait_for(lambda payload: payload.get("title") == "新しい搬送依頼")
        assert "胸痛・心疾患" in push.payload["body"]
        assert push.payload["url"] == "/ems/hospital/koseikan/"

    hospital.get_by_role("button", name="確認しました（警報を止める）").click()
    expect(hospital.locator("#request-alert [role=alert]")).to_have_count(
        0, timeout=LIVE_TIMEOUT_MS
    )
    expect(hospital.locator("#ems-live")).to_have_attribute("data-alarm", "off")
    card = hospital.locator("#requests .request-card").filter(has_text="胸痛・心疾患").last
    expect(card).to_contain_text("に確認", timeout=LIVE_TIMEOUT_MS)
    hospital_log.assert_clean()
    tablet_log.assert_clean()


# Records when a watched element first matches, in the page's clock (the server's clock: same
# machine), so the test measures event → screen, not the polling of the test itself.
WATCH = """
([selector, name]) => {
  const seen = () => {
    const found = document.querySelector(selector);
    if (found && !window[name]) { window[name] = {at: Date.now(), data: {...found.dataset}}; }
  };
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, attributes: true});
  seen();
}
"""


def test_watcher_escalation_reaches_the_open_board_and_the_core_hospital_within_a_second(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    """Issue 18 point 1: the 30-minute on-scene escalation is made by the watcher process
    (`kurashi ems_escalate --loop`, started by `kurashi run`); its event must reach the boards
    and the on-duty core hospital open in the web workers, without a reload."""
    password = demo_credentials[1]
    board_context, board_log = new_context(viewport={"width": 1280, "height": 900})
    hospital_context, hospital_log = new_context()
    tablet_context, tablet_log = new_context(**TABLET)
    board = board_context.new_page()
    hospital = hospital_context.new_page()
    tablet = tablet_context.new_page()
    log_in(board, server, "ems-coordinator", password, "/ems/board/")
    log_in(hospital, server, "saga-univ-er", password, "/ems/hospital/saga-univ-hospital/")
    log_in(tablet, server, "saga-fire-crew", password, "/ems/tablet/")
    for page in (board, hospital):
        expect(page.locator("#ems-connection")).to_have_text(
            "ライブ接続中", timeout=LIVE_TIMEOUT_MS
        )
    open_case(tablet, "呼吸困難")
    case_id = tablet.url.rstrip("/").rsplit("/", 1)[-1]

    # 現着 tapped 29 min 55 s ago (the crew's tap time is kept, as from the offline queue): the
    # board shows the case at once, and the watcher must flag it 5 s from now, by itself.
    expect(board.locator(f"#board tr[data-case='{case_id}']")).to_have_count(
        1, timeout=LIVE_TIMEOUT_MS
    )
    board.evaluate(WATCH, [f"#board tr[data-case='{case_id}'].difficult-row", "__escalated"])
    hospital.evaluate(WATCH, ["#ems-alert:not([hidden])", "__alerted"])
    recorded = tablet.evaluate(
        """async (caseId) => {
            const at = new Date(Date.now() - (30 * 60 - 5) * 1000).toISOString();
            const body = new URLSearchParams({event: "on_scene", at,
                csrfmiddlewaretoken: document.querySelector("[name=csrfmiddlewaretoken]").value});
            const response = await fetch(`/ems/tablet/cases/${caseId}/timeline/`, {method: "POST",
                body, headers: {"X-Ems-Client": "1"}, credentials: "same-origin"});
            return response.json();
        }""",
        case_id,
    )
    assert recorded["ok"], recorded
    row = board.locator(f"#board tr[data-case='{case_id}']")
    expect(row).to_have_class(re.compile("difficult-row"), timeout=20_000)
    expect(row).to_contain_text("搬送困難事案")
    seen = board.evaluate("() => window.__escalated")
    escalated_at = board.evaluate("(iso) => Date.parse(iso)", seen["data"]["escalatedAt"])
    delay_ms = seen["at"] - escalated_at
    assert 0 <= delay_ms < 1000, f"board showed the escalation {delay_ms} ms after the watcher"
    expect(hospital.locator("#ems-alert")).to_contain_text("搬送困難事案", timeout=LIVE_TIMEOUT_MS)
    alerted = hospital.evaluate("() => window.__alerted")
    assert alerted["at"] - escalated_at < 1000
    expect(tablet.locator("#case-top")).to_contain_text("搬送困難事案", timeout=LIVE_TIMEOUT_MS)
    board_log.assert_clean()
    hospital_log.assert_clean()
    tablet_log.assert_clean()


def test_mass_casualty_incident_with_twenty_patients_is_tallied_and_distributed(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    """Disaster mode end to end: the coordinator starts it, a crew tallies 20 patients at the
    scene in one tap each (START), the coordinator's board follows live, takes the suggested
    distribution and sends it; a critical care centre sees its red patients coming."""
    password = demo_credentials[1]
    coordinator_context, coordinator_log = new_context(viewport={"width": 1280, "height": 900})
    tablet_context, tablet_log = new_context(**IPAD_PORTRAIT)
    hospital_context, hospital_log = new_context()
    coordinator = coordinator_context.new_page()
    tablet = tablet_context.new_page()
    hospital = hospital_context.new_page()
    log_in(coordinator, server, "ems-coordinator", password, "/ems/mci/")
    run_axe(coordinator, "disaster mode list")
    coordinator.get_by_label("事案名").fill("e2e 高速道路多重事故")
    # The scene is next to 好生館: the nearest critical care centre gets the red patients.
    coordinator.get_by_label("緯度").fill("33.2300")
    coordinator.get_by_label("経度").fill("130.2650")
    coordinator.get_by_role("button", name="開始", exact=True).click()
    coordinator.wait_for_url(re.compile(r"/ems/mci/[0-9a-f-]+/$"))
    expect(coordinator.locator("#ems-connection")).to_have_text(
        "ライブ接続中", timeout=LIVE_TIMEOUT_MS
    )
    log_in(hospital, server, "koseikan-staff", password, "/ems/hospital/koseikan/")

    log_in(tablet, server, "saga-fire-crew", password, "/ems/tablet/")
    tablet.get_by_role("link", name=re.compile("e2e 高速道路多重事故")).click()
    tablet.wait_for_url(re.compile(r"/scene/$"))
    expect(tablet.locator("#ems-connection")).to_have_text("ライブ接続中", timeout=LIVE_TIMEOUT_MS)
    assert_glove_sized(tablet, "triage tally")
    run_axe(tablet, "triage tally")
    tally = {"red": 4, "yellow": 6, "green": 9, "black": 1}
    for category, count in tally.items():
        plus = tablet.locator(f"[data-key='{category}-start'] button[value='1']")
        for number in range(1, count + 1):
            plus.click()
            expect(tablet.locator(f"[data-count='{category}-start']")).to_have_text(
                str(number), timeout=LIVE_TIMEOUT_MS
            )
    expect(tablet.locator("#tally-heading")).to_contain_text("20")

    # The coordinator's board followed without a reload.
    expect(coordinator.locator("#triage-heading")).to_contain_text("20", timeout=LIVE_TIMEOUT_MS)
    for category, count in tally.items():
        expect(coordinator.locator(f"tr[data-category='{category}'] [data-reported]")).to_have_text(
            str(count)
        )
    coordinator.get_by_role("link", name="空床から振り分け案を作る").click()
    expect(coordinator.locator("#distribute-heading")).to_be_visible()
    expect(coordinator.locator("#mci-board")).to_contain_text("振り分け案：19人")
    run_axe(coordinator, "disaster mode board with a suggestion")
    coordinator.get_by_role("button", name="この振り分けで搬送先を決定").click()
    for category in ("red", "yellow", "green"):
        expect(coordinator.locator(f"tr[data-category='{category}'] [data-left]")).to_have_text(
            "0", timeout=LIVE_TIMEOUT_MS
        )
        expect(
            coordinator.locator(f"tr[data-category='{category}'] [data-allocated]")
        ).to_have_text(str(tally[category]))

    # A critical care centre sees its red patients coming, live.
    red = hospital.locator("#mci .allocation--red")
    expect(red.first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert sum(int(n) for n in red.evaluate_all("els => els.map(e => e.dataset.patients)")) >= 1
    run_axe(hospital, "hospital screen in disaster mode")
    coordinator_log.assert_clean()
    tablet_log.assert_clean()
    hospital_log.assert_clean()
