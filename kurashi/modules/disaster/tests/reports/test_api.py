"""POST /api/v1/disaster/reports (multipart) and the receipt endpoint."""

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.tests.reports.conftest import (
    FUKUOKA_CITY,
    SAGA_STATION,
    camera_exif,
    jpeg_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/disaster/reports"


def ja(msgid: str) -> str:
    """The API answers in Japanese (the site's default language; /api/ has no language prefix)."""
    with translation.override("ja"):
        return gettext(msgid)


def data(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "category": "road_blocked",
        "text": "倒木で道路がふさがれています。通行できません。",
        "latitude": SAGA_STATION[0],
        "longitude": SAGA_STATION[1],
    }
    values.update(overrides)
    return values


def test_submits_and_returns_the_receipt() -> None:
    response = Client().post(URL, data(photo=upload(jpeg_bytes(exif=camera_exif()))))

    assert response.status_code == 201
    body = response.json()
    report = FieldReport.objects.get()
    assert body["id"] == report.pk
    assert body["state"] == "received"
    assert body["message"] == ja(
        "Your report was received. Municipal staff check it before it is published."
    )
    assert body["status_url"].endswith(f"/api/v1/disaster/reports/receipts/{body['receipt_token']}")
    assert report.reporter is None

    status = Client().get(f"{URL}/receipts/{body['receipt_token']}")

    assert status.status_code == 200
    assert status.json() | {"created_at": None} == {
        "id": report.pk,
        "state": "received",
        "state_label": ja("Received"),
        "category": "road_blocked",
        "municipality_code": "412015",
        "created_at": None,
        "published_at": None,
        "public_url": None,
    }


def test_api_takes_no_session_identity(resident: Any) -> None:
    client = Client()
    client.force_login(resident)

    client.post(URL, data())

    assert FieldReport.objects.get().reporter is None


def test_same_validation_as_the_form() -> None:
    response = Client().post(URL, data(latitude=FUKUOKA_CITY[0], longitude=FUKUOKA_CITY[1]))

    assert response.status_code == 400
    assert response.json() == {
        "detail": ja("The report is not valid."),
        "errors": {
            "latitude": [
                ja(
                    "This position is outside Saga Prefecture. Reports can only be made for places in the prefecture's 20 municipalities."
                )
            ]
        },
    }
    assert not FieldReport.objects.exists()


def test_form_level_errors_by_field() -> None:
    response = Client().post(
        URL, data(category="", text="", photo=upload(b"not an image", "a.jpg"))
    )

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["category", "text"]


def test_non_image_photo() -> None:
    response = Client().post(URL, data(photo=upload(b"just text", "a.jpg")))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "photo": [
            ja("This file is not a photo we can read. Please send a JPEG, PNG or WebP image.")
        ]
    }


def test_30_mb_photo_is_413() -> None:
    response = Client().post(URL, data(photo=upload(b"\x00" * (30 * 1024 * 1024), "big.jpg")))

    assert response.status_code == 413
    assert response.json() == {
        "detail": ja("The photo is too large. The limit is %(limit)s MB.") % {"limit": "10"},
        "errors": {},
    }
    assert not FieldReport.objects.exists()


def test_rate_limited_is_429(settings: Any) -> None:
    settings.DISASTER_REPORT_RATE_LIMIT = 1
    Client().post(URL, data())

    response = Client().post(URL, data())

    assert response.status_code == 429
    assert FieldReport.objects.count() == 1


def test_unknown_receipt_is_404() -> None:
    response = Client().get(f"{URL}/receipts/unknown-token")

    assert response.status_code == 404
    assert response.json()["detail"] == ja("There is no report with this receipt.")


def test_openapi_documents_the_multipart_body() -> None:
    schema = Client().get("/api/openapi.json").json()

    body = schema["paths"]["/api/v1/disaster/reports"]["post"]["requestBody"]
    assert "photo" in body["content"]["multipart/form-data"]["schema"]["properties"]
