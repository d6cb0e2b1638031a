"""JSON API of the disaster module: shelters — the list with filters and pagination, one shelter,
the GeoJSON layer, the nearest suitable open shelters, and the GSI CSV export."""

import json
import math
from dataclasses import asdict
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.selectors.shelters import (
    GSI_CREDIT,
    UnknownHazard,
    check_position,
    export_gsi_csv,
    filter_problems,
    get_shelter,
    list_shelters,
    nearest_open_shelters,
    shelters_geojson,
)

router = Router(tags=["disaster"])

MAX_PAGE_SIZE = 200


class ErrorOut(Schema):
    detail: str


class ShelterBaseOut(Schema):
    """What every shelter answer carries: identity, place, hazard suitability and live status."""

    common_id: str
    name: str
    kind: str
    municipality_code: str
    address: str
    latitude: float
    longitude: float
    for_flood: bool
    for_landslide: bool
    for_storm_surge: bool
    for_earthquake: bool
    for_tsunami: bool
    for_fire: bool
    for_inland_flood: bool
    for_volcano: bool
    is_welfare: bool
    open_state: str
    crowding: str
    headcount: int | None
    capacity: int | None
    status_checked_at: datetime | None
    url: str


class ShelterOut(ShelterBaseOut):
    accepted_people: str
    note: str


class ShelterPageOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    next: str | None
    previous: str | None
    attribution: str
    items: list[ShelterOut]


class ShelterFilters(Schema):
    municipality: str | None = Field(None, description="6-digit municipality code, e.g. 412023")
    hazard: str | None = Field(
        None,
        description="flood, heavy_rain, landslide, storm_surge, tsunami, earthquake, fire, "
        "inland_flood, volcano (storm, high_waves, snow, tornado, heat, other: no filter)",
    )
    state: str | None = Field(None, description="not_open, open or closed")
    kind: str | None = Field(None, description="shelter (指定避難所) or emergency_site")
    q: str | None = Field(None, max_length=100, description="part of the name or address")


class NearestOut(ShelterBaseOut):
    distance_m: float


class NearestListOut(Schema):
    latitude: float
    longitude: float
    hazard: str | None
    include_not_open: bool
    attribution: str
    shelters: list[NearestOut]


def _bad_filter(problems: list[str]) -> str:
    return "絞り込み条件が正しくありません / Unknown filter value: " + ", ".join(problems)


def _shelter_out(shelter: Shelter) -> dict[str, object]:
    return {
        **{name: getattr(shelter, name) for name in ShelterOut.model_fields if name != "url"},
        "url": reverse("disaster:shelter-detail", args=[shelter.common_id]),
    }


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return f"{request.path}?{query.urlencode()}"


@router.get(
    "/shelters",
    response={200: ShelterPageOut, 400: ErrorOut},
    summary="Shelters and emergency sites with their live status (filters, pagination)",
)
def shelters(
    request: HttpRequest,
    filters: Query[ShelterFilters],
    page: int = 1,
    page_size: int = 50,
) -> Status[dict[str, object]]:
    problems = filter_problems(
        hazard=filters.hazard,
        open_state=filters.state,
        kind=filters.kind,
        municipality_code=filters.municipality,
    )
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        problems.append(f"page: {page}, page_size: {page_size} (1–{MAX_PAGE_SIZE})")
    if problems:
        return Status(400, {"detail": _bad_filter(problems)})
    found = list_shelters(
        municipality_code=filters.municipality,
        hazard=filters.hazard,
        open_state=filters.state,
        kind=filters.kind,
        query=filters.q,
    )
    count = found.count()
    pages = max(1, math.ceil(count / page_size))
    start = (page - 1) * page_size
    return Status(
        200,
        {
            "count": count,
            "page": page,
            "pages": pages,
            "page_size": page_size,
            "next": _page_url(request, page + 1) if page < pages else None,
            "previous": _page_url(request, page - 1) if 1 < page <= pages + 1 else None,
            "attribution": GSI_CREDIT,
            "items": [_shelter_out(shelter) for shelter in found[start : start + page_size]],
        },
    )


@router.get(
    "/shelters.geojson",
    url_name="shelters_geojson",
    response={200: None, 400: ErrorOut},
    summary="Shelters as a GeoJSON FeatureCollection (filters: hazard, state, municipality, kind)",
)
def shelters_geojson_api(
    request: HttpRequest, filters: Query[ShelterFilters]
) -> HttpResponse | Status[dict[str, str]]:
    problems = filter_problems(
        hazard=filters.hazard,
        open_state=filters.state,
        kind=filters.kind,
        municipality_code=filters.municipality,
    )
    if problems:
        return Status(400, {"detail": _bad_filter(problems)})
    found = list_shelters(
        municipality_code=filters.municipality,
        hazard=filters.hazard,
        open_state=filters.state,
        kind=filters.kind,
        query=filters.q,
    )
    response = HttpResponse(
        json.dumps(shelters_geojson(found), ensure_ascii=False, separators=(",", ":")),
        content_type="application/geo+json",
    )
    response["Cache-Control"] = "public, max-age=30"
    return response


@router.get(
    "/shelters/nearest",
    response={200: NearestListOut, 400: ErrorOut},
    summary="The nearest shelters suitable for a hazard, open ones only unless include_not_open",
)
def nearest(
    request: HttpRequest,
    lat: float,
    lon: float,
    hazard: str | None = None,
    limit: int = 5,
    include_not_open: bool = False,
) -> Status[dict[str, object]]:
    if not 1 <= limit <= 50:
        return Status(
            400, {"detail": f"limit は 1〜50 です / limit must be between 1 and 50 ({limit})"}
        )
    position = check_position(lat, lon)
    if not position.ok:
        return Status(
            400,
            {
                "detail": f"位置（緯度 {lat}, 経度 {lon}）が佐賀県の外です。佐賀県内の位置を指定してください。"
                f" / The position (latitude {lat}, longitude {lon}) is outside Saga Prefecture;"
                " give a position in Saga Prefecture."
            },
        )
    try:
        found = nearest_open_shelters(
            latitude=lat,
            longitude=lon,
            hazard=hazard or None,
            limit=limit,
            include_not_open=include_not_open,
        )
    except UnknownHazard:
        return Status(400, {"detail": _bad_filter([f"hazard: {hazard}"])})
    return Status(
        200,
        {
            "latitude": lat,
            "longitude": lon,
            "hazard": hazard or None,
            "include_not_open": include_not_open,
            "attribution": GSI_CREDIT,
            "shelters": [
                {
                    **asdict(item),
                    "url": reverse("disaster:shelter-detail", args=[item.common_id]),
                }
                for item in found
            ],
        },
    )


@router.get(
    "/shelters/export.csv",
    response={200: None, 400: ErrorOut},
    summary="Export in the GSI CSV columns (指定避難所 or 指定緊急避難場所), one municipality or all",
)
def export_csv(
    request: HttpRequest,
    kind: str = "shelter",
    municipality: str | None = None,
    bom: bool = False,
) -> HttpResponse | Status[dict[str, str]]:
    problems = filter_problems(kind=kind, municipality_code=municipality)
    if problems:
        return Status(400, {"detail": _bad_filter(problems)})
    base = (
        "saga_gsi_emergency_sites"
        if kind == Shelter.Kind.EMERGENCY_SITE
        else "saga_gsi_designated_shelters"
    )
    filename = f"{base}_{municipality}.csv" if municipality else f"{base}.csv"
    response = HttpResponse(
        export_gsi_csv(kind=kind, municipality_code=municipality, bom=bom).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/shelters/{common_id}",
    response={200: ShelterOut, 404: ErrorOut},
    summary="One shelter by its 共通ID",
)
def shelter(request: HttpRequest, common_id: str) -> Status[dict[str, object]]:
    found = get_shelter(common_id)
    if found is None:
        return Status(
            404, {"detail": f"共通ID {common_id} の避難所はありません / No shelter {common_id}"}
        )
    return Status(200, _shelter_out(found))
