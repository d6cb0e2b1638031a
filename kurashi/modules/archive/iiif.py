"""IIIF Presentation 3.0 manifests (ja/en language maps) and Image API 3.0 level-0 info.json,
built from an item and its media. Plain dictionaries, serialised by the views."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from kurashi.modules.archive.imaging import TILE_SIZE, scale_factors, sizes
from kurashi.modules.archive.models import Item, ItemMedia, MediaFile, Track
from kurashi.modules.archive.rights import IIIF_RIGHTS_URIS, credit_line

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
IMAGE_PROFILE = "level0"


def site_url(path: str) -> str:
    """An absolute URL on the unprefixed (Japanese) path: IIIF ids must not change with the UI
    language."""
    return settings.SITE_URL.rstrip("/") + path


def unprefixed(name: str, *args: Any) -> str:
    with translation.override("ja"):
        return site_url(reverse(name, args=args))


def image_base(media: MediaFile) -> str:
    return unprefixed("archive:iiif-base", media.sha256)


def info_json(media: MediaFile) -> dict[str, Any]:
    width, height = media.width or 0, media.height or 0
    return {
        "@context": IMAGE_CONTEXT,
        "id": image_base(media),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": IMAGE_PROFILE,
        "width": width,
        "height": height,
        "sizes": [{"width": w, "height": h} for w, h in sizes(width, height)],
        "tiles": [
            {
                "width": TILE_SIZE,
                "height": TILE_SIZE,
                "scaleFactors": scale_factors(width, height),
            }
        ],
        "preferredFormats": ["jpg"],
    }


def _language_map(ja: str, en: str = "") -> dict[str, list[str]]:
    values = {"ja": [ja]} if ja else {}
    if en:
        values["en"] = [en]
    return values or {"none": [""]}


def _pair(label_ja: str, label_en: str, value: dict[str, list[str]]) -> dict[str, Any]:
    return {"label": {"ja": [label_ja], "en": [label_en]}, "value": value}


def _metadata(item: Item) -> list[dict[str, Any]]:
    rows = []
    if item.title_reading:
        rows.append(_pair("タイトルよみ", "Title reading", {"ja-Hira": [item.title_reading]}))
    if item.creators:
        rows.append(_pair("作成者", "Creator", {"ja": [" / ".join(item.creators)]}))
    if item.date_text:
        rows.append(_pair("日付", "Date", {"ja": [item.date_text]}))
    place = item.place_name or (item.municipality.name_ja if item.municipality else "")
    if place:
        english = item.municipality.name_en if item.municipality else ""
        rows.append(_pair("場所", "Place", _language_map(place, english)))
    if item.subjects:
        rows.append(_pair("主題", "Subject", {"ja": [" / ".join(item.subjects)]}))
    rows.append(_pair("種別", "Type", _language_map(_label_in(item, "ja"), _label_in(item, "en"))))
    if item.preserving_group:
        rows.append(_pair("保存団体", "Preserving group", {"ja": [item.preserving_group]}))
    return rows


def _label_in(item: Item, language: str) -> str:
    with translation.override(language):
        return str(Item.Type(item.type).label)


def _image_canvas(manifest_id: str, number: int, use: ItemMedia) -> dict[str, Any]:
    media = use.media
    canvas_id = f"{manifest_id}/canvas/{number}"
    base = image_base(media)
    width, height = media.width or 1, media.height or 1
    return {
        "id": canvas_id,
        "type": "Canvas",
        "label": {"none": [use.label or f"{number}"]},
        "width": width,
        "height": height,
        "items": [
            {
                "id": f"{canvas_id}/page",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{canvas_id}/page/painting",
                        "type": "Annotation",
                        "motivation": "painting",
                        "body": {
                            "id": f"{base}/full/max/0/default.jpg",
                            "type": "Image",
                            "format": "image/jpeg",
                            "width": width,
                            "height": height,
                            "service": [
                                {"id": base, "type": "ImageService3", "profile": IMAGE_PROFILE}
                            ],
                        },
                        "target": canvas_id,
                    }
                ],
            }
        ],
    }


def _av_canvas(manifest_id: str, number: int, use: ItemMedia, item: Item) -> dict[str, Any]:
    media = use.media
    canvas_id = f"{manifest_id}/canvas/{number}"
    canvas: dict[str, Any] = {
        "id": canvas_id,
        "type": "Canvas",
        "label": {"none": [use.label or f"{number}"]},
        "duration": media.duration or 1.0,
        "items": [
            {
                "id": f"{canvas_id}/page",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{canvas_id}/page/painting",
                        "type": "Annotation",
                        "motivation": "painting",
                        "body": {
                            "id": unprefixed("archive:media-file", media.sha256),
                            "type": "Video" if media.kind == MediaFile.Kind.VIDEO else "Sound",
                            "format": media.mime_type,
                            "duration": media.duration or 1.0,
                        },
                        "target": canvas_id,
                    }
                ],
            }
        ],
    }
    tracks = list(Track.objects.filter(item_media=use))
    if tracks:
        canvas["annotations"] = [
            {
                "id": f"{canvas_id}/captions",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{canvas_id}/captions/{track.language}",
                        "type": "Annotation",
                        "motivation": "supplementing",
                        "body": {
                            "id": unprefixed("archive:track", item.pk, track.pk),
                            "type": "Text",
                            "format": "text/vtt",
                            "language": track.language,
                            "label": {"none": [track.label]},
                        },
                        "target": canvas_id,
                    }
                    for track in tracks
                ],
            }
        ]
    return canvas


def manifest(item: Item, uses: list[ItemMedia]) -> dict[str, Any]:
    """The Presentation 3.0 manifest of an item with local media (at least one canvas)."""
    manifest_id = unprefixed("archive:manifest", item.pk)
    page = unprefixed("archive:item", item.pk)
    credit = credit_line(
        rights=item.rights,
        holder_ja=item.rights_holder_ja,
        holder_en=item.rights_holder_en,
        title=item.title,
        url=page,
    )
    canvases = []
    for number, use in enumerate(uses, start=1):
        if use.media.kind == MediaFile.Kind.IMAGE:
            canvases.append(_image_canvas(manifest_id, number, use))
        else:
            canvases.append(_av_canvas(manifest_id, number, use, item))
    data: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": _language_map(item.title, item.title_en),
        "metadata": _metadata(item),
        "requiredStatement": {
            "label": {"ja": ["出典"], "en": ["Attribution"]},
            "value": {"ja": [credit.ja], "en": [credit.en]},
        },
        "rights": IIIF_RIGHTS_URIS[item.rights],
        "homepage": [
            {
                "id": page,
                "type": "Text",
                "label": _language_map(item.title, item.title_en),
                "format": "text/html",
            }
        ],
        "provider": [
            {
                "id": unprefixed("archive:collection", item.collection.slug),
                "type": "Agent",
                "label": _language_map(
                    item.rights_holder_ja or item.collection.title_ja,
                    item.rights_holder_en or item.collection.title_en,
                ),
            }
        ],
        "items": canvases,
    }
    if item.description or item.description_en:
        data["summary"] = _language_map(item.description, item.description_en)
    if item.year is not None and 1 <= item.year <= 9999:
        data["navDate"] = f"{item.year:04d}-01-01T00:00:00Z"
    images = [use for use in uses if use.media.kind == MediaFile.Kind.IMAGE and use.media.width]
    if images:
        media = images[0].media
        width, height = sizes(media.width or 1, media.height or 1)[0]
        data["thumbnail"] = [
            {
                "id": f"{image_base(media)}/full/{width},{height}/0/default.jpg",
                "type": "Image",
                "format": "image/jpeg",
                "width": width,
                "height": height,
            }
        ]
    return data
