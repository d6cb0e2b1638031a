"""Passkeys for staff, in real Chromium with a virtual authenticator (Chrome DevTools Protocol
WebAuthn.addVirtualAuthenticator: a platform authenticator that holds discoverable credentials
and verifies the user): a coordinator adds a passkey, signs out, and signs in with the passkey
alone, no password; axe finds no WCAG violation on the passkey and login pages.

WebAuthn needs a domain as relying party (an IP address never is one), so the pages are opened at
http://localhost:<port>, a secure context."""

import pytest
from playwright.sync_api import Browser, Route, expect

from e2e.axe import run_axe
from e2e.conftest import TIMEOUT_MS, BrowserLog
from kurashi.testing.server import RunningServer

pytestmark = pytest.mark.e2e


def test_a_coordinator_adds_a_passkey_and_signs_in_with_it_alone(
    kurashi_server: RunningServer, browser: Browser
) -> None:
    origin = f"http://localhost:{kurashi_server.port}"
    _usernames, password = kurashi_server.demo_credentials()
    context = browser.new_context(base_url=origin)
    context.set_default_timeout(TIMEOUT_MS)
    log = BrowserLog(origin=origin)
    context.route(lambda url: not url.startswith(origin + "/"), Route.abort)
    context.on("console", log.on_console)
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]

    page.goto("/accounts/login/?next=/accounts/passkeys/")
    page.locator("input[name=username]").fill("ems-coordinator")
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{origin}/accounts/passkeys/")
    expect(page.get_by_text("パスキーはまだありません。")).to_be_visible()
    run_axe(page, "/accounts/passkeys/")

    page.get_by_label("端末の名前（例：事務室のパソコン）").fill("調整室のPC")
    page.get_by_role("button", name="パスキーを追加").click()
    expect(page.get_by_role("row", name="調整室のPC")).to_be_visible()
    credentials = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"] is True

    page.get_by_role("button", name="ログアウト").click()
    page.goto("/accounts/login/?next=/accounts/")
    sign_in = page.locator("#passkey-sign-in")
    expect(sign_in).to_be_visible()
    run_axe(page, "/accounts/login/ (passkey)")
    sign_in.get_by_role("button", name="パスキーでログイン").click()  # no password typed
    page.wait_for_url(f"{origin}/accounts/")
    expect(page.locator("main")).to_contain_text("ems-coordinator")
    expect(page.locator("main")).to_contain_text("1 件のパスキーが登録されています。")
    log.assert_clean()
    context.close()
