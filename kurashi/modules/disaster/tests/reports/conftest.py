"""Fixtures of the field report tests: photos made with Pillow, the moderator actors, a builder."""

import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import ExifTags, Image

from kurashi.core.models import Organisation, User
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.services.reports import MODERATE, hash_receipt_token
from kurashi.testing import make_member, make_organisation

SAGA_STATION = (33.2630, 130.3000)  # 佐賀市 412015
SAGA_STATION_NEAR = (33.2635, 130.3004)  # about 65 m away
KARATSU_CASTLE = (33.4420, 129.9750)  # 唐津市 412023
FUKUOKA_CITY = (33.59, 130.40)  # 福岡県: outside Saga
GENKAI_SEA = (33.60, 129.80)  # the sea north of 玄海町


def jpeg_bytes(
    size: tuple[int, int] = (64, 48),
    *,
    exif: Image.Exif | None = None,
    colour: tuple[int, int, int] = (200, 30, 30),
    **options: Any,
) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif is not None:
        options["exif"] = exif
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def camera_exif(latitude: float = 33.2630, longitude: float = 130.3000) -> Image.Exif:
    """What a phone writes: maker, model, time, software, and the GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KurashiCam"
    exif[ExifTags.Base.Model] = "Phone 9"
    exif[ExifTags.Base.DateTime] = "2026:07:10 08:15:00"
    exif[ExifTags.Base.Software] = "Camera 1.0"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = _dms(latitude)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = _dms(longitude)
    gps[ExifTags.GPS.GPSAltitude] = 12.0
    gps[ExifTags.GPS.GPSDateStamp] = "2026:07:09"
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_float = (value - degrees) * 60
    minutes = int(minutes_float)
    return (float(degrees), float(minutes), round((minutes_float - minutes) * 60, 4))


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(
    content: bytes, name: str = "IMG_0001.jpg", content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in English (the msgids), and reverse() gives /en/ URLs, so the
    tests hold whatever the Japanese catalogue says."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def saga_city(db: None) -> Organisation:
    return make_organisation(
        municipality_code="412015", slug="municipality-412015", name_ja="佐賀市"
    )


@pytest.fixture
def karatsu_city(db: None) -> Organisation:
    return make_organisation(
        municipality_code="412023", slug="municipality-412023", name_ja="唐津市"
    )


@pytest.fixture
def moderator(saga_city: Organisation) -> User:
    """Staff of 佐賀市 holding disaster.moderate_report."""
    return make_member(saga_city, MODERATE)


@pytest.fixture
def staff_without(saga_city: Organisation) -> User:
    """Staff of 佐賀市 without the permission."""
    return make_member(saga_city)


@pytest.fixture
def karatsu_moderator(karatsu_city: Organisation) -> User:
    """A moderator of 唐津市: no say over 佐賀市 reports."""
    return make_member(karatsu_city, MODERATE)


_counter = iter(range(1, 10**9))


def make_report(**overrides: Any) -> FieldReport:
    """A stored report in 佐賀市 (received unless state= says otherwise)."""
    number = next(_counter)
    latitude, longitude = overrides.pop("position", SAGA_STATION)
    fields: dict[str, Any] = {
        "category": FieldReport.Category.FLOODING,
        "text": "佐賀駅北口のロータリー付近が冠水しています。",
        "latitude": latitude,
        "longitude": longitude,
        "location_source": FieldReport.LocationSource.MAP,
        "municipality_code": "412015",
        "receipt_token_hash": hash_receipt_token(f"test-{number}"),
        "created_at": timezone.now(),
    }
    fields.update(overrides)
    if fields.get("state") == FieldReport.State.PUBLISHED and "published_at" not in fields:
        fields["published_at"] = timezone.now()
    fields.setdefault("combined_people_affected", fields.get("people_affected"))
    fields.setdefault("combined_houses_damaged", fields.get("houses_damaged"))
    return FieldReport.objects.create(**fields)


def snapshot(report: FieldReport) -> dict[str, Any]:
    """Every column of a report, to assert that a refused action changed nothing."""
    report.refresh_from_db()
    return {
        field.attname: getattr(report, field.attname) for field in FieldReport._meta.concrete_fields
    }
