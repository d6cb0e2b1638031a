"""Reading untrusted XML: no DTDs, no entity expansion, no network, no huge trees, a size limit.

Every failure raises RejectedDocumentError with a short machine reason (stored with the rejection) and a
human message.
"""

from dataclasses import dataclass

from lxml import etree

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class RejectedDocumentError(Exception):
    """A document that must not be ingested. `reason` is one of the REASONS keys."""

    reason: str
    message: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


REASONS = {
    "too_large": "larger than the size limit",
    "empty": "empty document",
    "not_xml": "not an XML document",
    "malformed": "malformed or truncated XML",
    "doctype": "a DOCTYPE (DTD or entity declarations) is not allowed",
    "unknown_root": "not a JMA 防災情報XML report or Atom feed",
    "unknown_type": "a JMA message type Kurashi does not handle",
    "invalid": "a required JMA element is missing or invalid",
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse `data` safely and return the root element, or raise RejectedDocumentError."""
    if len(data) > max_bytes:
        raise RejectedDocumentError(
            "too_large", f"{len(data):,} bytes is more than the limit of {max_bytes:,} bytes"
        )
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise RejectedDocumentError("empty", "the document is empty")
    if not stripped.startswith(b"<"):
        raise RejectedDocumentError("not_xml", "the document does not start with '<'")
    # Refuse DTDs outright, before libxml2 sees them: JMA messages never carry one.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise RejectedDocumentError("doctype", REASONS["doctype"])
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise RejectedDocumentError("malformed", str(error)[:300]) from None
    except ValueError as error:  # e.g. an encoding declaration lxml cannot honour
        raise RejectedDocumentError("not_xml", str(error)[:300]) from None
    if root is None:
        raise RejectedDocumentError("not_xml", "no root element")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise RejectedDocumentError("doctype", REASONS["doctype"])
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise RejectedDocumentError("doctype", "entity references are not allowed")
    return root
