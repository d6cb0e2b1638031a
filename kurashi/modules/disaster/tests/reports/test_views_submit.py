"""The submission page (works without JavaScript) and the receipt."""

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kurashi.core.models import User
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.tests.reports.conftest import (
    FUKUOKA_CITY,
    SAGA_STATION,
    camera_exif,
    jpeg_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "flooding",
        "text": "佐賀駅北口のロータリー付近が冠水しています。",
        "latitude": str(SAGA_STATION[0]),
        "longitude": str(SAGA_STATION[1]),
        "location_source": "typed",
        "municipality": "",
        "place_description": "",
        "people_affected": "",
        "houses_damaged": "",
        "reporter_contact": "",
        "website": "",
    }
    data.update(overrides)
    return data


def new_url() -> str:
    return reverse("disaster:report-new")


def test_form_page_renders_with_the_map_as_an_enhancement() -> None:
    response = Client().get(new_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'id="report-map"' in html
    assert "hidden" in html
    assert 'name="latitude"' in html
    assert 'name="municipality"' in html
    assert 'class="report-form__trap"' in html
    assert "<script>" not in html.replace("<script src=", "")  # no inline script (CSP)
    assert 'style="' not in html


def test_submitting_without_javascript_leads_to_the_receipt(media_root: Path) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(new_url())
    token = client.cookies["csrftoken"].value

    response = client.post(
        new_url(),
        {
            **form_data(),
            "photo": upload(jpeg_bytes(exif=camera_exif())),
            "csrfmiddlewaretoken": token,
        },
    )

    report = FieldReport.objects.get()
    assert response.status_code == 302
    receipt = client.get(response["Location"])
    html = receipt.content.decode()
    assert receipt.status_code == 200
    assert receipt["Cache-Control"].startswith("private")
    assert "Thank you. Your report was received." in html
    assert f"<strong>{report.pk}</strong>" in html
    assert report.photo
    assert report.reporter is None


def test_csrf_is_still_checked() -> None:
    response = Client(enforce_csrf_checks=True).post(new_url(), form_data())

    assert response.status_code == 403
    assert not FieldReport.objects.exists()


def test_logged_in_resident_is_recorded_as_reporter(resident: User) -> None:
    client = Client()
    client.force_login(resident)

    client.post(new_url(), form_data())

    assert FieldReport.objects.get().reporter == resident


def test_municipality_and_place_work_without_coordinates() -> None:
    response = Client().post(
        new_url(),
        form_data(latitude="", longitude="", municipality="412023", place_description="唐津駅"),
    )

    assert response.status_code == 302
    report = FieldReport.objects.get()
    assert (report.municipality_code, report.location_source) == ("412023", "municipality")


def test_outside_saga_is_shown_next_to_the_field_and_nothing_is_stored() -> None:
    response = Client().post(
        new_url(), form_data(latitude=str(FUKUOKA_CITY[0]), longitude=str(FUKUOKA_CITY[1]))
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "This position is outside Saga Prefecture." in html
    assert 'href="#id_latitude"' in html
    assert not FieldReport.objects.exists()


def test_invalid_values_get_clear_messages() -> None:
    response = Client().post(
        new_url(),
        form_data(category="meteor", text="短い", latitude="north", people_affected="-3"),
    )

    errors = response.context["form"].errors
    assert response.status_code == 400
    assert errors["category"] == [
        "Select a valid choice. meteor is not one of the available choices."
    ]
    assert errors["text"] == ["Please describe what happened in at least 10 characters."]
    assert errors["latitude"] == ["Enter a number."]
    assert errors["people_affected"] == ["Ensure this value is greater than or equal to 0."]


def test_form_keeps_what_was_typed_after_an_error() -> None:
    response = Client().post(
        new_url(),
        form_data(latitude="40", longitude="140", text="川があふれそうです。見てください。"),
    )

    assert "川があふれそうです。見てください。" in response.content.decode()


def test_honeypot_refuses_bots() -> None:
    response = Client().post(new_url(), form_data(website="http://spam.example"))

    assert response.status_code == 400
    assert "“Leave this field empty” was filled in" in response.content.decode()
    assert not FieldReport.objects.exists()


def test_non_image_photo_gets_a_clear_error() -> None:
    response = Client().post(
        new_url(), {**form_data(), "photo": upload(b"%PDF-1.4 not a photo", "scan.jpg")}
    )

    assert response.status_code == 400
    assert "This file is not a photo we can read." in response.content.decode()
    assert not FieldReport.objects.exists()


def test_30_mb_photo_is_refused_from_its_content_length(media_root: Path) -> None:
    big = upload(b"\xff\xd8" + b"\x00" * (30 * 1024 * 1024), "big.jpg")

    response = Client().post(new_url(), {**form_data(), "photo": big})

    assert response.status_code == 413
    assert "The photo is too large. The limit is 10 MB." in response.content.decode()
    assert not FieldReport.objects.exists()


def test_photo_over_the_limit_is_not_kept_even_without_content_length(settings: Any) -> None:
    settings.DISASTER_REPORT_PHOTO_MAX_BYTES = 100 * 1024
    photo = upload(b"\xff\xd8" + b"\x00" * (200 * 1024), "big.jpg")  # under limit + form overhead

    response = Client().post(new_url(), {**form_data(), "photo": photo})

    assert response.status_code == 413
    assert response.context["form"].errors["photo"] == [
        "The photo is too large. The limit is 0.1 MB."
    ]
    assert not FieldReport.objects.exists()


def test_rate_limit_answers_429_and_keeps_the_form(settings: Any) -> None:
    settings.DISASTER_REPORT_RATE_LIMIT = 1
    client = Client()
    client.post(new_url(), form_data())

    response = client.post(new_url(), form_data(text="二件目の報告です。道路が冠水。"))

    assert response.status_code == 429
    assert "You have sent 1 reports in the last 10 minutes" in response.content.decode()
    assert "二件目の報告です。道路が冠水。" in response.content.decode()
    assert FieldReport.objects.count() == 1


def test_receipt_escapes_html_and_hides_nothing_from_the_reporter() -> None:
    client = Client()
    response = client.post(new_url(), form_data(text=f"冠水しています {HOSTILE}"))

    html = client.get(response["Location"]).content.decode()
    assert "<script>alert" not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
        in html
    )


def test_receipt_follows_the_state(moderator: User) -> None:
    from kurashi.modules.disaster.services.reports import moderate_report

    client = Client()
    receipt_url = client.post(new_url(), form_data())["Location"]
    report = FieldReport.objects.get()
    moderate_report(actor=moderator, report_id=report.pk, action="verify")
    moderate_report(actor=moderator, report_id=report.pk, action="publish")

    html = client.get(receipt_url).content.decode()

    assert "Your report is published (without your name or contact)." in html
    assert reverse("disaster:report-detail", args=[report.pk]) in html


def test_unknown_receipt_is_404() -> None:
    assert Client().get(reverse("disaster:report-receipt", args=["nope"])).status_code == 404
