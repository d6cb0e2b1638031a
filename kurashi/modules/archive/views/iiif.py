"""IIIF endpoints: Presentation 3.0 manifests, Image API 3.0 level-0 info.json and the static
tiles rendered by the tiling task, media files and WebVTT tracks. CORS open, as IIIF expects."""

import functools
import io
import json
import re

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET
from PIL import Image

from kurashi.modules.archive import iiif, selectors, services, webvtt
from kurashi.modules.archive.external import is_trusted
from kurashi.modules.archive.models import Item, MediaFile, Track

_SHA = re.compile(r"^[0-9a-f]{64}$")
_REGION = re.compile(r"^(full|\d+,\d+,\d+,\d+)$")
_SIZE = re.compile(r"^(max|\d+,\d*|\d*,\d+)$")
PRESENTATION_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
IMAGE_TYPE = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'


def _cors[R: HttpResponseBase](response: R) -> R:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _public_media(sha256: str) -> MediaFile:
    """A media file shown by at least one public item (drafts' media stay private)."""
    if not _SHA.match(sha256):
        raise Http404
    media = MediaFile.objects.filter(
        sha256=sha256,
        uses__item__status=Item.Status.PUBLISHED,
        uses__item__is_deleted=False,
    ).first()
    if media is None:
        raise Http404
    return media


@require_GET
def manifest_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.get_public_item(pk)
    except Item.DoesNotExist:
        raise Http404 from None
    uses = selectors.media_of(item)
    if not uses:
        raise Http404
    body = json.dumps(iiif.manifest(item, uses), ensure_ascii=False)
    response = HttpResponse(body, content_type=PRESENTATION_TYPE)
    response["Cache-Control"] = "public, max-age=300"
    return _cors(response)


@require_GET
def image_base_view(request: HttpRequest, sha256: str) -> HttpResponse:
    """The image service's base URI redirects to its info.json (Image API 3.0 §2.1)."""
    response = HttpResponse(status=303)
    response["Location"] = request.path.rstrip("/") + "/info.json"
    return _cors(response)


@require_GET
def info_view(request: HttpRequest, sha256: str) -> HttpResponse:
    media = _public_media(sha256)
    if not media.tiles_ready:
        raise Http404
    response = HttpResponse(json.dumps(iiif.info_json(media)), content_type=IMAGE_TYPE)
    response["Cache-Control"] = "public, max-age=3600"
    return _cors(response)


def _size_path(media: MediaFile, region: str, size: str) -> str:
    """Level-0 clients may ask `w,` or `,h`: map them onto the canonical `w,h` we rendered."""
    if size == "max" or re.fullmatch(r"\d+,\d+", size):
        return size
    width_text, height_text = size.split(",")
    if region == "full":
        region_w, region_h = media.width or 1, media.height or 1
    else:
        _x, _y, region_w, region_h = (int(part) for part in region.split(","))
    if width_text:
        width = int(width_text)
        return f"{width},{round(region_h * width / region_w)}"
    height = int(height_text)
    return f"{round(region_w * height / region_h)},{height}"


@require_GET
def image_view(
    request: HttpRequest, sha256: str, region: str, size: str, rotation: str, quality: str
) -> HttpResponseBase:
    media = _public_media(sha256)
    if not (_REGION.match(region) and _SIZE.match(size)) or rotation != "0" or quality != "default":
        raise Http404
    directory = services.tiles_directory(media).resolve()
    canonical = _size_path(media, region, size)
    options = [canonical]
    if canonical != "max":  # clients round ±1 px differently from the renderer
        width, height = (int(part) for part in canonical.split(","))
        options += [f"{width + dw},{height + dh}" for dw in (-1, 0, 1) for dh in (-1, 0, 1)]
    for option in options:
        resolved = (directory / region / option / "0" / "default.jpg").resolve()
        if resolved.is_relative_to(directory) and resolved.is_file():
            break
    else:
        raise Http404
    response = FileResponse(resolved.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400, immutable"
    return _cors(response)


@require_GET
def thumbnail_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The cached thumbnail of a public item's external image (trusted holders only)."""
    try:
        item = selectors.get_public_item(pk)
    except Item.DoesNotExist:
        raise Http404 from None
    origins = item.collection.iiif_origins or []
    if not (item.thumbnail_url and is_trusted(item.thumbnail_url, origins)):
        raise Http404
    path = services.cached_thumbnail(url=item.thumbnail_url, origins=origins)
    if path is None:
        # the holder cannot be reached (or sent no usable image): a plain grey stand-in, so a
        # result list shows no broken image; asked again after the retry delay
        response: HttpResponseBase = HttpResponse(_placeholder(), content_type="image/png")
        response["Cache-Control"] = (
            f"public, max-age={int(services.THUMBNAIL_RETRY.total_seconds())}"
        )
        response["X-Archive-Thumbnail"] = "unavailable"
        return response
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@functools.cache
def _placeholder() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (150, 100), (221, 221, 221)).save(buffer, "PNG")
    return buffer.getvalue()


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@require_GET
def media_file_view(request: HttpRequest, sha256: str) -> HttpResponseBase:
    """The recording, with byte ranges: browsers need them to seek (the transcript's times)."""
    media = _public_media(sha256)
    size = media.size
    match = _RANGE.match(request.headers.get("Range", ""))
    response: HttpResponseBase
    if match and (match.group(1) or match.group(2)):
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        else:
            start, end = max(size - int(match.group(2)), 0), size - 1
        if start > end or start >= size:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return _cors(refused)
        with media.file.open("rb") as handle:
            handle.seek(start)
            chunk = handle.read(end - start + 1)
        response = HttpResponse(chunk, status=206, content_type=media.mime_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(media.file.open("rb"), content_type=media.mime_type)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "public, max-age=86400"
    return _cors(response)


@require_GET
def track_view(request: HttpRequest, pk: int, track_id: int) -> HttpResponse:
    try:
        item = selectors.get_public_item(pk)
    except Item.DoesNotExist:
        raise Http404 from None
    track = (
        Track.objects.filter(pk=track_id, item_media__item=item)
        .select_related("item_media")
        .first()
    )
    if track is None:
        raise Http404
    views = selectors.tracks_of(track.item_media, segments=list(item.segments.all()))
    lines = next((view.lines for view in views if view.language == track.language), [])
    response = HttpResponse(webvtt.write_vtt(lines), content_type="text/vtt; charset=utf-8")
    return _cors(response)
