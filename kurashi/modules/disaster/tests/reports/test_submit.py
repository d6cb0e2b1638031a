"""submit_report: where a report is, what is stored, rate limiting; nothing stored on error."""

import io
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image

from kurashi.core.models import Organisation, User
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.services.reports import (
    ReportRateLimitError,
    hash_receipt_token,
    submit_report,
)
from kurashi.modules.disaster.tests.reports.conftest import (
    FUKUOKA_CITY,
    GENKAI_SEA,
    KARATSU_CASTLE,
    SAGA_STATION,
    camera_exif,
    jpeg_bytes,
    upload,
)
from kurashi.testing import make_member

pytestmark = pytest.mark.django_db

TEXT = "佐賀駅北口のロータリー付近が冠水しています。"


def submit(**overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "category": "flooding",
        "text": TEXT,
        "latitude": SAGA_STATION[0],
        "longitude": SAGA_STATION[1],
        "location_source": "map",
        "client_address": "192.0.2.10",
    }
    arguments.update(overrides)
    return submit_report(**arguments)


def messages(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def test_stores_a_received_report_in_the_municipality_of_its_position() -> None:
    submitted = submit(people_affected=3, houses_damaged=1, reporter_contact="090-0000-0000")

    report = FieldReport.objects.get()
    assert report == submitted.report
    assert report.state == FieldReport.State.RECEIVED
    assert report.municipality_code == "412015"
    assert report.location_source == "map"
    assert (report.latitude, report.longitude) == SAGA_STATION
    assert (report.combined_people_affected, report.combined_houses_damaged) == (3, 1)
    assert report.receipt_token_hash == hash_receipt_token(submitted.receipt_token)
    assert submitted.receipt_token not in report.receipt_token_hash
    assert report.submitter_fingerprint
    assert "192.0.2.10" not in report.submitter_fingerprint


def test_position_in_karatsu_gives_karatsu() -> None:
    report = submit(latitude=KARATSU_CASTLE[0], longitude=KARATSU_CASTLE[1]).report

    assert report.municipality_code == "412023"


@pytest.mark.parametrize(
    ("_case", "position"),
    [("福岡市", FUKUOKA_CITY), ("the sea", GENKAI_SEA), ("Tokyo", (35.68, 139.76))],
)
def test_rejects_positions_outside_saga(_case: str, position: tuple[float, float]) -> None:
    with pytest.raises(ValidationError) as error:
        submit(latitude=position[0], longitude=position[1])

    assert messages(error) == {
        "latitude": [
            "This position is outside Saga Prefecture. Reports can only be made for places in the prefecture's 20 municipalities."
        ]
    }
    assert not FieldReport.objects.exists()


def test_needs_both_coordinates() -> None:
    with pytest.raises(ValidationError) as error:
        submit(longitude=None)

    assert messages(error) == {"longitude": ["Give both latitude and longitude, or neither."]}


def test_needs_some_position() -> None:
    with pytest.raises(ValidationError) as error:
        submit(latitude=None, longitude=None)

    assert list(messages(error)) == ["latitude"]
    assert "choose the municipality and describe the place" in messages(error)["latitude"][0]


def test_municipality_and_place_give_an_approximate_position_inside_it() -> None:
    report = submit(
        latitude=None, longitude=None, municipality_code="412023", place_description="唐津駅の北"
    ).report

    assert report.location_source == FieldReport.LocationSource.MUNICIPALITY
    assert report.is_location_approximate is True
    assert report.municipality_code == "412023"
    assert report.place_description == "唐津駅の北"
    from kurashi.core.geo import municipality_at

    ref = municipality_at(report.latitude, report.longitude)
    assert ref is not None
    assert ref.code == "412023"


def test_municipality_without_a_place_description_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        submit(latitude=None, longitude=None, municipality_code="412023")

    assert list(messages(error)) == ["place_description"]


def test_unknown_municipality_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        submit(latitude=None, longitude=None, municipality_code="131016", place_description="x")

    assert messages(error) == {"municipality": ["Choose one of the 20 municipalities."]}


def test_coordinates_win_over_the_chosen_municipality() -> None:
    report = submit(municipality_code="412023").report

    assert report.municipality_code == "412015"


def test_photo_position_is_used_with_consent_when_no_other_is_given(media_root: Path) -> None:
    photo = upload(jpeg_bytes(exif=camera_exif(*KARATSU_CASTLE)))

    report = submit(latitude=None, longitude=None, photo=photo, keeps_photo_location=True).report

    assert report.location_source == FieldReport.LocationSource.PHOTO
    assert report.municipality_code == "412023"
    assert report.latitude == pytest.approx(KARATSU_CASTLE[0], abs=1e-4)
    assert report.keeps_photo_location is True
    stored = Image.open(report.photo.path)
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_photo_position_is_ignored_without_consent() -> None:
    photo = upload(jpeg_bytes(exif=camera_exif(*KARATSU_CASTLE)))

    with pytest.raises(ValidationError) as error:
        submit(latitude=None, longitude=None, photo=photo, keeps_photo_location=False)

    assert list(messages(error)) == ["latitude"]
    assert not FieldReport.objects.exists()


def test_photo_position_outside_saga_is_refused() -> None:
    photo = upload(jpeg_bytes(exif=camera_exif(*FUKUOKA_CITY)))

    with pytest.raises(ValidationError) as error:
        submit(latitude=None, longitude=None, photo=photo, keeps_photo_location=True)

    assert messages(error) == {
        "photo": ["The location recorded in the photo is outside Saga Prefecture."]
    }


def test_stored_photo_has_a_random_name_and_no_exif(media_root: Path) -> None:
    photo = upload(jpeg_bytes(exif=camera_exif()), name="山田太郎の家.jpg")

    report = submit(photo=photo).report

    name = Path(report.photo.name)
    assert name.parts[:2] == ("disaster", "reports")
    assert "山田" not in report.photo.name
    assert len(name.stem) == 32
    assert name.suffix == ".jpg"
    assert dict(Image.open(report.photo.path).getexif()) == {}
    assert report.keeps_photo_location is False


def test_a_bad_photo_and_a_bad_position_are_reported_together(media_root: Path) -> None:
    with pytest.raises(ValidationError) as error:
        submit(latitude=FUKUOKA_CITY[0], longitude=FUKUOKA_CITY[1], photo=upload(b"%PDF-1.7"))

    assert sorted(messages(error)) == ["latitude", "photo"]
    assert not FieldReport.objects.exists()
    assert not any(media_root.rglob("*.jpg"))


def test_html_is_stored_as_plain_text() -> None:
    text = '<script>alert("x")</script><img src=x onerror="alert(1)"> 冠水\x00\x07'

    report = submit(text=text).report

    assert report.text == '<script>alert("x")</script><img src=x onerror="alert(1)"> 冠水'


def test_text_must_say_something() -> None:
    with pytest.raises(ValidationError) as error:
        submit(text="   水\x00  ")

    assert messages(error) == {"text": ["Please describe what happened in at least 10 characters."]}


def test_rate_limit_per_client_address(settings: Any) -> None:
    settings.DISASTER_REPORT_RATE_LIMIT = 3
    settings.DISASTER_REPORT_RATE_WINDOW_SECONDS = 600
    with time_machine.travel("2026-07-10 09:00 +09:00", tick=False) as traveller:
        for _ in range(3):
            submit()

        with pytest.raises(ReportRateLimitError) as limited:
            submit()
        submit(client_address="192.0.2.99")  # another address is not affected

        traveller.shift(601)
        submit()

    assert FieldReport.objects.count() == 5
    assert limited.value.message == (
        "You have sent 3 reports in the last 10 minutes, the most we accept from one connection. "
        "Please wait a few minutes and send it again."
    )


def test_staff_are_not_rate_limited(settings: Any, karatsu: Organisation) -> None:
    settings.DISASTER_REPORT_RATE_LIMIT = 1
    staff = make_member(karatsu)

    for _ in range(3):
        submit(reporter=staff)

    assert FieldReport.objects.filter(reporter=staff).count() == 3


def test_residents_are_rate_limited(settings: Any, resident: User) -> None:
    settings.DISASTER_REPORT_RATE_LIMIT = 1
    submit(reporter=resident)

    with pytest.raises(ReportRateLimitError):
        submit(reporter=resident)


def test_photo_is_removed_when_saving_fails(
    media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(FieldReport, "save", fail)

    with pytest.raises(RuntimeError):
        submit(photo=upload(jpeg_bytes()))

    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_webp_output_is_stored_with_its_extension(media_root: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (16, 16), (0, 0, 0, 0)).save(buffer, "PNG")

    report = submit(photo=upload(buffer.getvalue(), "x.png", "image/png")).report

    assert report.photo.name.endswith(".webp")
