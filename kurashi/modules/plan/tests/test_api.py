"""The plan on the JSON API: /api/v1/plan/, /api/v1/plan/measures and one measure."""

from django.test import Client

from kurashi.core import hooks
from kurashi.core.models import User
from kurashi.modules.plan.document import plan_document
from kurashi.modules.plan.models import MeasureProgress
from kurashi.modules.plan.tests.test_document import MEASURE_IDS


def count_shelters() -> hooks.IndicatorValue:
    return hooks.IndicatorValue(value=12, unit="か所")


def broken() -> hooks.IndicatorValue:
    raise RuntimeError("feed down")


def test_returns_the_plan_with_motto_actors_and_pillars(db: None, client: Client) -> None:
    response = client.get("/api/v1/plan/")

    assert response.status_code == 200
    body = response.json()
    assert body["motto"] == {
        "ja": "ICTで暮らしを守り、未来を拓く。",
        "en": "Protecting our way of life and opening up the future with ICT.",
    }
    assert body["title"]["ja"] == "佐賀県ICT利活用推進計画"
    assert [actor["key"] for actor in body["actors"]] == [
        "residents",
        "cso",
        "businesses",
        "municipalities",
        "prefecture",
    ]
    assert body["actors"][0] == {
        "key": "residents",
        "name": {"ja": "県民", "en": "Residents"},
        "role": {"ja": "ICTの利活用", "en": "Using ICT"},
    }
    assert [pillar["id"] for pillar in body["pillars"]] == [1, 2, 3, 4, 5]
    assert [m for pillar in body["pillars"] for m in pillar["measure_ids"]] == MEASURE_IDS


def test_lists_the_28_measures_with_both_titles(db: None, client: Client, plan_hooks: None) -> None:
    response = client.get("/api/v1/plan/measures")

    assert response.status_code == 200
    items = response.json()
    assert [item["id"] for item in items] == MEASURE_IDS
    assert [item["title"] for item in items] == [
        {"ja": m.title.ja, "en": m.title.en} for m in plan_document().measures
    ]
    assert {item["status"] for item in items} == {"planned"}
    assert [item["id"] for item in items if item["department"] is None] == ["4.6"]


def test_lists_the_measures_in_one_query(
    db: None, client: Client, plan_hooks: None, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        assert len(client.get("/api/v1/plan/measures").json()) == 28


def test_returns_one_measure_with_its_department(
    db: None, client: Client, plan_hooks: None
) -> None:
    response = client.get("/api/v1/plan/measures/1.1")

    assert response.status_code == 200
    assert response.json() == {
        "id": "1.1",
        "pillar_id": 1,
        "title": {
            "ja": "災害・防災関連情報の収集・伝達体制の再構築",
            "en": "Rebuilding the system for collecting and communicating disaster and "
            "disaster-prevention information",
        },
        "department": {"ja": "消防防災課", "en": "Fire and Disaster Prevention Division"},
        "description": {
            "ja": plan_document().measure("1.1").description.ja,  # type: ignore[union-attr]
            "en": plan_document().measure("1.1").description.en,  # type: ignore[union-attr]
        },
        "status": "planned",
        "delivered_by": [],
        "indicators": [],
        "progress_note": None,
        "url": "/plan/measures/1.1/",
    }


def test_answers_404_with_a_detail_for_an_unknown_measure(db: None, client: Client) -> None:
    response = client.get("/api/v1/plan/measures/9.9")

    assert response.status_code == 404
    assert response.json() == {"detail": "No measure 9.9 in the plan (ids run from 1.1 to 5.3)."}


def test_registered_delivery_puts_the_measure_in_service(
    db: None, client: Client, plan_hooks: None
) -> None:
    delivery = hooks.MeasureDelivery(measure_id="2.5", module="library", url_name="portal:map")

    with hooks.plan_deliveries.temporarily(delivery):
        measure = client.get("/api/v1/plan/measures/2.5").json()
        listed = client.get("/api/v1/plan/measures").json()

    assert measure["status"] == "in_service"
    assert measure["delivered_by"] == [{"module": "library", "url": "/map/"}]
    assert [item["id"] for item in listed if item["status"] == "in_service"] == ["2.5"]
    assert client.get("/api/v1/plan/measures/2.5").json()["status"] == "planned"


def test_reported_progress_overrides_the_delivery_status(
    db: None, client: Client, plan_hooks: None
) -> None:
    MeasureProgress.objects.create(
        measure_id="2.5", status="on_hold", note_ja="予算待ち", note_en="Awaiting budget"
    )
    delivery = hooks.MeasureDelivery(measure_id="2.5", module="library", url_name="portal:map")

    with hooks.plan_deliveries.temporarily(delivery):
        measure = client.get("/api/v1/plan/measures/2.5").json()

    assert measure["status"] == "on_hold"
    assert measure["progress_note"] == {"ja": "予算待ち", "en": "Awaiting budget"}


def test_registered_indicator_appears_with_its_value(
    db: None, client: Client, plan_hooks: None
) -> None:
    indicator = hooks.Indicator(
        key="open-shelters", measure_id="1.1", label="開設中の避難所", compute=count_shelters
    )

    with hooks.plan_indicators.temporarily(indicator):
        measure = client.get("/api/v1/plan/measures/1.1").json()

    assert measure["indicators"] == [
        {"key": "open-shelters", "label": "開設中の避難所", "value": 12, "unit": "か所"}
    ]


def test_failing_indicator_shows_null_without_breaking_the_response(
    db: None, client: Client, plan_hooks: None
) -> None:
    good = hooks.Indicator(key="good", measure_id="1.1", label="良い", compute=count_shelters)
    bad = hooks.Indicator(key="bad", measure_id="1.1", label="壊れた", compute=broken, order=1)

    with hooks.plan_indicators.temporarily(good, bad):
        response = client.get("/api/v1/plan/measures/1.1")
        listed = client.get("/api/v1/plan/measures")

    assert (response.status_code, listed.status_code) == (200, 200)
    assert response.json()["indicators"] == [
        {"key": "bad", "label": "壊れた", "value": None, "unit": ""},
        {"key": "good", "label": "良い", "value": 12, "unit": "か所"},
    ]


def test_measure_endpoint_is_read_only(
    db: None, client: Client, plan_hooks: None, resident: User
) -> None:
    client.force_login(resident)

    response = client.post("/api/v1/plan/measures/1.1", {"status": "in_service"})

    assert response.status_code == 405
    assert MeasureProgress.objects.exists() is False


def test_openapi_schema_lists_the_plan_paths(db: None, client: Client) -> None:
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/plan/",
        "/api/v1/plan/measures",
        "/api/v1/plan/measures/{measure_id}",
    } <= set(paths)
    assert set(paths["/api/v1/plan/measures/{measure_id}"]) == {"get"}


def test_plan_api_responses_may_be_shared_by_caches_for_30_seconds(client, db) -> None:
    for url in ("/api/v1/plan/", "/api/v1/plan/measures", "/api/v1/plan/measures/1.1"):
        control = {part.strip() for part in client.get(url)["Cache-Control"].split(",")}
        assert control == {"public", "max-age=30"}, url
