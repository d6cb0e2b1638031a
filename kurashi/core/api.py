"""Municipalities on the JSON API: codes, names and boundaries (GeoJSON)."""

import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from ninja import Router, Schema
from ninja.errors import HttpError

from kurashi.core.geo import municipality_at
from kurashi.core.models import Municipality

router = Router(tags=["municipalities"])

CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"


class MunicipalityOut(Schema):
    code: str
    name_ja: str
    name_kana: str
    name_en: str
    kind: str


class LocateOut(Schema):
    lat: float
    lon: float
    municipality: MunicipalityOut | None


@router.get(
    "/municipalities",
    response=list[MunicipalityOut],
    summary="The municipalities with 6-digit local government codes",
)
def list_municipalities(request: HttpRequest) -> list[Municipality]:
    return list(Municipality.objects.order_by("code"))


@router.get(
    "/municipalities.geojson",
    url_name="municipalities_geojson",
    summary="Municipal boundaries as a GeoJSON FeatureCollection",
)
@cache_control(public=True, max_age=3600)
def municipalities_geojson(request: HttpRequest) -> HttpResponse:
    features = [
        {
            "type": "Feature",
            "id": m.code,
            "properties": {
                "code": m.code,
                "name_ja": m.name_ja,
                "name_kana": m.name_kana,
                "name_en": m.name_en,
            },
            "geometry": m.boundary_geojson,
        }
        for m in Municipality.objects.filter(boundary_geojson__isnull=False).order_by("code")
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "attribution": CREDIT},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


@router.get("/locate", response=LocateOut, summary="Which municipality is a point (WGS84) in?")
def locate(request: HttpRequest, lat: float, lon: float) -> dict[str, object]:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        # NaN or infinity answered 200 with "NaN" in the body: not JSON at all.
        raise HttpError(422, "lat and lon must be WGS84 degrees (-90..90, -180..180)")
    ref = municipality_at(lat, lon)
    match = Municipality.objects.filter(code=ref.code).first() if ref else None
    return {"lat": lat, "lon": lon, "municipality": match}
