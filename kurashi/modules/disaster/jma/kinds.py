"""The language-neutral key of every JMA kind (the vocabulary of notify's alert_terms.toml), with
what qualifies it: the conditions of a heavy-rain kind (浸水害, 土砂災害), the river of a flood
forecast, the observed intensity.

Pages, API, CAP and notices name a kind in each language from this key, never from the Japanese
name: the Japanese name is kept as issued (KindInForce.name_ja) for Japanese text only.

Sources: old VPWW53/54 codes from JMA's code table (reference/disaster.md §1.1); R06 (2026)
names 「レベルＮ…」 from JMA's R06 samples (VPWW55/56) and the 2026 naming of 高潮; VXKO kinds from
the 指定河川洪水予報 samples; tsunami codes from VTSE41.
"""

import re
import unicodedata
from dataclasses import dataclass

from kurashi.modules.disaster.jma.documents import Kind

# Old VPWW53/54 kind codes (the same codes name the same kinds in the R06 その他 types).
OLD_CODES: dict[str, str] = {
    "02": "snowstorm_warning",
    "03": "heavy_rain_warning",
    "04": "flood_warning",
    "05": "storm_warning",
    "06": "heavy_snow_warning",
    "07": "high_waves_warning",
    "08": "storm_surge_warning",
    "10": "heavy_rain_advisory",
    "12": "heavy_snow_advisory",
    "13": "snow_wind_advisory",
    "14": "thunderstorm_advisory",
    "15": "strong_wind_advisory",
    "16": "high_waves_advisory",
    "17": "snowmelt_advisory",
    "18": "flood_advisory",
    "19": "storm_surge_advisory",
    "20": "dense_fog_advisory",
    "21": "dry_air_advisory",
    "22": "avalanche_advisory",
    "23": "low_temperature_advisory",
    "24": "frost_advisory",
    "25": "icing_advisory",
    "26": "snow_accretion_advisory",
    "32": "snowstorm_emergency_warning",
    "33": "heavy_rain_emergency_warning",
    "35": "storm_emergency_warning",
    "36": "heavy_snow_emergency_warning",
    "37": "high_waves_emergency_warning",
    "38": "storm_surge_emergency_warning",
}
# The same kinds by their Japanese names (for documents whose codes are missing or differ).
OLD_NAMES: dict[str, str] = {
    "暴風雪警報": "snowstorm_warning",
    "大雨警報": "heavy_rain_warning",
    "洪水警報": "flood_warning",
    "暴風警報": "storm_warning",
    "大雪警報": "heavy_snow_warning",
    "波浪警報": "high_waves_warning",
    "高潮警報": "storm_surge_warning",
    "大雨注意報": "heavy_rain_advisory",
    "大雪注意報": "heavy_snow_advisory",
    "風雪注意報": "snow_wind_advisory",
    "雷注意報": "thunderstorm_advisory",
    "強風注意報": "strong_wind_advisory",
    "波浪注意報": "high_waves_advisory",
    "融雪注意報": "snowmelt_advisory",
    "洪水注意報": "flood_advisory",
    "高潮注意報": "storm_surge_advisory",
    "濃霧注意報": "dense_fog_advisory",
    "乾燥注意報": "dry_air_advisory",
    "なだれ注意報": "avalanche_advisory",
    "低温注意報": "low_temperature_advisory",
    "霜注意報": "frost_advisory",
    "着氷注意報": "icing_advisory",
    "着雪注意報": "snow_accretion_advisory",
    "暴風雪特別警報": "snowstorm_emergency_warning",
    "大雨特別警報": "heavy_rain_emergency_warning",
    "暴風特別警報": "storm_emergency_warning",
    "大雪特別警報": "heavy_snow_emergency_warning",
    "波浪特別警報": "high_waves_emergency_warning",
    "高潮特別警報": "storm_surge_emergency_warning",
}
# R06: 「レベルＮ<hazard><grade>」.
R06_HAZARDS = {"大雨": "heavy_rain", "土砂災害": "landslide", "高潮": "storm_surge"}
R06_GRADES = {
    "注意報": "advisory",
    "警報": "warning",
    "危険警報": "danger_warning",
    "特別警報": "emergency_warning",
}
RIVER_GRADES = {
    "氾濫注意情報": "river_flood_advisory",
    "氾濫警戒情報": "river_flood_warning",
    "氾濫危険情報": "river_flood_danger",
    "氾濫発生情報": "river_flood_occurred",
    # 2026 names of the 指定河川洪水予報.
    "氾濫注意報": "river_flood_advisory",
    "氾濫警報": "river_flood_warning",
    "氾濫危険警報": "river_flood_danger",
    "氾濫特別警報": "river_flood_occurred",
}
TSUNAMI_CODES = {
    "52": "tsunami_major_warning",
    "53": "tsunami_major_warning",
    "51": "tsunami_warning",
    "62": "tsunami_advisory",
}
# 指定河川 that reach Saga (river name → English); others keep their Japanese name.
RIVERS_EN: dict[str, str] = {
    "六角川": "Rokkaku River",
    "牛津川": "Ushizu River",
    "嘉瀬川": "Kase River",
    "松浦川": "Matsuura River",
    "筑後川": "Chikugo River",
}
# Kind/Condition of a heavy-rain kind: 「土砂災害」「浸水害」「土砂災害、浸水害」.
CONDITIONS = {"土砂災害": "landslide", "浸水害": "inundation"}


@dataclass(frozen=True, slots=True)
class KindKey:
    key: str
    conditions: tuple[str, ...] = ()
    place_ja: str = ""
    place_en: str = ""
    value: str = ""


def conditions_of(condition: str) -> tuple[str, ...]:
    """「土砂災害、浸水害」 → ("landslide", "inundation"); other Condition values (VXWW50's 継続,
    VPHW50's 発表) qualify nothing."""
    parts = re.split(r"[、,，\s]+", unicodedata.normalize("NFKC", condition).strip())
    return tuple(CONDITIONS[part] for part in parts if part in CONDITIONS)


def _r06_key(base: str) -> str:
    match = re.fullmatch(r"レベル([2-5])(.+?)(注意報|危険警報|特別警報|警報)", base)
    if not match:
        return ""
    level, hazard, grade = match.groups()
    hazard_key = R06_HAZARDS.get(hazard)
    if hazard_key is None:
        return ""
    return f"l{level}_{hazard_key}_{R06_GRADES[grade]}"


def river_kind(name: str) -> tuple[str, str]:
    """「六角川氾濫警戒情報」 → ("river_flood_warning", "六角川"); ("", "") for another name."""
    base = unicodedata.normalize("NFKC", name).strip()
    for suffix, key in sorted(RIVER_GRADES.items(), key=lambda item: -len(item[0])):
        if suffix in base:
            return key, re.sub(r"^レベル[1-5]", "", base.split(suffix, 1)[0]).strip()
    return "", ""


def kind_key(type_code: str, kind: Kind, *, display_name: str = "") -> KindKey:
    """The vocabulary key of `kind` in a message of `type_code` (display_name: the name the level
    table gives it, e.g. 「六角川氾濫警戒情報」 or 「レベル４土砂災害危険警報」)."""
    name = display_name or kind.name
    base = unicodedata.normalize("NFKC", name).strip()
    if type_code.startswith("VPWW"):
        # R06 names first: R06 reuses old code numbers for other kinds (03 = レベル３大雨警報).
        key = _r06_key(base) or OLD_NAMES.get(base) or OLD_CODES.get(kind.code) or "other"
        return KindKey(key, conditions_of(kind.condition))
    if type_code == "VXWW50":
        return KindKey(_r06_key(base) or "landslide_alert")
    if type_code == "VXKO":
        key, river = river_kind(base)
        return KindKey(key or "other", place_ja=river, place_en=RIVERS_EN.get(river, ""))
    if type_code == "VTSE41":
        return KindKey(TSUNAMI_CODES.get(kind.code, "other"))
    if type_code in {"VXSE51", "VXSE53"}:
        value = kind.detail or base.removeprefix("震度")
        return KindKey("seismic_intensity", value=value)
    if type_code in {"VPHW50", "VPHW51"}:
        return KindKey("tornado_alert")
    if type_code in {"VPOA50", "VPBS50"}:
        if "線状降水帯" in base:
            return KindKey("linear_rainband")
        if "記録的短時間大雨" in base:
            return KindKey("record_short_heavy_rain")
        if "竜巻" in base:
            return KindKey("tornado_alert")
    return KindKey("other")


TSUNAMI_NAMES = {
    "大津波警報": "tsunami_major_warning",
    "津波警報": "tsunami_warning",
    "津波注意報": "tsunami_advisory",
}
OTHER_NAMES = {
    "土砂災害警戒情報": "landslide_alert",
    "竜巻注意情報": "tornado_alert",
    "記録的短時間大雨情報": "record_short_heavy_rain",
    "線状降水帯発生": "linear_rainband",
}


def key_for_name(name: str) -> KindKey:
    """The key of a kind known only by its official Japanese name (alerts recorded before kinds
    had keys); KindKey("other") for a name that is not one of JMA's."""
    base = unicodedata.normalize("NFKC", name).strip()
    if base.startswith("震度"):
        return KindKey("seismic_intensity", value=base.removeprefix("震度"))
    key = _r06_key(base) or OLD_NAMES.get(base) or TSUNAMI_NAMES.get(base) or OTHER_NAMES.get(base)
    if key:
        return KindKey(key)
    river_key, river = river_kind(base)
    if river_key:
        return KindKey(river_key, place_ja=river, place_en=RIVERS_EN.get(river, ""))
    return KindKey("other")


GRADE_SUFFIXES = ("_emergency_warning", "_danger_warning", "_warning", "_advisory")


def phenomenon_of(key: str, place_ja: str = "") -> str:
    """What a kind warns of, whatever its grade: 大雨注意報, 大雨警報, 大雨特別警報 and
    「レベル４大雨危険警報」 are all heavy rain. A kind replaced by another grade of the same
    phenomenon was upgraded or downgraded, not lifted."""
    base = re.sub(r"^l[2-5]_", "", key)
    if base.startswith("river_flood"):
        return f"river_flood:{place_ja}"
    if base.startswith("tsunami"):
        return "tsunami"
    for suffix in GRADE_SUFFIXES:
        if base.endswith(suffix):
            return base.removesuffix(suffix)
    return base
