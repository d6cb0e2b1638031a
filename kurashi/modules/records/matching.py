"""Patient matching (名寄せ): normalised demographics and a weighted score.

Pure functions, no database: the services find candidates through keyed blocking tokens and
call score() on each. Weights follow the Fellegi–Sunter idea (agreement adds, disagreement
subtracts, by how telling the field is); the thresholds are fixed by the judged test set in
tests/test_matching.py (precision ≥ 0.99 at AUTO_LINK_THRESHOLD).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import jaconv

AUTO_LINK_THRESHOLD = 10.0
REVIEW_THRESHOLD = 6.0

_SPACES = re.compile(r"[\s\u3000・･.,\-]+")
_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_VARIANTS = str.maketrans({"ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ヴ": "ブ"})


def normalise_kana(value: str) -> str:
    """NFKC (half-width → full-width), hiragana → katakana, no spaces: the stored form."""
    text = unicodedata.normalize("NFKC", value or "")
    text = jaconv.hira2kata(text)
    return _SPACES.sub("", text)


def matching_kana(value: str) -> str:
    """The kana compared by the matcher: orthographic variants folded (small kana, ヂ/ジ, ー)."""
    return normalise_kana(value).translate(_SMALL_TO_LARGE).translate(_VARIANTS).replace("ー", "")


def normalise_kanji(value: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", value or ""))


def romaji_to_katakana(value: str) -> str:
    """A rough kana reading of a Latin-script name (Synthea's "Marcellus725" → マルセルス)."""
    letters = re.sub(r"[^a-z ]", "", unicodedata.normalize("NFKC", value).lower())
    return normalise_kana(jaconv.hira2kata(jaconv.alphabet2kana(letters)))


@lru_cache(maxsize=4096)
def kanji_reading(value: str) -> str:
    """A guessed katakana reading of a kanji name (pykakasi); weak evidence only."""
    import pykakasi

    converter = pykakasi.kakasi()  # type: ignore[no-untyped-call]
    return matching_kana("".join(item["kana"] for item in converter.convert(value)))


def digits(value: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))


@dataclass(frozen=True)
class Demographics:
    kanji_name: str = ""
    kana_name: str = ""
    sex: str = ""  # male | female | other | unknown | ""
    birth_date: date | None = None
    postal_code: str = ""
    phones: tuple[str, ...] = field(default_factory=tuple)
    address: str = ""

    def normalised(self) -> "Demographics":
        return Demographics(
            kanji_name=normalise_kanji(self.kanji_name),
            kana_name=normalise_kana(self.kana_name),
            sex=self.sex,
            birth_date=self.birth_date,
            postal_code=digits(self.postal_code),
            phones=tuple(sorted({digits(p) for p in self.phones if digits(p)})),
            address=self.address.strip(),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "kanji_name": self.kanji_name,
            "kana_name": self.kana_name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat() if self.birth_date else "",
            "postal_code": self.postal_code,
            "phones": list(self.phones),
            "address": self.address,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "Demographics":
        born = str(data.get("birth_date") or "")
        phones = data.get("phones") or []
        return cls(
            kanji_name=str(data.get("kanji_name") or ""),
            kana_name=str(data.get("kana_name") or ""),
            sex=str(data.get("sex") or ""),
            birth_date=date.fromisoformat(born) if born else None,
            postal_code=str(data.get("postal_code") or ""),
            phones=tuple(str(p) for p in phones) if isinstance(phones, list) else (),
            address=str(data.get("address") or ""),
        )


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def swapped_birth_date(value: date) -> date | None:
    """The date with day and month transposed (03-05 ↔ 05-03), when that is another valid date."""
    if value.day > 12 or value.day == value.month:
        return None
    try:
        return value.replace(month=value.day, day=value.month)
    except ValueError:
        return None


@dataclass(frozen=True)
class MatchScore:
    total: float
    parts: dict[str, float]


def _name_part(a: Demographics, b: Demographics) -> tuple[str, float]:
    kana_a, kana_b = matching_kana(a.kana_name), matching_kana(b.kana_name)
    weak = False
    if not kana_a and a.kanji_name:
        kana_a, weak = kanji_reading(normalise_kanji(a.kanji_name)), True
    if not kana_b and b.kanji_name:
        kana_b, weak = kanji_reading(normalise_kanji(b.kanji_name)), True
    if not kana_a or not kana_b:
        return "kana", 0.0
    distance = edit_distance(kana_a, kana_b)
    if distance == 0:
        return "kana", 2.5 if weak else 4.0
    if distance == 1 and min(len(kana_a), len(kana_b)) >= 4:
        return "kana", 1.0 if weak else 2.0
    return "kana", -3.0 if not weak else -1.5


def score(a: Demographics, b: Demographics) -> MatchScore:
    """How strongly two sets of (normalised) demographics describe the same person."""
    parts: dict[str, float] = {}
    key, value = _name_part(a, b)
    parts[key] = value
    if a.kanji_name and b.kanji_name:
        same = normalise_kanji(a.kanji_name) == normalise_kanji(b.kanji_name)
        parts["kanji"] = 1.5 if same else -1.0
    if a.birth_date and b.birth_date:
        if a.birth_date == b.birth_date:
            parts["birth_date"] = 3.5
        elif swapped_birth_date(a.birth_date) == b.birth_date:
            parts["birth_date"] = 2.0
        elif edit_distance(a.birth_date.strftime("%Y%m%d"), b.birth_date.strftime("%Y%m%d")) == 1:
            parts["birth_date"] = 1.0
        else:
            parts["birth_date"] = -5.0
    known = {"male", "female"}
    if a.sex in known and b.sex in known:
        parts["sex"] = 0.5 if a.sex == b.sex else -3.0
    if a.postal_code and b.postal_code and a.postal_code == b.postal_code:
        parts["postal_code"] = 1.5  # a different one is no evidence: people move
    if a.phones and b.phones:
        if set(a.phones) & set(b.phones):
            parts["phone"] = 2.0
        elif any(edit_distance(p, q) == 1 for p in a.phones for q in b.phones):
            parts["phone"] = 1.0
    return MatchScore(total=round(sum(parts.values()), 2), parts=parts)


def blocking_keys(value: Demographics) -> set[tuple[str, str]]:
    """Keys under which candidates are looked up (stored as keyed tokens, never in clear)."""
    keys: set[tuple[str, str]] = set()
    if value.birth_date:
        keys.add(("birth", value.birth_date.isoformat()))
    kana = matching_kana(value.kana_name)
    if kana:
        keys.add(("kana", kana))
    for phone in value.phones:
        keys.add(("phone", digits(phone)))
    return keys


def probe_keys(value: Demographics) -> set[tuple[str, str]]:
    """Keys to look up for a new record: its own plus the day/month-swapped birth date."""
    keys = blocking_keys(value)
    if value.birth_date and (swapped := swapped_birth_date(value.birth_date)):
        keys.add(("birth", swapped.isoformat()))
    return keys
