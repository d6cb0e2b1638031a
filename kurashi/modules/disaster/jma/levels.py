"""The 警戒レベル (alert level 0–5) and hazard of every JMA kind, in one table.

Sources (see ../shared/reference/disaster.md §1.3, §1.6):
- R06 (2026) kinds state their level in the name: 「レベル４大雨危険警報」 → 4 (JMA R06 samples;
  codes 10/03/43/33 大雨, 29/09/49/39 土砂災害, 19/08/48/38 高潮).
- Old kinds (VPWW53/54, 別表 codes): every 特別警報 (32–39) → 5; 高潮警報 (08) → 4 (JMA's table
  of 警戒レベル相当情報 counts 高潮警報 as 警戒レベル４相当: storm surge leaves no time for a level-3
  stage); 大雨警報 (03), 洪水警報 (04) → 3; 大雨・洪水・高潮注意報 (10, 18, 19) → 2 (L2 =
  大雨・洪水・高潮注意報, 内閣府 guideline as cited in §1.6); other warnings and advisories (暴風, 波浪,
  大雪, 雷, 強風 …) carry no level → 0.
- 土砂災害警戒情報 (VXWW50 Kind code 3 「警戒」, 2026 name レベル４土砂災害危険警報) → 4.
- 指定河川洪水予報 (VXKO): 20 氾濫注意情報 → 2, 30 氾濫警戒情報 → 3, 40/41 氾濫危険情報 → 4,
  5x 氾濫発生情報 → 5; otherwise the headline's 【警戒レベルＮ相当情報】.
- Tsunami (VTSE41) is outside the 警戒レベル system; Kurashi treats 大津波警報 (52, 53) as 5,
  津波警報 (51) as 4 and 津波注意報 (62) as 2 so the portal colours and the emergency page react;
  50/60 (解除), 00 (津波なし) and 71–73 (津波予報：若干の海面変動) lift.
- Earthquakes (VXSE51/53), 竜巻注意情報, 記録的短時間大雨, 線状降水帯: in force but level 0 (no
  警戒レベル); the state shows the kind (e.g. 震度５弱).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from kurashi.modules.disaster.jma.documents import Kind, ParsedBulletin

LIFTING_STATUSES = frozenset({"解除", "発表警報・注意報はなし", "なし"})
OLD_LEVELS = {"03": 3, "04": 3, "08": 4, "10": 2, "18": 2, "19": 2}
OLD_SPECIAL = frozenset({"32", "33", "35", "36", "37", "38", "39"})
FLOOD_LEVELS = {"20": 2, "30": 3, "40": 4, "41": 4, "50": 5, "51": 5, "52": 5, "53": 5}
TSUNAMI_LEVELS = {"52": 5, "53": 5, "51": 4, "62": 2}

# Product families: a newer bulletin of a family replaces the older one's state.
STATE_TYPES = frozenset(
    {
        "VPWW53",
        "VPWW54",
        "VPWW55",
        "VPWW56",
        "VPWW57",
        "VPWW58",
        "VPWW59",
        "VPWW60",
        "VPWW61",
        "VXWW50",
        "VXKO",
        "VPOA50",
        "VPBS50",
        "VPHW50",
        "VPHW51",
        "VXSE51",
        "VXSE53",
        "VTSE41",
    }
)
# Families whose bulletins list only some municipalities: replace state only where listed.
PARTIAL_FAMILIES = ("weather", "landslide")
# How long observation-type information stays "current" when the bulletin gives no ValidDateTime.
DEFAULT_LIFETIME = {
    "earthquake": timedelta(hours=24),
    "flash": timedelta(hours=3),
    "tornado": timedelta(hours=1),
}

HAZARD_WORDS = (
    ("津波", "tsunami"),
    ("震度", "earthquake"),
    ("土砂", "landslide"),
    ("警戒", "landslide"),  # VXWW50 「警戒」
    ("氾濫", "flood"),
    ("洪水", "flood"),
    ("高潮", "storm_surge"),
    ("竜巻", "tornado"),
    ("大雨", "heavy_rain"),
    ("線状降水帯", "heavy_rain"),
    ("暴風", "storm"),
    ("強風", "storm"),
    ("風雪", "storm"),
    ("波浪", "high_waves"),
    ("大雪", "snow"),
    ("なだれ", "snow"),
    ("着雪", "snow"),
    ("着氷", "snow"),
    ("融雪", "snow"),
    ("熱中症", "heat"),
)


@dataclass(frozen=True, slots=True)
class KindRule:
    in_force: bool
    level: int
    hazard: str
    name: str  # display name, e.g. 土砂災害警戒情報, 六角川 氾濫警戒情報


def family_of(parsed: ParsedBulletin) -> str | None:
    """The product family key of a bulletin (None: the type produces no state)."""
    envelope = parsed.envelope
    office = envelope.editorial_office
    code = parsed.type_code
    if code not in STATE_TYPES:
        return None
    if code in {"VPWW53", "VPWW54"}:
        return f"weather:{office}"
    if code.startswith("VPWW"):
        return f"weather-r06-{code[-2:]}:{office}"
    if code == "VXWW50":
        return f"landslide:{office}"
    if code == "VXKO":
        rivers = [
            area.code
            for item in envelope.headline_items
            if item.block == "指定河川洪水予報（予報区域）"
            for area in item.areas
        ]
        return f"flood:{rivers[0] if rivers else envelope.event_id or office}"
    if code in {"VPHW50", "VPHW51"}:
        return f"tornado:{office}"
    if code in {"VPOA50", "VPBS50"}:
        return f"flash:{office}"
    if code in {"VXSE51", "VXSE53"}:
        return f"earthquake:{envelope.event_id or office}"
    return f"tsunami:{office}"  # VTSE41


def replaces_only_listed(family: str) -> bool:
    return family.startswith(PARTIAL_FAMILIES)


def expires_at(parsed: ParsedBulletin, family: str) -> datetime | None:
    envelope = parsed.envelope
    lifetime = DEFAULT_LIFETIME.get(family.split(":", 1)[0].split("-", 1)[0])
    if lifetime is None:
        return None
    return envelope.valid_datetime or envelope.report_datetime + lifetime


def hazard_of(name: str) -> str:
    for word, hazard in HAZARD_WORDS:
        if word in name:
            return hazard
    return "other"


def stated_level(text: str) -> int:
    """The level stated in a name or headline: 「レベル４…」, 【警戒レベル３相当情報】 → 4, 3."""
    match = re.search(r"レベル\s*([1-5])", unicodedata.normalize("NFKC", text))
    return int(match.group(1)) if match else 0


def classify(parsed: ParsedBulletin, kind: Kind) -> KindRule:
    """Whether `kind` is in force, its 警戒レベル and hazard, and its display name."""
    code = parsed.type_code
    name = kind.name
    if not name:
        # 「発表警報・注意報はなし」: the area is listed with nothing in force.
        return KindRule(False, 0, "other", "")
    status_lifts = kind.status in LIFTING_STATUSES or "解除" in name or name == "なし"
    if code in {"VPWW53", "VPWW54"}:
        level = 5 if kind.code in OLD_SPECIAL else OLD_LEVELS.get(kind.code, 0)
        lifted = status_lifts or kind.code == "00"
        return KindRule(not lifted, level, hazard_of(name), name)
    if code.startswith("VPWW"):
        level = stated_level(name) or (5 if "特別警報" in name else 0)
        lifted = status_lifts or kind.code == "00"
        return KindRule(not lifted, level, hazard_of(name), name)
    if code == "VXWW50":
        title = parsed.envelope.head_title
        display = "レベル４土砂災害危険警報" if "危険警報" in title else "土砂災害警戒情報"
        in_force = kind.code == "3" or name == "警戒"
        return KindRule(in_force and not status_lifts, 4, "landslide", display)
    if code == "VXKO":
        level = FLOOD_LEVELS.get(kind.code) or stated_level(parsed.envelope.headline)
        display = parsed.envelope.head_title or name  # e.g. 六角川氾濫警戒情報
        return KindRule(not status_lifts and level > 0, level, "flood", display)
    if code == "VTSE41":
        level = TSUNAMI_LEVELS.get(kind.code, 0)
        return KindRule(level > 0, level, "tsunami", name)
    if code in {"VXSE51", "VXSE53"}:
        return KindRule(True, 0, "earthquake", name)
    if code in {"VPHW50", "VPHW51"}:
        return KindRule(not status_lifts, 0, "tornado", name)
    if code in {"VPOA50", "VPBS50"}:
        return KindRule(not status_lifts, 0, "heavy_rain", name)
    return KindRule(False, stated_level(name), hazard_of(name), name)
