"""Small helpers shared by the XML outputs."""

from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

JST = ZoneInfo("Asia/Tokyo")


def jst(moment: datetime) -> str:
    """2024-07-25T04:14:54+09:00: Japan time, whole seconds, numeric offset (never "Z")."""
    return moment.astimezone(JST).replace(microsecond=0).isoformat()


def safe_parser() -> etree.XMLParser:
    """No entity expansion, no network, no DTD: for reading back what we wrote (and tests)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def to_bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
