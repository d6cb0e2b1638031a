"""Resolving JMA area codes to Saga's 20 municipalities (6-digit 全国地方公共団体コード).

Source of the chain: kurashi/core/data/saga_area_codes.csv (JMA area.json): class20 (7 digits =
JIS5 + "00") → the municipality; class15 (410011 …) and class10 (410010 南部, 410020 北部) → their
municipalities; the office 410000 → all 20.

Areas outside the forecast-area list:
- 地震情報／細分区域 720 佐賀県北部 / 721 佐賀県南部: the JMA seismic sub-areas of Saga follow the
  weather 一次細分 北部 (唐津市, 玄海町, 伊万里市, 有田町) / 南部 (the other 16). The fixtures
  confirm 佐賀市, 神埼市 and 白石町 in 721. VXSE53 lists City codes; those are used when present.
- 津波予報区 720 佐賀県北部: the Genkai-nada coast — 唐津市, 玄海町, 伊万里市 (有田町 has no
  coast). 712 有明・八代海: Saga's Ariake-sea coast — 佐賀市 (川副・東与賀・諸富), 小城市 (芦刈),
  白石町, 鹿島市, 太良町. The other Ariake-basin municipalities (神埼市, みやき町, 江北町 …) have no
  open coast.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import kurashi.core
from kurashi.modules.disaster.jma.documents import Area, AreaScheme

AREA_CODES_CSV = Path(kurashi.core.__file__).resolve().parent / "data" / "saga_area_codes.csv"
SAGA_OFFICE = "410000"

SEISMIC_AREAS = {"720": "410020", "721": "410010"}  # seismic sub-area → weather class10
TSUNAMI_AREAS: dict[str, frozenset[str]] = {
    "720": frozenset({"412023", "413879", "412058"}),  # 佐賀県北部: 唐津市, 玄海町, 伊万里市
    "712": frozenset({"412015", "412082", "414255", "412074", "414417"}),  # 有明・八代海
}


@dataclass(frozen=True, slots=True)
class SagaMunicipality:
    code: str  # 6-digit
    name_ja: str
    name_kana: str
    name_en: str
    class20: str
    class15: str
    class10: str


class AreaResolver:
    def __init__(self, municipalities: list[SagaMunicipality]) -> None:
        self.municipalities = {m.code: m for m in municipalities}
        self._by_class20 = {m.class20: m.code for m in municipalities}
        self._groups: dict[str, frozenset[str]] = {
            SAGA_OFFICE: frozenset(self.municipalities),
        }
        for municipality in municipalities:
            for group in (municipality.class15, municipality.class10):
                self._groups[group] = self._groups.get(group, frozenset()) | {municipality.code}

    def resolve(self, area: Area) -> frozenset[str]:
        """The Saga municipalities (6-digit codes) an area covers; empty outside Saga."""
        code = area.code
        if area.scheme == AreaScheme.MUNICIPALITY:
            found = self._by_class20.get(code)
            return frozenset({found}) if found else frozenset()
        if area.scheme == AreaScheme.FORECAST:
            return self._groups.get(code, frozenset())
        if area.scheme == AreaScheme.SEISMIC and code in SEISMIC_AREAS:
            return self._groups[SEISMIC_AREAS[code]]
        if area.scheme == AreaScheme.TSUNAMI:
            return TSUNAMI_AREAS.get(code, frozenset())
        return frozenset()

    def granularity(self, area: Area) -> int:
        """How fine an area is (4 = one municipality … 1 = the whole office), for choosing the most
        precise block of a message; 0 when it does not cover Saga."""
        if not self.resolve(area):
            return 0
        if area.scheme == AreaScheme.MUNICIPALITY:
            return 4
        if area.code == SAGA_OFFICE:
            return 1
        if area.scheme == AreaScheme.FORECAST and area.code.endswith("0"):
            return 2  # class10
        return 3  # class15, seismic and tsunami areas


def load_municipalities(path: Path = AREA_CODES_CSV) -> list[SagaMunicipality]:
    with path.open(encoding="utf-8") as handle:
        return [
            SagaMunicipality(
                code=row["jis_code6"],
                name_ja=row["name"],
                name_kana=row["kana"],
                name_en=row["en"],
                class20=row["jma_class20"],
                class15=row["jma_class15"],
                class10=row["jma_class10"],
            )
            for row in csv.DictReader(handle)
        ]


@cache
def saga_resolver() -> AreaResolver:
    return AreaResolver(load_municipalities())
