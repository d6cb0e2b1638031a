"""Signing in through the real login page, shared by the e2e tests."""

from playwright.sync_api import Page


def log_in(page: Page, server: str, username: str, password: str, then: str) -> None:
    """Sign in as `username` and land on `then` (the login page's ?next=)."""
    page.goto(f"/accounts/login/?next={then}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{server}{then}")
