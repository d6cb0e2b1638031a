"""The hearing-impaired support centre in a real browser, two contexts at once.

- a resident sends a text-119 call; the dispatcher console receives it live (visual alert, the
  position), the dispatcher asks a fixed question, the caller sees "received" and answers;
- a captioner types and a viewer sees the caption (and its correction) live;
- axe finds no WCAG 2.1 A/AA violation on every page of the module; keyboard-only use works.
Every test ends with a clean browser log (console errors, CSP violations)."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.axe import run_axe
from e2e.conftest import BrowserLog, ContextFactory
from e2e.session import log_in

pytestmark = pytest.mark.e2e

PHONE = {
    "viewport": {"width": 390, "height": 780},
    "has_touch": True,
    "permissions": ["geolocation"],
    "geolocation": {"latitude": 33.2494, "longitude": 130.2988, "accuracy": 25},  # 佐賀市役所
    # Many phones, kiosks and visitors' devices keep a clock zone other than Japan's: the page
    # must show Asia/Tokyo whatever the device says (issue 18 point 2).
    "timezone_id": "UTC",
}
LIVE_TIMEOUT_MS = 10_000


def assert_times_in_asia_tokyo(page: Page) -> None:
    """Every chat time on the page — rendered by the server or appended live — is the
    Asia/Tokyo wall time of its own +09:00 timestamp."""
    stamps = page.locator("[data-messages] time.msg__time").evaluate_all(
        "nodes => nodes.map(n => [n.getAttribute('datetime'), n.textContent])"
    )
    assert stamps
    for iso, shown in stamps:
        assert iso.endswith("+09:00"), iso
        assert shown == iso[11:19], (iso, shown)


def place_call(caller: Page) -> None:
    caller.goto("/access/119/")
    expect(caller.locator("#position-status")).to_contain_text("佐賀市", timeout=LIVE_TIMEOUT_MS)
    caller.get_by_role("button", name=re.compile("救急")).click()
    caller.wait_for_url(re.compile(r"/access/119/calls/[0-9a-f-]+/$"))


def test_text119_call_reaches_the_console_live_and_they_chat(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    password = demo_credentials[1]
    caller_context, caller_log = new_context(**PHONE)
    console_context, console_log = new_context(timezone_id="UTC")
    caller = caller_context.new_page()
    console = console_context.new_page()
    log_in(console, server, "saga-119-dispatcher", password, "/access/119/console/")
    expect(console.locator("[data-live-status]")).to_contain_text("接続中", timeout=LIVE_TIMEOUT_MS)
    log_in(caller, server, "resident", password, "/access/119/")

    place_call(caller)
    expect(caller.locator("#call-state")).to_contain_text("送信しました")
    expect(caller.locator("[data-live-status]")).to_contain_text("接続中", timeout=LIVE_TIMEOUT_MS)

    # The console shows the call without a reload: visual alert, waiting row with the position.
    alert = console.locator("#call-alert")
    expect(alert).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(alert).to_contain_text("新しい文字119番通報")
    row = console.locator("#console-calls tr[data-state=created]").first
    expect(row).to_contain_text("佐賀市")
    expect(row).to_contain_text("33.24940")
    expect(row).to_contain_text("救急")
    row.get_by_role("link").click()
    expect(console.locator("#call-position")).to_contain_text("33.249400, 130.298800")
    expect(console.locator(".profile")).to_contain_text("佐賀 太郎")

    console.get_by_role("button", name="意識はありますか？").click()
    expect(caller.locator("#call-state")).to_have_attribute(
        "data-state", "received", timeout=LIVE_TIMEOUT_MS
    )
    expect(caller.locator("#call-state")).to_contain_text("受信しました")
    expect(caller.locator("[data-messages]")).to_contain_text(
        "意識はありますか？", timeout=LIVE_TIMEOUT_MS
    )

    caller.get_by_role("button", name="はい", exact=True).click()
    expect(console.locator("[data-messages] .msg--caller")).to_contain_text(
        "はい", timeout=LIVE_TIMEOUT_MS
    )
    console.locator("#dispatcher-body").fill("救急車が向かっています")
    console.get_by_role("button", name="送信", exact=True).click()
    expect(caller.locator("[data-messages]")).to_contain_text(
        "救急車が向かっています", timeout=LIVE_TIMEOUT_MS
    )

    # The caller's network drops: the page closes its stream; what the dispatcher writes
    # meanwhile arrives, once and in order, when the network is back.
    caller_context.set_offline(True)
    expect(caller.locator("[data-live-status]")).to_have_attribute("data-state", "offline")
    for text in ("住所を教えてください", "近くに目印はありますか？"):
        console.locator("#dispatcher-body").fill(text)
        console.get_by_role("button", name="送信", exact=True).click()
        expect(console.locator("[data-messages]")).to_contain_text(text, timeout=LIVE_TIMEOUT_MS)
    expect(caller.locator("[data-messages]")).not_to_contain_text("住所を教えてください")
    caller_context.set_offline(False)
    expect(caller.locator("[data-messages]")).to_contain_text(
        "近くに目印はありますか？", timeout=LIVE_TIMEOUT_MS
    )
    texts = caller.locator("[data-messages] .msg--dispatcher .msg__body").all_inner_texts()
    assert texts[-3:] == [
        "救急車が向かっています",
        "住所を教えてください",
        "近くに目印はありますか？",
    ]
    assert len(texts) == len(set(texts))
    # Two typed messages in a row (the field is cleared after each).
    caller.locator("#caller-body").fill("佐賀市役所の前です")
    caller.get_by_role("button", name="送信", exact=True).click()
    expect(caller.locator("#caller-body")).to_have_value("")
    caller.locator("#caller-body").fill("二人います")
    caller.get_by_role("button", name="送信", exact=True).click()
    expect(console.locator("[data-messages] .msg--caller .msg__body")).to_have_text(
        ["はい", "佐賀市役所の前です", "二人います"], timeout=LIVE_TIMEOUT_MS
    )
    assert_times_in_asia_tokyo(caller)
    assert_times_in_asia_tokyo(console)
    caller_log.assert_clean()
    console_log.assert_clean()


def test_captioner_types_and_the_viewer_sees_captions_live(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    captioner_context, captioner_log = new_context()
    viewer_context, viewer_log = new_context(viewport={"width": 390, "height": 780})
    captioner = captioner_context.new_page()
    viewer = viewer_context.new_page()
    log_in(captioner, server, "access-captioner", demo_credentials[1], "/access/captions/")
    captioner.get_by_label("題名").fill("e2e 講演会")
    captioner.get_by_role("button", name="開始").click()
    captioner.wait_for_url(re.compile(r"/access/captions/[a-z0-9]+/type/$"))
    viewer_url = captioner.url.replace("/type/", "/")
    viewer.goto(viewer_url + "?view=large")
    expect(viewer.locator("[data-live-status]")).to_contain_text("接続中", timeout=LIVE_TIMEOUT_MS)

    field = captioner.get_by_label("入力してEnterで送信")
    field.fill("みなさん こんにちは")
    field.press("Enter")
    expect(viewer.locator("#caption-lines")).to_contain_text(
        "みなさん こんにちは", timeout=LIVE_TIMEOUT_MS
    )
    expect(field).to_have_value("")
    field.fill("さがけんの じょうほう ほしょう")
    field.press("Enter")
    expect(viewer.locator(".caption-line")).to_have_count(2, timeout=LIVE_TIMEOUT_MS)

    captioner.locator("#caption-lines .caption-line").nth(1).click()
    captioner.get_by_label("訂正後の文").fill("佐賀県の情報保障")
    captioner.get_by_role("button", name="訂正を送信").click()
    expect(viewer.locator(".caption-line").nth(1)).to_have_text(
        "佐賀県の情報保障", timeout=LIVE_TIMEOUT_MS
    )
    expect(viewer.locator(".caption-line--corrected")).to_have_count(1)
    viewer.get_by_role("link", name="ハイコントラスト").click()
    expect(viewer.locator("[data-live=captions]")).to_have_class(re.compile("captions--contrast"))
    captioner_log.assert_clean()
    viewer_log.assert_clean()


def test_keyboard_only_caller_sends_a_call_and_a_message(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    context, log = new_context(**PHONE)
    page = context.new_page()
    log_in(page, server, "resident", demo_credentials[1], "/access/119/")
    expect(page.locator("#position-status")).to_contain_text("佐賀市", timeout=LIVE_TIMEOUT_MS)
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.value")
        if focused == "fire":
            break
    else:
        pytest.fail("the 火事 button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/access/119/calls/[0-9a-f-]+/$"))
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "caller-body":
            break
    else:
        pytest.fail("the message field cannot be reached with Tab")
    page.keyboard.type("台所から火が出ています")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("[data-messages] .msg--caller")).to_contain_text(
        "台所から火が出ています", timeout=LIVE_TIMEOUT_MS
    )
    log.assert_clean()


PAGES = {
    "": ("/access/", "/en/access/", "/access/captions/", "/access/videos/"),
    "resident": (
        "/access/119/",
        "/access/119/register/",
        "/access/requests/",
        "/access/requests/new/",
        "/access/easy/requests/new/",
        "/access/relay/",
    ),
    "saga-119-dispatcher": ("/access/119/console/",),
    "access-coordinator": ("/access/coordinate/", "/access/statistics/", "/access/videos/new/"),
    "relay-operator": ("/access/relay/",),
}


@pytest.mark.parametrize("username", list(PAGES))
def test_access_pages_have_no_axe_violation(
    server: str,
    page_and_log: tuple[Page, BrowserLog],
    demo_credentials: tuple[list[str], str],
    username: str,
) -> None:
    page, log = page_and_log
    paths = PAGES[username]
    if username:
        log_in(page, server, username, demo_credentials[1], paths[0])
    for path in paths:
        page.goto(path)
        run_axe(page, f"{path} ({username or 'anonymous'})")
    log.assert_clean()


def test_live_pages_have_no_axe_violation(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    """The pages that exist only once something is live: a call (both sides), a caption session
    (viewer, standard / large / high contrast, and captioner), a relay chat."""
    password = demo_credentials[1]
    caller_context, caller_log = new_context(**PHONE)
    caller = caller_context.new_page()
    log_in(caller, server, "resident", password, "/access/119/")
    place_call(caller)
    run_axe(caller, "caller call page")
    call_path = caller.url.split("/access/119/calls/")[1]
    caller.goto("/access/relay/")
    caller.get_by_label("話したい相手（役所・診療所など）").fill("佐賀市役所")
    caller.get_by_role("button", name="会話を始める").click()
    caller.wait_for_url(re.compile(r"/access/relay/[0-9a-f-]+/$"))
    run_axe(caller, "relay chat")
    # A practice call: answered by the trainer at once and live, never by the fire HQ.
    caller.goto("/access/119/")
    caller.get_by_role("button", name="練習の通報をする").click()
    caller.wait_for_url(re.compile(r"/access/119/calls/[0-9a-f-]+/$"))
    expect(caller.locator(".practice-banner")).to_be_visible()
    expect(caller.locator("[data-messages] .msg--dispatcher")).to_have_count(1)
    run_axe(caller, "practice call page")
    expect(caller.locator("[data-live-status]")).to_contain_text("接続中", timeout=LIVE_TIMEOUT_MS)
    caller.get_by_role("button", name="はい", exact=True).click()
    expect(caller.locator("[data-messages] .msg--dispatcher")).to_have_count(
        2, timeout=LIVE_TIMEOUT_MS
    )
    expect(caller.locator("[data-messages] .msg--dispatcher").last).to_contain_text("【練習】")
    caller_log.assert_clean()

    staff_context, staff_log = new_context()
    staff = staff_context.new_page()
    log_in(staff, server, "saga-119-dispatcher", password, f"/access/119/console/calls/{call_path}")
    # The caller's position on the map (Leaflet; the GSI tiles are aborted in tests).
    expect(staff.locator("#call-map")).to_have_attribute("data-ready", "1")
    expect(staff.locator("#call-map .call-map__caller")).to_have_count(1)
    expect(staff.locator("#call-routing")).to_contain_text("佐賀広域消防局")
    run_axe(staff, "console call page")
    log_in(staff, server, "access-captioner", password, "/access/captions/")
    session_link = staff.get_by_role("link", name=re.compile("デモ"))
    session_link.first.click()
    slug_url = staff.url
    for view in ("standard", "large", "contrast"):
        staff.goto(f"{slug_url}?view={view}")
        run_axe(staff, f"caption viewer {view}")
    staff.goto(slug_url + "type/")
    run_axe(staff, "captioner page")
    staff_log.assert_clean()
