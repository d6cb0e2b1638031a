"""Public pages, photos, GeoJSON: only published reports, escaped text, no reporter data."""

import json
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from kurashi.core.models import User
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.tests.reports.conftest import (
    SAGA_STATION_NEAR,
    jpeg_bytes,
    make_report,
)

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'
CONTACT = "sato@example.jp 090-1234-5678"


@pytest.fixture
def reporter(db: None) -> User:
    from kurashi.testing import make_user

    return make_user("sato-hanako", display_name="佐藤花子")


@pytest.fixture
def published(reporter: User) -> FieldReport:
    report = make_report(
        state="published",
        text=f"冠水しています {HOSTILE}",
        reporter=reporter,
        reporter_contact=CONTACT,
        moderation_note="内部メモ: 本人に電話済み",
        submitter_fingerprint="f" * 64,
        people_affected=4,
    )
    report.photo.save("p.jpg", ContentFile(jpeg_bytes()))
    return report


def public_responses(report: FieldReport) -> list[Any]:
    client = Client()
    return [
        client.get(reverse("disaster:reports")),
        client.get(reverse("disaster:report-detail", args=[report.pk])),
        client.get(reverse("disaster:reports-geojson")),
        client.get("/api/v1/disaster/reports.geojson"),
        client.get("/api/v1/disaster/reports"),
    ]


def test_published_reports_never_show_the_reporter(published: FieldReport) -> None:
    for response in public_responses(published):
        body = response.content.decode()
        assert response.status_code == 200, response.request["PATH_INFO"]
        for secret in (
            "sato-hanako",
            "佐藤花子",
            "sato@example.jp",
            "090-1234-5678",
            "内部メモ",
            "f" * 64,
        ):
            assert secret not in body, (response.request["PATH_INFO"], secret)


def test_report_text_is_escaped_in_every_page(published: FieldReport, moderator: User) -> None:
    staff = Client()
    staff.force_login(moderator)
    pages = [
        *public_responses(published)[:2],
        staff.get(reverse("disaster:report-moderation"), {"state": "all"}),
        staff.get(reverse("disaster:report-moderate", args=[published.pk])),
    ]

    for response in pages:
        html = response.content.decode()
        assert "<script>alert" not in html
        assert "<img src=x onerror" not in html
        assert (
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
            or "&lt;script&gt;alert(&quot;x&quot;)" in html
        )


def test_geojson_holds_the_public_fields_only(published: FieldReport) -> None:
    response = Client().get(reverse("disaster:reports-geojson"))

    assert response["Content-Type"] == "application/geo+json"
    assert response["Cache-Control"] == "public, max-age=30"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    [feature] = data["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [130.3, 33.263]}
    properties = feature["properties"]
    assert set(properties) == {
        "id",
        "category",
        "category_label",
        "label",
        "text",
        "municipality_code",
        "municipality_name_ja",
        "municipality_name_en",
        "place_description",
        "location_approximate",
        "people_affected",
        "houses_damaged",
        "published_at",
        "photo_url",
        "photo_urls",
        "url",
    }
    assert properties["category"] == "flooding"
    assert properties["label"] == "Flooding / inundation"  # map tooltips: never the free text
    assert properties["text"] == f"冠水しています {HOSTILE}"  # JSON carries the text as data
    assert properties["municipality_code"] == "412015"
    assert properties["municipality_name_ja"] == "佐賀市"
    assert properties["people_affected"] == 4
    assert properties["published_at"].endswith("+09:00")
    assert properties["photo_url"] == f"http://testserver/en/disaster/reports/{published.pk}/photo/"


def test_api_geojson_is_the_same_collection(published: FieldReport) -> None:
    page = json.loads(Client().get(reverse("disaster:reports-geojson")).content)
    api = Client().get("/api/v1/disaster/reports.geojson")

    assert api["Cache-Control"] == "public, max-age=30"
    assert [f["id"] for f in json.loads(api.content)["features"]] == [
        f["id"] for f in page["features"]
    ]


@pytest.mark.parametrize("state", ["received", "verified", "rejected"])
def test_unpublished_reports_are_not_public(state: str) -> None:
    report = make_report(state=state, text="まだ公開されていない報告です。")
    report.photo.save("p.jpg", ContentFile(jpeg_bytes()))
    client = Client()

    assert client.get(reverse("disaster:report-detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("disaster:report-photo", args=[report.pk])).status_code == 404
    assert json.loads(client.get(reverse("disaster:reports-geojson")).content)["features"] == []
    assert "まだ公開されていない" not in client.get(reverse("disaster:reports")).content.decode()


def test_exercise_reports_are_not_public() -> None:
    report = make_report(state="published", is_exercise=True)

    assert Client().get(reverse("disaster:report-detail", args=[report.pk])).status_code == 404


def test_moderators_see_unpublished_photos(moderator: User) -> None:
    report = make_report()
    report.photo.save("p.jpg", ContentFile(jpeg_bytes()))
    client = Client()
    client.force_login(moderator)

    response = client.get(reverse("disaster:report-photo", args=[report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_photo_of_a_merged_report_shows_with_its_published_original(moderator: User) -> None:
    original = make_report(state="published")
    duplicate = make_report(position=SAGA_STATION_NEAR, state="merged", merged_into=original)
    duplicate.photo.save("p.jpg", ContentFile(jpeg_bytes()))

    photo = Client().get(reverse("disaster:report-photo", args=[duplicate.pk]))
    geojson = json.loads(Client().get(reverse("disaster:reports-geojson")).content)

    assert photo.status_code == 200
    assert photo["Cache-Control"] == "public, max-age=300"
    assert geojson["features"][0]["properties"]["photo_urls"] == [
        f"http://testserver/en/disaster/reports/{duplicate.pk}/photo/"
    ]


def test_list_filters_and_paginates() -> None:
    for index in range(23):
        make_report(state="published", text=f"公開された報告 {index:02d} です。")
    make_report(
        state="published", category="fire", municipality_code="412023", position=(33.4420, 129.9750)
    )
    client = Client()

    first = client.get(reverse("disaster:reports"))
    second = client.get(reverse("disaster:reports"), {"page": 2})
    fire = client.get(reverse("disaster:reports"), {"category": "fire"})
    karatsu = client.get(reverse("disaster:reports"), {"municipality": "412023"})
    none = client.get(reverse("disaster:reports"), {"municipality": "412015", "category": "fire"})

    assert first.context["page"].paginator.count == 24
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 4
    assert fire.context["page"].paginator.count == 1
    assert karatsu.context["page"].paginator.count == 1
    assert "No published report matches these filters." in none.content.decode()


def test_empty_list_says_so() -> None:
    response = Client().get(reverse("disaster:reports"))

    assert "No field report is published now." in response.content.decode()


def test_api_lists_published_reports_with_limit_and_offset() -> None:
    reports = [make_report(state="published") for _ in range(3)]
    make_report()

    page = Client().get("/api/v1/disaster/reports", {"limit": 2, "offset": 1}).json()

    assert page["count"] == 3
    assert [item["id"] for item in page["items"]] == [reports[1].pk, reports[0].pk]
    assert "reporter" not in json.dumps(page)
