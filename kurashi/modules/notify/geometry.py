"""Circles around residents' points, in degrees good enough at Saga's latitude (~33 °N)."""

import math
from typing import Any

import shapely
from shapely.geometry import shape

METRES_PER_DEGREE_LAT = 111_320.0


def circle(*, lat: float, lon: float, radius_m: float) -> Any:
    """A polygon approximating the circle (an ellipse in degrees: longitude shrinks by cos(lat))."""
    point = shapely.Point(lon, lat)
    unit = point.buffer(radius_m / METRES_PER_DEGREE_LAT, quad_segs=16)
    return shapely.affinity.scale(unit, xfact=1 / math.cos(math.radians(lat)), yfact=1.0)


def circle_intersects(geojson: dict[str, Any], *, lat: float, lon: float, radius_m: float) -> bool:
    return bool(shape(geojson).intersects(circle(lat=lat, lon=lon, radius_m=radius_m)))
