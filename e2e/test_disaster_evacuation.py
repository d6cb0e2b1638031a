"""Two-person publication of evacuation information in Chromium: staff member A (佐賀市 drafter)
drafts a 避難指示 for 佐賀市 and submits it; staff member B (佐賀市 approver, another browser
context) checks the preview and approves; the public portal, already open, shows level 4 for
佐賀市 at its next refresh. axe finds no WCAG violation on the staff pages."""

import re

import pytest
from playwright.sync_api import expect

from e2e.axe import run_axe
from e2e.conftest import ContextFactory
from e2e.session import log_in

pytestmark = pytest.mark.e2e

SAGA = "412015"
REFRESH_SECONDS = 2


def test_drafted_order_is_published_after_a_second_approval(
    server: str, new_context: ContextFactory, demo_credentials: tuple[list[str], str]
) -> None:
    usernames, password = demo_credentials
    assert "saga-city-chief" in usernames

    # The public portal, open before anything happens (?full=1: never the emergency page).
    public_context, public_log = new_context()
    public = public_context.new_page()
    public.goto("/disaster/?full=1")
    saga_row = public.locator(f"#level-table tr[data-code='{SAGA}']")
    expect(saga_row).to_have_count(1)
    assert saga_row.get_attribute("data-level") != "4"

    # A drafts and submits.
    drafter_context, drafter_log = new_context()
    drafter = drafter_context.new_page()
    log_in(drafter, server, "saga-city-staff", password, "/disaster/evacuation/")
    run_axe(drafter, "list")
    drafter.get_by_role("link", name=re.compile("新しい避難情報|Draft new")).click()
    drafter.wait_for_url(re.compile(r"/disaster/evacuation/new/"))
    expect(drafter.locator("#id_message_ja")).to_contain_text("避難指示（警戒レベル4）")
    run_axe(drafter, "draft form")
    drafter.locator("#id_hazard").select_option("flood")
    drafter.locator("button[name=action][value=fill]").click()
    expect(drafter.locator("#id_message_ja")).to_contain_text("洪水の危険が高まっているため")
    drafter.locator("button[name=action][value=save]").click()
    drafter.wait_for_url(re.compile(r"/disaster/evacuation/\d+/$"))
    detail_path = drafter.url.removeprefix(server)
    expect(drafter.locator("#order-state")).to_contain_text(re.compile("下書き|Draft"))
    drafter.locator("#submit-button").click()
    expect(drafter.locator("#order-state")).to_contain_text(re.compile("承認待ち|Waiting"))
    expect(drafter.locator("#approve-button")).to_have_count(0)
    run_axe(drafter, "preview (drafter)")

    # B, in another browser context, checks the preview and approves.
    approver_context, approver_log = new_context()
    approver = approver_context.new_page()
    log_in(approver, server, "saga-city-chief", password, detail_path)
    preview = approver.locator("section.preview")
    expect(preview).to_contain_text("【警戒レベル4】避難指示 佐賀市全域")
    expect(preview).to_contain_text("[Alert Level 4] Evacuation order: Saga City")
    expect(preview.locator(".level-badge--4").first).to_contain_text("避難指示")
    run_axe(approver, "preview (approver)")
    approver.locator("#approve-button").click()
    expect(approver.locator("#order-state")).to_contain_text(re.compile("公開|Published"))

    # The open portal shows level 4 for 佐賀市 at its next refresh (interval shortened).
    public.locator("#situation").evaluate(
        f"(element) => element.setAttribute('data-refresh-seconds', '{REFRESH_SECONDS}')"
    )
    expect(public.locator(f"#level-table tr[data-code='{SAGA}']")).to_have_attribute(
        "data-level", "4", timeout=(REFRESH_SECONDS + 10) * 1000
    )
    expect(public.locator(f"#level-table tr[data-code='{SAGA}'] th")).to_contain_text("佐賀市")

    # The CAP feed carries the new alert.
    feed = public_context.request.get(f"{server}/disaster/cap/feed.atom")
    assert feed.status == 200
    assert f"urn:kurashi:{SAGA}:evacuation:" in feed.text()

    for log in (public_log, drafter_log, approver_log):
        log.assert_clean()
