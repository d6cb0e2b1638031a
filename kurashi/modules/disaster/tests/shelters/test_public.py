"""Public outputs: the GeoJSON layer and its filters, the JSON API list, and the shelter pages."""

import pytest
from django.test import Client

from kurashi.modules.disaster.models import Shelter

OPEN_IN_KARATSU = {
    "E4120200001201": "available",  # 久里小学校 (site: every hazard but 大規模な火事, 火山現象)
    "E4120200001111": "crowded",  # 久里小学校 (shelter at the same address: inherits the flags)
    "E4120200100201": "available",  # 玉島小学校 (site: the same but 洪水; 内水氾濫 yes)
    "E4120200003111": "full",  # 鏡中学校 (shelter, no site at its address: no hazard flags)
}
OPEN_ELSEWHERE = {"E4120100001201": "available"}  # 嘉瀬小学校, 佐賀市 (洪水)
GEOJSON_URLS = ["/api/v1/disaster/shelters.geojson", "/disaster/shelters.geojson"]


@pytest.fixture
def some_open(imported: None) -> None:
    for common_id, crowding in {**OPEN_IN_KARATSU, **OPEN_ELSEWHERE}.items():
        Shelter.objects.filter(common_id=common_id).update(
            open_state=Shelter.OpenState.OPEN, crowding=crowding, headcount=12, capacity=100
        )
    Shelter.objects.filter(common_id="E4120200005201").update(open_state=Shelter.OpenState.CLOSED)


def feature_ids(response: object) -> set[str]:
    return {feature["id"] for feature in response.json()["features"]}  # type: ignore[attr-defined]


# --- GeoJSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", GEOJSON_URLS)
def test_geojson_has_every_shelter_with_public_properties(some_open: None, url: str) -> None:
    response = Client().get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Cache-Control"] == "public, max-age=30"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert len(document["features"]) == 1136
    assert document["attribution"] == "国土地理院 指定緊急避難場所・指定避難所データ"
    kuri = next(f for f in document["features"] if f["id"] == "E4120200001201")
    assert kuri["geometry"] == {"type": "Point", "coordinates": [129.988003, 33.405634]}
    assert kuri["properties"] == {
        "common_id": "E4120200001201",
        "name": "久里小学校",
        "label": "久里小学校",
        "kind": "emergency_site",
        "municipality_code": "412023",
        "address": kuri["properties"]["address"],
        "for_flood": True,
        "for_landslide": kuri["properties"]["for_landslide"],
        "for_storm_surge": kuri["properties"]["for_storm_surge"],
        "for_earthquake": True,
        "for_tsunami": True,
        "for_fire": kuri["properties"]["for_fire"],
        "for_inland_flood": True,
        "for_volcano": kuri["properties"]["for_volcano"],
        "hazard_flags_source": "gsi",
        "open_state": "open",
        "crowding": "available",
        "headcount": 12,
        "capacity": 100,
        "is_welfare": False,
        "status_checked_at": None,
    }


@pytest.mark.parametrize("url", GEOJSON_URLS)
def test_geojson_filters_by_hazard_state_and_municipality(some_open: None, url: str) -> None:
    client = Client()

    flood = client.get(url, {"hazard": "flood", "state": "open", "municipality": "412023"})
    open_karatsu = client.get(url, {"state": "open", "municipality": "412023"})
    tsunami = client.get(url, {"hazard": "tsunami", "state": "open"})
    closed = client.get(url, {"state": "closed"})

    assert feature_ids(flood) == {"E4120200001201", "E4120200001111", "E4120200100201"}
    assert feature_ids(open_karatsu) == set(OPEN_IN_KARATSU)
    assert feature_ids(tsunami) == {"E4120200001201", "E4120200001111", "E4120200100201"}
    assert feature_ids(closed) == {"E4120200005201"}


@pytest.mark.parametrize("url", GEOJSON_URLS)
@pytest.mark.parametrize(
    "query",
    [{"hazard": "meteor"}, {"state": "opened"}, {"municipality": "131016"}, {"kind": "hotel"}],
)
def test_geojson_rejects_unknown_filters(db: None, url: str, query: dict[str, str]) -> None:
    response = Client().get(url, query)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("絞り込み条件が正しくありません / Unknown filter value: ")
    assert next(iter(query.values())) in detail


# --- JSON API --------------------------------------------------------------------------------


def test_api_lists_shelters_page_by_page(some_open: None) -> None:
    client = Client()

    first = client.get("/api/v1/disaster/shelters", {"municipality": "412023", "page_size": 100})
    third = client.get(
        "/api/v1/disaster/shelters", {"municipality": "412023", "page_size": 100, "page": 2}
    )

    assert first.status_code == 200
    body = first.json()
    assert (body["count"], body["pages"], body["page"], len(body["items"])) == (149, 2, 1, 100)
    assert body["next"] == "/api/v1/disaster/shelters?municipality=412023&page_size=100&page=2"
    assert body["previous"] is None
    assert len(third.json()["items"]) == 49
    assert third.json()["next"] is None
    ids = [item["common_id"] for item in body["items"] + third.json()["items"]]
    assert len(set(ids)) == 149
    item = next(i for i in body["items"] if i["common_id"] == "E4120200001111")
    assert (item["open_state"], item["crowding"], item["url"]) == (
        "open",
        "crowded",
        "/disaster/shelters/E4120200001111/",
    )


def test_api_filters_and_searches(some_open: None) -> None:
    client = Client()

    response = client.get(
        "/api/v1/disaster/shelters", {"hazard": "flood", "state": "open", "kind": "shelter"}
    )
    search = client.get("/api/v1/disaster/shelters", {"q": "久里"})

    assert [i["common_id"] for i in response.json()["items"]] == ["E4120200001111"]
    assert {i["name"] for i in search.json()["items"]} == {"久里小学校", "久里公民館"}


@pytest.mark.parametrize(
    "query", [{"hazard": "meteor"}, {"page": "0"}, {"page_size": "1000"}, {"state": "x"}]
)
def test_api_list_rejects_bad_parameters(db: None, query: dict[str, str]) -> None:
    response = Client().get("/api/v1/disaster/shelters", query)

    assert response.status_code == 400
    assert "Unknown filter value" in response.json()["detail"]


def test_api_shows_one_shelter_or_404(some_open: None) -> None:
    client = Client()

    found = client.get("/api/v1/disaster/shelters/E4120200001111")
    missing = client.get("/api/v1/disaster/shelters/E4120299999111")

    assert found.status_code == 200
    assert found.json()["name"] == "久里小学校"
    assert found.json()["for_flood"] is True
    assert missing.status_code == 404
    assert (
        missing.json()["detail"]
        == "共通ID E4120299999111 の避難所はありません / No shelter E4120299999111"
    )


# --- pages -----------------------------------------------------------------------------------


def test_public_list_filters_without_javascript(
    some_open: None, django_assert_max_num_queries: object
) -> None:
    response = Client().get(
        "/en/disaster/shelters/", {"municipality": "412023", "state": "open", "hazard": "flood"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "3 shelters found." in page
    assert "久里小学校" in page
    assert "玉島小学校" in page
    assert "鏡中学校" not in page
    assert '<th scope="col">' in page
    assert "国土地理院 指定緊急避難場所・指定避難所データ" in page


def test_public_list_paginates_and_keeps_the_filters(imported: None) -> None:
    response = Client().get("/en/disaster/shelters/", {"municipality": "412015"})

    page = response.content.decode()
    assert "225 shelters found." in page
    assert "Page 1 of 5" in page
    assert 'href="?municipality=412015&amp;page=2"' in page


def test_public_list_has_an_empty_state(imported: None) -> None:
    response = Client().get("/en/disaster/shelters/", {"state": "open"})

    assert response.status_code == 200
    assert "No shelter matches these filters." in response.content.decode()


def test_public_list_explains_a_bad_filter(imported: None) -> None:
    response = Client().get("/en/disaster/shelters/", {"hazard": "meteor"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Some filters were not understood" in page
    assert "1136 shelters found." in page


def test_public_detail_page(some_open: None) -> None:
    response = Client().get("/en/disaster/shelters/E4120200001111/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>久里小学校</h1>" in page
    assert "As the emergency evacuation site at the same address." in page
    assert "Update the status" not in page
    assert Client().get("/disaster/shelters/E4120299999111/").status_code == 404
