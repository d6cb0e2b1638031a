"""One definition of "in force" (Alert.objects.in_force) for every page, API, feed and notice
(issue 13 point 5): the 2011 VXSE53 report, whose intensities expired on 2011-03-12, is nowhere
shown as current today, and residents are not notified of it."""

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client

from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """The emergency page keeps its rendered bytes for 30 s: start every test without them."""
    cache.clear()


# notify's stored notices, looked up by label: modules import each other only via public.py.
NoticeRow = apps.get_model("notify", "Notice")
VXSE53_2011 = fixture("official_32-39_11_05_240613_VXSE53.xml")


@pytest.fixture
def expired_quake(django_capture_on_commit_callbacks) -> Alert:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_document(data=VXSE53_2011, source="cli", source_name="vxse53.xml")
    alert = Alert.objects.get()
    assert alert.expires is not None
    assert alert.expires.year == 2011
    return alert


def test_the_alerts_api_does_not_list_an_expired_alert(
    expired_quake: Alert, client: Client
) -> None:
    assert client.get("/api/v1/disaster/alerts").json()["count"] == 0
    assert client.get("/api/v1/disaster/alerts?municipality=412015").json()["count"] == 0


def test_the_municipality_page_does_not_show_an_expired_intensity(
    expired_quake: Alert, client: Client
) -> None:
    html = client.get("/disaster/m/412015/").content.decode()

    assert "震度1" not in html
    assert 'class="all-clear"' in html


def test_the_portal_and_emergency_page_agree(expired_quake: Alert, client: Client) -> None:
    for path in ("/disaster/?full=1", "/disaster/emergency/", "/en/disaster/m/412104/"):
        html = client.get(path).content.decode()
        assert "震度1" not in html, path
        assert "Seismic Intensity" not in html, path


def test_residents_are_not_notified_of_information_that_had_already_expired(
    expired_quake: Alert,
) -> None:
    assert NoticeRow.objects.count() == 0
