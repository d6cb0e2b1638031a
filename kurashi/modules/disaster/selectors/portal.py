"""Reads for the public disaster portal: the level of each municipality with its official colour,
the warnings in force, one municipality's situation, and the light emergency page's data.

Everything here is public: 訓練/試験 alerts and exercise rows never appear (current_alerts() and
the other areas' selectors leave them out).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kurashi.core.models import Municipality
from kurashi.modules.disaster.area_states import (
    AreaGroup,
    AreaState,
    KindInForce,
    group_states,
    state_for,
    states_of,
)
from kurashi.modules.disaster.jma.kinds import phenomenon_of
from kurashi.modules.disaster.models import (
    Alert,
    EvacuationOrder,
    FieldReport,
    Shelter,
)
from kurashi.modules.disaster.selectors.alerts import current_alerts
from kurashi.modules.disaster.selectors.evacuation import list_orders_in_force
from kurashi.modules.disaster.selectors.reports import list_published_reports
from kurashi.modules.disaster.selectors.shelters import list_shelters

R06_KEY = re.compile(r"^l[2-5]_")
# 警戒レベル 4 (避難指示) and above switch the portal to the emergency page (SHIRASAGI's
# switch_urgency).
EMERGENCY_LEVEL = 4
# Caps that keep the emergency page under 50 KB however many alerts and shelters there are.
EMERGENCY_SHELTERS_PER_MUNICIPALITY = 5
EMERGENCY_KINDS_PER_MUNICIPALITY = 4
EMERGENCY_ALERTS = 8
# With more L4+ municipalities than this, shelters are listed by name only (the municipality page
# has the addresses).
EMERGENCY_ADDRESSES_UP_TO = 8
PORTAL_ALERT_LIMIT = 100
RECENT_REPORTS_LIMIT = 10

# Shelters with room first: a resident in a hurry should see 空き before 定員一杯.
CROWDING_ORDER: dict[str, int] = {
    Shelter.Crowding.AVAILABLE: 0,
    Shelter.Crowding.UNKNOWN: 1,
    Shelter.Crowding.CROWDED: 2,
    Shelter.Crowding.FULL: 3,
}


@dataclass(frozen=True)
class LevelStyle:
    """How a 警戒レベル is shown: the official fill colour (reference/disaster.md §1.6), a text
    colour with at least 4.5:1 contrast on it, and the name and instruction written out."""

    level: int
    fill: str
    ink: str
    name: str | Promise
    instruction: str | Promise

    @property
    def css_class(self) -> str:
        return f"level--{self.level}"


LEVEL_STYLES: dict[int, LevelStyle] = {
    # Contrast of the ink on the fill: 19.9, 6.4, 5.6, 16.6, 21 and 16.9 to 1.
    5: LevelStyle(
        5,
        "#0c000c",
        "#ffffff",
        _("Emergency safety measures"),
        _(
            "A disaster is happening or about to happen and your life is in danger. Secure your "
            "safety immediately: if it is too late to go to a shelter, move to a higher floor or "
            "to a room away from slopes."
        ),
    ),
    4: LevelStyle(
        4,
        "#aa00aa",
        "#ffffff",
        _("Evacuation order"),
        _(
            "Everyone in a dangerous place must evacuate now. Go to an open shelter or another "
            "safe place; if going outside is dangerous, move to a higher floor."
        ),
    ),
    3: LevelStyle(
        3,
        "#ff2800",
        "#000000",
        _("Evacuation of elderly people and others"),
        _(
            "Elderly people, people with disabilities and others who need time must leave "
            "dangerous places now. Everyone else: get ready to evacuate."
        ),
    ),
    2: LevelStyle(
        2,
        "#f2e700",
        "#000000",
        _("Check how to evacuate"),
        _("Check your shelter and the way to it on the hazard map."),
    ),
    1: LevelStyle(
        1,
        "#ffffff",
        "#000000",
        _("Be prepared"),
        _("Keep watching the latest weather and disaster information."),
    ),
    0: LevelStyle(
        0,
        "#f3f5f8",
        "#1a1a1a",
        _("No level in force"),
        _("No warning or evacuation information is in force."),
    ),
}


def level_style(level: int) -> LevelStyle:
    return LEVEL_STYLES.get(max(0, min(5, level)), LEVEL_STYLES[0])


def level_text(level: int, *, is_order: bool) -> str:
    """A municipality's level as its badge says it, in the active language. 高齢者等避難, 避難指示
    and 緊急安全確保 are orders of the municipality: a level 3–5 that comes from JMA warnings only
    is 「警戒レベルN相当」 (level N equivalent), never headed with the order's name."""
    if level >= 3 and not is_order:
        return gettext("Alert level %(level)s equivalent") % {"level": level}
    if level <= 0:
        return gettext("No level")
    return gettext("Alert level %(level)s") % {"level": level}


def level_name(level: int, *, is_order: bool) -> str:
    """The level's own name where it has one: the order (高齢者等避難, 避難指示, 緊急安全確保) or
    警戒レベル1–2's action; "" for a JMA 相当 level."""
    if level >= 3 and not is_order:
        return ""
    return str(level_style(level).name)


class _Told:
    """The level, kinds and style of what an alert tells one municipality (AreaState) or a group
    of municipalities (AreaGroup)."""

    @property
    def told(self) -> AreaState | AreaGroup:
        raise NotImplementedError

    @property
    def level(self) -> int:
        return self.told.level

    @property
    def kinds(self) -> tuple[KindInForce, ...]:
        return self.told.kinds

    @property
    def is_order(self) -> bool:
        return self.told.is_issued_by_municipality

    @property
    def style(self) -> LevelStyle:
        return level_style(self.level)


@dataclass(frozen=True)
class AreaAlert(_Told):
    """One alert as one municipality reads it: the kinds in force there and its level there."""

    alert: Alert
    area: AreaState

    @property
    def told(self) -> AreaState:
        return self.area


def _merged_kinds(entries: Sequence[AreaAlert]) -> tuple[KindInForce, ...]:
    """The kinds of all alerts of a municipality, once each. Where an R06 (2026) kind covers a
    phenomenon, the old-format kind of the same phenomenon (VPWW53/54, issued in parallel) is
    left out, as in the intake's warnings_by_municipality."""
    seen: dict[tuple[object, ...], KindInForce] = {}
    for entry in entries:
        for kind in entry.kinds:
            seen.setdefault((kind.kind, kind.name_ja, kind.conditions, kind.place_ja), kind)
    r06 = {phenomenon_of(kind.kind) for kind in seen.values() if R06_KEY.match(kind.kind)}
    kinds = [
        kind
        for kind in seen.values()
        if R06_KEY.match(kind.kind) or phenomenon_of(kind.kind) not in r06
    ]
    return tuple(sorted(kinds, key=lambda kind: -kind.level))


class _Entries:
    """What all alerts in force tell one municipality (`entries`), at its `level`."""

    entries: tuple[AreaAlert, ...]
    level: int

    @property
    def style(self) -> LevelStyle:
        return level_style(self.level)

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(entry.alert for entry in self.entries)

    @property
    def kinds(self) -> tuple[KindInForce, ...]:
        """Every kind in force in the municipality (from all alerts), the highest level first."""
        return _merged_kinds(self.entries)

    @property
    def is_order(self) -> bool:
        """Is the level the municipality's own evacuation order (not a JMA 相当 level)?"""
        return any(entry.is_order and entry.level == self.level for entry in self.entries)


@dataclass(frozen=True)
class MunicipalityLevel(_Entries):
    code: str
    name_ja: str
    name_kana: str
    name_en: str
    level: int
    entries: tuple[AreaAlert, ...] = ()
    open_shelters: int = 0

    @property
    def code5(self) -> str:
        return self.code[:5]


@dataclass(frozen=True)
class AlertRow(_Told):
    """A group of municipalities an alert tells the same thing (same kinds and level): the
    warnings list shows one row per group, never one alert's most severe kind for all of them."""

    alert: Alert
    group: AreaGroup
    municipalities: tuple[MunicipalityLevel, ...]

    @property
    def told(self) -> AreaGroup:
        return self.group


@dataclass(frozen=True)
class Situation:
    """The state of the whole prefecture at `as_of`."""

    as_of: datetime
    alerts: tuple[Alert, ...]
    municipalities: tuple[MunicipalityLevel, ...]

    @property
    def levels(self) -> dict[str, int]:
        return {m.code: m.level for m in self.municipalities if m.level}

    @property
    def highest_level(self) -> int:
        return max((m.level for m in self.municipalities), default=0)

    @property
    def is_emergency(self) -> bool:
        return self.highest_level >= EMERGENCY_LEVEL

    @property
    def alert_rows(self) -> list[AlertRow]:
        return alert_rows(self.alerts, self.municipalities)

    @property
    def affected(self) -> list[MunicipalityLevel]:
        """Municipalities with a level, highest first."""
        return sorted((m for m in self.municipalities if m.level), key=lambda m: (-m.level, m.code))


def alert_rows(
    alerts: Sequence[Alert], municipalities: Sequence[MunicipalityLevel], *, min_level: int = 0
) -> list[AlertRow]:
    """One row per group of municipalities each alert tells the same kinds (groups with nothing
    in force left out), the most severe first."""
    by_code = {m.code: m for m in municipalities}
    rows = [
        AlertRow(
            alert=alert,
            group=group,
            municipalities=tuple(by_code[code] for code in group.codes if code in by_code),
        )
        for alert in alerts
        for group in group_states(states_of(alert))
        if group.kinds and group.level >= min_level
    ]
    return sorted(rows, key=lambda row: (-row.level, -row.alert.sent.timestamp()))


def levels_from_alerts(alerts: Sequence[Alert]) -> dict[str, int]:
    """The highest level per municipality code over `alerts` (same rule as municipality_levels)."""
    levels: dict[str, int] = {}
    for alert in alerts:
        for code, level in (alert.area_levels or {}).items():
            if int(level) > levels.get(code, 0):
                levels[code] = int(level)
    return levels


def entries_for(alerts: Sequence[Alert], code: str) -> tuple[AreaAlert, ...]:
    """Each alert as municipality `code` reads it, where it has something in force there (an
    Update that lifted everything there does not count), the highest level first."""
    entries = []
    for alert in alerts:
        state = state_for(alert, code)
        if state is not None and state.kinds:
            entries.append(AreaAlert(alert=alert, area=state))
    return tuple(sorted(entries, key=lambda entry: -entry.level))


def list_municipalities() -> QuerySet[Municipality]:
    return Municipality.objects.order_by("code").only("code", "name_ja", "name_kana", "name_en")


def get_situation(*, with_open_shelter_counts: bool = True) -> Situation:
    """Levels, alerts and open-shelter counts of the 20 municipalities: three queries."""
    alerts = tuple(current_alerts()[:PORTAL_ALERT_LIMIT])
    levels = levels_from_alerts(alerts)
    counts: dict[str, int] = {}
    if with_open_shelter_counts:
        for code in Shelter.objects.filter(open_state=Shelter.OpenState.OPEN).values_list(
            "municipality_code", flat=True
        ):
            counts[code] = counts.get(code, 0) + 1
    municipalities = tuple(
        MunicipalityLevel(
            code=m.code,
            name_ja=m.name_ja,
            name_kana=m.name_kana,
            name_en=m.name_en,
            level=levels.get(m.code, 0),
            entries=entries_for(alerts, m.code),
            open_shelters=counts.get(m.code, 0),
        )
        for m in list_municipalities()
    )
    return Situation(as_of=timezone.now(), alerts=alerts, municipalities=municipalities)


def is_emergency_active() -> bool:
    """Is any Actual alert of 警戒レベル 4 or above in force? (one indexed query)"""
    return current_alerts().filter(level__gte=EMERGENCY_LEVEL).exists()


def get_municipality(code: str) -> Municipality | None:
    return Municipality.objects.filter(code=code).first()


@dataclass(frozen=True)
class MunicipalitySituation(_Entries):
    municipality: Municipality
    level: int
    entries: tuple[AreaAlert, ...]
    orders: tuple[EvacuationOrder, ...]
    open_shelters: tuple[Shelter, ...]
    reports: tuple[FieldReport, ...]
    as_of: datetime

    @property
    def instruction(self) -> str:
        """The action key of the most severe entry (its level's text, or the tsunami one)."""
        return self.entries[0].area.instruction if self.entries else "stay_informed"


def get_municipality_situation(
    municipality: Municipality, *, hazard: str | None = None
) -> MunicipalitySituation:
    """Everything in force for one municipality; its open shelters suitable for `hazard`."""
    code = municipality.code
    alerts = tuple(current_alerts(municipality_code=code)[:PORTAL_ALERT_LIMIT])
    entries = entries_for(alerts, code)
    orders = tuple(list_orders_in_force(municipality_code=code))
    # The level is the Alerts' (the canonical public state); orders explain it.
    level = max((entry.level for entry in entries), default=0)
    shelters = sorted(
        list_shelters(municipality_code=code, hazard=hazard, open_state=Shelter.OpenState.OPEN),
        key=lambda shelter: (CROWDING_ORDER.get(shelter.crowding, 1), shelter.name),
    )
    reports = tuple(list_published_reports(municipality_code=code)[:RECENT_REPORTS_LIMIT])
    return MunicipalitySituation(
        municipality=municipality,
        level=level,
        entries=entries,
        orders=orders,
        open_shelters=tuple(shelters),
        reports=reports,
        as_of=timezone.now(),
    )


@dataclass(frozen=True)
class EmergencyEntry:
    municipality: MunicipalityLevel
    shelters: tuple[Shelter, ...]
    more_shelters: int

    @property
    def kinds(self) -> tuple[KindInForce, ...]:
        return self.municipality.kinds[:EMERGENCY_KINDS_PER_MUNICIPALITY]


@dataclass(frozen=True)
class EmergencyData:
    as_of: datetime
    entries: tuple[EmergencyEntry, ...]  # L4+ first (highest level first), then L1–L3
    # The L4+ groups (kinds and their municipalities), highest first, at most EMERGENCY_ALERTS.
    rows: tuple[AlertRow, ...] = ()
    more_alerts: int = 0
    show_addresses: bool = True
    levels_shown: tuple[LevelStyle, ...] = field(default=())

    @property
    def is_emergency(self) -> bool:
        return any(entry.municipality.level >= EMERGENCY_LEVEL for entry in self.entries)

    @property
    def urgent(self) -> tuple[EmergencyEntry, ...]:
        return tuple(e for e in self.entries if e.municipality.level >= EMERGENCY_LEVEL)

    @property
    def others(self) -> tuple[EmergencyEntry, ...]:
        return tuple(e for e in self.entries if e.municipality.level < EMERGENCY_LEVEL)


def get_emergency_data() -> EmergencyData:
    """The light emergency page's data: alerts (1 query), municipalities (1), and the open
    shelters of the L4+ municipalities (1)."""
    situation = get_situation(with_open_shelter_counts=False)
    affected = situation.affected
    urgent_codes = [m.code for m in affected if m.level >= EMERGENCY_LEVEL]
    shelters_by_code: dict[str, list[Shelter]] = {}
    if urgent_codes:
        for shelter in Shelter.objects.filter(
            municipality_code__in=urgent_codes, open_state=Shelter.OpenState.OPEN
        ).only("municipality_code", "name", "address", "crowding", "is_welfare", "common_id"):
            shelters_by_code.setdefault(shelter.municipality_code, []).append(shelter)
    entries = []
    for municipality in affected:
        shelters = sorted(
            shelters_by_code.get(municipality.code, []),
            key=lambda shelter: (CROWDING_ORDER.get(shelter.crowding, 1), shelter.name),
        )
        entries.append(
            EmergencyEntry(
                municipality=municipality,
                shelters=tuple(shelters[:EMERGENCY_SHELTERS_PER_MUNICIPALITY]),
                more_shelters=max(0, len(shelters) - EMERGENCY_SHELTERS_PER_MUNICIPALITY),
            )
        )
    shown = sorted({m.level for m in affected}, reverse=True)
    urgent = alert_rows(situation.alerts, situation.municipalities, min_level=EMERGENCY_LEVEL)
    return EmergencyData(
        as_of=situation.as_of,
        entries=tuple(entries),
        rows=tuple(urgent[:EMERGENCY_ALERTS]),
        more_alerts=max(0, len(urgent) - EMERGENCY_ALERTS),
        show_addresses=len(urgent_codes) <= EMERGENCY_ADDRESSES_UP_TO,
        levels_shown=tuple(level_style(level) for level in shown),
    )
