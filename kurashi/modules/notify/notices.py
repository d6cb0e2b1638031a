"""The Notice handed over by other modules (kept free of models so any layer may import it).

A notice carries, besides the sender's free texts, what is in force in each municipality as
structured data (`areas`): the kinds (a vocabulary key of messages.TERMS, with the conditions,
river or intensity that qualify it), the 警戒レベル and an instruction code. notify renders every
message from these in the recipient's language, for the recipient's own municipalities, so a
resident of a town under an advisory never reads the emergency warning of the next town, and no
language depends on a translation of Japanese free text.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EMERGENCY_HAZARDS = frozenset({"tsunami"})

# Who issued a kind: JMA (a 警戒レベル相当 warning or an advisory) or the municipality (an
# evacuation order, which alone may be called 高齢者等避難 / 避難指示 / 緊急安全確保).
SOURCE_JMA = "jma"
SOURCE_MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class KindInForce:
    """One kind in force (or lifted) in a municipality.

    `kind` is a key of the vocabulary (messages.TERMS["kinds"], e.g. "heavy_rain_warning",
    "l4_landslide_danger_warning", "river_flood_warning", "seismic_intensity"); `name_ja` the
    official Japanese name exactly as issued (「大雨警報」, 「六角川氾濫警戒情報」); `conditions`
    qualify a heavy-rain kind ("landslide" 土砂災害, "inundation" 浸水害); `place_ja`/`place_en`
    name the river of a flood forecast; `value` is the seismic intensity ("5-") or the tsunami
    height as JMA wrote it."""

    kind: str
    level: int = 0
    hazard: str = "other"
    name_ja: str = ""
    conditions: tuple[str, ...] = ()
    place_ja: str = ""
    place_en: str = ""
    value: str = ""
    source: str = SOURCE_JMA

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "level": self.level, "hazard": self.hazard}
        for name in ("name_ja", "place_ja", "place_en", "value"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.conditions:
            data["conditions"] = list(self.conditions)
        if self.source != SOURCE_JMA:
            data["source"] = self.source
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "KindInForce":
        return cls(
            kind=str(data.get("kind") or "other"),
            level=int(data.get("level") or 0),
            hazard=str(data.get("hazard") or "other"),
            name_ja=str(data.get("name_ja") or ""),
            conditions=tuple(str(c) for c in data.get("conditions") or ()),
            place_ja=str(data.get("place_ja") or ""),
            place_en=str(data.get("place_en") or ""),
            value=str(data.get("value") or ""),
            source=str(data.get("source") or SOURCE_JMA),
        )


@dataclass(frozen=True)
class AreaState:
    """What one municipality is told by one alert revision: the kinds in force there now, the
    kinds this revision lifted there, its level and the instruction for that level.

    `instruction` is a key of messages.TERMS["instructions"] ("safety_now", "evacuate_all",
    "evacuate_elderly", "check_route", "stay_informed", "tsunami_evacuate", "tsunami_leave_sea",
    "earthquake", "lifted"). The names are the municipality's in kanji, kana and romanisation
    (every non-Japanese message names the place by its romanisation)."""

    code: str  # 6-digit 全国地方公共団体コード
    name_ja: str
    name_kana: str
    name_en: str
    level: int
    kinds: tuple[KindInForce, ...] = ()
    lifted: tuple[KindInForce, ...] = ()
    instruction: str = "stay_informed"

    @property
    def is_issued_by_municipality(self) -> bool:
        """Is the level an evacuation order of the municipality (not a JMA 相当 level)?"""
        return any(
            kind.source == SOURCE_MUNICIPALITY and kind.level == self.level for kind in self.kinds
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_ja": self.name_ja,
            "name_kana": self.name_kana,
            "name_en": self.name_en,
            "level": self.level,
            "kinds": [kind.as_json() for kind in self.kinds],
            "lifted": [kind.as_json() for kind in self.lifted],
            "instruction": self.instruction,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AreaState":
        return cls(
            code=str(data["code"]),
            name_ja=str(data.get("name_ja") or data["code"]),
            name_kana=str(data.get("name_kana") or ""),
            name_en=str(data.get("name_en") or ""),
            level=int(data.get("level") or 0),
            kinds=tuple(KindInForce.from_json(kind) for kind in data.get("kinds") or ()),
            lifted=tuple(KindInForce.from_json(kind) for kind in data.get("lifted") or ()),
            instruction=str(data.get("instruction") or "stay_informed"),
        )


def areas_as_json(areas: tuple[AreaState, ...]) -> list[dict[str, Any]]:
    return [area.as_json() for area in areas]


def areas_from_json(data: Any) -> tuple[AreaState, ...]:
    """The areas stored as JSON (by Alert.area_states or notify's Notice.content); () when absent."""
    if not isinstance(data, list):
        return ()
    return tuple(AreaState.from_json(item) for item in data if isinstance(item, dict))


@dataclass(frozen=True)
class Notice:
    """One alert revision. `texts` maps a language ("ja", "ja-x-easy", "en", …) to the sender's
    own {"event", "headline", "description", "instruction"}; `area_levels` maps 6-digit
    municipality codes to 警戒レベル; `level` 5 is a 特別警報 / 緊急安全確保.

    `family` names the product family ("weather", "landslide", "flood", "tsunami", "earthquake",
    "evacuation" …) and `areas` what is in force per municipality: when present, messages are
    rendered from them (see messages.render_message), the free texts being only a fallback."""

    key: str
    event_key: str
    revision: int
    msg_type: str  # "Alert", "Update" or "Cancel"
    hazard: str
    level: int
    area_levels: dict[str, int]
    texts: dict[str, dict[str, str]]
    web_url: str
    sent: datetime
    references_key: str = ""
    area_geojson: dict[str, Any] | None = None
    is_exercise: bool = False
    # A bulk notice (an announcement such as a drill notice or a shelter-list update, not a
    # warning) travels in the bulk lane, whose workers never delay the emergency lane.
    bulk: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    family: str = ""
    areas: tuple[AreaState, ...] = ()

    @property
    def lane(self) -> str:
        """emergency for 警戒レベル 4+, tsunami and 特別警報 (even when marked bulk); bulk for
        announcements; the rest is normal."""
        if self.level >= 4 or self.hazard in EMERGENCY_HAZARDS:
            return "emergency"
        return "bulk" if self.bulk else "default"

    def content_json(self) -> dict[str, Any]:
        """The structured part as stored by notify (Notice.content)."""
        if not self.areas and not self.family:
            return {}
        return {"family": self.family, "areas": areas_as_json(self.areas)}
