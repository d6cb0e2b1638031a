"""Reads of the shelters: lists and filters, the nearest suitable open shelters, GeoJSON, the GSI
CSV export, where a position is, and which shelters a staff member may manage.

Hazard suitability. 指定緊急避難場所 carry the GSI hazard flags (洪水, 崖崩れ…, 高潮, 地震, 津波,
大規模な火事, 内水氾濫, 火山現象). 指定避難所 have no such columns in the GSI data: the import
gives each one the union of the flags of the 指定緊急避難場所 at the same address (same 共通ID
municipality + facility serial — exactly the rows GSI marks 指定緊急避難場所との住所同一 = 1), and
none when there is no such site. So a hazard filter returns a 指定避難所 only when its premises
are designated for that hazard; with no hazard every shelter qualifies. Hazards without a GSI
category (storm, high waves, snow, tornado, heat, other) do not filter.
"""

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from django.db.models import Case, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from kurashi.core.geo import boundary_index, distance_m
from kurashi.core.models import Municipality, User
from kurashi.core.permissions import grant_for, has_permission
from kurashi.modules.disaster.models import Hazard, Shelter, ShelterStatusChange
from kurashi.modules.disaster.models.shelters import (
    EMERGENCY_SITE_COLUMNS,
    HAZARD_COLUMNS,
    HAZARD_FLAG_FIELDS,
    SHELTER_COLUMNS,
)

UPDATE_STATUS = "disaster.update_shelter_status"

# Hazard (models.alerts.Hazard values, plus the two GSI categories Hazard lacks) -> the flags of
# which at least one makes a shelter suitable.
HAZARD_FLAGS: dict[str, tuple[str, ...]] = {
    Hazard.FLOOD: ("for_flood", "for_inland_flood"),
    Hazard.HEAVY_RAIN: ("for_flood", "for_inland_flood"),
    Hazard.LANDSLIDE: ("for_landslide",),
    Hazard.STORM_SURGE: ("for_storm_surge",),
    Hazard.TSUNAMI: ("for_tsunami",),
    Hazard.EARTHQUAKE: ("for_earthquake",),
    Hazard.FIRE: ("for_fire",),
    "inland_flood": ("for_inland_flood",),
    "volcano": ("for_volcano",),
    # No GSI category: any shelter.
    Hazard.STORM: (),
    Hazard.HIGH_WAVES: (),
    Hazard.SNOW: (),
    Hazard.TORNADO: (),
    Hazard.HEAT: (),
    Hazard.OTHER: (),
}
# The hazards a resident can filter the public list and map by (each has a GSI category).
FILTER_HAZARDS: tuple[tuple[str, Any], ...] = (
    (Hazard.FLOOD, _("Flood")),
    (Hazard.LANDSLIDE, _("Landslide")),
    (Hazard.STORM_SURGE, _("Storm surge")),
    (Hazard.EARTHQUAKE, _("Earthquake")),
    (Hazard.TSUNAMI, _("Tsunami")),
    (Hazard.FIRE, _("Large fire")),
    ("inland_flood", _("Inland flooding")),
    ("volcano", _("Volcanic phenomena")),
)
HAZARD_FLAG_LABELS: dict[str, Any] = {
    "for_flood": _("Flood"),
    "for_landslide": _("Landslide"),
    "for_storm_surge": _("Storm surge"),
    "for_earthquake": _("Earthquake"),
    "for_tsunami": _("Tsunami"),
    "for_fire": _("Large fire"),
    "for_inland_flood": _("Inland flooding"),
    "for_volcano": _("Volcanic phenomena"),
}

# Boundaries are simplified (about 100 m) and drop small islands (唐津市 向島 lies 2.4 km off
# its simplified outline): a point this close to its municipality still counts as inside it.
BORDER_TOLERANCE_M = 500.0
OFFSHORE_TOLERANCE_M = 3_000.0
BBOX_MARGIN_DEGREES = 0.03
METRES_PER_DEGREE = 111_320.0  # along a meridian; overstates east-west distances (conservative)
GSI_CREDIT = "国土地理院 指定緊急避難場所・指定避難所データ"


class UnknownHazard(ValueError):  # noqa: N818 (name used by the portal views)
    pass


def hazard_flags(hazard: str) -> tuple[str, ...]:
    try:
        return HAZARD_FLAGS[hazard]
    except KeyError:
        raise UnknownHazard(hazard) from None


def hazard_q(hazard: str | None) -> Q:
    """Shelters suitable for `hazard` (any shelter when None or without a GSI category)."""
    if not hazard:
        return Q()
    condition = Q()
    flags = hazard_flags(hazard)
    for flag in flags:
        condition |= Q(**{flag: True})
    return condition


def suitable_hazards(shelter: Shelter) -> list[str]:
    """Labels of the hazards the shelter is designated for, in GSI column order."""
    return [str(HAZARD_FLAG_LABELS[flag]) for flag in HAZARD_FLAG_FIELDS if getattr(shelter, flag)]


# --- lists -----------------------------------------------------------------------------------


def filter_problems(
    *,
    hazard: str | None = None,
    open_state: str | None = None,
    kind: str | None = None,
    municipality_code: str | None = None,
) -> list[str]:
    """The filter values that name nothing known, as "name: value" (empty when all are fine)."""
    problems = []
    if hazard and hazard not in HAZARD_FLAGS:
        problems.append(f"hazard: {hazard}")
    if open_state and open_state not in Shelter.OpenState.values:
        problems.append(f"state: {open_state}")
    if kind and kind not in Shelter.Kind.values:
        problems.append(f"kind: {kind}")
    if municipality_code and not Municipality.objects.filter(code=municipality_code).exists():
        problems.append(f"municipality: {municipality_code}")
    return problems


def list_shelters(
    *,
    municipality_code: str | None = None,
    hazard: str | None = None,
    open_state: str | None = None,
    kind: str | None = None,
    is_welfare: bool | None = None,
    query: str | None = None,
) -> QuerySet[Shelter]:
    """Shelters matching every given filter, by municipality code then name.

    Raises UnknownHazard for a hazard outside HAZARD_FLAGS."""
    shelters = Shelter.objects.filter(hazard_q(hazard))
    if municipality_code:
        shelters = shelters.filter(municipality_code=municipality_code)
    if open_state:
        shelters = shelters.filter(open_state=open_state)
    if kind:
        shelters = shelters.filter(kind=kind)
    if is_welfare is not None:
        shelters = shelters.filter(is_welfare=is_welfare)
    if query and query.strip():
        text = query.strip()
        shelters = shelters.filter(
            Q(name__icontains=text) | Q(address__icontains=text) | Q(common_id__iexact=text)
        )
    return shelters.order_by("municipality_code", "name", "common_id")


def get_shelter(common_id: str) -> Shelter | None:
    return Shelter.objects.filter(common_id=common_id).first()


def count_open_shelters() -> int:
    """How many shelters and sites are open (開設) now, in the whole prefecture."""
    return Shelter.objects.filter(open_state=Shelter.OpenState.OPEN).count()


def open_counts_by_municipality() -> dict[str, int]:
    counts: dict[str, int] = {}
    for code in Shelter.objects.filter(open_state=Shelter.OpenState.OPEN).values_list(
        "municipality_code", flat=True
    ):
        counts[code] = counts.get(code, 0) + 1
    return counts


def status_history(shelter: Shelter, *, limit: int = 20) -> list[ShelterStatusChange]:
    return list(shelter.status_changes.select_related("changed_by")[:limit])


def municipality_names() -> dict[str, str]:
    """6-digit code -> name in the active language, for the 20 municipalities."""
    return {m.code: m.name for m in Municipality.objects.order_by("code")}


# --- staff -----------------------------------------------------------------------------------


def list_manageable_shelters(user: User, *, query: str | None = None) -> QuerySet[Shelter]:
    """The shelters `user` may update: inside the municipalities where they hold
    disaster.update_shelter_status. Open ones first, then by municipality and name."""
    scope = grant_for(user, UPDATE_STATUS).as_q(municipality_field="municipality_code")
    shelters = Shelter.objects.filter(scope)
    if query and query.strip():
        text = query.strip()
        shelters = shelters.filter(
            Q(name__icontains=text) | Q(address__icontains=text) | Q(common_id__iexact=text)
        )
    state_order = Case(
        When(open_state=Shelter.OpenState.OPEN, then=Value(0)),
        When(open_state=Shelter.OpenState.NOT_OPEN, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return shelters.order_by(state_order, "municipality_code", "name", "common_id")


def can_manage_shelter(user: Any, shelter: Shelter) -> bool:
    return has_permission(user, UPDATE_STATUS, municipality_code=shelter.municipality_code)


# --- positions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SagaBounds:
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return (
            self.min_lat <= latitude <= self.max_lat and self.min_lon <= longitude <= self.max_lon
        )


def saga_bounds() -> SagaBounds | None:
    """The bounding box of the 20 municipal boundaries, widened by BBOX_MARGIN_DEGREES."""
    box = Municipality.objects.aggregate(
        min_lat=Min("min_lat"),
        min_lon=Min("min_lon"),
        max_lat=Max("max_lat"),
        max_lon=Max("max_lon"),
    )
    if any(value is None for value in box.values()):
        return None
    return SagaBounds(
        min_lat=box["min_lat"] - BBOX_MARGIN_DEGREES,
        min_lon=box["min_lon"] - BBOX_MARGIN_DEGREES,
        max_lat=box["max_lat"] + BBOX_MARGIN_DEGREES,
        max_lon=box["max_lon"] + BBOX_MARGIN_DEGREES,
    )


@dataclass(frozen=True)
class PositionCheck:
    """Where a point is: `municipality_code` is the municipality it counts as inside (None when
    outside Saga or not inside the expected municipality), `problem` says why (English,
    translatable), `found_code` the municipality the boundaries put it in."""

    municipality_code: str | None
    problem: str = ""
    found_code: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def is_finite_coordinate(latitude: float, longitude: float) -> bool:
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )


def check_position(
    latitude: float,
    longitude: float,
    *,
    expected_code: str | None = None,
    bounds: SagaBounds | None = None,
) -> PositionCheck:
    """Is (latitude, longitude) in Saga Prefecture — and, given expected_code, in that
    municipality? Tolerant by BORDER_TOLERANCE_M at borders and OFFSHORE_TOLERANCE_M off the
    coast, because the boundaries are simplified."""
    if not is_finite_coordinate(latitude, longitude):
        return PositionCheck(None, "coordinates are not a position on Earth")
    bounds = bounds or saga_bounds()
    if bounds is None or not bounds.contains(latitude, longitude):
        return PositionCheck(None, "outside Saga Prefecture")
    index = boundary_index()
    found = index.municipality_at(latitude, longitude)
    point = shapely.Point(longitude, latitude)
    if expected_code is None:
        if found is not None:
            return PositionCheck(found.code, found_code=found.code)
        nearest = index.tree.query_nearest(
            point, max_distance=OFFSHORE_TOLERANCE_M / METRES_PER_DEGREE
        )
        if len(nearest):
            code = index.refs[int(nearest[0])].code
            return PositionCheck(code, found_code=None)
        return PositionCheck(None, "outside Saga Prefecture")
    if found is not None and found.code == expected_code:
        return PositionCheck(expected_code, found_code=found.code)
    geometry = index.geometry_of(expected_code)
    if geometry is None:
        return PositionCheck(None, "unknown municipality", found_code=found.code if found else None)
    distance_m = geometry.distance(point) * METRES_PER_DEGREE
    tolerance = BORDER_TOLERANCE_M if found is not None else OFFSHORE_TOLERANCE_M
    if distance_m <= tolerance:
        return PositionCheck(expected_code, found_code=found.code if found else None)
    if found is not None:
        return PositionCheck(None, "in another municipality", found_code=found.code)
    return PositionCheck(None, "outside Saga Prefecture")


# --- nearest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearestShelter:
    common_id: str
    name: str
    kind: str
    municipality_code: str
    address: str
    latitude: float
    longitude: float
    open_state: str
    crowding: str
    headcount: int | None
    capacity: int | None
    is_welfare: bool
    status_checked_at: datetime | None
    for_flood: bool
    for_landslide: bool
    for_storm_surge: bool
    for_earthquake: bool
    for_tsunami: bool
    for_fire: bool
    for_inland_flood: bool
    for_volcano: bool
    distance_m: float


_NEAREST_FIELDS = (
    "common_id",
    "name",
    "kind",
    "municipality_code",
    "address",
    "latitude",
    "longitude",
    "open_state",
    "crowding",
    "headcount",
    "capacity",
    "is_welfare",
    "status_checked_at",
    *HAZARD_FLAG_FIELDS,
)


def nearest_open_shelters(
    *,
    latitude: float,
    longitude: float,
    hazard: str | None = None,
    limit: int = 5,
    include_not_open: bool = False,
) -> list[NearestShelter]:
    """The `limit` shelters nearest to the position (great-circle distance), suitable for
    `hazard` (see the module docstring), open (開設) unless include_not_open; full (定員一杯)
    shelters are kept — the caller shows their crowding. Sorted by distance, then 共通ID.

    Raises UnknownHazard for a hazard outside HAZARD_FLAGS, ValueError for a limit below 1."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    shelters = Shelter.objects.filter(hazard_q(hazard))
    if not include_not_open:
        shelters = shelters.filter(open_state=Shelter.OpenState.OPEN)
    found = [
        NearestShelter(
            **row,
            distance_m=round(distance_m(latitude, longitude, row["latitude"], row["longitude"]), 1),
        )
        for row in shelters.values(*_NEAREST_FIELDS)
    ]
    found.sort(key=lambda shelter: (shelter.distance_m, shelter.common_id))
    return found[:limit]


# --- GeoJSON ---------------------------------------------------------------------------------


def hazard_flags_source(shelter: Shelter) -> str:
    """Where a row's hazard flags come from: "gsi" (指定緊急避難場所), "same_address_site"
    (指定避難所 sharing the premises of a 指定緊急避難場所) or "none"."""
    if shelter.kind == Shelter.Kind.EMERGENCY_SITE:
        return "gsi"
    return "same_address_site" if shelter.same_address_as_other_kind else "none"


def shelter_properties(shelter: Shelter) -> dict[str, Any]:
    return {
        "common_id": shelter.common_id,
        "name": shelter.name,
        "label": shelter.name,
        "kind": shelter.kind,
        "municipality_code": shelter.municipality_code,
        "address": shelter.address,
        **shelter.hazard_flags,
        "hazard_flags_source": hazard_flags_source(shelter),
        "open_state": shelter.open_state,
        "crowding": shelter.crowding,
        "headcount": shelter.headcount,
        "capacity": shelter.capacity,
        "is_welfare": shelter.is_welfare,
        "status_checked_at": shelter.status_checked_at.isoformat()
        if shelter.status_checked_at
        else None,
    }


def shelters_geojson(shelters: Iterable[Shelter]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (Point [lon, lat]) with the shelters' public properties."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": shelter.common_id,
                "geometry": {"type": "Point", "coordinates": [shelter.longitude, shelter.latitude]},
                "properties": shelter_properties(shelter),
            }
            for shelter in shelters
        ],
        "attribution": GSI_CREDIT,
    }


# --- GSI CSV export --------------------------------------------------------------------------


def _flag(value: bool) -> str:
    return "1" if value else ""


def _coordinate(value: float) -> str:
    return repr(float(value))


def gsi_row(shelter: Shelter, prefecture_and_municipality: str) -> list[str]:
    """One row of the GSI CSV of the shelter's kind (columns as SHELTER_COLUMNS or
    EMERGENCY_SITE_COLUMNS)."""
    head = [
        shelter.source_no,
        shelter.common_id,
        prefecture_and_municipality,
        shelter.name,
        shelter.address,
    ]
    tail = [_coordinate(shelter.latitude), _coordinate(shelter.longitude), shelter.note]
    if shelter.kind == Shelter.Kind.EMERGENCY_SITE:
        flags = [_flag(getattr(shelter, field)) for field, _column in HAZARD_COLUMNS]
        return [*head, *flags, _flag(shelter.same_address_as_other_kind), *tail]
    return [
        *head,
        _flag(shelter.same_address_as_other_kind),
        shelter.other_matters,
        shelter.accepted_people,
        *tail,
    ]


def export_gsi_csv(*, kind: str, municipality_code: str | None = None, bom: bool = False) -> str:
    """The shelters of one kind (all municipalities, or one) in the GSI CSV columns of that kind
    (指定避難所 mergeFromCity_1.csv / 指定緊急避難場所 mergeFromCity_2.csv), CRLF line ends;
    a UTF-8 byte order mark first when `bom` (for spreadsheet programs)."""
    if kind not in Shelter.Kind.values:
        raise ValueError(f"unknown shelter kind {kind!r}")
    columns = EMERGENCY_SITE_COLUMNS if kind == Shelter.Kind.EMERGENCY_SITE else SHELTER_COLUMNS
    names = {
        m.code: f"{m.prefecture.name_ja}{m.name_ja}"
        for m in Municipality.objects.select_related("prefecture")
    }
    shelters = Shelter.objects.filter(kind=kind)
    if municipality_code:
        shelters = shelters.filter(municipality_code=municipality_code)
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for shelter in shelters.order_by("municipality_code", "common_id"):
        writer.writerow(gsi_row(shelter, names.get(shelter.municipality_code, "")))
    return buffer.getvalue()
