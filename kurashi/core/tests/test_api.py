"""The municipalities on the JSON API: list, GeoJSON boundaries and point lookup."""

import pytest
from django.test import Client

from kurashi.core.models import Municipality
from kurashi.core.tests.saga import SAGA_MUNICIPALITIES

CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"


def test_lists_the_20_municipalities_with_codes_and_names(db: None, client: Client) -> None:
    response = client.get("/api/v1/municipalities")

    assert response.status_code == 200
    assert response.json() == [row._asdict() for row in SAGA_MUNICIPALITIES]


def test_serves_boundaries_as_geojson(db: None, client: Client) -> None:
    response = client.get("/api/v1/municipalities.geojson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "max-age=3600" in response["Cache-Control"]
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["attribution"] == CREDIT
    assert len(collection["features"]) == 20
    assert [f["id"] for f in collection["features"]] == [row.code for row in SAGA_MUNICIPALITIES]
    first = collection["features"][0]
    assert first["properties"] == {
        "code": "412015",
        "name_ja": "佐賀市",
        "name_kana": "さがし",
        "name_en": "Saga City",
    }
    assert first["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_leaves_municipality_without_boundary_out_of_geojson(db: None, client: Client) -> None:
    Municipality.objects.filter(code="414417").update(boundary_geojson=None)

    features = client.get("/api/v1/municipalities.geojson").json()["features"]

    assert len(features) == 19
    assert "414417" not in [f["id"] for f in features]


def test_locates_the_prefectural_office_in_saga_city(db: None, client: Client) -> None:
    response = client.get("/api/v1/locate", {"lat": "33.2494", "lon": "130.2988"})

    assert response.status_code == 200
    assert response.json() == {
        "lat": 33.2494,
        "lon": 130.2988,
        "municipality": {
            "code": "412015",
            "name_ja": "佐賀市",
            "name_kana": "さがし",
            "name_en": "Saga City",
            "kind": "city",
        },
    }


def test_locates_a_shelter_in_tara(db: None, client: Client) -> None:
    # 太良町 大浦小体育館 (saga_gsi_designated_shelters.csv).
    response = client.get("/api/v1/locate", {"lat": "32.9729", "lon": "130.204262"})

    assert response.json()["municipality"]["code"] == "414417"


@pytest.mark.parametrize(("lat", "lon"), [("33.75", "129.75"), ("33.59", "130.40")])
def test_locates_nothing_at_sea_or_outside_the_prefecture(
    db: None, client: Client, lat: str, lon: str
) -> None:
    response = client.get("/api/v1/locate", {"lat": lat, "lon": lon})

    assert response.status_code == 200
    assert response.json() == {"lat": float(lat), "lon": float(lon), "municipality": None}


@pytest.mark.parametrize("query", [{}, {"lat": "33.2"}, {"lat": "north", "lon": "130.3"}])
def test_rejects_missing_or_non_numeric_coordinates(
    db: None, client: Client, query: dict[str, str]
) -> None:
    response = client.get("/api/v1/locate", query)

    assert response.status_code == 422


def test_openapi_schema_lists_the_municipality_paths(db: None, client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]

    assert {"/api/v1/municipalities", "/api/v1/municipalities.geojson", "/api/v1/locate"} <= set(
        paths
    )
