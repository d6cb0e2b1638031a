from collections.abc import Iterator

import pytest
import shapely

from kurashi.core import geo
from kurashi.core.geo import (
    REVALIDATE_SECONDS,
    BoundaryIndex,
    MunicipalityRef,
    boundary_index,
    municipality_at,
    reset_boundary_index,
)
from kurashi.core.models import Municipality

# One designated shelter (指定避難所) well inside each municipality -- at least about 700 m from
# any municipal border of the simplified outlines -- with its coordinates as published in
# /work/shared/data/opendata/saga_gsi_designated_shelters.csv (国土地理院 指定緊急避難場所・指定避難所
# データ, columns 都道府県名及び市町村名 / 施設・場所名 / 緯度 / 経度).
SHELTERS = [
    # (lat, lon, expected code, shelter)
    (33.234887, 130.294303, "412015", "佐賀市 本庄小学校"),
    (33.40102, 129.972567, "412023", "唐津市 鬼塚中学校"),
    (33.370866, 130.496863, "412031", "鳥栖市 陸上競技場"),
    (33.282347, 130.118245, "412040", "多久市 中央校前期体育館"),
    (33.274619, 129.886967, "412058", "伊万里市 大坪コミュニティセンター"),
    (33.198919, 130.018698, "412066", "武雄市 武雄小学校"),
    (33.080494, 130.109148, "412074", "鹿島市 林業体育館"),
    (33.294014, 130.198969, "412082", "小城市 まちなか市民交流プラザ"),
    (33.126864, 130.044866, "412091", "嬉野市 塩田小学校"),
    (33.303277, 130.364847, "412104", "神埼市 佐賀県立神埼清明高等学校"),
    (33.351348, 130.397406, "413275", "吉野ヶ里町 東脊振農村環境改善センター"),
    (33.426981, 130.5214, "413411", "基山町 基山っ子みらい館"),
    (33.309873, 130.423855, "413453", "上峰町 おたっしゃ館"),
    (33.324769, 130.457582, "413461", "みやき町 みやき町立北茂安小学校"),
    (33.472534, 129.874261, "413879", "玄海町 産業会館"),
    (33.208711, 129.852346, "414018", "有田町 西有田中学校体育館"),
    (33.21491, 130.118355, "414239", "大町町 大町ひじり学園中学部武道場"),
    (33.213371, 130.159065, "414247", "江北町 江北中学校体育館"),
    (33.143755, 130.145202, "414255", "白石町 有明東小学校"),
    (32.9729, 130.204262, "414417", "太良町 大浦小体育館"),
]

# Points outside every municipality (each at least 7 km from the nearest outline).
OUTSIDE = [
    (33.75, 129.75),  # 玄界灘
    (33.05, 130.25),  # 有明海
    (33.59, 130.40),  # 福岡市 (Fukuoka Prefecture)
]


def test_shelter_table_covers_each_municipality_once(municipalities: list[Municipality]) -> None:
    assert sorted(code for _, _, code, _ in SHELTERS) == [m.code for m in municipalities]


@pytest.mark.parametrize(("lat", "lon", "code", "shelter"), SHELTERS, ids=[s[3] for s in SHELTERS])
def test_finds_municipality_of_a_shelter(
    municipalities: list[Municipality], lat: float, lon: float, code: str, shelter: str
) -> None:
    ref = municipality_at(lat, lon)

    expected = next(m for m in municipalities if m.code == code)
    assert ref == MunicipalityRef(code, expected.name_ja, expected.name_kana, expected.name_en)
    assert shelter.startswith(expected.name_ja)


def test_finds_saga_city_for_the_prefectural_office(db: None) -> None:
    assert municipality_at(33.2494, 130.2988) == MunicipalityRef(
        "412015", "佐賀市", "さがし", "Saga City"
    )


@pytest.mark.parametrize(("lat", "lon"), OUTSIDE, ids=["genkai-nada", "ariake-sea", "fukuoka"])
def test_returns_none_outside_every_municipality(db: None, lat: float, lon: float) -> None:
    assert municipality_at(lat, lon) is None


def test_sea_and_fukuoka_points_are_far_from_every_outline(db: None) -> None:
    # Guards the OUTSIDE table itself: simplified outlines move borders by about 100 m, so the
    # points must be much further away than that (0.05° is over 4.6 km at this latitude).
    index = boundary_index()
    for lat, lon in OUTSIDE:
        point = shapely.Point(lon, lat)
        assert min(geometry.distance(point) for geometry in index.geometries) > 0.05


def test_looks_up_many_points_at_once(db: None) -> None:
    points = [(lat, lon) for lat, lon, _, _ in SHELTERS] + OUTSIDE

    codes = boundary_index().municipality_codes_at(points)

    assert codes == [code for _, _, code, _ in SHELTERS] + [None, None, None]


def test_looks_up_no_points(db: None) -> None:
    assert boundary_index().municipality_codes_at([]) == []


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """A monotonic clock for the boundary index that only moves when the test moves it."""
    now = [1000.0]
    monkeypatch.setattr(geo.time, "monotonic", lambda: now[0])
    reset_boundary_index()
    yield now
    reset_boundary_index()


def test_index_answers_repeated_lookups_without_queries(
    db: None, clock: list[float], django_assert_num_queries
) -> None:
    boundary_index()

    with django_assert_num_queries(0):
        for lat, lon, _, _ in SHELTERS:
            municipality_at(lat, lon)


def test_index_rechecks_the_database_only_after_revalidate_seconds(
    db: None, clock: list[float], django_assert_num_queries
) -> None:
    first = boundary_index()
    clock[0] += REVALIDATE_SECONDS + 1

    with django_assert_num_queries(2):  # latest update and count: unchanged, so index kept
        assert boundary_index() is first


def test_index_rebuilds_when_boundaries_change(db: None, clock: list[float]) -> None:
    assert municipality_at(33.2494, 130.2988) is not None
    saga = Municipality.objects.get(code="412015")
    saga.boundary_geojson = {
        "type": "Polygon",
        "coordinates": [
            [[129.0, 33.0], [129.1, 33.0], [129.1, 33.1], [129.0, 33.1], [129.0, 33.0]]
        ],
    }
    saga.save()

    # Within REVALIDATE_SECONDS the cached index still answers with the old outline.
    clock[0] += REVALIDATE_SECONDS - 1
    assert municipality_at(33.2494, 130.2988).code == "412015"  # type: ignore[union-attr]
    clock[0] += 2

    assert municipality_at(33.2494, 130.2988) is None
    assert municipality_at(33.05, 129.05).code == "412015"  # type: ignore[union-attr]


def test_index_of_given_outlines_finds_points_and_geometry() -> None:
    west = MunicipalityRef("100005", "西", "にし", "West")
    east = MunicipalityRef("100013", "東", "ひがし", "East")
    index = BoundaryIndex(
        [
            (west, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}),
            (east, {"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]}),
        ]
    )

    assert index.municipality_at(0.5, 0.5) == west
    assert index.municipality_at(0.5, 1.5) == east
    assert index.municipality_at(0.5, 2.5) is None
    assert index.municipality_codes_at([(0.5, 1.5), (5, 5), (0.5, 0.5)]) == [
        "100013",
        None,
        "100005",
    ]
    assert index.geometry_of("100013").bounds == (1.0, 0.0, 2.0, 1.0)
    assert index.geometry_of("999999") is None


def test_single_and_vectorised_lookups_agree_where_outlines_overlap() -> None:
    # Simplified outlines may overlap slightly along a border: both lookups then answer with the
    # first outline (the index is built in code order), never one each.
    def square(west: float) -> dict[str, object]:
        east = west + 1.5
        return {
            "type": "Polygon",
            "coordinates": [[[west, 0], [east, 0], [east, 1], [west, 1], [west, 0]]],
        }

    refs = [MunicipalityRef(f"10{n:04d}", "", "", "") for n in range(5)]
    index = BoundaryIndex([(ref, square(n * 0.25)) for n, ref in enumerate(refs)])
    points = [(0.5, 0.1), (0.5, 1.2), (0.5, 1.6), (0.5, 2.4)]

    assert [index.municipality_at(lat, lon) for lat, lon in points] == [
        refs[0],
        refs[0],
        refs[1],
        refs[4],
    ]
    assert index.municipality_codes_at(points) == [
        refs[0].code,
        refs[0].code,
        refs[1].code,
        refs[4].code,
    ]


def test_distance_m_is_the_great_circle_distance() -> None:
    # 佐賀県庁 → 唐津市役所 is about 37 km as the crow flies.
    from kurashi.core.geo import distance_m

    assert distance_m(33.2494, 130.2988, 33.2494, 130.2988) == 0
    assert 36_000 < distance_m(33.2494, 130.2988, 33.4500, 129.9680) < 39_000
    assert distance_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-3)
