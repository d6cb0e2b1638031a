"""Accessibility (axe-core, WCAG 2.0/2.1 A and AA) and the Content-Security-Policy in Chromium.

axe-core 4.12.1, the copy bundled with axe-playwright-python 0.1.8 (asserted below, so that an
upgrade is a visible change). axe-playwright-python injects it with page.evaluate(<axe.min.js>):
that runs through the DevTools protocol, which the page's CSP (script-src 'self', no
'unsafe-eval') does not govern, and axe 4.12 needs no eval. So the axe runs use an ordinary,
CSP-enforcing context -- no bypass_csp -- and test_pages_have_no_csp_violations checks the same
pages again without axe in the page at all.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Response, expect

from e2e.conftest import BrowserLog, ContextFactory

pytestmark = pytest.mark.e2e

AXE_CORE_VERSION = "4.12.1"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
PAGES = ["/", "/en/", "/plan/", "/plan/measures/1.1/", "/map/", "/accounts/login/"]
MUNICIPALITY_COUNT = 20


def open_settled(page: Page, path: str) -> Response:
    """Load `path` and wait until its scripts are done (the map: boundaries drawn)."""
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path}: HTTP {response.status}"
    page.wait_for_load_state("load")
    if path.rstrip("/").endswith("/map"):
        expect(
            page.locator(".leaflet-overlay-pane svg path.map-layer--municipalities")
        ).to_have_count(MUNICIPALITY_COUNT)
    return response


def axe_report(path: str, violations: list[dict]) -> str:
    lines = [f"{path}: {len(violations)} axe violation(s) ({', '.join(WCAG_TAGS)}):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def run_axe(page: Page, path: str) -> None:
    results = Axe().run(page, options=AXE_OPTIONS).response
    assert results["testEngine"]["version"] == AXE_CORE_VERSION, results["testEngine"]
    assert results["passes"], f"{path}: axe ran no rule at all (injection failed?)"
    if results["violations"]:
        pytest.fail(axe_report(path, results["violations"]), pytrace=False)


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_wcag_violations(page: Page, log: BrowserLog, path: str) -> None:
    open_settled(page, path)
    run_axe(page, path)
    log.assert_clean()


def test_axe_finds_no_wcag_violations_on_the_staff_account_page(
    server: str, page: Page, log: BrowserLog, demo_credentials: tuple[list[str], str]
) -> None:
    page.goto("/accounts/login/?next=/accounts/")
    page.locator("input[name=username]").fill("ict-staff")
    page.locator("input[name=password]").fill(demo_credentials[1])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{server}/accounts/")
    run_axe(page, "/accounts/")
    log.assert_clean()


@pytest.mark.parametrize("path", [*PAGES, "/api/docs"])
def test_pages_have_no_csp_violations(new_context: ContextFactory, path: str) -> None:
    context, log = new_context()  # CSP enforced, nothing injected
    page = context.new_page()

    response = open_settled(page, path)
    policy = response.headers.get("content-security-policy", "")
    assert re.search(r"(^|;)\s*script-src 'self'\s*(;|$)", policy), policy
    page.wait_for_timeout(200)  # let late violations (fetches, styles) be reported

    log.assert_clean()


def test_csp_violations_are_reported(new_context: ContextFactory) -> None:
    """The watcher itself works: an inline script is refused and shows up in the log."""
    context, log = new_context()
    page = context.new_page()
    page.goto("/")

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true";
            document.body.append(script);
        }"""
    )

    page.wait_for_timeout(200)
    assert page.evaluate("window.__inlineRan") is None
    reported = " | ".join(log.csp_violations)
    assert "script-src" in reported, log.problems()  # the event listener's report
    assert "Content Security Policy" in reported  # Chromium's console message
