"""What one bulletin says about Saga, municipality by municipality (pure: no database)."""

from dataclasses import dataclass
from datetime import datetime

from kurashi.modules.disaster.jma.areas import AreaResolver, saga_resolver
from kurashi.modules.disaster.jma.documents import Item, Kind, ParsedBulletin
from kurashi.modules.disaster.jma.kinds import conditions_of, kind_key
from kurashi.modules.disaster.jma.levels import (
    classify,
    expires_at,
    family_of,
    replaces_only_listed,
)


@dataclass(frozen=True, slots=True)
class MunicipalWarning:
    municipality_code: str  # 6-digit
    kind_name: str
    kind_code: str
    status: str
    hazard: str
    level: int
    detail: str = ""
    last_kind_name: str = ""
    # The vocabulary key (jma/kinds.py) and JMA's Kind/Condition as written (「土砂災害、浸水害」).
    kind_key: str = "other"
    condition: str = ""


@dataclass(frozen=True, slots=True)
class SagaState:
    """The Saga state a bulletin asserts. `listed` are the municipalities it speaks about (its
    state replaces theirs); `warnings` the kinds in force there."""

    family: str | None
    replace_all: bool
    listed: frozenset[str]
    warnings: tuple[MunicipalWarning, ...]
    expires: datetime | None

    @property
    def mentions_saga(self) -> bool:
        return bool(self.listed)

    def levels(self) -> dict[str, int]:
        """The highest level per listed municipality (0 where nothing with a level is in force)."""
        levels = dict.fromkeys(sorted(self.listed), 0)
        for warning in self.warnings:
            levels[warning.municipality_code] = max(
                levels[warning.municipality_code], warning.level
            )
        return levels


def _finest_items(items: tuple[Item, ...], resolver: AreaResolver) -> list[Item]:
    """Items of the most precise granularity available for Saga: a VPWW53 says the same thing at
    prefecture, 一次細分, 地区 and municipality level — only the municipality block counts."""
    ranked = [
        (max((resolver.granularity(area) for area in item.areas), default=0), item)
        for item in items
    ]
    finest = max((rank for rank, _item in ranked), default=0)
    return [item for rank, item in ranked if rank == finest and rank > 0]


def saga_state(parsed: ParsedBulletin, resolver: AreaResolver | None = None) -> SagaState:
    resolver = resolver or saga_resolver()
    family = family_of(parsed)
    if family is None:
        return SagaState(None, False, frozenset(), (), None)
    listed: set[str] = set()
    found: dict[tuple[str, str], MunicipalWarning] = {}
    for item in _finest_items(parsed.items, resolver):
        codes: set[str] = set()
        for area in item.areas:
            codes |= resolver.resolve(area)
        listed |= codes
        for kind in item.kinds:
            rule = classify(parsed, kind)
            if not rule.in_force:
                continue
            vocabulary_key = kind_key(parsed.type_code, kind, display_name=rule.name).key
            for code in codes:
                warning = _warning(code, kind, rule.name, rule.hazard, rule.level, vocabulary_key)
                previous = found.get((code, rule.name))
                if previous is None or warning.level > previous.level:
                    found[(code, rule.name)] = warning
    warnings = tuple(
        sorted(found.values(), key=lambda w: (w.municipality_code, -w.level, w.kind_name))
    )
    return SagaState(
        family=family,
        replace_all=not replaces_only_listed(family),
        listed=frozenset(listed),
        warnings=warnings,
        expires=expires_at(parsed, family),
    )


def _warning(
    code: str, kind: Kind, name: str, hazard: str, level: int, key: str
) -> MunicipalWarning:
    return MunicipalWarning(
        municipality_code=code,
        kind_name=name,
        kind_code=kind.code,
        status=kind.status,
        hazard=hazard,
        level=level,
        detail=kind.detail,
        last_kind_name=kind.last_name,
        kind_key=key,
        # Only a heavy-rain kind's 浸水害 / 土砂災害 qualifies it; other types use Condition for
        # other things (VXWW50 継続, VPHW50 発表).
        condition=kind.condition if parsed_condition(kind.condition) else "",
    )


def parsed_condition(condition: str) -> bool:
    return bool(conditions_of(condition))
