"""External IIIF holders (issue 17, defect 5: 96 % of imported items showed no image): items of a
trusted holder show their thumbnail through this site's cache (size-limited, re-encoded, from
a loopback stub of the holder here) and open the holder's manifest in the viewer with a CSP
that allows exactly that holder; untrusted holders get neither."""

import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from django.test import Client
from PIL import Image

from kurashi.modules.archive import services
from kurashi.modules.archive.external import clean_origins, is_trusted, origin_of
from kurashi.modules.archive.models import Item
from kurashi.modules.archive.tests.factories import make_collection, make_item


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


class Holder(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, tuple[int, str, bytes]]] = {}
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        status, content_type, body = self.bodies.get(self.path, (404, "text/plain", b""))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def holder() -> Iterator[str]:
    Holder.requests = []
    Holder.bodies = {
        "/thumb.png": (200, "image/png", png(1200, 800)),
        "/big.png": (200, "image/png", b"\x89PNG" + b"0" * (6 * 1024 * 1024)),
        "/page.html": (200, "text/html", b"<script>alert(1)</script>"),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Holder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def external_item(origin: str, path: str, *, trusted: bool) -> Item:
    collection = make_collection(
        "sagalibdb", iiif_origins=[origin] if trusted else [], holder_ja="佐賀県立図書館"
    )
    return make_item(
        "佐賀郡福富村ノ内字東古賀全図",
        collection=collection,
        type=Item.Type.IMAGE,
        external_manifest_url=f"{origin}/05000513/manifest",
        thumbnail_url=f"{origin}{path}",
    )


def test_origins_are_parsed_and_compared_exactly() -> None:
    assert origin_of("https://WWW.sagalibdb.jp/iiif/x?IIIF=/a.tif") == "https://www.sagalibdb.jp"
    assert origin_of("javascript:alert(1)") == ""
    assert clean_origins(["https://a.example/x", "https://a.example"]) == ["https://a.example"]
    with pytest.raises(ValueError, match="not an http"):
        clean_origins(["ftp://a.example"])
    assert is_trusted("https://a.example/t.jpg", ["https://a.example"])
    assert not is_trusted("https://a.example.evil.test/t.jpg", ["https://a.example"])


@pytest.mark.django_db
def test_trusted_thumbnail_is_fetched_once_resized_and_served_from_this_site(
    client: Client, holder: str, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    item = external_item(holder, "/thumb.png", trusted=True)
    page = client.get("/archive/search/", {"q": "東古賀"}).content.decode()
    assert f'src="/archive/items/{item.pk}/thumbnail.jpg"' in page
    assert holder not in page.split("<main")[1].split("</main>")[0].split("archive-cards")[1]
    for _visit in range(3):
        response = client.get(f"/archive/items/{item.pk}/thumbnail.jpg")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        image = Image.open(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
        assert image.size == (400, 267)
        assert image.format == "JPEG"
    assert Holder.requests == ["/thumb.png"]  # cached


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/big.png", "/page.html", "/missing.png"])
def test_oversized_or_non_image_thumbnails_are_refused(
    client: Client, holder: str, settings: object, tmp_path: Path, path: str
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    settings.ARCHIVE_THUMBNAIL_MAX_BYTES = 5 * 1024 * 1024  # type: ignore[attr-defined]
    item = external_item(holder, path, trusted=True)
    for _visit in range(2):  # a grey stand-in, never the holder's bytes
        response = client.get(f"/archive/items/{item.pk}/thumbnail.jpg")
        assert response.status_code == 200
        assert response["X-Archive-Thumbnail"] == "unavailable"
        assert Image.open(io.BytesIO(response.content)).size == (150, 100)
    assert Holder.requests == [path]  # the failure is remembered, not retried at once
    assert services.cached_thumbnail(url=f"{holder}{path}", origins=[holder]) is None


@pytest.mark.django_db
def test_untrusted_holder_gets_no_thumbnail_no_viewer_and_no_csp_exception(
    client: Client, holder: str, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    item = external_item(holder, "/thumb.png", trusted=False)
    assert client.get(f"/archive/items/{item.pk}/thumbnail.jpg").status_code == 404
    response = client.get(f"/archive/items/{item.pk}/")
    body = response.content.decode()
    assert "data-manifest" not in body
    assert holder not in response["Content-Security-Policy"]
    assert Holder.requests == []


@pytest.mark.django_db
def test_trusted_manifest_opens_in_the_viewer_with_a_csp_for_that_holder_only(
    client: Client, holder: str
) -> None:
    item = external_item(holder, "/thumb.png", trusted=True)
    response = client.get(f"/archive/items/{item.pk}/")
    body = response.content.decode()
    assert f'data-manifest="{holder}/05000513/manifest"' in body
    assert "openseadragon.min.js" in body
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert holder in policy["img-src"]
    assert holder in policy["connect-src"]
    assert holder not in policy["script-src"]
    other = client.get("/archive/")
    assert holder not in other["Content-Security-Policy"]
