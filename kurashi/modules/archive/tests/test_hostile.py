"""Hostile input: malformed CSV, huge images, decompression bombs, non-images, and script in
metadata escaped in HTML, JSON-LD, OGP, manifests and search results."""

import io
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.test import Client
from lxml import html as lxml_html
from PIL import Image

from kurashi.modules.archive import services
from kurashi.modules.archive.imaging import ImageRejectedError, check_image
from kurashi.modules.archive.imports import import_csv
from kurashi.modules.archive.models import Item, MediaFile
from kurashi.modules.archive.tests.factories import make_collection, make_item

SCRIPT = '<script>alert("x")</script>"\'&</title><img src=x onerror=alert(1)>'
HEADER = "id,collection,title,title_reading,type,rights,date,municipality_code,latitude,longitude,status\n"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width×height but holds almost no data: a decompression bomb."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def small_png(size: tuple[int, int] = (20, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


LIMITS = {"max_bytes": 1_000_000, "max_pixels": 10_000_000}


def test_decompression_bomb_is_refused_from_its_header() -> None:
    with pytest.raises(ImageRejectedError) as caught:
        check_image(png_header_only(100_000, 100_000), **LIMITS)
    assert caught.value.code == "too_many_pixels"
    with pytest.raises(ImageRejectedError) as caught:
        check_image(png_header_only(5_000, 5_000), **LIMITS)  # under Pillow's limit, over ours
    assert caught.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"x" * 1_000_001, "too_large"),
        (b"GIF89a not really", "not_an_image"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not_an_image",
        ),
        (small_png()[:40], "not_an_image"),
        (b"", "not_an_image"),
    ],
)
def test_non_images_and_huge_files_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(ImageRejectedError) as caught:
        check_image(data, **LIMITS)
    assert caught.value.code == code


def test_gif_is_an_unsupported_format() -> None:
    buffer = io.BytesIO()
    Image.new("P", (4, 4)).save(buffer, "GIF")
    with pytest.raises(ImageRejectedError) as caught:
        check_image(buffer.getvalue(), **LIMITS)
    assert caught.value.code == "unsupported_format"


@pytest.mark.django_db
def test_rejected_image_stores_nothing(settings: object, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    with pytest.raises(ImageRejectedError):
        services.ingest_image(data=png_header_only(100_000, 100_000))
    assert MediaFile.objects.count() == 0
    assert not any(tmp_path.rglob("*.png"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"id,collection\x00,title\n", "NUL"),
        (b"id\x82\xff,title", "encoding"),
        (b"id,title\n1,x\n", "Required columns"),
        (HEADER.encode() + b'1,c,"unterminated,text,image\n', "CSV"),
        (HEADER.encode() + b"1,c,t,,text,cc0,,,,,draft,EXTRA\n", "more columns"),
    ],
)
def test_malformed_csv_is_refused_whole_and_changes_nothing(raw: bytes, fragment: str) -> None:
    collection = make_collection("c")
    item = make_item("元のまま", collection=collection, source_key="1")
    report = import_csv(raw)
    assert report.fatal is not None
    assert fragment in report.fatal.message_en
    assert report.fatal.message_ja
    assert report.created == report.updated == 0
    item.refresh_from_db()
    assert item.title == "元のまま"


@pytest.mark.django_db
def test_invalid_rows_are_reported_per_line_and_valid_rows_saved(municipalities: None) -> None:
    collection = make_collection("c")
    kept = make_item("元のまま", collection=collection, source_key="9")
    rows = [
        "1,c,佐賀の河童,さがのかっぱ,text,cc-by,明治十年,412015,,,published",
        "2,c,,,text,cc-by,,,,,draft",  # no title
        "3,nope,題,,text,cc-by,,,,,draft",  # unknown collection
        "4,c,題,kanji読み,sound,xx,昨日,999999,33.2,,maybe",  # five problems
        f"9,c,{SCRIPT},,text,cc-by,,,abc,130,draft",  # bad latitude: the stored row stays
        "5,c,唐津の絵図,,image,pdm,天保三年,,33.45,129.97,draft",
    ]
    report = import_csv((HEADER + "\n".join(rows) + "\n").encode("utf-8"))
    assert report.fatal is None
    assert (report.created, report.updated, report.rejected_lines) == (2, 0, 4)
    lines = {(problem.line, problem.column) for problem in report.problems}
    assert {(3, "title"), (4, "collection"), (6, "latitude")} <= lines
    assert {column for line, column in lines if line == 5} >= {
        "title_reading",
        "type",
        "rights",
        "date",
        "municipality_code",
        "status",
    }
    assert all(problem.message_ja and problem.message_en for problem in report.problems)
    kept.refresh_from_db()
    assert kept.title == "元のまま"
    first = Item.objects.get(source_key="1")
    assert (first.year, first.era, first.municipality.code, first.is_public) == (
        1877,
        "meiji",
        "412015",
        True,
    )  # type: ignore[union-attr]
    karatsu = Item.objects.get(source_key="5")
    assert karatsu.municipality is not None
    assert karatsu.municipality.code == "412023"
    again = import_csv((HEADER + "\n".join(rows) + "\n").encode("cp932", errors="ignore"))
    assert (again.created, again.unchanged) == (0, 2)


@pytest.mark.django_db
def test_script_in_metadata_is_escaped_everywhere(
    client: Client, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    item = make_item(
        SCRIPT,
        title_en=SCRIPT,
        description=SCRIPT,
        subjects=[SCRIPT],
        creators=[SCRIPT],
        place_name=SCRIPT,
        type=Item.Type.IMAGE,
    )
    media = services.ingest_image(data=small_png((64, 32)))
    services.render_tiles(media_id=media.pk)
    services.attach_media(item=item, media=media, label=SCRIPT)
    for url in (
        f"/archive/items/{item.pk}/",
        f"/en/archive/items/{item.pk}/",
        "/archive/search/?q=alert",
        "/archive/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert "<script>alert" not in body, url
        assert (
            "onerror=alert" not in body.replace("onerror=alert(1)&gt;", "") or "&lt;img" in body
        ), url
        assert len(re.findall(r"<script\b", body)) == len(re.findall(r"</script>", body)), url
    body = client.get(f"/archive/items/{item.pk}/").content.decode()
    document = lxml_html.fromstring(body)
    ld = document.xpath('//script[@type="application/ld+json"]/text()')[0]
    assert "<" not in ld
    data = json.loads(ld)
    assert data["name"][0]["@value"] == SCRIPT
    assert data["description"] == SCRIPT
    assert document.xpath('//meta[@property="og:title"]/@content') == [SCRIPT]
    assert document.xpath("//h1/text()") == [SCRIPT]
    manifest = client.get(f"/archive/items/{item.pk}/manifest.json")
    assert json.loads(manifest.content)["label"]["ja"] == [SCRIPT]
    assert manifest["Content-Type"].startswith("application/ld+json")
