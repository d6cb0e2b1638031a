import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kurashi.modules.ems import selectors
from kurashi.modules.ems.models import Acceptance, Case
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_hospital, make_inquiry, make_status

TOKYO = ZoneInfo("Asia/Tokyo")
SCENE = (33.256, 130.301)  # 佐賀市, next to the "near" hospital
FIXTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "kpi_month.json").read_text(encoding="utf-8")
)


def rank(
    category: str = "stroke", urgency: str = "yellow", **kwargs: object
) -> list[selectors.RankedHospital]:
    return selectors.rank_hospitals(
        category=category,
        urgency=urgency,
        latitude=SCENE[0],
        longitude=SCENE[1],
        now=timezone.now(),
        **kwargs,  # type: ignore[arg-type]
    )


# --- ranking -----------------------------------------------------------------------------------


def test_nearer_hospital_with_the_same_status_ranks_first(world: World) -> None:
    make_status(world.near, "14")
    make_status(world.far, "14")
    names = [r.hospital.slug for r in rank()]
    assert names.index("near") < names.index("far")


def test_unavailable_hospital_comes_last_whatever_its_distance(world: World) -> None:
    make_status(world.near, "14", Acceptance.UNAVAILABLE, reason="beds_full")
    make_status(world.far, "14", Acceptance.AVAILABLE)
    make_status(world.tertiary, "14", Acceptance.AVAILABLE)
    ranked = rank()
    assert ranked[-1].hospital.pk == world.near.pk
    assert ranked[-1].score == 0


def test_fresh_status_beats_a_stale_one_at_the_same_distance(world: World) -> None:
    twin = make_hospital(slug="twin", latitude=world.near.latitude, longitude=world.near.longitude)
    make_status(world.near, "14", updated_at=timezone.now() - timedelta(hours=13))  # expired
    make_status(twin, "14")
    ranked = [r for r in rank() if r.hospital.pk in {world.near.pk, twin.pk}]
    assert [r.hospital.pk for r in ranked] == [twin.pk, world.near.pk]
    assert ranked[1].status == "stale"
    assert "期限切れ" in ranked[1].reason


def test_recent_load_lowers_the_rank(world: World) -> None:
    twin = make_hospital(slug="twin", latitude=world.near.latitude, longitude=world.near.longitude)
    make_status(world.near, "14")
    make_status(twin, "14")
    for _number in range(3):
        case = make_case(world.hq)
        make_inquiry(case, world.near, "accepted", answered_at=timezone.now())
    ranked = [r for r in rank() if r.hospital.pk in {world.near.pk, twin.pk}]
    assert [r.hospital.pk for r in ranked] == [twin.pk, world.near.pk]
    assert ranked[1].recent_accepted == 3
    assert "直近1時間の受入 3件" in ranked[1].reason


def test_red_cardiac_arrest_prefers_the_critical_care_centre(world: World) -> None:
    make_status(world.tertiary, "39")
    extra = make_hospital(slug="er", latitude=SCENE[0], longitude=SCENE[1], departments=("39",))
    make_status(extra, "39")
    assert rank("cardiac_arrest", "red")[0].hospital.pk == world.tertiary.pk
    assert rank("cardiac_arrest", "green")[0].hospital.pk == extra.pk


def test_hospitals_without_a_matching_department_are_not_listed(world: World) -> None:
    obstetric = rank("obstetric")
    assert obstetric == []


def test_every_ranked_hospital_has_a_one_line_reason(world: World) -> None:
    make_status(world.near, "14", Acceptance.EAGER)
    top = rank()[0]
    assert top.hospital.pk == world.near.pk
    assert "◎" in top.reason
    assert "分" in top.reason
    assert "\n" not in top.reason


def test_category_unavailable_overrides_department_status(world: World) -> None:
    make_status(world.near, "14", Acceptance.EAGER)
    make_status(world.near, "stroke", Acceptance.UNAVAILABLE, reason="no_doctor")
    near = next(r for r in rank() if r.hospital.pk == world.near.pk)
    assert near.status == "unavailable"


def test_ranking_sixty_hospitals_uses_a_fixed_number_of_queries(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for number in range(57):
        hospital = make_hospital(slug=f"h{number}", latitude=33.0 + number / 100, longitude=130.0)
        make_status(hospital, "14")
    with django_assert_num_queries(5):  # load, hospitals, departments, statuses, capacities
        ranked = rank()
    assert len(ranked) == 60


# --- KPIs --------------------------------------------------------------------------------------


def _seed(world: World, spec: dict[str, object], day: int) -> Case:
    base = datetime(2026, 10, 1, 10, 0, tzinfo=TOKYO) + timedelta(days=day)
    hq = world.hq if spec["hq"] == "saga" else world.other_hq
    destination = {"tertiary": world.tertiary, "secondary": world.near, None: None}[spec["tier"]]  # type: ignore[index]
    scene = spec["scene"]
    total = spec["total"]
    case = make_case(
        hq,
        category=spec["category"],
        called_at=base,
        on_scene_at=base + timedelta(minutes=5) if scene is not None else None,
        left_scene_at=base + timedelta(minutes=5 + scene) if scene is not None else None,  # type: ignore[operator]
        arrived_hospital_at=base + timedelta(minutes=total) if total is not None else None,  # type: ignore[arg-type]
        destination=destination,
        state=spec.get("state", Case.State.ARRIVED),
    )
    for result in spec["results"]:  # type: ignore[attr-defined]
        make_inquiry(case, world.far, result, refusal_reason="busy" if result == "refused" else "")
    return case


@pytest.fixture
def seeded_month(world: World) -> World:
    for day, spec in enumerate(FIXTURE["cases"]):
        _seed(world, spec, day)
    for spec in FIXTURE["ignored"]:
        _seed(world, spec, spec.get("day", 3))
    return world


def _month() -> tuple[datetime, datetime]:
    return datetime(2026, 10, 1, tzinfo=TOKYO), datetime(2026, 11, 1, tzinfo=TOKYO)


def _figures(row: selectors.KpiRow) -> dict[str, object]:
    return {
        "cases": row.cases,
        "inquiry_bands": row.inquiry_bands,
        "scene_bands": row.scene_bands,
        "four_or_more": row.four_or_more,
        "share_four_or_more": row.share_four_or_more,
        "scene_thirty_or_more": row.scene_thirty_or_more,
        "share_scene_thirty": row.share_scene_thirty,
        "difficult": row.difficult,
        "mean_call_to_hospital": row.mean_call_to_hospital,
    }


def test_kpis_of_a_seeded_month_match_the_hand_computed_fixture(seeded_month: World) -> None:
    start, end = _month()
    total, _rows = selectors.compute_kpis(
        selectors.kpi_cases(start=start, end=end), group_by="month"
    )
    assert _figures(total) == FIXTURE["expected"]["total"]


@pytest.mark.parametrize("group_by", ["fire_hq", "tier", "category"])
def test_kpis_by_group_match_the_fixture(seeded_month: World, group_by: str) -> None:
    start, end = _month()
    _total, rows = selectors.compute_kpis(
        selectors.kpi_cases(start=start, end=end), group_by=group_by
    )
    names = {str(seeded_month.hq.pk): "saga", str(seeded_month.other_hq.pk): "karatsu"}
    expected = FIXTURE["expected"][group_by]
    got = {names.get(row.key, row.key): _figures(row) for row in rows}
    assert set(got) == set(expected)
    for key, figures in expected.items():
        assert {name: got[key][name] for name in figures} == figures, key


def test_kpi_csv_has_the_fdma_table_shape(seeded_month: World) -> None:
    start, end = _month()
    total, rows = selectors.compute_kpis(
        selectors.kpi_cases(start=start, end=end), group_by="fire_hq"
    )
    lines = selectors.kpi_csv_rows(total, rows, group_title="消防本部")
    parsed = list(csv.reader(io.StringIO("\n".join(",".join(line) for line in lines))))
    assert parsed[0][:3] == ["消防本部", "件数", "照会1回"]
    assert parsed[-1][0] == "合計"
    header = parsed[0]
    assert parsed[-1][header.index("照会4回以上の割合(%)")] == "40.0"
    assert parsed[-1][header.index("搬送困難事案")] == "3"
    assert parsed[-1][header.index("平均病院収容所要時間(分)")] == "52.1"


def test_kpis_of_an_empty_period_are_empty_not_an_error(world: World) -> None:
    start, end = _month()
    total, rows = selectors.compute_kpis(selectors.kpi_cases(start=start, end=end), group_by="tier")
    assert (total.cases, rows, total.share_four_or_more, total.mean_call_to_hospital) == (
        0,
        [],
        None,
        None,
    )


# --- access ------------------------------------------------------------------------------------


def test_visible_cases_per_actor(world: World) -> None:
    mine = make_case(world.hq)
    theirs = make_case(world.other_hq)
    make_inquiry(mine, world.near)
    assert set(selectors.visible_cases(world.crew)) == {mine}
    assert set(selectors.visible_cases(world.other_crew)) == {theirs}
    assert set(selectors.visible_cases(world.near_staff)) == {mine}
    assert set(selectors.visible_cases(world.far_staff)) == set()
    assert set(selectors.visible_cases(world.coordinator)) == {mine, theirs}
    assert set(selectors.visible_cases(world.resident)) == set()
    assert set(selectors.visible_cases(world.plain_staff)) == set()
