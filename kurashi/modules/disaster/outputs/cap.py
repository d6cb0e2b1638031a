"""CAP 1.2 (OASIS Common Alerting Protocol) for every canonical Alert.

The municipalities an alert speaks about are grouped by what they are told (area_states.
group_states: the same kinds with their conditions, level, urgency, severity and instruction), as
CAP 1.2 intends: one `info` per group and language, each with its own event, severity and
`area`s — a consumer never reads 唐津市, under an advisory, as under the emergency warning of the
next city. Every info is written in ja, やさしい日本語, en, zh-Hans, zh-Hant, ko, vi, tl, ne, id, my
and pt from notify's wording table. `area` per municipality with the 6-digit 全国地方公共団体コード
as geocode JISX0402 (plus the drawn polygon when there is one); times in +09:00 without
fractions; Update and Cancel carry `references` to the revision they replace.
"""

import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from lxml import etree

from kurashi.modules.disaster.area_states import AreaGroup, group_states, states_of
from kurashi.modules.disaster.models import Alert, Hazard
from kurashi.modules.disaster.outputs._xml import jst, safe_parser, to_bytes
from kurashi.modules.notify import public as notify_public

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
    "zh-Hant": "zh-TW",
    "ko": "ko-KR",
    "vi": "vi-VN",
    "tl": "tl-PH",
    "ne": "ne-NP",
    "id": "id-ID",
    "my": "my-MM",
    "pt": "pt-BR",
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


def _group_codes(group: AreaGroup, alert: Alert) -> tuple[str, str, str, str]:
    """(responseType, urgency, severity, certainty) of a group: by its level; a group where
    everything was lifted (or the alert cancelled) is an AllClear."""
    if alert.msg_type == Alert.MsgType.CANCEL or not group.kinds:
        return ("AllClear", *CANCEL_CODES)
    response = LEVEL_RESPONSES.get(group.level, "None")
    if group.instruction == "tsunami_evacuate":
        response = "Evacuate"
    urgency, severity, certainty = LEVEL_CODES.get(group.level, LEVEL_CODES[0])
    return response, urgency, severity, certainty


def _event(group: AreaGroup, alert: Alert, language: str) -> str:
    kinds = group.kinds or group.lifted
    if kinds:
        return notify_public.kinds_label(kinds, language)
    return str(alert.get_hazard_display())


def _headline(group: AreaGroup, event: str, language: str) -> str:
    if not group.kinds:
        return notify_public.lifted_text(group.lifted, language) if group.lifted else event
    level = notify_public.level_label(group.level, language, equivalent=not group.is_order)
    return f"{level} {event}" if level else event


def _info(
    root: etree._Element,
    alert: Alert,
    *,
    language: str,
    group: AreaGroup,
    polygons: list[str],
) -> None:
    info = _sub(root, "info")
    _sub(info, "language", CAP_LANGUAGES.get(language, language))
    hazard = (group.kinds or group.lifted)[0].hazard if (group.kinds or group.lifted) else ""
    categories = list(HAZARD_CATEGORIES.get(hazard or alert.hazard, ("Other",)))
    if alert.source == Alert.Source.EVACUATION and "Safety" not in categories:
        categories.append("Safety")
    for category in categories:
        _sub(info, "category", category)
    event = _event(group, alert, language)
    _sub(info, "event", event)
    response, urgency, severity, certainty = _group_codes(group, alert)
    _sub(info, "responseType", response)
    _sub(info, "urgency", urgency)
    _sub(info, "severity", severity)
    _sub(info, "certainty", certainty)
    _value_pair(info, "eventCode", "KURASHI_HAZARD", hazard or alert.hazard)
    _value_pair(info, "eventCode", "JP_ALERT_LEVEL", str(group.level))
    for kind in group.kinds or group.lifted:
        _value_pair(info, "eventCode", "KURASHI_KIND", kind.kind)
    if alert.effective:
        _sub(info, "effective", jst(alert.effective))
    if alert.expires:
        _sub(info, "expires", jst(alert.expires))
    sender_name = alert.sender_name_ja
    if language not in ("ja", "ja-x-easy"):
        if alert.source == Alert.Source.JMA:
            sender_name = alert.text("en", "sender") or "Japan Meteorological Agency"
        elif group.areas and group.areas[0].name_en:
            sender_name = group.areas[0].name_en
    if sender_name:
        _sub(info, "senderName", sender_name)
    _sub(info, "headline", _headline(group, event, language))
    lines = [line for area in group.areas for line in notify_public.area_lines(area, language)]
    if alert.source == Alert.Source.EVACUATION:
        own = alert.text(language, "description") if alert.texts.get(language) else ""
        lines += [own] if own else []
    _sub(info, "description", "\n".join(lines))
    _sub(info, "instruction", notify_public.instruction_text(group.instruction, language))
    _sub(info, "web", public_page_url(alert))
    _value_pair(
        info,
        "parameter",
        "JP_ALERT_LEVEL_BY_AREA",
        " ".join(f"{area.code}:{area.level}" for area in group.areas),
    )
    for area in group.areas:
        element = _sub(info, "area")
        _sub(element, "areaDesc", notify_public.place_name(area, language))
        if len(alert.area_levels or {}) == 1:
            for polygon in polygons:
                _sub(element, "polygon", polygon)
        _value_pair(element, "geocode", "JISX0402", area.code)
    if polygons and len(alert.area_levels or {}) != 1:
        element = _sub(info, "area")
        _sub(element, "areaDesc", alert.area_description_ja or alert.sender_name_ja or "area")
        for polygon in polygons:
            _sub(element, "polygon", polygon)


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
    polygons = _polygon_strings(alert.area_geojson)
    for group in group_states(states_of(alert)):
        for language in CAP_LANGUAGES:
            _info(root, alert, language=language, group=group, polygons=polygons)
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
