"""The Atom feed of CAP messages (modelled on the NWS CAP index feed): one entry per alert
revision, linking its CAP 1.2 document, with the main CAP fields repeated in the cap namespace."""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from lxml import etree

from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.outputs._xml import jst, to_bytes
from kurashi.modules.disaster.outputs.cap import (
    CANCEL_CODES,
    CAP_MIME_TYPE,
    CAP_NAMESPACE,
    LEVEL_CODES,
    cap_sender,
    cap_url,
    public_page_url,
)

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ATOM_MIME_TYPE = "application/atom+xml"


def _atom(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NAMESPACE}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _cap(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{tag}").text = text


def _entry(feed: etree._Element, alert: Alert) -> None:
    entry = _atom(feed, "entry")
    _atom(entry, "id", alert.identifier)
    # updated = when the entry appeared here (a late Cancel is new to the feed), published = the
    # revision's own time.
    _atom(entry, "updated", jst(_updated(alert)))
    _atom(entry, "published", jst(alert.sent))
    author = _atom(entry, "author")
    _atom(author, "name", alert.sender_name_ja or cap_sender())
    headline = alert.text("ja", "headline") or alert.text("ja", "event") or alert.identifier
    _atom(entry, "title", headline)
    _atom(entry, "link").attrib.update(
        {"rel": "alternate", "type": CAP_MIME_TYPE, "href": cap_url(alert)}
    )
    _atom(entry, "link").attrib.update(
        {"rel": "related", "type": "text/html", "href": public_page_url(alert)}
    )
    summary = alert.text("ja", "description")
    if summary:
        _atom(entry, "summary", summary)
    _cap(entry, "identifier", alert.identifier)
    _cap(entry, "event", alert.text("ja", "event") or alert.get_hazard_display())
    if alert.effective:
        _cap(entry, "effective", jst(alert.effective))
    if alert.expires:
        _cap(entry, "expires", jst(alert.expires))
    _cap(entry, "status", alert.status)
    _cap(entry, "msgType", alert.msg_type)
    urgency, severity, certainty = (
        CANCEL_CODES
        if alert.msg_type == Alert.MsgType.CANCEL
        else LEVEL_CODES.get(alert.level, LEVEL_CODES[0])
    )
    _cap(entry, "urgency", urgency)
    _cap(entry, "severity", severity)
    _cap(entry, "certainty", certainty)
    if alert.area_description_ja:
        _cap(entry, "areaDesc", alert.area_description_ja)
    for code in sorted(alert.area_levels or {}):
        geocode = etree.SubElement(entry, f"{{{CAP_NAMESPACE}}}geocode")
        etree.SubElement(geocode, f"{{{CAP_NAMESPACE}}}valueName").text = "JISX0402"
        etree.SubElement(geocode, f"{{{CAP_NAMESPACE}}}value").text = code


def _updated(alert: Alert) -> datetime:
    return max(alert.sent, alert.created_at) if alert.created_at else alert.sent


def alerts_to_atom(
    alerts: Iterable[Alert], *, feed_url: str, title: str, updated: datetime | None = None
) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of CAP messages: id, title, updated, author and a self link
    on the feed; id, title, updated, author and a link to the CAP document on each entry."""
    alerts = list(alerts)
    feed = etree.Element(
        f"{{{ATOM_NAMESPACE}}}feed", nsmap={None: ATOM_NAMESPACE, "cap": CAP_NAMESPACE}
    )
    _atom(feed, "id", feed_url)
    _atom(feed, "title", title)
    _atom(feed, "generator", "Kurashi")
    latest = max((_updated(alert) for alert in alerts), default=None) or updated or timezone.now()
    _atom(feed, "updated", jst(latest))
    author = _atom(feed, "author")
    _atom(author, "name", cap_sender())
    _atom(feed, "link").attrib.update({"rel": "self", "type": ATOM_MIME_TYPE, "href": feed_url})
    for alert in alerts:
        _entry(feed, alert)
    return to_bytes(feed)
