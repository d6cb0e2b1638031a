"""Regional clinical records in a real browser against the real server with the demo data:

- a physician signs in with password + TOTP (2FA) and opens the time-ordered patient summary;
- the resident signs in, sees the consent page and "who viewed my record" (the physician's view
  is listed), withdraws consent, and the physician is refused at once;
- axe finds no WCAG 2.1 A/AA violation on the summary, consent and access pages.
Every test ends with a clean browser log (console errors, CSP violations)."""

import hashlib
import hmac
import json
import struct
import time

import pytest
from playwright.sync_api import Page, expect

from e2e.axe import run_axe
from e2e.conftest import ContextFactory
from kurashi.testing.server import RunningServer

pytestmark = pytest.mark.e2e


def totp(hex_key: str, at: float | None = None) -> str:
    """RFC 6238 (30 s, 6 digits, SHA-1), as django-otp's TOTPDevice computes it."""
    counter = int((at if at is not None else time.time()) // 30)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def log_in(page: Page, username: str, password: str, then: str, *, key: str | None = None) -> None:
    page.goto(f"/accounts/login/?next={then}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    if key is not None:
        page.wait_for_url("**/accounts/login/verify/")
        page.locator("input[name=token]").fill(totp(key))
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{then}")


def test_summary_consent_and_access_pages(
    kurashi_server: RunningServer,
    new_context: ContextFactory,
    demo_credentials: tuple[list[str], str],
) -> None:
    password = demo_credentials[1]
    keys = json.loads((kurashi_server.var_dir / "records-demo-totp.json").read_text())
    doctor_context, doctor_log = new_context()
    doctor = doctor_context.new_page()
    log_in(doctor, "records-doctor", password, "/records/patients/", key=keys["records-doctor"])
    doctor.get_by_label("氏名（カナ）").fill("かりやまだ ちよ")
    doctor.get_by_role("button", name="検索").click()
    doctor.get_by_role("link", name="仮山田千代").click()
    expect(doctor.get_by_role("heading", level=1)).to_contain_text("患者サマリー")
    table = doctor.locator("table").first
    expect(table).to_contain_text("2型糖尿病")  # from 佐賀大学病院
    expect(table).to_contain_text("急性肺炎")  # from 好生館's SS-MIX2 storage
    dates = [d for d in table.locator("tbody tr td:first-child").all_inner_texts() if d != "—"]
    assert dates == sorted(dates, reverse=True)
    run_axe(doctor, "clinician summary")
    summary_url = doctor.url

    resident_context, resident_log = new_context()
    resident = resident_context.new_page()
    log_in(resident, "records-resident", password, "/records/me/")
    expect(resident.locator("main")).to_contain_text("共有中")
    run_axe(resident, "consent page")
    resident.get_by_role("link", name="私の記録を見た人").click()
    expect(resident.locator("main table")).to_contain_text("佐賀大学医学部附属病院")
    expect(resident.locator("main table")).to_contain_text("records-physician")
    run_axe(resident, "who viewed my record")

    resident.goto("/records/me/")
    resident.get_by_role("button", name="同意を撤回する").click()
    expect(resident.locator(".messages")).to_contain_text("同意を撤回しました")
    expect(resident.locator("main")).to_contain_text("共有停止中")

    response = doctor.goto(summary_url)
    assert response is not None
    assert response.status == 403
    # the refused page itself is the only thing the physician's browser may complain about
    assert all("403" in problem for problem in doctor_log.problems()), doctor_log.problems()
    resident_log.assert_clean()


def test_english_consent_page_is_accessible(
    new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    context, log = new_context()
    page = context.new_page()
    log_in(page, "records-resident", demo_credentials[1], "/en/records/me/accesses/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Who viewed my record")
    run_axe(page, "who viewed my record (en)")
    log.assert_clean()
