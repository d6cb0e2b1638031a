"""OAI-PMH 2.0 data provider: the six verbs, oai_dc and dcndl_simple, sets = collections,
stateless signed resumption tokens (an empty token on the last page), persistent deletions,
GET and POST. Errors are HTTP 200 with <error code="…">, as the protocol says."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lxml import etree

from kurashi.modules.archive import iiif, selectors, services
from kurashi.modules.archive.models import Collection, Item
from kurashi.modules.archive.rights import RIGHTS_URIS, credit_line

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
DCNDL = "http://ndl.go.jp/dcndl/terms/"
DCNDL_SIMPLE = "http://ndl.go.jp/dcndl/dcndl_simple/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FORMATS = {
    "oai_dc": (OAI_DC, "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
    "dcndl_simple": (DCNDL_SIMPLE, "http://ndl.go.jp/dcndl/dcndl_simple/dcndl_simple.xsd"),
}
DCMI_TYPES = {
    Item.Type.TEXT: "Text",
    Item.Type.IMAGE: "StillImage",
    Item.Type.AUDIO: "Sound",
    Item.Type.VIDEO: "MovingImage",
    Item.Type.PERFORMANCE: "Event",
}
ARGUMENTS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}
TOKEN_SALT = "kurashi.archive.oai"  # noqa: S105 (a signing salt, not a secret)


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The oai-identifier schema's repositoryIdentifier: a domain name with at least one dot.
REPOSITORY_IDENTIFIER = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")
FALLBACK_NAMESPACE = "kurashi.localhost"


def namespace_identifier() -> str:
    """The repositoryIdentifier of the OAI identifiers: ARCHIVE_OAI_NAMESPACE, else the host
    of SITE_URL when it is a valid one (a dotted domain name: not "localhost" nor an IP
    address), else kurashi.localhost (development)."""
    configured = getattr(settings, "ARCHIVE_OAI_NAMESPACE", "")
    if configured:
        return str(configured)
    host = urlsplit(settings.SITE_URL).hostname or ""
    return host if REPOSITORY_IDENTIFIER.match(host) else FALLBACK_NAMESPACE


def oai_identifier(item: Item) -> str:
    return f"oai:{namespace_identifier()}:{item.pk}"


def parse_identifier(identifier: str) -> int | None:
    prefix = f"oai:{namespace_identifier()}:"
    if not identifier.startswith(prefix):
        return None
    local = identifier[len(prefix) :]
    return int(local) if local.isdigit() else None


def datestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datestamp(value: str, *, upper: bool) -> tuple[datetime, str]:
    """(bound, granularity); an until bound is exclusive of the next second/day."""
    for pattern, granularity, step in (
        ("%Y-%m-%d", "day", timedelta(days=1)),
        ("%Y-%m-%dT%H:%M:%SZ", "seconds", timedelta(seconds=1)),
    ):
        try:
            moment = datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
        return (moment + step if upper else moment), granularity
    raise OaiError("badArgument", f"Illegal date/time: {value!r}")


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, tag, dict(attributes.items()))
    if text is not None:
        element.text = text
    return element


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters: drop them rather than fail the harvest."""
    return "".join(
        char for char in text if char in "\t\n\r" or (ord(char) >= 0x20 and ord(char) != 0xFFFE)
    )


def _dc_values(item: Item) -> list[tuple[str, str, str]]:
    """(namespace, element, text) in Dublin Core, with xml:lang on titles/descriptions."""
    page = iiif.unprefixed("archive:item", item.pk)
    credit = credit_line(
        rights=item.rights,
        holder_ja=item.rights_holder_ja,
        holder_en=item.rights_holder_en,
        title=item.title,
        url=page,
    )
    values = [(DC, "title", item.title)]
    values += [(DC, "creator", name) for name in item.creators]
    values += [(DC, "subject", subject) for subject in item.subjects]
    if item.description:
        values.append((DC, "description", item.description))
    if item.collection.holder_ja:
        values.append((DC, "publisher", item.collection.holder_ja))
    if item.date_text:
        values.append((DC, "date", item.date_text))
    if item.year is not None:
        values.append((DC, "date", f"{item.year:04d}"))
    values.append((DC, "type", DCMI_TYPES[Item.Type(item.type)]))
    values.append((DC, "identifier", page))
    if item.source_url:
        values.append((DC, "source", item.source_url))
    values.append((DC, "language", item.language))
    if item.external_manifest_url:
        values.append((DC, "relation", item.external_manifest_url))
    place = ", ".join(
        part
        for part in (item.municipality.name_ja if item.municipality else "", item.place_name)
        if part
    )
    if place:
        values.append((DC, "coverage", place))
    values.append((DC, "rights", RIGHTS_URIS[item.rights]))
    values.append((DC, "rights", credit.ja))
    return values


def _oai_dc(parent: etree._Element, item: Item) -> None:
    root = etree.SubElement(
        parent,
        f"{{{OAI_DC}}}dc",
        nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI},
    )
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} {FORMATS['oai_dc'][1]}")
    for namespace, name, text in _dc_values(item):
        element = _sub(root, f"{{{namespace}}}{name}", _clean(text))
        if name in {"title", "description"}:
            element.set(XML_LANG, "ja")
    if item.title_en:
        _sub(root, f"{{{DC}}}title", _clean(item.title_en)).set(XML_LANG, "en")


def _dcndl_simple(parent: etree._Element, item: Item) -> None:
    root = etree.SubElement(
        parent,
        f"{{{DCNDL_SIMPLE}}}dc",
        nsmap={
            "dcndl_simple": DCNDL_SIMPLE,
            "dc": DC,
            "dcterms": DCTERMS,
            "dcndl": DCNDL,
            "xsi": XSI,
        },
    )
    root.set(f"{{{XSI}}}schemaLocation", f"{DCNDL_SIMPLE} {FORMATS['dcndl_simple'][1]}")
    _sub(root, f"{{{DC}}}title", _clean(item.title))
    if item.title_reading:
        _sub(root, f"{{{DCNDL}}}titleTranscription", _clean(item.title_reading))
    if item.alternative_title:
        _sub(root, f"{{{DCTERMS}}}alternative", _clean(item.alternative_title))
    for index, name in enumerate(item.creators):
        _sub(root, f"{{{DC}}}creator", _clean(name))
        if index < len(item.creators_reading):
            _sub(
                root, f"{{{DCNDL}}}creatorTranscription", _clean(str(item.creators_reading[index]))
            )
    for namespace, name, text in _dc_values(item):
        if name in {"title", "creator"}:
            continue
        if name == "date" and text.isdigit():
            _sub(root, f"{{{DCTERMS}}}issued", text)
            continue
        if name == "coverage":
            _sub(root, f"{{{DCTERMS}}}spatial", _clean(text))
            continue
        _sub(root, f"{{{namespace}}}{name}", _clean(text))


class _Response:
    def __init__(self, request: HttpRequest, arguments: dict[str, str]) -> None:
        self.root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
        self.root.set(
            f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
        )
        _sub(self.root, f"{{{OAI}}}responseDate", datestamp(timezone.now()))
        self.request_element = _sub(self.root, f"{{{OAI}}}request", base_url())
        self.arguments = arguments

    def echo_arguments(self) -> None:
        for key, value in sorted(self.arguments.items()):
            self.request_element.set(key, value)

    def body(self, verb: str) -> etree._Element:
        return _sub(self.root, f"{{{OAI}}}{verb}")

    def error(self, code: str, message: str) -> None:
        _sub(self.root, f"{{{OAI}}}error", message, code=code)

    def http(self) -> HttpResponse:
        xml = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", pretty_print=False)
        response = HttpResponse(xml, content_type="text/xml; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response


def base_url() -> str:
    return iiif.unprefixed("archive:oai")


def _header(parent: etree._Element, item: Item) -> None:
    header = _sub(parent, f"{{{OAI}}}header")
    if not item.is_public:
        header.set("status", "deleted")
    _sub(header, f"{{{OAI}}}identifier", oai_identifier(item))
    _sub(header, f"{{{OAI}}}datestamp", datestamp(item.modified_at))
    _sub(header, f"{{{OAI}}}setSpec", item.collection.slug)


def _record(parent: etree._Element, item: Item, prefix: str) -> None:
    record = _sub(parent, f"{{{OAI}}}record")
    _header(record, item)
    if item.is_public:
        metadata = _sub(record, f"{{{OAI}}}metadata")
        (_oai_dc if prefix == "oai_dc" else _dcndl_simple)(metadata, item)


def _identify(response: _Response) -> None:
    body = response.body("Identify")
    _sub(
        body,
        f"{{{OAI}}}repositoryName",
        getattr(settings, "ARCHIVE_REPOSITORY_NAME", "Kurashi デジタルアーカイブ（佐賀）"),
    )
    _sub(body, f"{{{OAI}}}baseURL", base_url())
    _sub(body, f"{{{OAI}}}protocolVersion", "2.0")
    admins = (
        getattr(settings, "ARCHIVE_ADMIN_EMAILS", None)
        or [address for _name, address in getattr(settings, "ADMINS", [])]
        or ["archive@localhost"]
    )
    for address in admins:
        _sub(body, f"{{{OAI}}}adminEmail", address)
    earliest = selectors.earliest_datestamp() or datetime(2000, 1, 1, tzinfo=UTC)
    _sub(body, f"{{{OAI}}}earliestDatestamp", datestamp(earliest))
    _sub(body, f"{{{OAI}}}deletedRecord", "persistent")
    _sub(body, f"{{{OAI}}}granularity", "YYYY-MM-DDThh:mm:ssZ")
    description = _sub(body, f"{{{OAI}}}description")
    identifier_ns = "http://www.openarchives.org/OAI/2.0/oai-identifier"
    oai_id = etree.SubElement(
        description, f"{{{identifier_ns}}}oai-identifier", nsmap={None: identifier_ns}
    )
    oai_id.set(
        f"{{{XSI}}}schemaLocation",
        f"{identifier_ns} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd",
    )
    _sub(oai_id, f"{{{identifier_ns}}}scheme", "oai")
    _sub(oai_id, f"{{{identifier_ns}}}repositoryIdentifier", namespace_identifier())
    _sub(oai_id, f"{{{identifier_ns}}}delimiter", ":")
    _sub(oai_id, f"{{{identifier_ns}}}sampleIdentifier", f"oai:{namespace_identifier()}:1")


def _item_for(identifier: str) -> Item:
    pk = parse_identifier(identifier)
    if pk is None:
        raise OaiError("idDoesNotExist", f"No item with the identifier {identifier!r}.")
    try:
        return selectors.get_oai_item(pk)
    except Item.DoesNotExist:
        raise OaiError("idDoesNotExist", f"No item with the identifier {identifier!r}.") from None


def _list_metadata_formats(response: _Response, identifier: str | None) -> None:
    if identifier is not None:
        item = _item_for(identifier)
        if not item.is_public:
            raise OaiError("noMetadataFormats", "The item is deleted: no metadata is available.")
    body = response.body("ListMetadataFormats")
    for prefix, (namespace, schema) in FORMATS.items():
        element = _sub(body, f"{{{OAI}}}metadataFormat")
        _sub(element, f"{{{OAI}}}metadataPrefix", prefix)
        _sub(element, f"{{{OAI}}}schema", schema)
        _sub(element, f"{{{OAI}}}metadataNamespace", namespace)


def _list_sets(response: _Response, token: str | None) -> None:
    if token is not None:
        raise OaiError("badResumptionToken", "ListSets is not paged: there is no such token.")
    collections = list(Collection.objects.order_by("slug"))
    if not collections:
        raise OaiError("noSetHierarchy", "This repository has no sets yet.")
    body = response.body("ListSets")
    for collection in collections:
        element = _sub(body, f"{{{OAI}}}set")
        _sub(element, f"{{{OAI}}}setSpec", collection.slug)
        _sub(element, f"{{{OAI}}}setName", _clean(collection.title_ja))


def _page_size() -> int:
    return int(getattr(settings, "ARCHIVE_OAI_PAGE_SIZE", 100))


def _list(response: _Response, verb: str, arguments: dict[str, str]) -> None:
    token = arguments.get("resumptionToken")
    if token is not None:
        try:
            state: dict[str, Any] = signing.loads(token, salt=TOKEN_SALT)
        except signing.BadSignature:
            raise OaiError("badResumptionToken", "The resumption token is invalid.") from None
    else:
        prefix = arguments["metadataPrefix"]
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", f"The format {prefix!r} is not supported.")
        granularities = set()
        for key in ("from", "until"):
            if key in arguments:
                granularities.add(parse_datestamp(arguments[key], upper=key == "until")[1])
        if len(granularities) > 1:
            raise OaiError("badArgument", "from and until must have the same granularity.")
        state = {
            "m": prefix,
            "s": arguments.get("set", ""),
            "f": arguments.get("from", ""),
            "u": arguments.get("until", ""),
            "a": 0,
            "c": 0,
            "t": None,
        }
    collection_id = None
    if state["s"]:
        if not Collection.objects.exists():
            raise OaiError("noSetHierarchy", "This repository has no sets yet.")
        collection = Collection.objects.filter(slug=state["s"]).first()
        if collection is None:
            raise OaiError("noRecordsMatch", f"There is no set {state['s']!r}.")
        collection_id = collection.pk
    since = parse_datestamp(state["f"], upper=False)[0] if state["f"] else None
    before = parse_datestamp(state["u"], upper=True)[0] if state["u"] else None
    services.release_embargoes()
    items, has_more, filtered = selectors.oai_page(
        collection_id=collection_id,
        since=since,
        before=before,
        after_pk=int(state["a"]),
        limit=_page_size(),
    )
    if not items:
        if token is not None:
            raise OaiError("badResumptionToken", "The resumption token points past the list.")
        raise OaiError("noRecordsMatch", "No record matches the request.")
    total = state["t"] if state["t"] is not None else filtered.count()
    body = response.body(verb)
    for item in items:
        if verb == "ListRecords":
            _record(body, item, state["m"])
        else:
            _header(body, item)
    if has_more or token is not None:
        element = _sub(body, f"{{{OAI}}}resumptionToken")
        element.set("completeListSize", str(total))
        element.set("cursor", str(state["c"]))
        if has_more:
            element.text = signing.dumps(
                {**state, "a": items[-1].pk, "c": int(state["c"]) + len(items), "t": total},
                salt=TOKEN_SALT,
                compress=True,
            )


def _get_record(response: _Response, arguments: dict[str, str]) -> None:
    services.release_embargoes()
    prefix = arguments["metadataPrefix"]
    item = _item_for(arguments["identifier"])
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"The format {prefix!r} is not supported.")
    _record(response.body("GetRecord"), item, prefix)


def _arguments(query: QueryDict) -> dict[str, str]:
    if len(query.getlist("verb")) > 1:  # the protocol: a repeated verb is badVerb
        raise OaiError("badVerb", "The verb argument is repeated.")
    arguments = {}
    for key in query:
        values = query.getlist(key)
        if len(values) != 1:
            raise OaiError("badArgument", f"The argument {key!r} is repeated.")
        arguments[key] = values[0]
    return arguments


def _handle(response: _Response, query: QueryDict) -> None:
    arguments = _arguments(query)
    verb = arguments.pop("verb", None)
    if verb not in ARGUMENTS:
        raise OaiError("badVerb", "The verb is missing or not an OAI-PMH verb.")
    response.request_element.set("verb", verb)
    required, optional = ARGUMENTS[verb]
    given = set(arguments)
    if "resumptionToken" in given and given != {"resumptionToken"}:
        raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
    if "resumptionToken" not in given and required - given:
        raise OaiError(
            "badArgument", f"Missing argument(s): {', '.join(sorted(required - given))}."
        )
    if given - required - optional:
        raise OaiError(
            "badArgument", f"Illegal argument(s): {', '.join(sorted(given - required - optional))}."
        )
    response.arguments = {"verb": verb, **arguments}
    response.echo_arguments()
    if verb == "Identify":
        _identify(response)
    elif verb == "ListMetadataFormats":
        _list_metadata_formats(response, arguments.get("identifier"))
    elif verb == "ListSets":
        _list_sets(response, arguments.get("resumptionToken"))
    elif verb == "GetRecord":
        _get_record(response, arguments)
    else:
        _list(response, verb, arguments)


@csrf_exempt  # harvesters POST without a session; nothing here changes state
@require_http_methods(["GET", "POST"])
def oai_view(request: HttpRequest) -> HttpResponse:
    query = request.POST if request.method == "POST" else request.GET
    try:
        arguments = {key: query.get(key, "") for key in query}
    except Exception:
        arguments = {}
    response = _Response(request, {})
    try:
        _handle(response, query)
    except OaiError as error:
        # badVerb and badArgument echo no arguments (the spec: only the base URL).
        if error.code not in {"badVerb", "badArgument"}:
            response.arguments = arguments
            response.echo_arguments()
        else:
            for key in list(response.request_element.attrib):
                del response.request_element.attrib[key]
        for child in list(response.root)[2:]:
            response.root.remove(child)
        response.error(error.code, error.message)
    return response.http()
