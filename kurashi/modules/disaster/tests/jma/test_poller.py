"""The feed poller against a local HTTP server serving the real feed and data files."""

import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from django.test import override_settings

from kurashi.core.models import Heartbeat
from kurashi.modules.disaster.models import Alert, Bulletin, FeedEntry, FeedState
from kurashi.modules.disaster.selectors.alerts import municipality_levels
from kurashi.modules.disaster.selectors.jma import current_warnings, poller_health
from kurashi.modules.disaster.services.jma import poll_feeds, run_poller
from kurashi.modules.disaster.tests.jma.builders import SAGA_CODES, fixture, saga_vpww53

pytestmark = pytest.mark.django_db

JMA_BASE = "https://www.data.jma.go.jp/developer/xml/"
GENKAI_COAST = ("412023", "413879", "412058")  # 唐津市, 玄海町, 伊万里市


def _saga_documents() -> dict[str, bytes]:
    """Saga VPWW53/54 for the real feed's Saga entries, as their feed texts describe them:
    10:26 「北部では…高潮に注意、佐賀県では…落雷に注意」, 13:14 「佐賀県では…落雷に注意」."""
    thunder = [("雷注意報", "14", "発表")]
    first = saga_vpww53(
        report_datetime="2024-07-25T10:26:00+09:00",
        kinds={
            **dict.fromkeys(SAGA_CODES, thunder),
            **{code: [("高潮注意報", "19", "発表"), *thunder] for code in GENKAI_COAST},
        },
    )
    second = saga_vpww53(
        report_datetime="2024-07-25T13:14:00+09:00",
        kinds={
            **{code: [("雷注意報", "14", "継続")] for code in SAGA_CODES},
            **{
                code: [("高潮注意報", "19", "解除"), ("雷注意報", "14", "継続")]
                for code in GENKAI_COAST
            },
        },
    )
    as_vpww54 = {
        "気象特別警報・警報・注意報".encode(): "気象警報・注意報（Ｈ２７）".encode(),
    }

    def h27(document: bytes) -> bytes:
        for old, new in as_vpww54.items():
            document = document.replace(old, new, 1)
        return document

    return {
        "/data/20240725012602_0_VPWW53_410000.xml": first,
        "/data/20240725012602_0_VPWW54_410000.xml": h27(first),
        "/data/20240725041454_0_VPWW53_410000.xml": second,
        "/data/20240725041454_0_VPWW54_410000.xml": h27(second),
        "/data/20240724195506_0_VPFT50_410000.xml": fixture("official_57_03_01_240401_VPFT50.xml"),
        "/data/20240724200116_0_VPWW53_400000.xml": fixture("official_17_01_01_190529_VXWW50.xml"),
        "/data/20240725015749_0_VPWW53_400000.xml": fixture("official_15_14_01_170216_VPWW53.xml"),
        "/data/20240725015749_0_VPWW54_400000.xml": b"<not-closed",
        "/data/20240724195505_0_VPFT50_400000.xml": fixture("official_57_03_01_240401_VPFT50.xml"),
        # 20240724200116_0_VPWW54_400000.xml is missing at first: 404, retried next cycle.
    }


class JmaHandler(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[Counter[str]] = Counter()
    feed_etag = '"feed-1"'

    def do_GET(self) -> None:
        type(self).hits[self.path] += 1
        if self.path == "/feed/extra.xml":
            if self.headers.get("If-None-Match") == self.feed_etag:
                self.send_response(304)
                self.end_headers()
                return
            body = self.documents["/feed/extra.xml"]
            self.send_response(200)
            self.send_header("ETag", self.feed_etag)
            self.send_header("Last-Modified", "Thu, 25 Jul 2024 05:16:50 GMT")
        elif self.path in self.documents:
            body = self.documents[self.path]
            self.send_response(200)
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def jma_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), JmaHandler)
    base = f"http://127.0.0.1:{server.server_port}"
    feed = fixture("feed_extra_20240725.xml").replace(JMA_BASE.encode(), f"{base}/".encode())
    JmaHandler.documents = {"/feed/extra.xml": feed, **_saga_documents()}
    JmaHandler.hits = Counter()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with override_settings(
        JMA_FEED_URLS=[f"{base}/feed/extra.xml"], JMA_OFFICE_CODES="410000,400000"
    ):
        yield base
    server.shutdown()
    server.server_close()


def test_a_cycle_filters_by_office_before_download_and_builds_the_saga_state(
    jma_server: str,
) -> None:
    report = poll_feeds()

    assert report.feeds == {f"{jma_server}/feed/extra.xml": "200 (350 new)"}
    assert (report.new_entries, report.skipped, report.fetched, report.failed) == (350, 340, 9, 1)
    downloaded = {path for path in JmaHandler.hits if path.startswith("/data/")}
    assert {path.rsplit("_", 1)[-1] for path in downloaded} == {"410000.xml", "400000.xml"}
    assert not any("VPFJ50" in path or "VPCJ50" in path or "VPAW51" in path for path in downloaded)
    assert FeedEntry.objects.filter(state="skipped", reason="type VPFJ50").count() == 2
    assert FeedEntry.objects.filter(state="skipped", reason__startswith="office").count() == 335
    # Saga: 高潮注意報 on the Genkai coast at 10:26, lifted at 13:14; 雷注意報 everywhere.
    assert {w.municipality_code: [(w.kind_name, w.level)] for w in current_warnings()} == {
        code: [("雷注意報", 0)] for code in SAGA_CODES
    }
    assert municipality_levels() == {}
    revisions = list(Alert.objects.order_by("revision"))
    assert [a.msg_type for a in revisions] == ["Alert", "Update"]
    assert {
        code: level for code, level in revisions[0].area_levels.items() if level
    } == dict.fromkeys(GENKAI_COAST, 2)
    assert (
        Bulletin.objects.get(source_name__endswith="20240725012602_0_VPWW54_410000.xml").outcome
        == "unchanged"
    )
    # 9 downloads: one malformed (rejected), the second VPFT50 is the same message (duplicate).
    assert Bulletin.objects.filter(source="feed").count() == 7
    failed = FeedEntry.objects.get(state="failed")
    assert failed.data_url.endswith("20240724200116_0_VPWW54_400000.xml")
    assert "404" in failed.reason


def test_the_next_cycle_uses_conditional_get_and_fetches_only_the_failed_entry(
    jma_server: str,
) -> None:
    poll_feeds()
    hits_before = Counter(JmaHandler.hits)
    JmaHandler.documents["/data/20240724200116_0_VPWW54_400000.xml"] = fixture(
        "official_15_08_05_130412_VPWW53.xml"
    )

    report = poll_feeds()

    assert report.feeds == {f"{jma_server}/feed/extra.xml": "304 not modified"}
    assert (report.fetched, report.failed) == (1, 0)
    new_hits = JmaHandler.hits - hits_before
    assert new_hits == Counter(
        {"/feed/extra.xml": 1, "/data/20240724200116_0_VPWW54_400000.xml": 1}
    )
    assert FeedEntry.objects.filter(state="failed").count() == 0
    state = FeedState.objects.get()
    assert (state.etag, state.last_status) == ('"feed-1"', "304 not modified")


@override_settings(JMA_FETCH_MAX_ATTEMPTS=2)
def test_a_failing_entry_is_given_up_after_the_configured_attempts(jma_server: str) -> None:
    for _cycle in range(3):
        poll_feeds()

    assert JmaHandler.hits["/data/20240724200116_0_VPWW54_400000.xml"] == 2
    assert FeedEntry.objects.get(state="failed").attempts == 2


def test_an_unreachable_feed_is_recorded_and_the_cycle_goes_on(db: None) -> None:
    with override_settings(JMA_FEED_URLS=["http://127.0.0.1:9/feed.xml"]):
        report = poll_feeds()

    assert report.feeds["http://127.0.0.1:9/feed.xml"].startswith("error: ConnectError")
    assert FeedState.objects.get().last_status.startswith("error:")


def test_run_poller_once_beats_the_heartbeat(jma_server: str) -> None:
    cycles = []

    with override_settings(JMA_POLLING_ENABLED=True):
        assert poller_health()[0] is False
        run_poller(once=True, on_cycle=cycles.append)
        healthy, detail = poller_health()

    assert len(cycles) == 1
    heartbeat = Heartbeat.objects.get(name="jma-poller")
    assert heartbeat.detail["fetched"] == 9
    assert healthy is True
    assert detail["enabled"] is True


def test_the_poller_loops_with_the_configured_interval(jma_server: str) -> None:
    sleeps: list[float] = []

    class StopError(Exception):
        pass

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise StopError

    with override_settings(JMA_POLL_SECONDS=60), pytest.raises(StopError):
        run_poller(sleep=sleep)

    assert len(sleeps) == 2
    assert all(50 < seconds <= 60 for seconds in sleeps)
    assert JmaHandler.hits["/feed/extra.xml"] == 2


def test_health_is_ok_when_polling_is_not_enabled(db: None) -> None:
    assert poller_health() == (True, {"enabled": False, "last_beat": None})
