"""Messages per language, rendered from structured data (what is in force per municipality) and a
table of phrases (data/alert_terms.toml, with the JMA 多言語辞書's terms).

A notice that carries `areas` (see notices.AreaState) is rendered for the recipient's own
municipalities: each names exactly the kinds in force there (with their conditions, 浸水害 /
土砂災害), its level — 「警戒レベル5相当」 for a JMA warning, 「警戒レベル5」 only for the
municipality's own evacuation order — and the action text for that level; a lifting revision names
what was lifted. Nothing is translated from Japanese free text: a phrase missing in a language falls
back to English (やさしい日本語 to Japanese), and places are named by their romanisation (with the
kanji in brackets) in every language but Japanese.

A notice without `areas` (an announcement) is rendered from the sender's own texts per language,
falling back to English, then Japanese.
"""

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import engines

from kurashi.modules.notify.notices import AreaState, KindInForce

TERMS_PATH = Path(__file__).resolve().parent / "data" / "alert_terms.toml"
JAPANESE = ("ja", "ja-x-easy")
# Instructions from the most to the least urgent (one area's list is printed in this order).
INSTRUCTION_ORDER = (
    "tsunami_evacuate",
    "safety_now",
    "evacuate_all",
    "evacuate_elderly",
    "tsunami_leave_sea",
    "earthquake",
    "check_route",
    "stay_informed",
    "lifted",
)


@functools.cache
def terms() -> dict[str, Any]:
    """The phrase table (parsed once per process)."""
    with TERMS_PATH.open("rb") as handle:
        return tomllib.load(handle)


def languages() -> tuple[str, ...]:
    """Every language messages are written in: ja, ja-x-easy, en, zh-Hans, zh-Hant, ko, vi, tl,
    ne, id, my, pt."""
    return tuple(terms()["languages"]["order"])


def normalise_language(language: str) -> str:
    """A supported language for `language` ("zh-hant" → "zh-Hant", "pt-BR" → "pt"); English
    for one Kurashi does not write (never Japanese)."""
    known = {code.lower(): code for code in languages()}
    value = (language or "").strip().lower()
    if value in known:
        return known[value]
    if value.startswith("zh"):
        return (
            "zh-Hant" if any(tag in value for tag in ("hant", "-tw", "-hk", "-mo")) else "zh-Hans"
        )
    base = value.split("-", 1)[0]
    return known.get(base, "en")


def _fallbacks(language: str) -> tuple[str, ...]:
    if language == "ja-x-easy":
        return ("ja-x-easy", "ja")
    if language == "ja":
        return ("ja",)
    return (language, "en")


def phrase(section: str, key: str, language: str) -> str:
    """A phrase of the table in `language` (English when missing; "" when unknown)."""
    entry = terms().get(section, {}).get(key) or {}
    for candidate in _fallbacks(language):
        if entry.get(candidate):
            return str(entry[candidate])
    return ""


def frame(language: str, key: str) -> str:
    for candidate in _fallbacks(language):
        value = terms()["frame"].get(candidate, {}).get(key)
        if value:
            return str(value)
    return ""


def _digits(language: str, number: int) -> str:
    digits = terms()["languages"].get("digits", {}).get(language)
    text = str(number)
    return "".join(digits[int(d)] for d in text) if digits else text


def level_label(level: int, language: str, *, equivalent: bool = False) -> str:
    """「警戒レベル4」, or 「警戒レベル4相当」 for a JMA warning at levels 3–5 (a level named by a
    municipality's order only when the municipality issued it)."""
    if level <= 0:
        return ""
    language = normalise_language(language)
    if equivalent and level >= 3:
        template = frame(language, "level_equivalent")
    else:
        template = frame(language, f"level_{level}") or frame(language, "level")
    return template.format(level=_digits(language, level))


def intensity_label(value: str, language: str) -> str:
    """ "5-" / 「5弱」 → 5 Lower, 5弱, 5약 …"""
    value = unicodedata.normalize("NFKC", value).strip()
    match = re.fullmatch(r"(\d)\s*([-+弱強]?)", value)
    if not match:
        return value if language in JAPANESE else re.sub(r"[^\x00-\x7f]", "", value)
    number, grade = match.groups()
    if not grade:
        return number
    table = terms()["intensity"]
    forms = table.get(language) or table["en"]
    return str(forms["lower" if grade in "-弱" else "upper"]).format(n=number)


def _conditions_label(conditions: tuple[str, ...], language: str) -> str:
    names = [phrase("conditions", condition, language) for condition in conditions]
    names = [name for name in names if name]
    if not names:
        return ""
    return frame(language, "conditions").format(
        conditions=frame(language, "list_separator").join(names)
    )


def kind_label(kind: KindInForce, language: str) -> str:
    """The name of a kind in `language`, with its conditions: 「大雨警報（浸水害）」, "Heavy Rain
    Warning (Inundation)", 「六角川氾濫警戒情報」, "River Flood Warning (Rokkaku River)".

    Japanese prints the official name as issued; other languages the table's phrase (a kind it
    does not know is named by its hazard, so no Japanese name leaks into another language)."""
    language = normalise_language(language)
    conditions = _conditions_label(kind.conditions, language)
    if language == "ja" and kind.name_ja:
        return kind.name_ja + conditions
    value = intensity_label(kind.value, language) if kind.kind == "seismic_intensity" else ""
    label = phrase("kinds", kind.kind, language)
    if not label:
        if language == "ja" and kind.name_ja:
            return kind.name_ja + conditions
        label = phrase("hazards", kind.hazard, language) or phrase("hazards", "other", language)
    place = kind.place_ja if language in JAPANESE else (kind.place_en or kind.place_ja)
    if place:
        label = label.replace("{place}", place)
    else:
        label = re.sub(r"\s*[（(]\{place\}[)）]", "", label)
    return label.replace("{value}", value) + conditions


def kinds_label(kinds: tuple[KindInForce, ...] | list[KindInForce], language: str) -> str:
    language = normalise_language(language)
    return frame(language, "list_separator").join(kind_label(kind, language) for kind in kinds)


def place_name(area: AreaState, language: str) -> str:
    """The municipality: 佐賀市; さがし in やさしい日本語 (with the kanji); "Saga City (佐賀市)"
    in every other language (its romanisation, the kanji to match the signs)."""
    language = normalise_language(language)
    if language == "ja":
        return area.name_ja
    if language == "ja-x-easy":
        return f"{area.name_ja}（{area.name_kana}）" if area.name_kana else area.name_ja
    if area.name_en:
        return f"{area.name_en} ({area.name_ja})"
    return area.name_ja


def area_level_label(area: AreaState, language: str) -> str:
    return level_label(area.level, language, equivalent=not area.is_issued_by_municipality)


def instruction_text(code: str, language: str) -> str:
    return phrase("instructions", code, normalise_language(language))


def lifted_text(kinds: tuple[KindInForce, ...], language: str) -> str:
    """「大雨警報（浸水害）は解除されました。」 / "Lifted: Heavy Rain Warning (Inundation)."."""
    language = normalise_language(language)
    return frame(language, "lifted").format(kinds=kinds_label(kinds, language))


def area_lines(area: AreaState, language: str) -> list[str]:
    """What one municipality is told: the kinds in force with the level, what was lifted, or that
    nothing is in force."""
    language = normalise_language(language)
    prefix = frame(language, "place").format(place=place_name(area, language))
    lines: list[str] = []
    if area.kinds:
        level = area_level_label(area, language)
        marker = frame(language, "level_marker").format(level=level) if level else ""
        lines.append(prefix + marker + kinds_label(area.kinds, language))
    if area.lifted:
        lines.append(prefix + lifted_text(area.lifted, language))
    if not lines:
        lines.append(prefix + frame(language, "nothing"))
    return lines


@dataclass(frozen=True)
class RenderedMessage:
    language: str
    subject: str
    body: str
    url: str
    unsubscribe_url: str

    def as_payload(self, *, notice_key: str, level: int, hazard: str) -> dict[str, Any]:
        return {
            "id": notice_key,
            "title": self.subject,
            "body": self.body,
            "url": self.url,
            "level": level,
            "hazard": hazard,
            "language": self.language,
            "unsubscribe": self.unsubscribe_url,
        }


def kind_of(msg_type: str) -> str:
    return {"Update": "update", "Cancel": "cancel"}.get(msg_type, "alert")


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    site = str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return site + (path if path.startswith("/") else "/" + path)


_BODY = """{% autoescape off %}{{ tag }}
{% if correction %}{{ correction }}
{% endif %}{% for line in lines %}{{ line }}
{% endfor %}{% for line in extra %}
{{ line }}
{% endfor %}
{% for line in instructions %}{{ line }}
{% endfor %}
{{ details }}: {{ web_url }}
{% if unsubscribe_url %}
{{ unsubscribe_label }}: {{ unsubscribe_url }}
{% endif %}{% endautoescape %}"""


def _recipient_areas(
    areas: tuple[AreaState, ...], municipality_codes: tuple[str, ...] | None
) -> tuple[AreaState, ...]:
    """The notice's areas that concern the recipient, highest level first (all of them when the
    recipient's municipalities are not known or none matches)."""
    chosen = areas
    if municipality_codes:
        wanted = set(municipality_codes)
        chosen = tuple(area for area in areas if area.code in wanted) or areas
    return tuple(sorted(chosen, key=lambda area: (-area.level, area.code)))


def _subject(tag: str, area: AreaState, language: str) -> str:
    """[Alert] Alert level 4 Saga City (佐賀市): Evacuation Order — the level first, as in an
    inbox one scans; a lift names what was lifted."""
    place = frame(language, "place").format(place=place_name(area, language))
    if area.kinds:
        level = area_level_label(area, language)
        return " ".join(
            part for part in (tag, level, place + kinds_label(area.kinds, language)) if part
        )
    if area.lifted:
        return f"{tag} {place}{lifted_text(area.lifted, language)}"
    return f"{tag} {place}{frame(language, 'nothing')}"


def _sender_text(texts: dict[str, dict[str, str]], language: str, field: str) -> str:
    """The sender's own text in `language` (English, then Japanese when it wrote none)."""
    for candidate in (*_fallbacks(language), "en", "ja"):
        value = (texts.get(candidate) or {}).get(field)
        if value:
            return str(value)
    return ""


def render_message(
    *,
    language: str,
    msg_type: str,
    level: int,
    texts: dict[str, dict[str, str]],
    web_url: str,
    is_correction: bool = False,
    is_exercise: bool = False,
    unsubscribe_url: str = "",
    areas: tuple[AreaState, ...] = (),
    family: str = "",
    municipality_codes: tuple[str, ...] | None = None,
) -> RenderedMessage:
    """The subject and body of one message in `language`.

    With `areas`, only the recipient's municipalities (`municipality_codes`) are described, each
    with its own kinds, level and action text; otherwise the sender's texts are used."""
    language = normalise_language(language)
    tag = frame(language, kind_of(msg_type))
    if is_exercise:
        tag = frame(language, "exercise") + tag
    url = absolute_url(web_url)
    extra: list[str] = []
    if areas:
        chosen = _recipient_areas(areas, municipality_codes)
        lines = [line for area in chosen for line in area_lines(area, language)]
        codes = sorted(
            {area.instruction for area in chosen},
            key=lambda code: INSTRUCTION_ORDER.index(code) if code in INSTRUCTION_ORDER else 99,
        )
        instructions = [text for text in (instruction_text(c, language) for c in codes) if text]
        if family == "evacuation":
            # The municipality's own words (where to go, which districts) follow its order.
            extra = [_sender_text(texts, language, "description")]
        subject = _subject(tag, chosen[0], language) if chosen else tag
    else:
        event = _sender_text(texts, language, "event")
        headline = _sender_text(texts, language, "headline") or event
        level_line = level_label(level, language)
        subject = " ".join(part for part in (tag, level_line, event or headline) if part)
        lines = [line for line in (level_line, headline) if line]
        extra = [_sender_text(texts, language, "description")]
        instructions = [_sender_text(texts, language, "instruction")]
    body = (
        engines["django"]
        .from_string(_BODY)
        .render(
            {
                "tag": tag,
                "correction": frame(language, "correction") if is_correction else "",
                "lines": lines,
                "extra": [line for line in extra if line],
                "instructions": [line for line in instructions if line],
                "details": frame(language, "details"),
                "web_url": url,
                "unsubscribe_label": frame(language, "unsubscribe"),
                "unsubscribe_url": unsubscribe_url,
            }
        )
    )
    return RenderedMessage(
        language=language,
        subject=subject,
        body=re.sub(r"\n{3,}", "\n\n", body).strip() + "\n",
        url=url,
        unsubscribe_url=unsubscribe_url,
    )
