"""Public pages: browse (collections, municipalities, map), search with facets, the item page
(deep-zoom viewer, player with transcript, schema.org JSON-LD and OGP), the reading view."""

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from kurashi.modules.archive import aozora, iiif, selectors
from kurashi.modules.archive.eras import Era
from kurashi.modules.archive.external import is_trusted
from kurashi.modules.archive.imaging import sizes
from kurashi.modules.archive.models import Collection, Item, ItemText, MediaFile, Segment
from kurashi.modules.archive.rights import RIGHTS_URIS, Rights, credit_line

SCHEMA_TYPES = {
    Item.Type.TEXT: "Book",
    Item.Type.IMAGE: "VisualArtwork",
    Item.Type.AUDIO: "AudioObject",
    Item.Type.VIDEO: "VideoObject",
    Item.Type.PERFORMANCE: "CreativeWork",
}


def json_ld(data: dict[str, Any]) -> SafeString:
    """JSON for a <script type="application/ld+json"> block: <, > and & are escaped so no
    metadata can close the script element."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)


def _filters(request: HttpRequest) -> selectors.SearchFilters:
    return selectors.SearchFilters(
        type=request.GET.get("type", "") if request.GET.get("type") in Item.Type.values else "",
        municipality=request.GET.get("municipality", "")[:6],
        era=request.GET.get("era", "") if request.GET.get("era") in Era.values else "",
        rights=request.GET.get("rights", "") if request.GET.get("rights") in Rights.values else "",
        collection=request.GET.get("collection", "")[:60],
    )


def _page(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return min(int(value), 10_000) if value.isdigit() and int(value) > 0 else 1


def _link(request: HttpRequest, **changes: str) -> str:
    params = {key: value for key, value in request.GET.items() if key != "page"}
    for key, value in changes.items():
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    return "?" + urlencode(params)


FACET_TITLES = {"type": "Type", "municipality": "Municipality", "era": "Era", "rights": "Rights"}


@require_GET
@cache_control(public=True, max_age=60)
def index_view(request: HttpRequest) -> HttpResponse:
    latest = selectors.browse(filters=selectors.SearchFilters(), page=1, page_size=8)
    return render(
        request,
        "archive/index.html",
        {
            "collections": selectors.list_collections(),
            "municipalities": [row for row in selectors.count_by_municipality() if row.count],
            "latest": latest.items,
            "types": Item.Type.choices,
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    filters = _filters(request)
    page = _page(request)
    if query:
        result = selectors.search(query, filters=filters, page=page)
    else:
        result = selectors.browse(filters=filters, page=page)
    facets = []
    for name, values in result.facets.items():
        facets.append(
            {
                "name": name,
                "values": [
                    {
                        "label": value.label,
                        "count": value.count,
                        "selected": getattr(filters, name) == value.value,
                        "url": _link(
                            request,
                            **{name: "" if getattr(filters, name) == value.value else value.value},
                        ),
                    }
                    for value in values[:12]
                ],
            }
        )
    return render(
        request,
        "archive/search.html",
        {
            "query": query,
            "result": result,
            "facets": facets,
            "facet_titles": FACET_TITLES,
            "previous_url": _link(request, page=str(page - 1)) if page > 1 else "",
            "next_url": _link(request, page=str(page + 1)) if page < result.pages else "",
            "active_filters": [
                (name, _link(request, **{name: ""}), getattr(filters, name))
                for name in ("type", "municipality", "era", "rights", "collection")
                if getattr(filters, name)
            ],
        },
    )


@require_GET
@cache_control(public=True, max_age=60)
def collection_view(request: HttpRequest, slug: str) -> HttpResponse:
    collection = Collection.objects.filter(slug=slug).first()
    if collection is None:
        raise Http404
    page = _page(request)
    result = selectors.browse(filters=selectors.SearchFilters(collection=slug), page=page)
    english = (get_language() or "ja").startswith("en")
    return render(
        request,
        "archive/collection.html",
        {
            "collection": collection,
            "title": collection.title_en
            if english and collection.title_en
            else collection.title_ja,
            "description": (
                collection.description_en
                if english and collection.description_en
                else collection.description_ja
            ),
            "result": result,
            "previous_url": _link(request, page=str(page - 1)) if page > 1 else "",
            "next_url": _link(request, page=str(page + 1)) if page < result.pages else "",
        },
    )


@require_GET
@cache_control(public=True, max_age=300)
def map_geojson_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.map_features())


def _item_json_ld(item: Item, page_url: str, image_url: str, transcript: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES[Item.Type(item.type)],
        "@id": page_url,
        "url": page_url,
        "name": [{"@value": item.title, "@language": "ja"}]
        + ([{"@value": item.title_en, "@language": "en"}] if item.title_en else []),
        "inLanguage": item.language,
        "license": RIGHTS_URIS[item.rights],
        "isAccessibleForFree": True,
        "isPartOf": {"@type": "Collection", "name": item.collection.title_ja},
    }
    if item.title_reading:
        data["alternateName"] = {"@value": item.title_reading, "@language": "ja-Hira"}
    if item.creators:
        data["creator"] = [{"@type": "Person", "name": name} for name in item.creators]
    if item.description:
        data["description"] = item.description
    if item.year is not None:
        data["dateCreated"] = f"{item.year:04d}"
    if item.date_text:
        data["temporalCoverage"] = item.date_text
    if item.subjects:
        data["keywords"] = ", ".join(item.subjects)
    place: dict[str, Any] = {}
    if item.municipality is not None or item.place_name:
        place = {"@type": "Place", "name": item.place_name or item.municipality.name_ja}  # type: ignore[union-attr]
        if item.latitude is not None and item.longitude is not None:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": item.latitude,
                "longitude": item.longitude,
            }
        data["spatialCoverage"] = place
    if item.rights_holder_ja:
        data["copyrightHolder"] = {"@type": "Organization", "name": item.rights_holder_ja}
    if image_url:
        data["image"] = image_url
    if transcript:
        data["transcript"] = transcript[:5000]
    if item.event_name:
        data["recordedAt"] = {
            "@type": "Event",
            "name": item.event_name,
            **({"startDate": item.performed_on.isoformat()} if item.performed_on else {}),
            **({"location": place} if place else {}),
        }
    return data


def _preview_url(media: MediaFile) -> str:
    """A whole-image size up to 1024 px wide: what a reader without JavaScript sees."""
    options = [size for size in sizes(media.width or 1, media.height or 1) if size[0] <= 1024]
    width, height = options[-1] if options else sizes(media.width or 1, media.height or 1)[0]
    return f"{iiif.image_base(media)}/full/{width},{height}/0/default.jpg"


@require_GET
@cache_control(public=True, max_age=60)
def item_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.get_public_item(pk)
    except Item.DoesNotExist:
        raise Http404 from None
    uses = selectors.media_of(item)
    images = [use for use in uses if use.media.kind == MediaFile.Kind.IMAGE]
    recordings = [use for use in uses if use.media.kind != MediaFile.Kind.IMAGE]
    segments = list(Segment.objects.filter(item=item))
    players: list[dict[str, Any]] = [
        {
            "use": use,
            "src": iiif.unprefixed("archive:media-file", use.media.sha256),
            "tracks": [
                {
                    "view": view,
                    "src": reverse("archive:track", args=[item.pk, track_id]),
                }
                for view, track_id in zip(
                    selectors.tracks_of(use, segments=segments),
                    use.tracks.values_list("pk", flat=True),
                    strict=False,
                )
            ],
        }
        for use in recordings
    ]
    page_url = iiif.unprefixed("archive:item", item.pk)
    image_url = ""
    viewers = []
    for use in images:
        if use.media.tiles_ready:
            base = iiif.image_base(use.media)
            viewers.append(
                {
                    "info": reverse("archive:iiif-info", args=[use.media.sha256]),
                    "preview": _preview_url(use.media),
                    "label": use.label,
                    "full": f"{base}/full/max/0/default.jpg",
                }
            )
            image_url = image_url or selectors.thumbnail_url(item, use.media)
    origins = list(item.collection.iiif_origins or [])
    external_manifest = (
        item.external_manifest_url
        if not images and is_trusted(item.external_manifest_url, origins)
        else ""
    )
    image_url = image_url or selectors.thumbnail_url(item, None, trusted_origins=origins)
    has_text = ItemText.objects.filter(item=item).exists()
    transcript = " ".join(
        line.text
        for player in players
        for track in player["tracks"][:1]
        for line in track["view"].lines
    )
    credit = credit_line(
        rights=item.rights,
        holder_ja=item.rights_holder_ja,
        holder_en=item.rights_holder_en,
        title=item.title,
        url=page_url,
    )
    english = (get_language() or "ja").startswith("en")
    response = render(
        request,
        "archive/item.html",
        {
            "item": item,
            "title": item.title_en if english and item.title_en else item.title,
            "viewers": viewers,
            "external_manifest": external_manifest,
            "external_preview": selectors.thumbnail_url(
                item, None, absolute=False, trusted_origins=origins
            ),
            "players": players,
            "segments": segments,
            "has_text": has_text,
            "manifest_url": reverse("archive:manifest", args=[item.pk]) if uses else "",
            "credit": credit.en if english else credit.ja,
            "rights_uri": RIGHTS_URIS[item.rights],
            "rights_label": Rights(item.rights).label,
            "page_url": page_url,
            "image_url": image_url,
            "json_ld": json_ld(_item_json_ld(item, page_url, image_url, transcript)),
        },
    )
    if external_manifest:
        response._csp_config = _csp_with(origins)  # type: ignore[attr-defined]
    return response


def _csp_with(origins: list[str]) -> dict[str, Any]:
    """The site's CSP with the holder's trusted IIIF origins allowed for images (tiles) and
    fetches (manifest, info.json): only on the item pages of that holder's collection."""
    configured: dict[str, Any] = settings.SECURE_CSP
    policy: dict[str, Any] = {name: list(values) for name, values in configured.items()}
    for directive in ("img-src", "connect-src"):
        policy[directive] = [*policy.get(directive, []), *origins]
    return policy


@require_GET
@cache_control(public=True, max_age=300)
def read_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.get_public_item(pk)
    except Item.DoesNotExist:
        raise Http404 from None
    text = ItemText.objects.filter(item=item).first()
    if text is None:
        raise Http404
    return render(
        request,
        "archive/read.html",
        {
            "item": item,
            "vertical": request.GET.get("mode") == "vertical",
            "body": aozora.render_html(text.blocks),
            "footer": text.footer,
            "credit": credit_line(
                rights=item.rights,
                holder_ja=item.rights_holder_ja,
                holder_en=item.rights_holder_en,
                title=item.title,
                url=iiif.unprefixed("archive:item", item.pk),
            ).ja,
        },
    )
