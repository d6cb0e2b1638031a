"""The plan's pages: the index of 28 measures and one page per measure."""

from django.test import Client
from django.utils.html import escape

from kurashi.core import hooks
from kurashi.core.models import Organisation
from kurashi.modules.plan.document import plan_document
from kurashi.testing import make_member


def test_index_lists_every_measure_in_japanese(db: None, client: Client, plan_hooks: None) -> None:
    response = client.get("/plan/")

    assert response.status_code == 200
    assert [state.measure.id for state in response.context["states"]] == [
        m.id for m in plan_document().measures
    ]
    html = response.content.decode()
    assert [m.id for m in plan_document().measures if escape(m.title.ja) not in html] == []
    assert "max-age=60" in response["Cache-Control"]


def test_index_lists_every_measure_in_english(db: None, client: Client, plan_hooks: None) -> None:
    html = client.get("/en/plan/").content.decode()

    assert [m.id for m in plan_document().measures if escape(m.title.en) not in html] == []


def test_measure_page_shows_department_and_status(
    db: None, client: Client, plan_hooks: None
) -> None:
    response = client.get("/plan/measures/1.1/")

    assert response.status_code == 200
    assert response.context["state"].status == "planned"
    assert response.context["department_organisation"] is None
    assert response.context["can_report"] is False
    assert "消防防災課" in response.content.decode()


def test_measure_page_links_the_delivering_service(
    db: None, client: Client, plan_hooks: None
) -> None:
    delivery = hooks.MeasureDelivery(
        measure_id="2.5", module="library", url_name="portal:map", label="蔵書検索"
    )

    with hooks.plan_deliveries.temporarily(delivery):
        response = client.get("/plan/measures/2.5/")

    assert response.context["state"].status == "in_service"
    assert '<a href="/map/">蔵書検索</a>' in response.content.decode()


def test_measure_page_offers_reporting_to_the_department_only(
    client: Client, fire_and_disaster_prevention: Organisation, plan_hooks: None
) -> None:
    client.force_login(make_member(fire_and_disaster_prevention, "plan.report_progress"))

    response = client.get("/plan/measures/1.1/")

    assert response.context["department_organisation"] == fire_and_disaster_prevention
    assert response.context["can_report"] is True
    assert 'href="/plan/measures/1.1/progress/"' in response.content.decode()


def test_unknown_measure_page_is_not_found(db: None, client: Client) -> None:
    assert client.get("/plan/measures/9.9/").status_code == 404
    assert client.get("/plan/measures/1.10/").status_code == 404
