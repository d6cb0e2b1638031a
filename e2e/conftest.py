"""Fixtures of the end-to-end suite: the real server (subprocesses) and Debian's Chromium.

Nothing here touches the Django test database: the tests request no `db` fixture and talk to the
server over HTTP only. The server runs in its own processes on a fresh SQLite file (or a throwaway
PostgreSQL database when DATABASE_URL is set), see kurashi/testing/server.py.

pytest-socket (addopts: --disable-socket --allow-hosts=127.0.0.1,::1,localhost): with
--allow-hosts it guards only socket.connect(), and every in-process connection made here goes to
127.0.0.1 (the /healthz poll). Playwright talks to its driver over pipes, the server and Chromium
are subprocesses, and psycopg connects through libpq (C), so no `enable_socket` marker is needed.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    WebError,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from kurashi.testing.push import vapid_keys
from kurashi.testing.server import RunningServer, ServerError, start_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a loaded 2-core CI runner, short enough that a hang fails fast.
TIMEOUT_MS = 15_000

# Reports CSP violations from inside the page (the console message is the second witness).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__kurashiReportCsp(
    `${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"} ` +
    `in ${event.sourceFile || event.documentURI}:${event.lineNumber}`
  );
});
"""


@pytest.fixture(scope="session")
def kurashi_server() -> Iterator[RunningServer]:
    failure = None
    try:
        # VAPID keys so that Web Push to a test receiver works (kurashi.testing.push).
        with start_server(
            db_prefix="kurashi_e2e", startup_timeout=240.0, extra_env=vapid_keys()
        ) as running:
            yield running
    except ServerError as error:
        failure = str(error)
    if failure is not None:  # outside `except`: the report is the server's output, not a chain
        pytest.fail(
            f"The Kurashi server for the e2e tests did not start.\n{failure}", pytrace=False
        )


@pytest.fixture(scope="session")
def server(kurashi_server: RunningServer) -> str:
    """Base URL of the running server, e.g. http://127.0.0.1:41234 (no trailing slash)."""
    return kurashi_server.base_url


@pytest.fixture(scope="session")
def demo_credentials(kurashi_server: RunningServer) -> tuple[list[str], str]:
    return kurashi_server.demo_credentials()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. The e2e tests run in Debian's Chromium: install it "
            "with `sudo apt-get install chromium` (or set CHROMIUM=/path/to/chromium).",
            pytrace=False,
        )
    instance = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@dataclass
class BrowserLog:
    """What one browser context reported: console errors, uncaught exceptions, CSP violations,
    and the requests to other origins that were aborted (map tiles)."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "") if message.location else ""
        if source and source in self.blocked_requests:
            return  # "Failed to load resource: net::ERR_FAILED" for a tile we aborted
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)
        else:
            self.console_errors.append(f"{message.text} ({source or 'inline'})")

    def problems(self) -> list[str]:
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught exception: {text}" for text in self.page_errors]
            + [f"CSP violation: {text}" for text in self.csp_violations]
        )

    def assert_clean(self) -> None:
        if problems := self.problems():
            pytest.fail("The browser reported:\n" + "\n".join(problems), pytrace=False)


ContextFactory = Callable[..., tuple[BrowserContext, BrowserLog]]


@pytest.fixture
def new_context(browser: Browser, server: str) -> Iterator[ContextFactory]:
    """Make a browser context on the server whose requests to any other origin (the GSI map
    tiles) are aborted at once instead of hanging, with a BrowserLog attached."""
    contexts: list[BrowserContext] = []
    origin = f"{urlsplit(server).scheme}://{urlsplit(server).netloc}"

    def make(**options: object) -> tuple[BrowserContext, BrowserLog]:
        context = browser.new_context(base_url=server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        log = BrowserLog(origin=origin)

        def is_external(url: str) -> bool:
            return not url.startswith(origin + "/")

        def abort(route: Route) -> None:
            log.blocked_requests.append(route.request.url)
            route.abort()

        def on_web_error(error: WebError) -> None:
            log.page_errors.append(str(error.error))

        def on_csp_violation(description: str) -> None:
            log.csp_violations.append(description)

        context.route(is_external, abort)
        context.expose_function("__kurashiReportCsp", on_csp_violation)
        context.add_init_script(_CSP_LISTENER)
        context.on("console", log.on_console)
        context.on("weberror", on_web_error)  # "pageerror" of every page of the context
        return context, log

    yield make
    for context in contexts:
        with suppress(PlaywrightError):
            context.close()


@pytest.fixture
def page_and_log(new_context: ContextFactory) -> tuple[Page, BrowserLog]:
    context, log = new_context()
    return context.new_page(), log


@pytest.fixture
def page(page_and_log: tuple[Page, BrowserLog]) -> Page:
    """A page in a context that enforces the site's CSP, tiles aborted."""
    return page_and_log[0]


@pytest.fixture
def log(page_and_log: tuple[Page, BrowserLog]) -> BrowserLog:
    """The BrowserLog of `page`'s context; tests end with log.assert_clean()."""
    return page_and_log[1]
