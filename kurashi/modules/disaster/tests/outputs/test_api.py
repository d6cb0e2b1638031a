"""The alerts on the JSON API: current alerts (paginated, texts per language, level per
municipality) and one alert by identifier; exercises never appear."""

from datetime import timedelta

from django.test import Client

from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.tests.outputs.conftest import SENT, TEXTS, AlertMaker


def test_lists_current_alerts_with_texts_and_levels(make_alert: AlertMaker, client: Client) -> None:
    make_alert()
    update = make_alert(sent=SENT + timedelta(minutes=5), area_levels={"412015": 4, "412023": 3})
    make_alert(event_key="exercise", status=Alert.Status.EXERCISE)

    response = client.get("/api/v1/disaster/alerts")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["identifier"] == update.identifier
    assert item["msg_type"] == "Update"
    assert item["area_levels"] == {"412015": 4, "412023": 3}
    assert item["level"] == 4
    assert item["texts"]["ja"] == TEXTS["ja"]
    assert item["texts"]["en"]["headline"] == "Heavy rain warning for Saga City"
    assert item["cap_url"] == f"http://127.0.0.1:8000/disaster/cap/{update.identifier}.xml"
    assert item["references"] == "urn:kurashi:410004:jma:test-1"


def test_paginates_and_filters_by_municipality(make_alert: AlertMaker, client: Client) -> None:
    for n in range(3):
        make_alert(event_key=f"e{n}", area_levels={"412015" if n else "412023": 2})

    page = client.get("/api/v1/disaster/alerts", {"limit": 2}).json()
    assert page["count"] == 3
    assert len(page["items"]) == 2
    saga = client.get("/api/v1/disaster/alerts", {"municipality": "412015"}).json()
    assert saga["count"] == 2


def test_one_alert_by_identifier(make_alert: AlertMaker, client: Client) -> None:
    alert = make_alert()
    exercise = make_alert(event_key="exercise", status=Alert.Status.EXERCISE)

    response = client.get(f"/api/v1/disaster/alerts/{alert.identifier}")
    assert response.status_code == 200
    assert response.json()["identifier"] == alert.identifier
    assert client.get(f"/api/v1/disaster/alerts/{exercise.identifier}").status_code == 404
    assert client.get("/api/v1/disaster/alerts/urn:nope").json() == {
        "detail": "No public alert with identifier 'urn:nope'."
    }
