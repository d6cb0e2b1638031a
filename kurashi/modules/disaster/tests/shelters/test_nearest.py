"""The nearest suitable open shelters: distances, order, hazard suitability (incl. 指定避難所),
and the API's validation."""

import math

import pytest
from django.test import Client

from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.selectors.shelters import (
    UnknownHazard,
    count_open_shelters,
    nearest_open_shelters,
)

# 唐津市 久里 (the primary school's playground).
KURI = (33.405634, 129.988003)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Independent reference: haversine with the IUGG mean radius."""
    radius = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


def open_shelters(*common_ids: str) -> None:
    Shelter.objects.filter(common_id__in=common_ids).update(
        open_state=Shelter.OpenState.OPEN, crowding=Shelter.Crowding.AVAILABLE
    )


def test_nearest_open_shelters_are_sorted_by_distance(imported: None) -> None:
    open_shelters("E4120200001201", "E4120200002201", "E4120200007201", "E4120100001201")

    found = nearest_open_shelters(latitude=KURI[0], longitude=KURI[1])

    assert [s.common_id for s in found] == [
        "E4120200001201",  # 久里小学校, here
        "E4120200002201",  # 久里公民館, next door
        "E4120200007201",  # 鏡公民館
        "E4120100001201",  # 嘉瀬小学校, 佐賀市
    ]
    assert found[0].distance_m == 0.0
    kouminkan = found[1]
    expected = haversine_m(*KURI, kouminkan.latitude, kouminkan.longitude)
    assert kouminkan.distance_m == pytest.approx(expected, abs=0.1)
    assert 80 < kouminkan.distance_m < 100
    assert (kouminkan.name, kouminkan.kind, kouminkan.open_state) == (
        "久里公民館",
        "emergency_site",
        "open",
    )


def test_matches_a_brute_force_search_over_every_shelter(imported: None) -> None:
    position = (33.30, 130.05)  # between 厳木 and 小城

    found = nearest_open_shelters(
        latitude=position[0],
        longitude=position[1],
        hazard="landslide",
        limit=10,
        include_not_open=True,
    )

    candidates = sorted(
        (haversine_m(*position, s.latitude, s.longitude), s.common_id)
        for s in Shelter.objects.filter(for_landslide=True)
    )
    assert [s.common_id for s in found] == [common_id for _d, common_id in candidates[:10]]
    assert all(s.for_landslide for s in found)


def test_only_open_shelters_unless_asked(imported: None) -> None:
    assert nearest_open_shelters(latitude=KURI[0], longitude=KURI[1]) == []

    found = nearest_open_shelters(latitude=KURI[0], longitude=KURI[1], include_not_open=True)

    assert len(found) == 5
    assert {s.open_state for s in found} == {"not_open"}


@pytest.mark.parametrize(
    ("hazard", "expected"),
    [
        # 久里小学校 site + shelter (all but 大規模な火事 and 火山現象), 玉島小学校 site (the same
        # without 洪水), 鏡中学校 shelter with no site at its address (no flags).
        (None, ["E4120200001111", "E4120200001201", "E4120200003111", "E4120200100201"]),
        ("flood", ["E4120200001111", "E4120200001201", "E4120200100201"]),
        ("heavy_rain", ["E4120200001111", "E4120200001201", "E4120200100201"]),
        ("inland_flood", ["E4120200001111", "E4120200001201", "E4120200100201"]),
        ("tsunami", ["E4120200001111", "E4120200001201", "E4120200100201"]),
        ("earthquake", ["E4120200001111", "E4120200001201", "E4120200100201"]),
        ("landslide", ["E4120200001111", "E4120200001201", "E4120200100201"]),
        ("storm_surge", ["E4120200001111", "E4120200001201", "E4120200100201"]),
        ("fire", []),
        ("volcano", []),
        ("heat", ["E4120200001111", "E4120200001201", "E4120200003111", "E4120200100201"]),
    ],
)
def test_suitability_follows_the_hazard_flags(
    imported: None, hazard: str | None, expected: list[str]
) -> None:
    open_shelters("E4120200001111", "E4120200001201", "E4120200003111", "E4120200100201")

    found = nearest_open_shelters(latitude=KURI[0], longitude=KURI[1], hazard=hazard, limit=10)

    assert sorted(s.common_id for s in found) == expected


def test_unknown_hazard_and_bad_limit_raise(db: None) -> None:
    with pytest.raises(UnknownHazard):
        nearest_open_shelters(latitude=KURI[0], longitude=KURI[1], hazard="meteor")
    with pytest.raises(ValueError, match="limit"):
        nearest_open_shelters(latitude=KURI[0], longitude=KURI[1], limit=0)


def test_count_open_shelters(imported: None) -> None:
    assert count_open_shelters() == 0

    open_shelters("E4120200001111", "E4120200001201", "E4120100001201")

    assert count_open_shelters() == 3


# --- API -------------------------------------------------------------------------------------


def test_api_nearest(imported: None) -> None:
    open_shelters("E4120200001201", "E4120200003111")

    response = Client().get(
        "/api/v1/disaster/shelters/nearest",
        {"lat": KURI[0], "lon": KURI[1], "hazard": "flood", "limit": 3},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["hazard"], body["include_not_open"]) == ("flood", False)
    assert [(s["common_id"], s["distance_m"]) for s in body["shelters"]] == [
        ("E4120200001201", 0.0)
    ]
    assert body["shelters"][0]["url"] == "/disaster/shelters/E4120200001201/"
    assert body["shelters"][0]["crowding"] == "available"


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (35.681236, 139.767125),  # 東京駅
        (33.590188, 130.401718),  # 福岡市役所, inside the bounding box
        (0, 0),
    ],
)
def test_api_nearest_refuses_positions_outside_saga(db: None, lat: float, lon: float) -> None:
    response = Client().get("/api/v1/disaster/shelters/nearest", {"lat": lat, "lon": lon})

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "が佐賀県の外です。" in detail
    assert "is outside Saga Prefecture" in detail


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ({"lat": KURI[0], "lon": KURI[1], "hazard": "meteor"}, 400, "hazard: meteor"),
        ({"lat": KURI[0], "lon": KURI[1], "limit": 500}, 400, "limit must be between 1 and 50"),
        ({"lat": "north", "lon": KURI[1]}, 422, ""),
        ({"lon": KURI[1]}, 422, ""),
    ],
)
def test_api_nearest_validates_its_parameters(
    db: None, query: dict[str, object], status: int, text: str
) -> None:
    response = Client().get("/api/v1/disaster/shelters/nearest", query)

    assert response.status_code == status
    assert text in str(response.json())
