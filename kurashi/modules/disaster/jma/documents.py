"""The typed, immutable result of parsing one JMA message."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AreaScheme(StrEnum):
    """Which code list an area code belongs to (the same number means different places in each)."""

    FORECAST = "forecast"  # 気象情報／府県予報区・細分区域等 (6 digits: office, class10, class15)
    MUNICIPALITY = "municipality"  # 気象・地震・火山情報／市町村等 (7 digits = JIS5 + "00")
    SEISMIC = "seismic"  # 地震情報／細分区域 (720 佐賀県北部, 721 佐賀県南部)
    SEISMIC_PREF = "seismic_pref"  # 地震情報／都道府県等 (41 佐賀県)
    TSUNAMI = "tsunami"  # 津波予報区 (720 佐賀県北部, 712 有明・八代海)
    RIVER = "river"  # 河川 / 指定河川洪水予報（予報区域）
    STATION = "station"  # 水位観測所, 震度観測点
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Area:
    scheme: AreaScheme
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    code: str = ""
    status: str = ""  # 発表 / 継続 / 解除 / 発表警報・注意報はなし / なし …
    condition: str = ""  # e.g. 土砂災害, 浸水害
    last_name: str = ""  # R06 and tsunami: the previous kind
    last_code: str = ""
    detail: str = ""  # e.g. the tsunami height "３ｍ", the observed intensity "5-"


@dataclass(frozen=True, slots=True)
class Item:
    """One Warning/Item (or its equivalent): kinds in force over areas. `block` is the type
    attribute of its Warning (e.g. 気象警報・注意報（市町村等）) or a fixed label."""

    block: str
    kinds: tuple[Kind, ...]
    areas: tuple[Area, ...]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Control and Head: the same for every JMA message type."""

    control_title: str
    control_datetime: datetime
    control_status: str  # 通常 / 訓練 / 試験
    editorial_office: str
    publishing_office: str
    head_title: str
    report_datetime: datetime
    target_datetime: datetime | None
    valid_datetime: datetime | None
    event_id: str
    serial: str
    info_type: str  # 発表 / 訂正 / 取消
    info_kind: str
    info_kind_version: str
    headline: str
    headline_items: tuple[Item, ...] = ()

    @property
    def is_exercise(self) -> bool:
        return self.control_status != "通常"


@dataclass(frozen=True, slots=True)
class Earthquake:
    origin_time: datetime | None
    hypocenter_name: str
    coordinate: str  # ISO 6709 as JMA writes it, e.g. "+37.5+137.2-10000/"
    magnitude: str  # "7.6", or "NaN" when unknown
    max_intensity: str  # "7", "6+", "5-" … ("" when the message has no intensity)


@dataclass(frozen=True, slots=True)
class ParsedBulletin:
    type_code: str  # VPWW53, VXKO, VXSE53 …
    envelope: Envelope
    items: tuple[Item, ...] = ()
    earthquake: Earthquake | None = None
    notes: tuple[str, ...] = field(default=())  # free texts worth showing (主文, comments)
