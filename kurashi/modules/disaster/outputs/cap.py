"""CAP 1.2 (OASIS Common Alerting Protocol) for every canonical Alert.

One `info` per language present in alert.texts; `area` per municipality with the 6-digit
全国地方公共団体コード as geocode JISX0402 (plus the drawn polygon when there is one); times in
+09:00 without fractions; Update and Cancel carry `references` to the revision they replace.
"""

import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from lxml import etree

from kurashi.core.models import Municipality
from kurashi.modules.disaster.models import Alert, Hazard
from kurashi.modules.disaster.outputs._xml import jst, safe_parser, to_bytes

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MIME_TYPE = "application/cap+xml"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "CAP-v1.2.xsd"
DEFAULT_SENDER = "kurashi@pref.saga.example"

# alert.texts keys → CAP info/language (xs:language, i.e. BCP 47 tags; private use "-x-easy"
# marks やさしい日本語 so a consumer matching "ja-JP" still finds it).
CAP_LANGUAGES = {
    "ja": "ja-JP",
    "ja-x-easy": "ja-JP-x-easy",
    "en": "en-US",
    "zh-Hans": "zh-CN",
    "ko": "ko-KR",
    "vi": "vi-VN",
}

HAZARD_CATEGORIES: dict[str, tuple[str, ...]] = {
    Hazard.HEAVY_RAIN: ("Met",),
    Hazard.LANDSLIDE: ("Geo",),
    Hazard.FLOOD: ("Met",),
    Hazard.STORM_SURGE: ("Met",),
    Hazard.STORM: ("Met",),
    Hazard.HIGH_WAVES: ("Met",),
    Hazard.SNOW: ("Met",),
    Hazard.TORNADO: ("Met",),
    Hazard.HEAT: ("Met", "Health"),
    Hazard.EARTHQUAKE: ("Geo",),
    Hazard.TSUNAMI: ("Geo",),
    Hazard.FIRE: ("Fire",),
    Hazard.OTHER: ("Other",),
}

# 警戒レベル → (urgency, severity, certainty); reference/disaster.md §2.
LEVEL_CODES: dict[int, tuple[str, str, str]] = {
    5: ("Immediate", "Extreme", "Observed"),
    4: ("Immediate", "Severe", "Likely"),
    3: ("Expected", "Severe", "Likely"),
    2: ("Expected", "Moderate", "Possible"),
    1: ("Future", "Minor", "Possible"),
    0: ("Unknown", "Minor", "Possible"),
}
CANCEL_CODES = ("Past", "Minor", "Observed")

LEVEL_RESPONSES: dict[int, str] = {
    5: "Shelter",
    4: "Evacuate",
    3: "Prepare",
    2: "Monitor",
    1: "Monitor",
    0: "None",
}


class CapValidationError(ValueError):
    """A CAP document that does not validate against the CAP 1.2 schema; `errors` lists why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors) or "invalid CAP 1.2")
        self.errors = errors


def cap_sender() -> str:
    return str(getattr(settings, "CAP_SENDER", "") or DEFAULT_SENDER)


def absolute_url(path: str) -> str:
    return str(settings.SITE_URL).rstrip("/") + path


def site_url(url_name: str, *args: str) -> str:
    """Absolute URL of a page in the default language (no /en/ prefix), whatever is active."""
    with translation.override(settings.LANGUAGE_CODE):
        return absolute_url(reverse(url_name, args=args))


def cap_url(alert: Alert) -> str:
    return site_url("disaster:cap-alert", alert.identifier)


def public_page_url(alert: Alert) -> str:
    """The alert's public page: the disaster portal, anchored at the alert."""
    return site_url("disaster:portal") + f"#alert-{alert.pk}"


def references_value(alert: Alert) -> str:
    """ "sender,identifier,sent" of the revision `alert` replaces ("" for an Alert)."""
    previous = alert.references
    if previous is None:
        return ""
    return f"{cap_sender()},{previous.identifier},{jst(previous.sent)}"


def _polygon_strings(geometry: dict[str, Any] | None) -> list[str]:
    """CAP polygons ("lat,lon" pairs, first = last) of the outer rings of a GeoJSON geometry."""
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        polygons = [geometry.get("coordinates") or []]
    elif geometry.get("type") == "MultiPolygon":
        polygons = geometry.get("coordinates") or []
    else:
        return []
    result: list[str] = []
    for rings in polygons:
        if not rings:
            continue
        ring = [(float(point[1]), float(point[0])) for point in rings[0]]
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        if len(ring) >= 4:
            result.append(" ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in ring))
    return result


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _value_pair(parent: etree._Element, tag: str, name: str, value: str) -> None:
    element = _sub(parent, tag)
    _sub(element, "valueName", name)
    _sub(element, "value", value)


def _municipality_names(codes: list[str]) -> dict[str, tuple[str, str]]:
    return {m.code: (m.name_ja, m.name_en) for m in Municipality.objects.filter(code__in=codes)}


def _info(
    root: etree._Element,
    alert: Alert,
    *,
    language: str,
    texts: dict[str, str],
    names: dict[str, tuple[str, str]],
) -> None:
    is_cancel = alert.msg_type == Alert.MsgType.CANCEL
    is_english = language == "en"
    info = _sub(root, "info")
    _sub(info, "language", CAP_LANGUAGES.get(language, language))
    categories = list(HAZARD_CATEGORIES.get(alert.hazard, ("Other",)))
    if alert.source == Alert.Source.EVACUATION and "Safety" not in categories:
        categories.append("Safety")
    for category in categories:
        _sub(info, "category", category)
    _sub(info, "event", texts.get("event") or alert.get_hazard_display())
    level = alert.level
    if is_cancel:
        _sub(info, "responseType", "AllClear")
        urgency, severity, certainty = CANCEL_CODES
    else:
        _sub(info, "responseType", LEVEL_RESPONSES.get(level, "None"))
        urgency, severity, certainty = LEVEL_CODES.get(level, LEVEL_CODES[0])
    _sub(info, "urgency", urgency)
    _sub(info, "severity", severity)
    _sub(info, "certainty", certainty)
    _value_pair(info, "eventCode", "KURASHI_HAZARD", alert.hazard)
    _value_pair(info, "eventCode", "JP_ALERT_LEVEL", str(level))
    if alert.effective:
        _sub(info, "effective", jst(alert.effective))
    if alert.expires:
        _sub(info, "expires", jst(alert.expires))
    sender_name = alert.sender_name_ja
    if is_english and alert.source == Alert.Source.EVACUATION and len(names) == 1:
        sender_name = next(iter(names.values()))[1] or sender_name
    if sender_name:
        _sub(info, "senderName", sender_name)
    for field in ("headline", "description", "instruction"):
        if texts.get(field):
            _sub(info, field, texts[field])
    _sub(info, "web", public_page_url(alert))
    _value_pair(info, "parameter", "JP_ALERT_LEVEL_BY_AREA", _levels_parameter(alert))
    polygons = _polygon_strings(alert.area_geojson)
    codes = sorted(alert.area_levels or {})
    for code in codes:
        name_ja, name_en = names.get(code, (code, code))
        area = _sub(info, "area")
        _sub(area, "areaDesc", (name_en or name_ja) if is_english else name_ja)
        if len(codes) == 1:
            for polygon in polygons:
                _sub(area, "polygon", polygon)
        _value_pair(area, "geocode", "JISX0402", code)
    if polygons and len(codes) != 1:
        area = _sub(info, "area")
        _sub(area, "areaDesc", alert.area_description_ja or alert.sender_name_ja or "area")
        for polygon in polygons:
            _sub(area, "polygon", polygon)


def _levels_parameter(alert: Alert) -> str:
    return " ".join(f"{code}:{level}" for code, level in sorted((alert.area_levels or {}).items()))


def alert_to_cap_element(alert: Alert) -> etree._Element:
    root = etree.Element(f"{{{CAP_NAMESPACE}}}alert", nsmap={None: CAP_NAMESPACE})
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", cap_sender())
    _sub(root, "sent", jst(alert.sent))
    _sub(root, "status", alert.status)
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "source", alert.get_source_display())
    _sub(root, "scope", "Public")
    if alert.status != Alert.Status.ACTUAL:
        _sub(root, "note", "訓練・試験のための情報です。実際の災害情報ではありません。")
    if alert.references_id is not None:
        _sub(root, "references", references_value(alert))
    _sub(root, "incidents", alert.event_key.replace(" ", "_"))
    names = _municipality_names(list(alert.area_levels or {}))
    texts: dict[str, Any] = alert.texts or {}
    languages = [language for language in CAP_LANGUAGES if texts.get(language)]
    languages += [language for language in texts if language not in CAP_LANGUAGES]
    if not languages:
        languages = ["ja"]
    for language in languages:
        _info(root, alert, language=language, texts=texts.get(language) or {}, names=names)
    return root


def alert_to_cap(alert: Alert) -> bytes:
    """The CAP 1.2 document of one alert revision (UTF-8 XML)."""
    return to_bytes(alert_to_cap_element(alert))


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser=safe_parser()))


def validate_cap(xml: bytes) -> None:
    """Raise CapValidationError (with the schema's messages) unless `xml` is valid CAP 1.2."""
    try:
        document = etree.fromstring(xml, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise CapValidationError([f"not well-formed XML: {error}"]) from None
    schema = _schema()
    if not schema.validate(document):
        raise CapValidationError(
            [f"line {entry.line}: {entry.message}" for entry in schema.error_log]
        )
