"""The Atom feed of CAP messages: well-formed Atom 1.0 with the required elements, entries linking
the CAP documents; Actual only in the public feed, 訓練/試験 in a staff-only feed."""

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from lxml import etree

from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.outputs._xml import jst
from kurashi.modules.disaster.outputs.cap import validate_cap
from kurashi.modules.disaster.tests.outputs.conftest import AlertMaker
from kurashi.testing import make_member, make_organisation

NS = {"atom": "http://www.w3.org/2005/Atom", "cap": "urn:oasis:names:tc:emergency:cap:1.2"}
FEED = "/disaster/cap/feed.atom"
EXERCISE_FEED = "/disaster/cap/exercise.atom"


def feed_of(response: Any) -> Any:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return etree.fromstring(response.content)


def test_feed_has_the_required_atom_elements(make_alert: AlertMaker, client: Client) -> None:
    alert = make_alert(sent=timezone.now())

    feed = feed_of(client.get(FEED))

    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for required in ("atom:id", "atom:title", "atom:updated", "atom:author/atom:name"):
        assert feed.find(required, NS) is not None, required
    assert (
        feed.find("atom:link[@rel='self']", NS).get("href")
        == "http://127.0.0.1:8000/disaster/cap/feed.atom"
    )
    entries = feed.findall("atom:entry", NS)
    assert len(entries) == 1
    entry = entries[0]
    for required in ("atom:id", "atom:title", "atom:updated", "atom:author/atom:name"):
        assert entry.find(required, NS) is not None, required
    assert entry.find("atom:id", NS).text == alert.identifier
    link = entry.find("atom:link[@rel='alternate']", NS)
    assert link.get("type") == "application/cap+xml"
    assert link.get("href") == f"http://127.0.0.1:8000/disaster/cap/{alert.identifier}.xml"
    assert entry.find("cap:msgType", NS).text == "Alert"
    assert entry.find("cap:geocode/cap:value", NS).text == "412015"


def test_entries_link_cap_documents_that_validate(make_alert: AlertMaker, client: Client) -> None:
    now = timezone.now()
    make_alert(sent=now - timedelta(minutes=10))
    make_alert(sent=now, area_levels={"412015": 4})

    feed = feed_of(client.get(FEED))

    hrefs = [
        link.get("href") for link in feed.findall("atom:entry/atom:link[@rel='alternate']", NS)
    ]
    assert len(hrefs) == 2  # the current Update and the replaced Alert of the last 24 hours
    for href in hrefs:
        response = client.get(href.removeprefix("http://127.0.0.1:8000"))
        validate_cap(response.content)


def test_public_feed_leaves_out_exercises_and_old_replaced_revisions(
    make_alert: AlertMaker, client: Client
) -> None:
    old = timezone.now() - timedelta(days=3)
    replaced = make_alert(sent=old)
    current = make_alert(sent=old + timedelta(hours=1))
    Alert.objects.filter(pk__in=[replaced.pk, current.pk]).update(created_at=old)
    make_alert(event_key="exercise", status=Alert.Status.EXERCISE, sent=timezone.now())

    feed = feed_of(client.get(FEED))

    assert [e.text for e in feed.findall("atom:entry/atom:id", NS)] == [current.identifier]


def test_feed_is_cacheable_for_30_seconds(db: None, client: Client) -> None:
    response = client.get(FEED)
    assert "max-age=30" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert feed_of(response).findall("atom:entry", NS) == []


def test_exercise_feed_is_for_staff_only(
    make_alert: AlertMaker, client: Client, resident: Any
) -> None:
    exercise = make_alert(event_key="exercise", status=Alert.Status.EXERCISE, sent=timezone.now())
    make_alert(sent=timezone.now())

    assert client.get(EXERCISE_FEED).status_code == 302
    client.force_login(resident)
    assert client.get(EXERCISE_FEED).status_code == 403
    client.force_login(make_member(make_organisation(municipality_code="412015")))
    feed = feed_of(client.get(EXERCISE_FEED))
    assert [e.text for e in feed.findall("atom:entry/atom:id", NS)] == [exercise.identifier]


def test_a_late_cancel_is_in_the_feed_although_its_bulletin_time_is_over_a_day_old(
    make_alert: AlertMaker, client: Client
) -> None:
    issued = timezone.now() - timedelta(hours=30)
    alert = make_alert(sent=issued)
    Alert.objects.filter(pk=alert.pk).update(created_at=issued)

    # The Cancel of a bulletin of 29 hours ago arrives only now (a delayed feed, a replay).
    cancel = make_alert(sent=issued + timedelta(hours=1), cancel=True)

    feed = feed_of(client.get(FEED))
    assert [e.text for e in feed.findall("atom:entry/atom:id", NS)] == [cancel.identifier]
    assert [e.text for e in feed.findall("atom:entry/cap:msgType", NS)] == ["Cancel"]
    entry_updated = feed.findtext("atom:entry/atom:updated", namespaces=NS)
    assert entry_updated == jst(Alert.objects.get(pk=cancel.pk).created_at)


def test_an_alert_in_force_during_the_day_stays_and_one_expired_long_ago_does_not(
    make_alert: AlertMaker, client: Client
) -> None:
    now = timezone.now()
    ended_today = make_alert(
        event_key="quake:today", sent=now - timedelta(hours=26), expires=now - timedelta(hours=2)
    )
    ended_2011 = make_alert(
        event_key="quake:2011",
        sent=now - timedelta(days=4000),
        expires=now - timedelta(days=3999),
    )
    Alert.objects.filter(pk=ended_today.pk).update(created_at=now - timedelta(hours=26))
    Alert.objects.filter(pk=ended_2011.pk).update(created_at=now - timedelta(days=30))

    feed = feed_of(client.get(FEED))

    assert [e.text for e in feed.findall("atom:entry/atom:id", NS)] == [ended_today.identifier]
