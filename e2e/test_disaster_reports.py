"""Field reports in Chromium: a resident sends a report with a photo and their browser position
and gets the receipt; a moderator of 佐賀市 verifies and publishes it and it appears in the
GeoJSON; axe finds no WCAG 2 A/AA violation on the form, the public list and the queue."""

import io
import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from e2e.conftest import BrowserLog, ContextFactory
from e2e.session import log_in
from e2e.test_accessibility import run_axe

pytestmark = pytest.mark.e2e

SAGA_STATION = {"latitude": 33.2630, "longitude": 130.3000}


def photo_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 90, 160)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def test_resident_reports_with_photo_and_moderator_publishes_it(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    marker = f"e2e-{uuid.uuid4().hex[:8]}"
    context, log = new_context(geolocation=SAGA_STATION, permissions=["geolocation"])
    page = context.new_page()
    page.goto("/en/disaster/reports/new/")

    page.get_by_label("What happened?").select_option("flooding")
    page.get_by_label("Description").fill(f"The road north of Saga Station is flooded ({marker}).")
    page.get_by_role("button", name="Use my current location").click()
    expect(page.locator("#id_latitude")).to_have_value("33.263")
    expect(page.locator("#id_location_source")).to_have_value("gps")
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    page.locator("#id_photo").set_input_files(
        {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}
    )
    page.get_by_role("button", name="Send the report").click()

    page.wait_for_url(re.compile(r"/en/disaster/reports/receipt/[^/]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you. Your report was received."
    )
    report_id = page.locator(".receipt strong").inner_text()
    expect(page.locator(".report-facts")).to_contain_text(marker)
    receipt_url = page.url
    log.assert_clean()

    staff_context, staff_log = new_context()
    staff = staff_context.new_page()
    log_in(
        staff, server, "saga-city-staff", demo_credentials[1], "/en/disaster/reports/moderation/"
    )
    staff.get_by_role("link", name=report_id, exact=True).click()
    expect(staff.locator(".report-photos img")).to_have_count(1)
    staff.get_by_role("button", name="Mark as verified").click()
    expect(staff.locator("#report-state .report-state")).to_have_text("Verified")
    staff.get_by_label("Moderation note (staff only, optional)").fill(
        "Checked with the road office."
    )
    staff.get_by_role("button", name="Publish").click()
    expect(staff.locator("#report-state .report-state")).to_have_text("Published")
    staff_log.assert_clean()

    geojson = staff.request.get("/disaster/reports.geojson").json()
    [feature] = [f for f in geojson["features"] if str(f["id"]) == report_id]
    assert marker in feature["properties"]["text"]
    assert feature["properties"]["municipality_code"] == "412015"
    assert feature["properties"]["photo_url"].endswith(f"/disaster/reports/{report_id}/photo/")
    assert "Checked with the road office." not in str(feature)
    photo = staff.request.get(feature["properties"]["photo_url"])
    assert photo.status == 200
    assert photo.headers["content-type"] == "image/jpeg"

    page.goto(receipt_url)
    expect(page.locator(".receipt")).to_contain_text("Your report is published")


def test_report_form_works_when_the_map_tiles_fail(page: Page, log: BrowserLog) -> None:
    page.goto("/en/disaster/reports/new/")

    expect(page.locator("#report-locate-status")).to_contain_text("could not be loaded")
    expect(
        page.locator("#report-map path.leaflet-interactive, #report-map .leaflet-overlay-pane path")
    ).to_have_count(20)
    page.locator("#report-map").click(position={"x": 200, "y": 150})
    expect(page.locator("#id_location_source")).to_have_value("map")
    assert page.locator("#id_latitude").input_value() != ""
    log.assert_clean()


@pytest.mark.parametrize(
    "path", ["/disaster/reports/new/", "/disaster/reports/", "/en/disaster/reports/"]
)
def test_axe_finds_no_violations_on_public_report_pages(
    page: Page, log: BrowserLog, path: str
) -> None:
    page.goto(path)
    page.wait_for_load_state("load")

    run_axe(page, path)
    log.assert_clean()


def test_axe_finds_no_violations_on_the_moderation_queue_and_detail(
    server: str, page: Page, log: BrowserLog, demo_credentials: tuple[list[str], str]
) -> None:
    log_in(page, server, "saga-city-staff", demo_credentials[1], "/disaster/reports/moderation/")
    run_axe(page, "/disaster/reports/moderation/")

    page.locator("table.report-queue tbody th a").first.click()
    page.wait_for_load_state("load")
    run_axe(page, page.url)
    log.assert_clean()


def test_oversized_photo_is_refused_before_upload(page: Page, log: BrowserLog) -> None:
    page.goto("/en/disaster/reports/new/")

    page.locator("#id_photo").set_input_files(
        {
            "name": "huge.jpg",
            "mimeType": "image/jpeg",
            "buffer": b"\xff\xd8" + b"\x00" * (11 * 1024 * 1024),
        }
    )

    expect(page.locator("#report-locate-status")).to_contain_text(
        "The photo is too large. The limit is 10 MB."
    )
    assert page.locator("#id_photo").input_value() == ""
    log.assert_clean()
