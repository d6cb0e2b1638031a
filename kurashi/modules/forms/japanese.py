"""Japanese input rules, as pure functions: NFKC normalisation, フリガナ (全角カナ), 和暦/西暦 dates,
telephone numbers, 郵便番号 and 法人番号 (check digit, `citizen-services.md` §2.1).

Each `clean_*` returns the normalised value or raises InputError with a message in the active
language. 個人番号 is deliberately absent: it may only be collected through the mynumber module
(encrypted, audited, purpose-bound), which does not exist yet.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import jaconv
from django.utils.translation import gettext as _
from stdnum.jp import cn as corporate_number


class InputError(ValueError):
    """A value that cannot be accepted; str(error) is the message for the applicant."""


def nfkc(value: str) -> str:
    """Full-width digits and letters to half-width, half-width kana to full-width, trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


_KATAKANA = re.compile(r"^[\u30A1-\u30FA\u30FC\u30FB\u30FD\u30FE 　]+$")


def clean_furigana(value: str) -> str:
    """フリガナ in 全角カタカナ; hiragana is converted, half-width kana widened (NFKC)."""
    text = jaconv.hira2kata(nfkc(value))
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise InputError(_("Enter the reading in katakana."))
    if not _KATAKANA.match(text):
        raise InputError(_("Enter the reading in full-width katakana (e.g. サガ ハナコ)."))
    return text


# Eras whose dates an applicant may write today: first day of each era.
ERAS: tuple[tuple[str, str, date], ...] = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("明治", "M", date(1868, 1, 25)),
)
_ERA_BY_NAME = {name: start for name, _letter, start in ERAS} | {
    letter: start for _name, letter, start in ERAS
}
_ERA_NAME = {letter: name for name, letter, _start in ERAS} | {
    name: name for name, _letter, _start in ERAS
}
_WAREKI = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<year>元|\d{1,2})\s*(?:年|[./-])\s*"
    r"(?P<month>\d{1,2})\s*(?:月|[./-])\s*(?P<day>\d{1,2})\s*日?$",
    re.IGNORECASE,
)
_SEIREKI = re.compile(
    r"^(?P<year>\d{4})\s*(?:年|[./-])\s*(?P<month>\d{1,2})\s*(?:月|[./-])\s*(?P<day>\d{1,2})\s*日?$"
)


def clean_date(value: str) -> date:
    """A date written in 和暦 (令和8年12月6日, R8.12.6, 令和元年5月1日) or 西暦 (2026-12-06,
    2026/12/6, 2026年12月6日). A 和暦 date outside its era (平成31年5月1日) is refused."""
    text = nfkc(value)
    if not text:
        raise InputError(_("Enter a date."))
    if match := _SEIREKI.match(text):
        return _make_date(int(match["year"]), int(match["month"]), int(match["day"]))
    if match := _WAREKI.match(text):
        era = _ERA_NAME[match["era"].upper() if len(match["era"]) == 1 else match["era"]]
        start = _ERA_BY_NAME[era]
        era_year = 1 if match["year"] == "元" else int(match["year"])
        if era_year < 1:
            raise InputError(_("The year of an era starts at 1 (元年)."))
        result = _make_date(start.year + era_year - 1, int(match["month"]), int(match["day"]))
        following = _next_era_start(era)
        if result < start or (following and result >= following):
            raise InputError(
                _("%(era)s %(year)s does not include this date; check the era.")
                % {"era": era, "year": match["year"]}
            )
        return result
    raise InputError(_("Enter the date as 令和8年12月6日, R8.12.6 or 2026-12-06."))


def _next_era_start(era: str) -> date | None:
    names = [name for name, _letter, _start in ERAS]
    index = names.index(era)
    return ERAS[index - 1][2] if index > 0 else None


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError(_("This date does not exist.")) from None


def to_wareki(value: date) -> str:
    """令和8年12月6日 (元年 for the first year)."""
    for name, _letter, start in ERAS:
        if value >= start:
            year = value.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}年{value.month}月{value.day}日"
    return f"{value.year}年{value.month}月{value.day}日"


def clean_phone(value: str) -> str:
    """A Japanese telephone number: 10 or 11 digits starting with 0 (+81 accepted), digits only."""
    text = re.sub(r"[\s\-‐－ー()（）]", "", nfkc(value))
    if text.startswith("+81"):
        text = "0" + text[3:].lstrip("0")
    if not re.fullmatch(r"0\d{9,10}", text):
        raise InputError(
            _("Enter a telephone number of 10 or 11 digits starting with 0 (e.g. 0952-24-2111).")
        )
    return text


def clean_postal_code(value: str) -> str:
    """A 7-digit 郵便番号 (〒 and hyphen optional), digits only."""
    text = re.sub(r"[\s\-‐－ー〒]", "", nfkc(value))
    if not re.fullmatch(r"\d{7}", text):
        raise InputError(_("Enter a 7-digit postal code (e.g. 840-8570)."))
    return text


def format_postal_code(value: str) -> str:
    return f"{value[:3]}-{value[3:]}" if len(value) == 7 else value


def clean_corporate_number(value: str) -> str:
    """A 13-digit 法人番号 whose first digit checks the other twelve (python-stdnum's jp.cn)."""
    text = re.sub(r"[\s\-]", "", nfkc(value))
    if text.upper().startswith("T"):  # an invoice registration number is "T" + 法人番号
        text = text[1:]
    if not re.fullmatch(r"\d{13}", text):
        raise InputError(_("Enter the 13-digit corporate number (法人番号)."))
    if not corporate_number.is_valid(text):
        raise InputError(
            _("This corporate number (法人番号) has a wrong check digit; please check it.")
        )
    return text


@dataclass(frozen=True)
class PersonName:
    family: str
    given: str
    family_kana: str
    given_kana: str

    @property
    def full(self) -> str:
        return f"{self.family} {self.given}".strip()

    @property
    def full_kana(self) -> str:
        return f"{self.family_kana} {self.given_kana}".strip()
