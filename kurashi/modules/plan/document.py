"""The plan document (data/plan.json) as immutable, bilingual objects, read once per process."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

PLAN_PATH = Path(__file__).resolve().parent / "data" / "plan.json"


@dataclass(frozen=True, slots=True)
class Text:
    ja: str
    en: str

    def __str__(self) -> str:
        if (get_language() or "ja").startswith("en") and self.en:
            return self.en
        return self.ja


def _text(raw: dict[str, str] | None) -> Text | None:
    return Text(ja=raw["ja"], en=raw["en"]) if raw else None


@dataclass(frozen=True, slots=True)
class Measure:
    id: str
    pillar_id: int
    title: Text
    department: Text | None
    description: Text


@dataclass(frozen=True, slots=True)
class Pillar:
    id: int
    title: Text
    aims: tuple[Text, ...]
    measures: tuple[Measure, ...]


@dataclass(frozen=True, slots=True)
class Actor:
    key: str
    name: Text
    role: Text


@dataclass(frozen=True, slots=True)
class PlanDocument:
    title: Text
    motto: Text
    period: Text
    purpose: Text
    source: Text
    actors: tuple[Actor, ...]
    pillars: tuple[Pillar, ...]
    notes: tuple[Text, ...]

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(measure for pillar in self.pillars for measure in pillar.measures)

    def measure(self, measure_id: str) -> Measure | None:
        return next((m for m in self.measures if m.id == measure_id), None)


def _required(raw: dict[str, str]) -> Text:
    return Text(ja=raw["ja"], en=raw["en"])


@cache
def plan_document(path: Path = PLAN_PATH) -> PlanDocument:
    raw = json.loads(path.read_text(encoding="utf-8"))
    pillars = tuple(
        Pillar(
            id=int(pillar["id"]),
            title=_required(pillar["title"]),
            aims=tuple(_required(aim) for aim in pillar["aims"]),
            measures=tuple(
                Measure(
                    id=measure["id"],
                    pillar_id=int(pillar["id"]),
                    title=_required(measure["title"]),
                    department=_text(measure.get("department")),
                    description=_required(measure["description"]),
                )
                for measure in pillar["measures"]
            ),
        )
        for pillar in raw["pillars"]
    )
    return PlanDocument(
        title=_required(raw["title"]),
        motto=_required(raw["motto"]),
        period=_required(raw["period"]),
        purpose=_required(raw["purpose"]),
        source=_required(raw["source"]),
        actors=tuple(
            Actor(key=a["key"], name=_required(a["name"]), role=_required(a["role"]))
            for a in raw["actors"]
        ),
        pillars=pillars,
        notes=tuple(_required(note) for note in raw.get("notes", [])),
    )
