"""The public disaster portal: the live map and table (/disaster/), one page per municipality,
the nearest suitable open shelters, and the light emergency page the portal switches to while any
警戒レベル 4+ state is in force. Every page also exists in やさしい日本語 (/disaster/easy/…)."""

import hashlib
import math
import time
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from kurashi.core.codes import check_digit, is_valid_code
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.selectors import portal as selectors
from kurashi.modules.disaster.selectors.shelters import (
    FILTER_HAZARDS,
    HAZARD_FLAGS,
    UnknownHazard,
    check_position,
    nearest_open_shelters,
)
from kurashi.modules.disaster.views.portal_i18n import (
    EASY_LANGUAGE,
    EASY_VARIANT,
    LANGUAGE_CHOICES,
    current_language,
    distance_text,
    language_links,
    page_language,
    render_page,
)

CACHE_SECONDS = 30
# The refreshable data (level table, levels.json) may be shared only briefly: the micro-cache and
# any CDN absorb a surge with one render per few seconds, and a new level shows within the
# page's refresh.
LIVE_CACHE_SECONDS = 5
# The redirect to the emergency page is cached briefly, so that /disaster/ returns to the full
# portal soon after the last L4+ state is lifted.
SWITCH_CACHE_SECONDS = 10
EMERGENCY_CACHE_KEY = "disaster:portal:emergency:v1:{language}"
NEAREST_LIMIT = 5


def _refresh_seconds() -> int:
    return max(5, int(getattr(settings, "DISASTER_PORTAL_REFRESH_SECONDS", CACHE_SECONDS)))


def _name(base: str, variant: str) -> str:
    return f"{base}-easy" if variant == EASY_VARIANT else base


def _optional_url(name: str, **kwargs: Any) -> str:
    """The URL of another area's view, or "" while that area has not registered it."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def _clean_hazard(value: str | None) -> str:
    return value if value and value in HAZARD_FLAGS else ""


# --- the portal ------------------------------------------------------------------------------


@require_safe
def portal_view(request: HttpRequest, variant: str = "") -> HttpResponseBase:
    situation = selectors.get_situation()
    full = request.GET.get("full") == "1"
    if situation.is_emergency and not full:
        response: HttpResponseBase = HttpResponseRedirect(
            reverse(_name("disaster:emergency", variant))
        )
        patch_cache_control(response, public=True, max_age=SWITCH_CACHE_SECONDS)
        return response
    context = {
        "situation": situation,
        "variant": variant,
        "full": full,
        "language_links": language_links(request, "disaster:portal"),
        "situation_url": reverse(_name("disaster:situation", variant)),
        "levels_url": reverse("disaster:levels"),
        "nearest_url": reverse(_name("disaster:nearest", variant)),
        "choose_url": reverse(_name("disaster:choose", variant)),
        "emergency_url": reverse(_name("disaster:emergency", variant)),
        "boundaries_url": reverse("api-v1:municipalities_geojson"),
        "shelters_url": _optional_url("disaster:shelters-geojson"),
        "reports_url": _optional_url("disaster:reports-geojson"),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "refresh_seconds": _refresh_seconds(),
        "hazards": FILTER_HAZARDS,
        "level_styles": [selectors.level_style(level) for level in (5, 4, 3, 2, 1, 0)],
    }
    response = render_page(request, "disaster/portal/index.html", context, variant=variant)
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


@require_safe
@cache_control(public=True, max_age=LIVE_CACHE_SECONDS)
def situation_view(request: HttpRequest, variant: str = "") -> HttpResponse:
    """The refreshable part of the portal (level table, warnings), fetched by portal.js."""
    context = {
        "situation": selectors.get_situation(),
        "variant": variant,
        "emergency_url": reverse(_name("disaster:emergency", variant)),
    }
    return render_page(request, "disaster/portal/situation.html", context, variant=variant)


@require_safe
@cache_control(public=True, max_age=LIVE_CACHE_SECONDS)
def levels_view(request: HttpRequest) -> JsonResponse:
    """The highest level per municipality with its official colours, for the map."""
    situation = selectors.get_situation(with_open_shelter_counts=False)
    return JsonResponse(
        {
            "as_of": situation.as_of.isoformat(),
            "highest_level": situation.highest_level,
            "emergency": situation.is_emergency,
            "municipalities": {
                m.code: {"level": m.level, "fill": m.style.fill, "ink": m.style.ink}
                for m in situation.municipalities
            },
        },
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


# --- one municipality ------------------------------------------------------------------------


@require_safe
def municipality_view(request: HttpRequest, code: str, variant: str = "") -> HttpResponseBase:
    if len(code) == 5 and code.isascii() and code.isdigit():
        # The 5-digit form (without the check digit) is common in open data: send it on.
        target = reverse(
            _name("disaster:municipality", variant), kwargs={"code": code + check_digit(code)}
        )
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{target}?{query}" if query else target, permanent=True)
    municipality = selectors.get_municipality(code) if is_valid_code(code) else None
    if municipality is None:
        raise Http404(code)
    hazard = _clean_hazard(request.GET.get("hazard"))
    situation = selectors.get_municipality_situation(municipality, hazard=hazard or None)
    context = {
        "page": situation,
        "variant": variant,
        "hazard": hazard,
        "hazards": FILTER_HAZARDS,
        "language_links": language_links(
            request, "disaster:municipality", kwargs={"code": municipality.code}
        ),
        "portal_url": reverse(_name("disaster:portal", variant)) + "?full=1",
        "emergency_url": reverse(_name("disaster:emergency", variant)),
        "cap_feed_url": _optional_url("disaster:cap-feed"),
        "cap_links": _cap_links(situation.alerts),
    }
    response = render_page(request, "disaster/portal/municipality.html", context, variant=variant)
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


def _cap_links(alerts: tuple[Any, ...]) -> dict[int, str]:
    links = {}
    for alert in alerts:
        url = _optional_url("disaster:cap-alert", identifier=alert.identifier)
        if url:
            links[alert.pk] = url
    return links


@require_safe
def choose_view(request: HttpRequest, variant: str = "") -> HttpResponseBase:
    """The no-JavaScript way to the open shelters: pick a municipality (and a hazard)."""
    code = request.GET.get("code", "")
    if not (is_valid_code(code) and selectors.get_municipality(code)):
        return redirect(reverse(_name("disaster:portal", variant)) + "?full=1#shelters")
    target = reverse(_name("disaster:municipality", variant), kwargs={"code": code})
    hazard = _clean_hazard(request.GET.get("hazard"))
    return redirect(f"{target}?hazard={hazard}#shelters" if hazard else f"{target}#shelters")


# --- nearest open shelters -------------------------------------------------------------------


def _gsi_map_url(latitude: float, longitude: float) -> str:
    return f"https://maps.gsi.go.jp/#16/{latitude:.6f}/{longitude:.6f}/"


def _geo_uri(latitude: float, longitude: float, name: str) -> str:
    return f"geo:{latitude:.6f},{longitude:.6f}?q={latitude:.6f},{longitude:.6f}({quote(name)})"


@never_cache
@require_safe
def nearest_view(request: HttpRequest, variant: str = "") -> JsonResponse:
    """The nearest open shelters suitable for ?hazard= from ?lat=&lon= (the browser's position).
    Never cached: the answer depends on where the resident is."""
    with page_language(variant):
        try:
            latitude = float(request.GET.get("lat", ""))
            longitude = float(request.GET.get("lon", ""))
        except ValueError:
            return _nearest_error("bad_position", _("The position is not a pair of numbers."))
        if not (math.isfinite(latitude) and math.isfinite(longitude)):
            return _nearest_error("bad_position", _("The position is not a pair of numbers."))
        hazard = request.GET.get("hazard") or ""
        try:
            position = check_position(latitude, longitude)
            if not position.ok:
                return _nearest_error(
                    "outside",
                    _("Your position is outside Saga Prefecture. Choose a municipality instead."),
                    status=200,
                )
            shelters = nearest_open_shelters(
                latitude=latitude, longitude=longitude, hazard=hazard or None, limit=NEAREST_LIMIT
            )
        except UnknownHazard:
            return _nearest_error("bad_hazard", _("Choose a hazard from the list."))
        crowding = dict(Shelter.Crowding.choices)
        names = {m.code: m for m in selectors.list_municipalities()}
        results = []
        for shelter in shelters:
            municipality = names.get(shelter.municipality_code)
            results.append(
                {
                    "common_id": shelter.common_id,
                    "name": shelter.name,
                    "address": shelter.address,
                    "municipality": _plain_name(municipality) if municipality else "",
                    "distance_m": round(shelter.distance_m),
                    "distance_text": distance_text(shelter.distance_m),
                    "crowding": shelter.crowding,
                    "crowding_text": str(crowding.get(shelter.crowding, shelter.crowding)),
                    "is_welfare": shelter.is_welfare,
                    "map_url": _gsi_map_url(shelter.latitude, shelter.longitude),
                    "geo_uri": _geo_uri(shelter.latitude, shelter.longitude, shelter.name),
                    "page_url": reverse(
                        _name("disaster:municipality", variant),
                        kwargs={"code": shelter.municipality_code},
                    ),
                }
            )
        return JsonResponse(
            {
                "status": "ok" if results else "none",
                "municipality_code": position.municipality_code,
                "message": "" if results else _("No suitable shelter is open near you yet."),
                "shelters": results,
            },
            json_dumps_params={"ensure_ascii": False},
        )


def _nearest_error(problem: str, message: str, *, status: int = 400) -> JsonResponse:
    return JsonResponse(
        {"status": problem, "message": message, "shelters": []},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _plain_name(municipality: Any) -> str:
    return str(municipality.name_en if current_language() == "en" else municipality.name_ja)


# --- the light emergency page ----------------------------------------------------------------


def _render_emergency(variant: str, language: str) -> tuple[bytes, str]:
    """The page's bytes and ETag. Rendered without the request (no context processors): the page
    holds nothing personal, so one copy serves everyone."""
    context = {
        "data": selectors.get_emergency_data(),
        "variant": variant,
        "language": language,
        "language_links": _emergency_language_links(),
        "portal_url": reverse(_name("disaster:portal", variant)) + "?full=1",
        "home_url": reverse("portal:home"),
        "all_styles": [selectors.level_style(level) for level in (5, 4, 3)],
    }
    with page_language(variant):
        body = render_to_string("disaster/portal/emergency.html", context).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _emergency_language_links() -> list[dict[str, str]]:
    links = []
    for code, label, lang in LANGUAGE_CHOICES:
        name = "disaster:emergency-easy" if code == EASY_LANGUAGE else "disaster:emergency"
        with translation.override("ja" if code == EASY_LANGUAGE else code):
            url = reverse(name)
        links.append({"code": code, "label": label, "lang": lang, "url": url})
    return links


@require_safe
def emergency_view(request: HttpRequest, variant: str = "") -> HttpResponse:
    """< 50 KB, no map, no script, no web font; the rendered bytes are cached for 30 s per
    language, so a burst of residents costs one render every 30 s."""
    language = EASY_LANGUAGE if variant == EASY_VARIANT else current_language()
    key = EMERGENCY_CACHE_KEY.format(language=language)
    cached = cache.get(key)
    now = time.time()
    if cached is None:
        body, etag = _render_emergency(variant, language)
        cached = (body, etag, now)
        cache.set(key, cached, CACHE_SECONDS)
    body, etag, built_at = cached
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["ETag"] = etag
    response["Age"] = str(max(0, int(now - built_at)))
    response["Content-Language"] = language
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def emergency_cache_keys() -> list[str]:
    return [EMERGENCY_CACHE_KEY.format(language=language) for language in ("ja", "en", "ja-x-easy")]


def home_card_context(request: HttpRequest) -> dict[str, Any]:
    """The home page card: the highest levels now, and the emergency banner at L4+."""
    situation = selectors.get_situation(with_open_shelter_counts=False)
    return {
        "situation": situation,
        "affected": situation.affected[:8],
        "more": max(0, len(situation.affected) - 8),
        "portal_url": reverse("disaster:portal") + "?full=1",
        "emergency_url": reverse("disaster:emergency"),
        "easy_url": reverse("disaster:portal-easy"),
    }
