"""What each municipality is told by an alert: building notify's AreaStates (kinds in force, kinds
lifted, level, instruction) and grouping the municipalities an alert tells the same thing.

Shared by the services that record alerts, the selectors behind the pages and API, and the CAP
output, so that every one of them names per municipality exactly the kinds in force there.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from kurashi.modules.disaster.jma.areas import saga_resolver
from kurashi.modules.disaster.jma.kinds import key_for_name
from kurashi.modules.notify import public as notify_public

AreaState = notify_public.AreaState
KindInForce = notify_public.KindInForce

# The orders a municipality issues, per level (内閣府「避難情報に関するガイドライン」, 2021).
ORDER_KINDS = {3: "evacuation_elderly", 4: "evacuation_order", 5: "emergency_safety"}
ORDER_NAMES_JA = {3: "高齢者等避難", 4: "避難指示", 5: "緊急安全確保"}
TSUNAMI_EVACUATE = frozenset({"tsunami_major_warning", "tsunami_warning"})


def instruction_for(level: int, kinds: Iterable[KindInForce], lifted: Iterable[KindInForce]) -> str:
    """The action text (notify's instruction key) for a municipality: by its level, except that a
    tsunami asks to leave the coast and an earthquake alone to stay safe; "lifted" when only
    lifting is left."""
    keys = {kind.kind for kind in kinds}
    if not keys:
        return "lifted" if any(True for _kind in lifted) else "stay_informed"
    if keys & TSUNAMI_EVACUATE:
        return "tsunami_evacuate"
    if "tsunami_advisory" in keys:
        return "tsunami_leave_sea"
    if level >= 5:
        return "safety_now"
    if level == 4:
        return "evacuate_all"
    if level == 3:
        return "evacuate_elderly"
    if level == 2:
        return "check_route"
    if keys == {"seismic_intensity"}:
        return "earthquake"
    return "stay_informed"


def area_state(
    code: str,
    *,
    kinds: Iterable[KindInForce] = (),
    lifted: Iterable[KindInForce] = (),
    level: int | None = None,
) -> AreaState:
    """One municipality's AreaState, its names from the area table and its instruction derived."""
    # The highest level first; kinds of one level keep the order they were issued in.
    ordered = tuple(sorted(kinds, key=lambda kind: -kind.level))
    lifted = tuple(lifted)
    level = max((kind.level for kind in ordered), default=0) if level is None else level
    municipality = saga_resolver().municipalities.get(code)
    return AreaState(
        code=code,
        name_ja=municipality.name_ja if municipality else code,
        name_kana=municipality.name_kana if municipality else "",
        name_en=municipality.name_en if municipality else "",
        level=level,
        kinds=ordered,
        lifted=lifted,
        instruction=instruction_for(level, ordered, lifted),
    )


def states_of(alert: Any) -> tuple[AreaState, ...]:
    """The AreaStates of an Alert (parsed once per instance: a page asks for every municipality);
    for a revision recorded before they existed, derived from its levels and its Japanese event."""
    cached = alert.__dict__.get("_parsed_area_states")
    if cached is None:
        cached = alert.__dict__["_parsed_area_states"] = _states_of(alert)
    return cached  # type: ignore[no-any-return]


def _states_of(alert: Any) -> tuple[AreaState, ...]:
    stored = notify_public.areas_from_json(alert.area_states)
    if stored:
        return stored
    name_ja = alert.text("ja", "event") if alert.msg_type != "Cancel" else ""
    known = key_for_name(name_ja)
    kind = KindInForce(
        known.key,
        0,
        alert.hazard,
        name_ja,
        place_ja=known.place_ja,
        place_en=known.place_en,
        value=known.value,
    )
    return tuple(
        area_state(code, kinds=(replace(kind, level=int(level)),) if int(level) else ())
        for code, level in sorted((alert.area_levels or {}).items())
    )


def state_for(alert: Any, code: str) -> AreaState | None:
    """What `alert` tells municipality `code` (None when it does not speak about it)."""
    by_code = alert.__dict__.get("_area_states_by_code")
    if by_code is None:
        by_code = alert.__dict__["_area_states_by_code"] = {s.code: s for s in states_of(alert)}
    return by_code.get(code)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class AreaGroup:
    """Municipalities an alert tells exactly the same: same kinds (with conditions), same kinds
    lifted, same level and instruction (one CAP <info> per group and language)."""

    kinds: tuple[KindInForce, ...]
    lifted: tuple[KindInForce, ...]
    level: int
    instruction: str
    is_order: bool
    areas: tuple[AreaState, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(area.code for area in self.areas)

    @property
    def is_issued_by_municipality(self) -> bool:
        return self.is_order


def _signature(kinds: tuple[KindInForce, ...]) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        (kind.kind, kind.name_ja, kind.conditions, kind.place_ja, kind.value, kind.level)
        for kind in kinds
    )


def group_states(states: Iterable[AreaState]) -> list[AreaGroup]:
    """The areas grouped by what they are told, the most severe group first."""
    groups: dict[tuple[Any, ...], list[AreaState]] = {}
    for state in states:
        key = (
            _signature(state.kinds),
            _signature(state.lifted),
            state.level,
            state.instruction,
            state.is_issued_by_municipality,
        )
        groups.setdefault(key, []).append(state)
    result = [
        AreaGroup(
            kinds=members[0].kinds,
            lifted=members[0].lifted,
            level=members[0].level,
            instruction=members[0].instruction,
            is_order=members[0].is_issued_by_municipality,
            areas=tuple(sorted(members, key=lambda area: area.code)),
        )
        for members in groups.values()
    ]
    return sorted(result, key=lambda group: (-group.level, not group.kinds, group.codes))
