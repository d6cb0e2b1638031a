"""Shelters in a real browser: a shelter staff member on a phone opens a shelter in two taps (with
and without JavaScript), and axe finds no WCAG 2 A/AA violation on the public shelter list, the
staff list and the staff page. Every test asserts a clean browser log (console, CSP)."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.axe import run_axe
from e2e.conftest import BrowserLog, ContextFactory
from e2e.session import log_in

pytestmark = pytest.mark.e2e

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
STAFF_LIST = "/disaster/shelters/staff/"
MIN_TARGET_PX = 44


def shelter_state(page: Page, common_id: str) -> dict[str, object]:
    response = page.request.get(f"/api/v1/disaster/shelters/{common_id}")
    assert response.status == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("javascript", "common_id"),
    [(True, "E4120100001111"), (False, "E4120100002111")],  # 嘉瀬小学校, 嘉瀬公民館 (佐賀市)
)
def test_staff_opens_a_shelter_in_two_taps_on_a_phone(
    server: str,
    new_context: ContextFactory,
    demo_credentials: tuple[list[str], str],
    javascript: bool,
    common_id: str,
) -> None:
    context, log = new_context(**PHONE, java_script_enabled=javascript)
    page = context.new_page()
    log_in(page, server, "saga-city-staff", demo_credentials[1], STAFF_LIST)
    assert shelter_state(page, common_id)["open_state"] == "not_open"
    link = page.locator(f'main a[href$="/shelters/staff/{common_id}/"]')
    expect(link).to_have_count(1)
    box = link.bounding_box()
    assert box is not None
    assert box["height"] >= MIN_TARGET_PX

    link.tap()  # tap 1: the shelter

    page.wait_for_url(re.compile(f"/shelters/staff/{common_id}/$"))
    open_button = page.locator("#staff-panel button[name=action][value=open]")
    for button in page.locator("#staff-panel button").all():
        size = button.bounding_box()
        assert size is not None
        assert min(size["width"], size["height"]) >= MIN_TARGET_PX, button.inner_text()

    open_button.tap()  # tap 2: 開設

    expect(page.locator("#staff-panel .panel-message, main .messages")).to_be_visible()
    expect(page.locator("#staff-panel .badge--open")).to_be_visible()
    state = shelter_state(page, common_id)
    assert (state["open_state"], state["crowding"], state["headcount"]) == ("open", "available", 0)
    assert state["status_checked_at"] is not None
    if javascript:
        # htmx swapped the panel in place: still the same page, no reload.
        assert page.url.endswith(f"/shelters/staff/{common_id}/")
    log.assert_clean()


def test_the_opened_shelter_appears_in_the_public_list_and_geojson(
    server: str, page: Page, log: BrowserLog, demo_credentials: tuple[list[str], str]
) -> None:
    log_in(page, server, "karatsu-staff", demo_credentials[1], STAFF_LIST)
    page.goto(f"{STAFF_LIST}E4120200001201/")  # 久里小学校, 唐津市
    page.locator("#staff-panel button[name=action][value=crowded]").click()
    expect(page.locator("#staff-panel .badge--crowded")).to_be_visible()

    page.goto("/disaster/shelters/?municipality=412023&state=open&hazard=tsunami")
    row = page.locator("main table tbody tr", has_text="久里小学校")
    expect(row).to_have_count(1)
    expect(row.locator(".badge--crowded")).to_be_visible()
    geojson = page.request.get(
        "/disaster/shelters.geojson?municipality=412023&state=open&hazard=tsunami"
    ).json()
    assert [f["id"] for f in geojson["features"]] == ["E4120200001201"]
    log.assert_clean()


def test_staff_of_another_municipality_is_refused(
    server: str, page: Page, demo_credentials: tuple[list[str], str]
) -> None:
    log_in(page, server, "karatsu-staff", demo_credentials[1], STAFF_LIST)

    response = page.goto(f"{STAFF_LIST}E4120100001111/")  # a 佐賀市 shelter

    assert response is not None
    assert response.status == 403


@pytest.mark.parametrize(
    "path",
    [
        "/disaster/shelters/",
        "/disaster/shelters/?municipality=412023&hazard=flood",
        "/en/disaster/shelters/",
        "/disaster/shelters/E4120100001111/",
    ],
)
def test_axe_finds_no_violation_on_the_public_shelter_pages(
    page: Page, log: BrowserLog, path: str
) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200

    run_axe(page, path)
    log.assert_clean()


def test_axe_finds_no_violation_on_the_staff_pages(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    context, log = new_context(**PHONE)
    page = context.new_page()
    log_in(page, server, "saga-city-staff", demo_credentials[1], STAFF_LIST)
    run_axe(page, STAFF_LIST)

    page.goto(f"{STAFF_LIST}E4120100003111/")
    run_axe(page, "staff page")
    page.locator("#staff-panel button[name=delta][value='10']").tap()
    expect(page.locator("#staff-panel .panel-message")).to_be_visible()
    run_axe(page, "staff page after an htmx update")
    log.assert_clean()
