"""axe-core in the e2e suite: WCAG 2.0/2.1 A and AA rules (JIS X 8341-3 AA), violations only."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def run_axe(page: Page, label: str) -> None:
    results = Axe().run(page, options=AXE_OPTIONS).response
    assert results["passes"], f"{label}: axe ran no rule at all"
    if results["violations"]:
        lines = [f"{label}: {len(results['violations'])} axe violation(s):"]
        for violation in results["violations"]:
            lines.append(f"- {violation['id']} [{violation['impact']}] {violation['help']}")
            lines.extend(
                f"    at {' '.join(map(str, n['target']))}: {n['html'][:160]}"
                for n in violation["nodes"]
            )
        pytest.fail("\n".join(lines), pytrace=False)
