"""The live-event bus across real processes: `kurashi run --web-workers 2` (two uvicorn worker
processes), the task worker and the EMS escalation watcher, each its own process.

An open EMS board in Chromium shows a 搬送困難事案 that the watcher process flagged (a case 31 minutes
on scene, stored by a third process, the command line) within 1 s of the flag, without a reload:
before the bus the event stayed in the watcher and only a reload showed it.
"""

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect

from e2e.conftest import TIMEOUT_MS, BrowserLog
from e2e.session import log_in
from kurashi.testing.server import RunningServer, ServerError, start_server

pytestmark = pytest.mark.e2e

CREATE_CASE = """
import json
from datetime import timedelta
from django.utils import timezone
from kurashi.core.models import Organisation
from kurashi.modules.ems.tests.factories import make_case
hq = Organisation.objects.get(slug="saga-koiki-fire")
case = make_case(hq, on_scene_at=timezone.now() - timedelta(minutes=31))
print(json.dumps({"case": str(case.public_id)}))
"""

ESCALATED_AT = """
import json
from kurashi.modules.ems.models import Case
case = Case.objects.get(public_id="{case}")
print(json.dumps({{"at": case.escalated_at.isoformat() if case.escalated_at else None}}))
"""

# Records when the first 搬送困難事案 row appears on the board (the region is replaced on refresh).
WATCH_BOARD = """
() => {
  window.__difficultSeenAt = null;
  const seen = () => {
    if (window.__difficultSeenAt === null && document.querySelector("#board .difficult-row")) {
      window.__difficultSeenAt = Date.now();
    }
  };
  new MutationObserver(seen).observe(document.body, {childList: true, subtree: true});
  seen();
}
"""


@pytest.fixture(scope="module")
def two_worker_server() -> Iterator[RunningServer]:
    failure = None
    try:
        with start_server(
            web_workers=2,
            db_prefix="kurashi_e2e_live",
            extra_env={"EMS_ESCALATION_INTERVAL_SECONDS": "5"},
        ) as running:
            yield running
    except ServerError as error:
        failure = str(error)
    if failure is not None:
        pytest.fail(f"The two-worker server did not start.\n{failure}", pytrace=False)


def process_group(server: RunningServer) -> list[str]:
    """The command lines of every process in the server's process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != server.pid:  # pgrp
                continue
            found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_an_escalation_by_the_watcher_process_appears_on_an_open_board_within_a_second(
    two_worker_server: RunningServer, browser: Browser
) -> None:
    server = two_worker_server
    commands = process_group(server)
    assert sum("multiprocessing" in c and "spawn" in c for c in commands) == 2, commands
    assert any("kurashi ems_escalate --loop" in c for c in commands), commands
    assert any("kurashi worker" in c for c in commands), commands

    _usernames, password = server.demo_credentials()
    context = browser.new_context(base_url=server.base_url)
    context.set_default_timeout(TIMEOUT_MS)
    log = BrowserLog(origin=server.base_url)
    context.route(lambda url: not url.startswith(server.base_url + "/"), Route.abort)
    context.on("console", log.on_console)
    board = context.new_page()
    log_in(board, server.base_url, "ems-coordinator", password, "/ems/board/")
    expect(board.locator("#ems-connection")).to_have_text("ライブ接続中", timeout=15_000)
    expect(board.locator("#board .difficult-row")).to_have_count(0)
    board.evaluate(WATCH_BOARD)

    created = json.loads(server.manage("shell", "-c", CREATE_CASE).strip().splitlines()[-1])
    # The watcher runs every 5 s here; the board must not be reloaded.
    expect(board.locator("#board .difficult-row")).to_have_count(1, timeout=30_000)
    seen_at_ms = board.evaluate("() => window.__difficultSeenAt")
    escalated = json.loads(
        server.manage("shell", "-c", ESCALATED_AT.format(case=created["case"]))
        .strip()
        .splitlines()[-1]
    )
    assert escalated["at"] is not None
    delay_ms = seen_at_ms - datetime.fromisoformat(escalated["at"]).timestamp() * 1000
    assert 0 <= delay_ms < 1000, f"the board showed the escalation {delay_ms:.0f} ms after it"
    expect(board.locator("#ems-alert")).to_be_visible()
    log.assert_clean()
    context.close()
