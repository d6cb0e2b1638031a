"""Which municipality is a point in? Prepared shapely geometries behind an STRtree.

The index is built once per process from the boundaries in the database and rebuilt when they
change (checked at most every REVALIDATE_SECONDS), so a hot loop costs no query per point.
"""

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from django.db.models import Max
from shapely.geometry import shape
from shapely.strtree import STRtree

from kurashi.core.models import Municipality

REVALIDATE_SECONDS = 30.0
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (haversine; within 0.5 % of the
    ellipsoidal distance, plenty for "nearest shelter" and "nearest hospital")."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class MunicipalityRef:
    code: str
    name_ja: str
    name_kana: str
    name_en: str


class BoundaryIndex:
    def __init__(self, rows: Sequence[tuple[MunicipalityRef, dict[str, Any]]]) -> None:
        self.refs = [ref for ref, _ in rows]
        self.geometries = [shape(geometry) for _, geometry in rows]
        for geometry in self.geometries:
            shapely.prepare(geometry)
        self.tree = STRtree(self.geometries)

    def municipality_at(self, lat: float, lon: float) -> MunicipalityRef | None:
        point = shapely.Point(lon, lat)
        for index in self.tree.query(point, predicate="intersects"):
            return self.refs[int(index)]
        return None

    def municipality_codes_at(self, points: Sequence[tuple[float, float]]) -> list[str | None]:
        """Vectorised lookup for many (lat, lon) points; None where a point is in no municipality."""
        if not points:
            return []  # shapely.points() rejects an empty coordinate list
        geoms = shapely.points([(lon, lat) for lat, lon in points])
        result: list[str | None] = [None] * len(points)
        point_indices, geometry_indices = self.tree.query(geoms, predicate="intersects")
        for point_index, geometry_index in zip(point_indices, geometry_indices, strict=True):
            if result[int(point_index)] is None:
                result[int(point_index)] = self.refs[int(geometry_index)].code
        return result

    def geometry_of(self, code: str) -> Any:
        for ref, geometry in zip(self.refs, self.geometries, strict=True):
            if ref.code == code:
                return geometry
        return None


_lock = threading.Lock()
_cache: dict[str, Any] = {"index": None, "version": None, "checked_at": 0.0}


def _version() -> tuple[Any, int]:
    aggregate = Municipality.objects.aggregate(latest=Max("updated_at"))
    return aggregate["latest"], Municipality.objects.count()


def boundary_index() -> BoundaryIndex:
    now = time.monotonic()
    with _lock:
        index = _cache["index"]
        if index is not None and now - _cache["checked_at"] < REVALIDATE_SECONDS:
            return index  # type: ignore[no-any-return]
        version = _version()
        if index is None or version != _cache["version"]:
            rows = [
                (MunicipalityRef(m.code, m.name_ja, m.name_kana, m.name_en), m.boundary_geojson)
                for m in Municipality.objects.filter(boundary_geojson__isnull=False).order_by(
                    "code"
                )
                if m.boundary_geojson is not None
            ]
            index = BoundaryIndex(rows)
            _cache["index"] = index
            _cache["version"] = version
        _cache["checked_at"] = now
        return index  # type: ignore[no-any-return]


def reset_boundary_index() -> None:
    with _lock:
        _cache.update(index=None, version=None, checked_at=0.0)


def municipality_at(lat: float, lon: float) -> MunicipalityRef | None:
    """The municipality containing (lat, lon) in WGS84, or None (at sea, outside the prefecture).

    Boundaries are simplified (about 100 m): points that close to a border may fall either side.
    """
    return boundary_index().municipality_at(lat, lon)
