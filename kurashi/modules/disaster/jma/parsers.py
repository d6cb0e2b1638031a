"""Parsers for the JMA message types Kurashi handles, tolerant of schema versions.

Elements are matched by local name inside the JMA namespaces, so InfoKindVersion 1.0_0 … 1.5_0
(and namespace-prefix variations) parse alike. `parse_bulletin(data)` is the entry point: it
rejects hostile or unknown documents with RejectedDocumentError and returns an immutable
ParsedBulletin otherwise.
"""

import re
from collections.abc import Iterator
from datetime import datetime

from lxml import etree

from kurashi.modules.disaster.jma.documents import (
    Area,
    AreaScheme,
    Earthquake,
    Envelope,
    Item,
    Kind,
    ParsedBulletin,
)
from kurashi.modules.disaster.jma.xmlsafe import DEFAULT_MAX_BYTES, RejectedDocumentError, parse_xml

JMX = "http://xml.kishou.go.jp/jmaxml1/"
ATOM = "http://www.w3.org/2005/Atom"

# Control/Title → data type code (JMA 表1.1). Tsunami titles carry a trailing "a" in operation.
TITLE_TYPES: dict[str, str] = {
    "気象特別警報・警報・注意報": "VPWW53",
    "気象警報・注意報（Ｈ２７）": "VPWW54",
    "気象警報・注意報（Ｒ０６）（大雨）": "VPWW55",
    "気象警報・注意報（Ｒ０６）（土砂）": "VPWW56",
    "気象警報・注意報（Ｒ０６）（高潮）": "VPWW57",
    "気象警報・注意報（Ｒ０６）（暴風）": "VPWW58",
    "気象警報・注意報（Ｒ０６）（波浪）": "VPWW59",
    "気象警報・注意報（Ｒ０６）（大雪）": "VPWW60",
    "気象警報・注意報（Ｒ０６）（その他注意報）": "VPWW61",
    "気象警報・注意報時系列情報（Ｒ０６）": "VPWP50",
    "気象特別警報報知": "VPNO50",
    "土砂災害警戒情報": "VXWW50",
    "指定河川洪水予報": "VXKO",
    "記録的短時間大雨情報": "VPOA50",
    "府県気象防災速報": "VPBS50",
    "竜巻注意情報": "VPHW50",
    "竜巻注意情報（目撃情報付き）": "VPHW51",
    "熱中症警戒アラート": "VPFT50",
    "震度速報": "VXSE51",
    "震源に関する情報": "VXSE52",
    "震源・震度に関する情報": "VXSE53",
    "津波警報・注意報・予報": "VTSE41",
    "津波情報": "VTSE51",
}
SUPPORTED_TYPE_CODES = frozenset(TITLE_TYPES.values())

_CODE_TYPES: dict[str, AreaScheme] = {
    "気象情報／府県予報区・細分区域等": AreaScheme.FORECAST,
    "気象・地震・火山情報／市町村等": AreaScheme.MUNICIPALITY,
    "地震情報／細分区域": AreaScheme.SEISMIC,
    "地震情報／都道府県等": AreaScheme.SEISMIC_PREF,
    "津波予報区": AreaScheme.TSUNAMI,
    "河川": AreaScheme.RIVER,
    "指定河川洪水予報（予報区域）": AreaScheme.RIVER,
    "水位観測所": AreaScheme.STATION,
}


def type_code_for_title(control_title: str) -> str | None:
    title = control_title.strip()
    return TITLE_TYPES.get(title) or TITLE_TYPES.get(title.removesuffix("a"))


# --- element helpers (namespace-agnostic by local name) -----------------------------------------


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _children(element: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if element is None:
        return
    for child in element:
        if _local(child) == name:
            yield child


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    return next(_children(element, name), None)


def _path(element: etree._Element | None, *names: str) -> etree._Element | None:
    for name in names:
        element = _child(element, name)
    return element


def _text(element: etree._Element | None, *names: str) -> str:
    found = _path(element, *names)
    if found is None:
        return ""
    return "".join(found.itertext()).strip()


def _required_datetime(value: str, label: str) -> datetime:
    parsed = _datetime(value, label)
    if parsed is None:
        raise RejectedDocumentError("invalid", f"{label} is missing")
    return parsed


def _datetime(value: str, label: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RejectedDocumentError(
            "invalid", f"{label} is not a date-time: {value[:40]!r}"
        ) from None
    if parsed.tzinfo is None:
        raise RejectedDocumentError("invalid", f"{label} has no time zone: {value[:40]!r}")
    return parsed


def _scheme(code_type: str, code: str) -> AreaScheme:
    if code_type in _CODE_TYPES:
        return _CODE_TYPES[code_type]
    if re.fullmatch(r"\d{7}", code):
        return AreaScheme.MUNICIPALITY
    if re.fullmatch(r"\d{6}", code):
        return AreaScheme.FORECAST
    return AreaScheme.OTHER


def _area(element: etree._Element, code_type: str) -> Area:
    code = _text(element, "Code")
    code_type = element.get("codeType") or code_type
    return Area(scheme=_scheme(code_type, code), code=code, name=_text(element, "Name"))


def _areas_of(item: etree._Element) -> tuple[Area, ...]:
    areas: list[Area] = []
    for single in _children(item, "Area"):
        areas.append(_area(single, ""))
    for group in _children(item, "Areas"):
        code_type = group.get("codeType", "")
        areas.extend(_area(area, code_type) for area in _children(group, "Area"))
    return tuple(areas)


def _kind(element: etree._Element) -> Kind:
    return Kind(
        name=_text(element, "Name"),
        code=_text(element, "Code"),
        status=_text(element, "Status"),
        condition=_text(element, "Condition"),
        last_name=_text(element, "LastKind", "Name"),
        last_code=_text(element, "LastKind", "Code"),
    )


def _kinds_of(item: etree._Element) -> tuple[Kind, ...]:
    """The kinds of an item. A kind without a name counts when it has a status: real VPWW53
    bulletins mark an area with nothing in force as <Kind><Status>発表警報・注意報はなし</Status>
    </Kind>, and dropping it would leave that area's last warning in force."""
    return tuple(
        _kind(kind)
        for kind in _children(item, "Kind")
        if _text(kind, "Name") or _text(kind, "Status")
    )


# --- envelope -----------------------------------------------------------------------------------


def _headline_items(head: etree._Element | None) -> tuple[Item, ...]:
    items: list[Item] = []
    for information in _children(_child(head, "Headline"), "Information"):
        block = information.get("type", "")
        for item in _children(information, "Item"):
            items.append(Item(block=block, kinds=_kinds_of(item), areas=_areas_of(item)))
    return tuple(items)


def parse_envelope(root: etree._Element) -> Envelope:
    control = _child(root, "Control")
    head = _child(root, "Head")
    if control is None or head is None:
        raise RejectedDocumentError("invalid", "Control or Head is missing")
    info_type = _text(head, "InfoType")
    if info_type not in {"発表", "訂正", "取消"}:
        raise RejectedDocumentError(
            "invalid", f"Head/InfoType {info_type[:20]!r} is not 発表/訂正/取消"
        )
    status = _text(control, "Status")
    if status not in {"通常", "訓練", "試験"}:
        raise RejectedDocumentError(
            "invalid", f"Control/Status {status[:20]!r} is not 通常/訓練/試験"
        )
    control_datetime = _required_datetime(_text(control, "DateTime"), "Control/DateTime")
    report_datetime = _required_datetime(_text(head, "ReportDateTime"), "Head/ReportDateTime")
    editorial_office = _text(control, "EditorialOffice")
    if not editorial_office:
        raise RejectedDocumentError("invalid", "Control/EditorialOffice is missing")
    return Envelope(
        control_title=_text(control, "Title"),
        control_datetime=control_datetime,
        control_status=status,
        editorial_office=editorial_office,
        publishing_office=_text(control, "PublishingOffice"),
        head_title=_text(head, "Title"),
        report_datetime=report_datetime,
        target_datetime=_datetime(_text(head, "TargetDateTime"), "Head/TargetDateTime"),
        valid_datetime=_datetime(_text(head, "ValidDateTime"), "Head/ValidDateTime"),
        event_id=_text(head, "EventID"),
        serial=_text(head, "Serial"),
        info_type=info_type,
        info_kind=_text(head, "InfoKind"),
        info_kind_version=_text(head, "InfoKindVersion"),
        headline=_text(head, "Headline", "Text"),
        headline_items=_headline_items(head),
    )


# --- bodies -------------------------------------------------------------------------------------


def _warning_items(body: etree._Element | None) -> tuple[Item, ...]:
    """Body/Warning[@type]/Item: VPWW53–61, VXWW50, VPOA50, VPHW50/51."""
    items: list[Item] = []
    for warning in _children(body, "Warning"):
        block = warning.get("type", "")
        for item in _children(warning, "Item"):
            kinds = _kinds_of(item)
            if kinds:
                items.append(Item(block=block, kinds=kinds, areas=_areas_of(item)))
    return tuple(items)


def _flood_items(envelope: Envelope, body: etree._Element | None) -> tuple[Item, ...]:
    """VXKO: the forecast kind is in the headline (予報区域); the municipalities expected to flood
    are the 浸水想定地区 items of the body (CityCode)."""
    cities: dict[str, Area] = {}
    for warning in _children(body, "Warning"):
        for item in _children(warning, "Item"):
            for group in _children(item, "Areas"):
                for area in _children(group, "Area"):
                    code = _text(area, "CityCode")
                    if re.fullmatch(r"\d{7}", code):
                        cities.setdefault(
                            code, Area(AreaScheme.MUNICIPALITY, code, _text(area, "City"))
                        )
    items: list[Item] = []
    for headline_item in envelope.headline_items:
        if headline_item.block != "指定河川洪水予報（予報区域）":
            continue
        rivers = tuple(Area(AreaScheme.RIVER, area.code, area.name) for area in headline_item.areas)
        items.append(
            Item(
                block="指定河川洪水予報",
                kinds=headline_item.kinds,
                areas=rivers + tuple(cities.values()),
            )
        )
    return tuple(items)


def _intensity_label(value: str) -> str:
    return value.replace("+", "強").replace("-", "弱")


def _intensity_items(body: etree._Element | None) -> tuple[Item, ...]:
    """VXSE51/53: maximum intensity per 細分区域 (Area) and, in VXSE53, per City."""
    items: list[Item] = []
    observation = _path(body, "Intensity", "Observation")
    for pref in _children(observation, "Pref"):
        for area in _children(pref, "Area"):
            area_int = _text(area, "MaxInt")
            if area_int:
                items.append(
                    Item(
                        block="震度（細分区域）",
                        kinds=(Kind(name=f"震度{_intensity_label(area_int)}", detail=area_int),),
                        areas=(Area(AreaScheme.SEISMIC, _text(area, "Code"), _text(area, "Name")),),
                    )
                )
            for city in _children(area, "City"):
                city_int = _text(city, "MaxInt")
                if city_int:
                    items.append(
                        Item(
                            block="震度（市町村等）",
                            kinds=(
                                Kind(name=f"震度{_intensity_label(city_int)}", detail=city_int),
                            ),
                            areas=(
                                Area(
                                    AreaScheme.MUNICIPALITY,
                                    _text(city, "Code"),
                                    _text(city, "Name"),
                                ),
                            ),
                        )
                    )
    return tuple(items)


def _tsunami_items(body: etree._Element | None) -> tuple[Item, ...]:
    """VTSE41/51: Tsunami/Forecast/Item per 津波予報区."""
    items: list[Item] = []
    for item in _children(_path(body, "Tsunami", "Forecast"), "Item"):
        category = _child(item, "Category")
        height = _path(item, "MaxHeight", "TsunamiHeight")
        detail = ""
        if height is not None:
            detail = height.get("description") or (height.text or "").strip()
        kind = Kind(
            name=_text(category, "Kind", "Name"),
            code=_text(category, "Kind", "Code"),
            last_name=_text(category, "LastKind", "Name"),
            last_code=_text(category, "LastKind", "Code"),
            detail=detail,
        )
        area = _child(item, "Area")
        if kind.name and area is not None:
            items.append(
                Item(
                    block="津波予報区",
                    kinds=(kind,),
                    areas=(Area(AreaScheme.TSUNAMI, _text(area, "Code"), _text(area, "Name")),),
                )
            )
    return tuple(items)


def _earthquake(body: etree._Element | None) -> Earthquake | None:
    quake = _child(body, "Earthquake")
    intensity = _text(body, "Intensity", "Observation", "MaxInt")
    if quake is None and not intensity:
        return None
    hypocenter = _path(quake, "Hypocenter", "Area")
    return Earthquake(
        origin_time=_datetime(_text(quake, "OriginTime"), "Earthquake/OriginTime"),
        hypocenter_name=_text(hypocenter, "Name"),
        coordinate=_text(hypocenter, "Coordinate"),
        magnitude=_text(quake, "Magnitude"),
        max_intensity=intensity,
    )


def _flash_items(envelope: Envelope, body: etree._Element | None) -> tuple[Item, ...]:
    """VPBS50: observed events (線状降水帯発生, 記録的短時間大雨 …) per area."""
    tags = [
        kind.condition for item in envelope.headline_items for kind in item.kinds if kind.condition
    ]
    default_name = tags[0] if tags else envelope.head_title
    items: list[Item] = []
    for infos in _children(body, "MeteorologicalInfos"):
        for info in _children(infos, "MeteorologicalInfo"):
            for item in _children(info, "Item"):
                property_ = _path(item, "Kind", "Property")
                name = _text(property_, "EventPart", "Event", "EventName") or default_name
                areas = _areas_of(item)
                if areas:
                    items.append(
                        Item(block=infos.get("type", ""), kinds=(Kind(name=name),), areas=areas)
                    )
    return tuple(items)


def _timeseries_items(body: etree._Element | None) -> tuple[Item, ...]:
    """VPWP50: per municipality, each element's first significance (警戒レベル相当 …)."""
    items: list[Item] = []
    for infos in _children(body, "MeteorologicalInfos"):
        for series in _children(infos, "TimeSeriesInfo"):
            for item in _children(series, "Item"):
                kinds: list[Kind] = []
                for kind in _children(item, "Kind"):
                    property_ = _child(kind, "Property")
                    significancy = (
                        next(
                            (
                                element
                                for element in property_.iter()
                                if _local(element) == "Significancy"
                            ),
                            None,
                        )
                        if property_ is not None
                        else None
                    )
                    kinds.append(
                        Kind(
                            name=_text(property_, "Type") or _text(kind, "Name"),
                            code=_text(significancy, "Code"),
                            status=_text(kind, "Status"),
                            detail=_text(significancy, "Name"),
                        )
                    )
                if kinds:
                    items.append(
                        Item(block=infos.get("type", ""), kinds=tuple(kinds), areas=_areas_of(item))
                    )
    return tuple(items)


def _notes(body: etree._Element | None) -> tuple[str, ...]:
    notes: list[str] = []
    for element in body.iter() if body is not None else ():
        name = _local(element)
        if name == "Text" and element.getparent() is not None:
            parent = element.getparent()
            if parent is not None and _local(parent) in {
                "Comment",
                "WarningComment",
                "ForecastComment",
                "FreeFormComment",
                "Property",
            }:
                text = "".join(element.itertext()).strip()
                if text and text not in notes:
                    notes.append(text)
        if len(notes) >= 5:
            break
    return tuple(notes)


def parse_bulletin(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedBulletin:
    """Parse one JMA 防災情報XML message; RejectedDocumentError if it is hostile, broken or unknown."""
    root = parse_xml(data, max_bytes=max_bytes)
    if _local(root) != "Report" or not str(root.tag).startswith("{" + JMX):
        raise RejectedDocumentError(
            "unknown_root", f"the root element is {_local(root)[:40]!r}, not a JMA Report"
        )
    control_title = _text(root, "Control", "Title")
    type_code = type_code_for_title(control_title)
    if type_code is None:
        raise RejectedDocumentError(
            "unknown_type", f"Control/Title {control_title[:60]!r} is not a handled message type"
        )
    envelope = parse_envelope(root)
    body = _child(root, "Body")
    items: tuple[Item, ...]
    if type_code == "VXKO":
        items = _flood_items(envelope, body)
    elif type_code in {"VXSE51", "VXSE53"}:
        items = _intensity_items(body)
    elif type_code in {"VTSE41", "VTSE51"}:
        items = _tsunami_items(body)
    elif type_code == "VPBS50":
        items = _flash_items(envelope, body)
    elif type_code == "VPWP50":
        items = _timeseries_items(body)
    elif type_code in {"VPNO50", "VPFT50", "VXSE52"}:
        items = ()
    else:
        items = _warning_items(body)
    return ParsedBulletin(
        type_code=type_code,
        envelope=envelope,
        items=items,
        earthquake=_earthquake(body) if type_code.startswith(("VXSE", "VTSE")) else None,
        notes=_notes(body),
    )
