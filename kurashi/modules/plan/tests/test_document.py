"""The plan document (data/plan.json): 5 pillars, 28 measures, bilingual throughout."""

import json

from django.utils import translation

from kurashi.modules.plan.document import PLAN_PATH, Text, plan_document

MEASURE_IDS = [
    "1.1", "1.2", "1.3", "1.4", "1.5",
    "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
    "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8",
    "4.1", "4.2", "4.3", "4.4", "4.5", "4.6",
    "5.1", "5.2", "5.3",
]  # fmt: skip


def test_has_five_pillars_and_28_measures_in_order() -> None:
    plan = plan_document()

    assert [pillar.id for pillar in plan.pillars] == [1, 2, 3, 4, 5]
    assert [len(pillar.measures) for pillar in plan.pillars] == [5, 6, 8, 6, 3]
    assert [measure.id for measure in plan.measures] == MEASURE_IDS


def test_every_measure_belongs_to_the_pillar_its_id_names() -> None:
    assert [m.pillar_id for m in plan_document().measures] == [
        int(measure_id.split(".")[0]) for measure_id in MEASURE_IDS
    ]


def test_every_measure_has_japanese_and_english_title_and_description() -> None:
    missing = [
        (m.id, field, language)
        for m in plan_document().measures
        for field in ("title", "description")
        for language in ("ja", "en")
        if not getattr(getattr(m, field), language).strip()
    ]

    assert missing == []


def test_every_measure_but_4_6_names_its_department_in_both_languages() -> None:
    without = [m.id for m in plan_document().measures if m.department is None]
    incomplete = [
        m.id
        for m in plan_document().measures
        if m.department and not (m.department.ja and m.department.en)
    ]

    assert without == ["4.6"]
    assert incomplete == []


def test_names_the_departments_of_selected_measures() -> None:
    plan = plan_document()

    assert plan.measure("1.1").department == Text(
        "消防防災課", "Fire and Disaster Prevention Division"
    )  # type: ignore[union-attr]
    assert plan.measure("4.1").department == Text("情報課", "Information Division")  # type: ignore[union-attr]
    assert plan.measure("1.1").title == Text(  # type: ignore[union-attr]
        "災害・防災関連情報の収集・伝達体制の再構築",
        "Rebuilding the system for collecting and communicating disaster and disaster-prevention information",
    )


def test_has_the_motto_and_five_actors() -> None:
    plan = plan_document()

    assert plan.motto.ja == "ICTで暮らしを守り、未来を拓く。"
    assert plan.motto.en == "Protecting our way of life and opening up the future with ICT."
    assert [actor.key for actor in plan.actors] == [
        "residents",
        "cso",
        "businesses",
        "municipalities",
        "prefecture",
    ]
    assert [actor.name.ja for actor in plan.actors][:2] == ["県民", "CSO（市民社会組織）"]


def test_finds_no_measure_outside_the_plan() -> None:
    assert plan_document().measure("9.9") is None
    assert plan_document().measure("4.7") is None


def test_every_text_in_the_file_has_both_languages() -> None:
    def texts(node: object) -> list[dict[str, str]]:
        if isinstance(node, dict):
            if set(node) == {"ja", "en"}:
                return [node]
            return [t for value in node.values() for t in texts(value)]
        if isinstance(node, list):
            return [t for value in node for t in texts(value)]
        return []

    raw = json.loads(PLAN_PATH.read_text(encoding="utf-8"))
    found = texts(raw)

    assert len(found) > 28 * 3
    assert [t for t in found if not (t["ja"].strip() and t["en"].strip())] == []


def test_text_renders_in_the_active_language() -> None:
    text = Text("佐賀", "Saga")

    with translation.override("ja"):
        assert str(text) == "佐賀"
    with translation.override("en"):
        assert str(text) == "Saga"
        assert str(Text("佐賀", "")) == "佐賀"
