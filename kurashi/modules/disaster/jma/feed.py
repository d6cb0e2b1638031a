"""The JMA Atom feeds (extra, eqvol, regular …): entries with the office and type code read from
the data URL `…/data/<yyyymmddhhmmss>_<n>_<TYPE>_<office6>.xml`, so they can be filtered before
anything is downloaded."""

import re
from dataclasses import dataclass
from datetime import datetime

from kurashi.modules.disaster.jma.xmlsafe import DEFAULT_MAX_BYTES, RejectedDocumentError, parse_xml

ATOM = "{http://www.w3.org/2005/Atom}"
DATA_URL = re.compile(r"/\d{14}_\d+_(?P<type>[A-Z0-9]+)_(?P<office>\d{6})\.xml$")


@dataclass(frozen=True, slots=True)
class FeedItem:
    entry_id: str
    data_url: str
    title: str
    author: str
    updated: datetime | None
    content: str
    type_code: str  # VPWW53 … ("" when the URL does not follow the JMA pattern)
    office_code: str  # 410000 …


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    updated: datetime | None
    items: tuple[FeedItem, ...]


def _datetime(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None


def data_url_codes(url: str) -> tuple[str, str]:
    """(type code, office code) from a JMA data URL; ("", "") when it does not match."""
    match = DATA_URL.search(url.split("#", 1)[0])
    return (match["type"], match["office"]) if match else ("", "")


def parse_feed(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Feed:
    root = parse_xml(data, max_bytes=max_bytes)
    if root.tag != f"{ATOM}feed":
        raise RejectedDocumentError("unknown_root", "not an Atom feed")
    items: list[FeedItem] = []
    for entry in root.iterfind(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
        data_url = (link.get("href", "") if link is not None else "").strip() or entry_id
        if not entry_id or not data_url:
            continue
        type_code, office_code = data_url_codes(data_url)
        items.append(
            FeedItem(
                entry_id=entry_id,
                data_url=data_url,
                title=(entry.findtext(f"{ATOM}title") or "").strip(),
                author=(entry.findtext(f"{ATOM}author/{ATOM}name") or "").strip(),
                updated=_datetime(entry.findtext(f"{ATOM}updated")),
                content=(entry.findtext(f"{ATOM}content") or "").strip(),
                type_code=type_code,
                office_code=office_code,
            )
        )
    return Feed(
        title=(root.findtext(f"{ATOM}title") or "").strip(),
        updated=_datetime(root.findtext(f"{ATOM}updated")),
        items=tuple(items),
    )
