"""Alert texts built from templates per kind and level: Japanese, やさしい日本語 and English.

No machine translation: every English or easy-Japanese phrase below is a fixed template. A kind
missing from KIND_TEXTS falls back to a generic phrase per hazard that names the Japanese kind.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from kurashi.modules.disaster.jma.areas import AreaResolver
from kurashi.modules.disaster.jma.state import MunicipalWarning

# Base kind name (without 「レベルＮ」) → (English, やさしい日本語).
KIND_TEXTS: dict[str, tuple[str, str]] = {
    "大雨特別警報": ("Heavy rain emergency warning", "おおあめ とくべつ けいほう"),
    "大雨危険警報": ("Heavy rain danger warning", "おおあめ きけん けいほう"),
    "大雨警報": ("Heavy rain warning", "おおあめ けいほう"),
    "大雨注意報": ("Heavy rain advisory", "おおあめ ちゅういほう"),
    "土砂災害特別警報": ("Landslide emergency warning", "どしゃさいがい とくべつ けいほう"),
    "土砂災害危険警報": ("Landslide danger warning", "どしゃさいがい きけん けいほう"),
    "土砂災害警報": ("Landslide warning", "どしゃさいがい けいほう"),
    "土砂災害注意報": ("Landslide advisory", "どしゃさいがい ちゅういほう"),
    "土砂災害警戒情報": ("Landslide alert", "どしゃさいがい けいかい じょうほう"),
    "高潮特別警報": ("Storm surge emergency warning", "たかしお とくべつ けいほう"),
    "高潮危険警報": ("Storm surge danger warning", "たかしお きけん けいほう"),
    "高潮警報": ("Storm surge warning", "たかしお けいほう"),
    "高潮注意報": ("Storm surge advisory", "たかしお ちゅういほう"),
    "洪水警報": ("Flood warning", "こうずい けいほう"),
    "洪水注意報": ("Flood advisory", "こうずい ちゅういほう"),
    "暴風雪特別警報": ("Snowstorm emergency warning", "ぼうふうせつ とくべつ けいほう"),
    "暴風特別警報": ("Storm emergency warning", "ぼうふう とくべつ けいほう"),
    "暴風雪警報": ("Snowstorm warning", "ぼうふうせつ けいほう"),
    "暴風警報": ("Storm warning", "ぼうふう けいほう"),
    "風雪注意報": ("Snow and wind advisory", "ふうせつ ちゅういほう"),
    "強風注意報": ("Strong wind advisory", "つよい かぜ の ちゅういほう"),
    "波浪特別警報": ("High waves emergency warning", "たかい なみ の とくべつ けいほう"),
    "波浪警報": ("High waves warning", "たかい なみ の けいほう"),
    "波浪注意報": ("High waves advisory", "たかい なみ の ちゅういほう"),
    "大雪特別警報": ("Heavy snow emergency warning", "おおゆき とくべつ けいほう"),
    "大雪警報": ("Heavy snow warning", "おおゆき けいほう"),
    "大雪注意報": ("Heavy snow advisory", "おおゆき ちゅういほう"),
    "雷注意報": ("Thunderstorm advisory", "かみなり ちゅういほう"),
    "融雪注意報": ("Snowmelt advisory", "ゆき が とける ちゅういほう"),
    "濃霧注意報": ("Dense fog advisory", "こい きり の ちゅういほう"),
    "乾燥注意報": ("Dry air advisory", "くうき が かわく ちゅういほう"),
    "なだれ注意報": ("Avalanche advisory", "なだれ ちゅういほう"),
    "低温注意報": ("Low temperature advisory", "さむさ の ちゅういほう"),
    "霜注意報": ("Frost advisory", "しも の ちゅういほう"),
    "着氷注意報": ("Icing advisory", "こおり が つく ちゅういほう"),
    "着雪注意報": ("Snow accretion advisory", "ゆき が つく ちゅういほう"),
    "氾濫注意情報": ("River flood advisory", "かわ が あふれる ちゅうい じょうほう"),
    "氾濫警戒情報": ("River flood warning", "かわ が あふれる けいかい じょうほう"),
    "氾濫危険情報": ("River flood danger information", "かわ が あふれる きけん じょうほう"),
    "氾濫発生情報": ("River flooding has occurred", "かわ が あふれました"),
    "大津波警報": ("Major tsunami warning", "おおつなみ けいほう"),
    "津波警報": ("Tsunami warning", "つなみ けいほう"),
    "津波注意報": ("Tsunami advisory", "つなみ ちゅういほう"),
    "竜巻注意情報": ("Tornado alert", "たつまき ちゅうい じょうほう"),
    "記録的短時間大雨情報": ("Record short-time heavy rain", "きろくてき な おおあめ"),
    "線状降水帯発生": ("Linear rainband (senjo kosuitai)", "せんじょう こうすいたい"),
}
HAZARD_TEXTS: dict[str, tuple[str, str]] = {
    "heavy_rain": ("Heavy rain information", "おおあめ の じょうほう"),
    "landslide": ("Landslide information", "どしゃさいがい の じょうほう"),
    "flood": ("Flood information", "こうずい の じょうほう"),
    "storm_surge": ("Storm surge information", "たかしお の じょうほう"),
    "storm": ("Storm information", "かぜ の じょうほう"),
    "high_waves": ("High waves information", "なみ の じょうほう"),
    "snow": ("Snow information", "ゆき の じょうほう"),
    "tornado": ("Tornado information", "たつまき の じょうほう"),
    "heat": ("Heat stroke information", "ねっちゅうしょう の じょうほう"),
    "earthquake": ("Earthquake information", "じしん の じょうほう"),
    "tsunami": ("Tsunami information", "つなみ の じょうほう"),
    "other": ("Weather information", "てんき の じょうほう"),
}
INTENSITY_EN = {"弱": " lower", "強": " upper"}
# 指定河川 that reach Saga (river name → English, kana); others keep their Japanese name.
RIVERS: dict[str, tuple[str, str]] = {
    "六角川": ("Rokkaku River", "ろっかくがわ"),
    "牛津川": ("Ushizu River", "うしづがわ"),
    "嘉瀬川": ("Kase River", "かせがわ"),
    "松浦川": ("Matsuura River", "まつうらがわ"),
    "筑後川": ("Chikugo River", "ちくごがわ"),
}


@dataclass(frozen=True, slots=True)
class Phrase:
    ja: str
    en: str
    easy: str


def kind_phrase(warning: MunicipalWarning) -> Phrase:
    name = warning.kind_name
    normalized = unicodedata.normalize("NFKC", name)
    if normalized.startswith("震度"):
        scale = normalized.removeprefix("震度")
        english = scale[:1] + INTENSITY_EN.get(scale[1:2], "")
        return Phrase(ja=name, en=f"Seismic intensity {english}", easy=f"じしん（しんど {scale}）")
    base = re.sub(r"^レベル[1-5]", "", normalized)
    river = ""
    for suffix in ("氾濫注意情報", "氾濫警戒情報", "氾濫危険情報", "氾濫発生情報"):
        if suffix in base and not base.startswith(suffix):
            river, base = base.split(suffix, 1)[0], suffix
    english, easy = KIND_TEXTS.get(base) or HAZARD_TEXTS.get(warning.hazard, HAZARD_TEXTS["other"])
    if base not in KIND_TEXTS:
        english = f"{english}: {name}"
    if river:
        river_en, river_kana = RIVERS.get(river, (river, river))
        english = f"{english} ({river_en})"
        easy = f"{river_kana} {easy}"
    return Phrase(ja=name, en=english, easy=easy)


INTENSITY_ORDER = ("1", "2", "3", "4", "5弱", "5強", "6弱", "6強", "7")


def _intensity_rank(kind_name: str) -> int:
    scale = unicodedata.normalize("NFKC", kind_name).removeprefix("震度")
    return INTENSITY_ORDER.index(scale) + 1 if scale in INTENSITY_ORDER else 0


def _level_suffix(level: int, *, language: str) -> str:
    """A JMA kind's level: levels 3–5 are equivalents (警戒レベル5相当), the names 高齢者等避難,
    避難指示, 緊急安全確保 belonging to municipalities' orders."""
    if not level:
        return ""
    if level >= 3:
        return {
            "ja": f"（警戒レベル{level}相当）",
            "en": f" (Level {level} equivalent)",
            "easy": f"（レベル {level} と おなじ くらい）",
        }[language]
    return {
        "ja": f"（警戒レベル{level}）",
        "en": f" (Level {level})",
        "easy": f"（レベル {level}）",
    }[language]


def alert_texts(
    *,
    warnings: tuple[MunicipalWarning, ...],
    lifted_codes: frozenset[str],
    resolver: AreaResolver,
    head_title: str,
    headline: str,
    sender: str,
) -> dict[str, dict[str, str]]:
    """`texts` for the Alert: {"ja": {...}, "ja-x-easy": {...}, "en": {...}} with event, headline,
    description and instruction."""
    municipalities = resolver.municipalities
    groups: dict[tuple[str, int], list[str]] = defaultdict(list)
    phrases: dict[tuple[str, int], Phrase] = {}
    for warning in warnings:
        key = (warning.kind_name, warning.level)
        groups[key].append(warning.municipality_code)
        phrases[key] = kind_phrase(warning)
    ordered = sorted(groups, key=lambda key: (-key[1], -_intensity_rank(key[0]), key[0]))
    lines_ja, lines_en, lines_easy = [], [], []
    for key in ordered:
        phrase, level = phrases[key], key[1]
        codes = sorted(groups[key])
        names_ja = "、".join(municipalities[code].name_ja for code in codes)
        names_en = ", ".join(municipalities[code].name_en for code in codes)
        names_easy = "、".join(municipalities[code].name_kana for code in codes)
        lines_ja.append(f"{phrase.ja}{_level_suffix(level, language='ja')}：{names_ja}")
        lines_en.append(f"{phrase.en}{_level_suffix(level, language='en')} for {names_en}")
        lines_easy.append(
            f"{names_easy} に {phrase.easy}{_level_suffix(level, language='easy')} が でています。"
        )
    if lifted_codes:
        lifted = sorted(lifted_codes)
        lines_ja.append("解除：" + "、".join(municipalities[code].name_ja for code in lifted))
        lines_en.append("Lifted for " + ", ".join(municipalities[code].name_en for code in lifted))
        lines_easy.append(
            "、".join(municipalities[code].name_kana for code in lifted)
            + " は けいほう など が おわりました。"
        )
    first = phrases[ordered[0]] if ordered else None
    top_level = ordered[0][1] if ordered else 0
    event = first or Phrase(ja=head_title, en="Lifted", easy="おわりました")
    headline_en = lines_en[0] if lines_en else "All warnings lifted"
    headline_easy = lines_easy[0] if lines_easy else "けいほう など は おわりました。"
    instruction = _instruction(top_level)
    return {
        "ja": {
            "event": event.ja,
            "headline": head_title,
            "description": "\n".join([headline, *lines_ja]).strip(),
            "instruction": instruction[0],
            "sender": sender,
        },
        "ja-x-easy": {
            "event": event.easy,
            "headline": headline_easy,
            "description": "\n".join(lines_easy),
            "instruction": instruction[2],
        },
        "en": {
            "event": event.en,
            "headline": headline_en,
            "description": "\n".join(lines_en),
            "instruction": instruction[1],
            "sender": f"Japan Meteorological Agency ({sender})",
        },
    }


def _instruction(level: int) -> tuple[str, str, str]:
    if level >= 5:
        return (
            "命の危険があります。直ちに身の安全を確保してください。",
            "Your life is in danger. Secure your safety immediately.",
            "いのち が あぶない です。すぐ に あんぜん な ところ へ。",
        )
    if level == 4:
        return (
            "危険な場所から全員避難してください。",
            "Everyone must evacuate from dangerous places.",
            "あぶない ところ に いる ひと は みんな にげて ください。",
        )
    if level == 3:
        return (
            "危険な場所から高齢者等は避難してください。",
            "Older people and others who need time must evacuate from dangerous places.",
            "おとしより など は にげて ください。",
        )
    if level == 2:
        return (
            "ハザードマップ等で避難行動を確認してください。",
            "Check your evacuation route and shelter on the hazard map.",
            "にげる ところ と みち を たしかめて ください。",
        )
    return (
        "市町からの情報に注意してください。",
        "Follow information from your city or town.",
        "しや まち の じょうほう を みて ください。",
    )
