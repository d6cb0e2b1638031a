"""Japanese era dates as written (明治十年, 昭和58年, 天保三年, 令和元年) → a Western year, and the era
facet of a year. Pure functions."""

import re
import unicodedata

from django.db import models
from django.utils.translation import gettext_lazy as _

# First Western year of each era (the year of the era's first day; good to the year).
ERA_STARTS: dict[str, int] = {
    "令和": 2019,
    "平成": 1989,
    "昭和": 1926,
    "大正": 1912,
    "明治": 1868,
    "慶応": 1865,
    "元治": 1864,
    "文久": 1861,
    "万延": 1860,
    "安政": 1854,
    "嘉永": 1848,
    "弘化": 1844,
    "天保": 1830,
    "文政": 1818,
    "文化": 1804,
    "享和": 1801,
    "寛政": 1789,
    "天明": 1781,
    "安永": 1772,
    "明和": 1764,
    "宝暦": 1751,
    "寛延": 1748,
    "延享": 1744,
    "寛保": 1741,
    "元文": 1736,
    "享保": 1716,
    "正徳": 1711,
    "宝永": 1704,
    "元禄": 1688,
    "貞享": 1684,
    "天和": 1681,
    "延宝": 1673,
    "寛文": 1661,
    "万治": 1658,
    "明暦": 1655,
    "承応": 1652,
    "慶安": 1648,
    "正保": 1644,
    "寛永": 1624,
    "元和": 1615,
    "慶長": 1596,
}
_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ERA_DATE = re.compile(
    r"(" + "|".join(ERA_STARTS) + r")\s*(元|[0-9]+|[〇零一二三四五六七八九十百]+)\s*年"
)
_WESTERN_YEAR = re.compile(r"(?<![0-9])(1[0-9]{3}|20[0-9]{2})(?![0-9])")


class Era(models.TextChoices):
    EDO = "edo", _("Edo period or earlier")
    MEIJI = "meiji", _("Meiji")
    TAISHO = "taisho", _("Taishō")
    SHOWA = "showa", _("Shōwa")
    HEISEI = "heisei", _("Heisei")
    REIWA = "reiwa", _("Reiwa")


def kanji_number(text: str) -> int | None:
    """十 → 10, 二十三 → 23, 五八 → 58, 百二 → 102; None if it is no number."""
    if text.isdigit():
        return int(text)
    if not text or any(char not in _DIGITS and char not in "十百" for char in text):
        return None
    if "十" not in text and "百" not in text:
        return int("".join(str(_DIGITS[char]) for char in text))
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:
            unit = 10 if char == "十" else 100
            total += (current or 1) * unit
            current = 0
    return total + current


def year_from_text(text: str) -> int | None:
    """The Western year a date as written names: an era date (明治十年 → 1877) or a Western year
    (1931年, 1983（昭和58）年); None when there is none."""
    text = unicodedata.normalize("NFKC", text)
    if match := _ERA_DATE.search(text):
        number = 1 if match.group(2) == "元" else kanji_number(match.group(2))
        if number is not None and number > 0:
            return ERA_STARTS[match.group(1)] + number - 1
    if match := _WESTERN_YEAR.search(text):
        return int(match.group(1))
    return None


def era_of(year: int | None) -> str:
    if year is None:
        return ""
    for era, start in (
        (Era.REIWA, 2019),
        (Era.HEISEI, 1989),
        (Era.SHOWA, 1926),
        (Era.TAISHO, 1912),
        (Era.MEIJI, 1868),
    ):
        if year >= start:
            return str(era)
    return str(Era.EDO)
