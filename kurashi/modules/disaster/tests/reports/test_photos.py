"""Photo re-encoding: limits, hostile files, and EXIF stripping (GPS kept only with consent)."""

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image

from kurashi.modules.disaster.services.reports import process_photo
from kurashi.modules.disaster.tests.reports.conftest import (
    camera_exif,
    jpeg_bytes,
    png_header_claiming,
    upload,
)


def reopen(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def error_codes(error: pytest.ExceptionInfo[ValidationError]) -> list[str | None]:
    return [e.code for e in error.value.error_list]


def test_strips_all_exif_xmp_and_comments_without_consent() -> None:
    source = jpeg_bytes(
        exif=camera_exif(), comment=b"home of A. Sato", xmp=b"<x:xmpmeta>gps</x:xmpmeta>"
    )
    assert dict(reopen(source).getexif())  # the source really carries EXIF

    photo = process_photo(upload(source), keep_location=False)

    result = reopen(photo.content)
    assert dict(result.getexif()) == {}
    assert result.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "comment" not in result.info
    assert "xmp" not in result.info
    assert b"KurashiCam" not in photo.content
    assert b"A. Sato" not in photo.content
    assert photo.location == pytest.approx((33.2630, 130.3000), abs=1e-4)  # read, then dropped


def test_keeps_only_the_gps_position_with_consent() -> None:
    source = jpeg_bytes(exif=camera_exif(33.2630, 130.3000))

    photo = process_photo(upload(source), keep_location=True)

    exif = reopen(photo.content).getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert set(gps) == {
        ExifTags.GPS.GPSLatitudeRef,
        ExifTags.GPS.GPSLatitude,
        ExifTags.GPS.GPSLongitudeRef,
        ExifTags.GPS.GPSLongitude,
    }
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert ExifTags.Base.Make not in exif
    assert ExifTags.Base.Model not in exif
    assert ExifTags.Base.DateTime not in exif
    assert b"KurashiCam" not in photo.content


def test_consent_without_gps_in_the_photo_adds_no_exif() -> None:
    photo = process_photo(upload(jpeg_bytes()), keep_location=True)

    assert photo.location is None
    assert dict(reopen(photo.content).getexif()) == {}


def test_reencodes_to_jpeg_within_the_maximum_dimension() -> None:
    photo = process_photo(upload(jpeg_bytes((3000, 1000))), keep_location=False)

    image = reopen(photo.content)
    assert image.format == "JPEG"
    assert photo.extension == "jpg"
    assert image.size == (2048, 683)
    assert (photo.width, photo.height) == (2048, 683)


def test_maximum_dimension_is_a_setting(settings: Any) -> None:
    settings.DISASTER_REPORT_PHOTO_MAX_DIMENSION = 100

    photo = process_photo(upload(jpeg_bytes((400, 200))), keep_location=False)

    assert reopen(photo.content).size == (100, 50)


def test_applies_the_exif_orientation_before_dropping_it() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise for display

    photo = process_photo(upload(jpeg_bytes((60, 40), exif=exif)), keep_location=False)

    assert reopen(photo.content).size == (40, 60)


def test_transparent_png_becomes_webp() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 0, 255, 128)).save(buffer, "PNG")

    photo = process_photo(upload(buffer.getvalue(), "screen.png", "image/png"), keep_location=False)

    assert photo.extension == "webp"
    assert reopen(photo.content).format == "WEBP"


def test_rejects_a_30_mb_photo_before_opening_it() -> None:
    class Unreadable(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise AssertionError("the file must not be read")

    big = upload(b"")
    big.file = Unreadable()
    big.size = 30 * 1024 * 1024

    with pytest.raises(ValidationError) as error:
        process_photo(big, keep_location=False)

    assert error_codes(error) == ["photo_too_large"]
    assert error.value.messages == ["The photo is too large (30 MB). The limit is 10 MB."]


@pytest.mark.parametrize(
    ("_case", "content", "name"),
    [
        ("text renamed .jpg", b"This is not a photo, just text.\n" * 20, "photo.jpg"),
        ("PDF", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF\n", "doc.jpg"),
        ("empty file", b"", "empty.jpg"),
        (
            "GIF (not accepted)",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            "a.gif",
        ),
    ],
)
def test_rejects_files_that_are_not_photos(_case: str, content: bytes, name: str) -> None:
    with pytest.raises(ValidationError) as error:
        process_photo(upload(content, name), keep_location=False)

    assert error_codes(error) == ["photo_invalid"]
    assert error.value.messages == [
        "This file is not a photo we can read. Please send a JPEG, PNG or WebP image."
    ]


def test_rejects_a_decompression_bomb_from_its_header() -> None:
    bomb = png_header_claiming(100_000, 100_000)  # 10 gigapixels in 100 bytes
    assert len(bomb) < 200

    with pytest.raises(ValidationError) as error:
        process_photo(upload(bomb, "bomb.png", "image/png"), keep_location=False)

    assert error_codes(error) == ["photo_too_many_pixels"]


def test_pixel_limit_is_a_setting(settings: Any) -> None:
    settings.DISASTER_REPORT_PHOTO_MAX_PIXELS = 10_000

    with pytest.raises(ValidationError) as error:
        process_photo(upload(jpeg_bytes((200, 100))), keep_location=False)

    assert error_codes(error) == ["photo_too_many_pixels"]


def test_rejects_a_truncated_photo() -> None:
    whole = jpeg_bytes((400, 300), colour=(10, 120, 200), quality=95)

    with pytest.raises(ValidationError) as error:
        process_photo(upload(whole[: len(whole) // 2]), keep_location=False)

    assert error_codes(error) == ["photo_damaged"]
