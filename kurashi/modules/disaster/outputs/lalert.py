"""L-Alert (formerly 公共情報コモンズ) documents: an OASIS EDXL-DE 1.0 envelope with the Commons
extensions around a JMA-XML-like Report (Control / Head / Body), following the FMMC sample and
the LGDIS templates. Categories: EvacuationOrder (one document per chain of orders, revised as the
order is updated or lifted) and Shelter (the live status of a municipality's shelters).

Versioning: commons:documentID names the document, commons:documentRevision counts its versions
and commons:previousDocumentRevision points at the one it replaces; edxlde:distributionType is
Report for the first version and Update afterwards (解除 is an Update whose IssueOrLift is 解除,
as L-Alert expects; Cancel would retract an erroneous document, which Kurashi never publishes).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from lxml import etree

from kurashi.core.geo import boundary_index
from kurashi.core.models import Municipality
from kurashi.modules.disaster.models import EvacuationOrder, Shelter, ShelterStatusChange
from kurashi.modules.disaster.outputs._xml import jst, to_bytes
from kurashi.modules.disaster.selectors.evacuation import HAZARD_NAMES, LEVELS, public_texts

EDXL = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
COMMONS = "http://xml.publiccommons.ne.jp/xml/edxl/"
PCXML = "http://xml.publiccommons.ne.jp/pcxml1/3"
PCX_EB = "http://xml.publiccommons.ne.jp/pcxml1/elementBasis3/"
PCX_IB = "http://xml.publiccommons.ne.jp/pcxml1/informationBasis3/"
PCX_EV = "http://xml.publiccommons.ne.jp/pcxml1/body/evacuation3"
PCX_SH = "http://xml.publiccommons.ne.jp/pcxml1/body/shelter3"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DEFAULT_SENDER_ID = "kurashi.pref.saga.example"
CONFIDENTIALITY = "UNCLASSIFIED AND NOT SENSITIVE"

SHELTER_TYPES: dict[str, str] = {
    Shelter.Kind.SHELTER: "避難所",
    Shelter.Kind.EMERGENCY_SITE: "一時避難場所",
}
SHELTER_SORTS: dict[str, str] = {
    Shelter.OpenState.NOT_OPEN: "未開設",
    Shelter.OpenState.OPEN: "開設",
    Shelter.OpenState.CLOSED: "閉鎖",
}
SHELTER_STATUSES: dict[str, str] = {
    Shelter.Crowding.UNKNOWN: "不明",
    Shelter.Crowding.AVAILABLE: "空き",
    Shelter.Crowding.CROWDED: "混雑",
    Shelter.Crowding.FULL: "定員一杯",
}


class LAlertExportError(ValueError):
    """Nothing to export (e.g. the order was never published)."""


def sender_id() -> str:
    return str(getattr(settings, "LALERT_SENDER_ID", "") or DEFAULT_SENDER_ID)


@dataclass(frozen=True)
class Version:
    document_id: str
    revision: int
    distribution_type: str  # Report | Update | Cancel

    @property
    def previous_revision(self) -> int | None:
        return self.revision - 1 if self.revision > 1 else None

    @property
    def distribution_id(self) -> str:
        return f"{self.document_id}-r{self.revision}"


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _sub(
    parent: etree._Element,
    namespace: str,
    tag: str,
    text: str | None = None,
    attributes: dict[str, str] | None = None,
) -> etree._Element:
    element = etree.SubElement(parent, _q(namespace, tag), attributes or {})
    if text is not None:
        element.text = text
    return element


def _circle(latitude: float, longitude: float) -> str:
    return f"{latitude:.6f},{longitude:.6f},0"


def _municipality(code: str) -> Municipality:
    try:
        return Municipality.objects.get(code=code)
    except Municipality.DoesNotExist:
        raise LAlertExportError(f"unknown municipality {code}") from None


def _envelope(
    *,
    body_prefix: str,
    body_namespace: str,
    category: str,
    municipality: Municipality,
    version: Version,
    status: str,
    sent: datetime,
    first_sent: datetime,
    title: str,
    headline: str,
    headline_areas: list[str],
    description: str,
) -> tuple[etree._Element, etree._Element]:
    """The EDXL-DE envelope, Control and Head; returns (root, Report) for the body."""
    nsmap = {
        body_prefix: body_namespace,
        "xs": XS,
        "xsi": XSI,
        "edxlde": EDXL,
        "commons": COMMONS,
        "pcxml": PCXML,
        "pcx_eb": PCX_EB,
        "pcx_ib": PCX_IB,
    }
    root = etree.Element(_q(EDXL, "EDXLDistribution"), nsmap=nsmap)
    _sub(root, EDXL, "distributionID", version.distribution_id)
    _sub(root, EDXL, "senderID", sender_id())
    _sub(root, EDXL, "dateTimeSent", jst(sent))
    _sub(root, EDXL, "distributionStatus", status)
    _sub(root, EDXL, "distributionType", version.distribution_type)
    _sub(root, EDXL, "combinedConfidentiality", CONFIDENTIALITY)
    target = _sub(root, COMMONS, "targetArea")
    boundary = boundary_index().geometry_of(municipality.code)
    if boundary is not None:
        point = boundary.representative_point()
        _sub(target, EDXL, "circle", _circle(point.y, point.x))
    _sub(target, COMMONS, "areaName", municipality.name_ja)
    _sub(target, COMMONS, "areaNameKana", municipality.name_kana)
    _sub(target, COMMONS, "jisX0402", municipality.code)

    content = _sub(root, COMMONS, "contentObject")
    _sub(content, EDXL, "contentDescription", description)
    xml_content = _sub(content, EDXL, "xmlContent")
    embedded = _sub(xml_content, EDXL, "embeddedXMLContent")
    report = etree.SubElement(embedded, _q(PCXML, "Report"), nsmap={None: PCXML})

    control = _sub(report, PCXML, "Control")
    _sub(control, PCXML, "Title", category)
    _sub(control, EDXL, "distributionStatus", status)
    editorial = _sub(control, PCXML, "EditorialOffice")
    _sub(editorial, PCX_EB, "OrganizationCode", municipality.code)
    _sub(editorial, PCX_EB, "OfficeName", municipality.name_ja)
    _sub(editorial, PCX_EB, "OrganizationName", municipality.name_ja)
    publishing = _sub(control, PCXML, "PublishingOffice")
    office = _sub(publishing, PCX_EB, "OfficeInfo")
    _sub(office, PCX_EB, "OrganizationCode", municipality.code)
    _sub(office, PCX_EB, "OfficeName", municipality.name_ja)
    _sub(office, PCX_EB, "OfficeNameKana", municipality.name_kana)
    location = _sub(office, PCX_EB, "OfficeLocation")
    _sub(location, COMMONS, "areaName", municipality.name_ja)
    _sub(office, PCX_EB, "OfficeDomainName", sender_id())
    _sub(office, PCX_EB, "OrganizationName", municipality.name_ja)

    head = _sub(report, PCX_IB, "Head")
    _sub(head, PCX_IB, "Title", title)
    _sub(head, PCX_IB, "CreateDateTime", jst(sent))
    _sub(head, PCX_IB, "FirstCreateDateTime", jst(first_sent))
    _sub(head, PCX_IB, "ReportDateTime", jst(sent))
    _sub(head, EDXL, "distributionID", version.distribution_id)
    _sub(head, EDXL, "distributionType", version.distribution_type)
    _sub(head, COMMONS, "documentRevision", str(version.revision))
    if version.previous_revision is not None:
        _sub(head, COMMONS, "previousDocumentRevision", str(version.previous_revision))
    _sub(head, COMMONS, "documentID", version.document_id)
    headline_element = _sub(head, PCX_IB, "Headline")
    _sub(headline_element, PCX_IB, "Text", headline)
    areas = _sub(headline_element, PCX_IB, "Areas")
    for name in headline_areas:
        _sub(_sub(areas, PCX_IB, "Area"), COMMONS, "areaName", name)
    return root, report


def _trailer(
    root: etree._Element, *, municipality: Municipality, version: Version, category: str
) -> None:
    content = root.find(_q(COMMONS, "contentObject"))
    if content is None:  # _envelope() always adds it
        raise LAlertExportError("the envelope has no contentObject")
    _sub(content, COMMONS, "publishingOfficeName", municipality.name_ja)
    _sub(content, COMMONS, "publishingOfficeID", municipality.code)
    _sub(content, COMMONS, "publishingOfficeDomainName", sender_id())
    if version.previous_revision is not None:
        _sub(content, COMMONS, "previousDocumentRevision", str(version.previous_revision))
    _sub(content, COMMONS, "documentRevision", str(version.revision))
    _sub(content, COMMONS, "documentID", version.document_id)
    _sub(content, COMMONS, "category", category)


def _published_chain(order: EvacuationOrder) -> list[EvacuationOrder]:
    root = order.chain_root_pk
    return list(
        EvacuationOrder.objects.filter(Q(pk=root) | Q(chain_root_id=root))
        .filter(published_at__isnull=False)
        .select_related("replaces")
        .order_by("published_at", "id")
    )


def _count(
    parent: etree._Element, namespace: str, households: int | None, people: int | None
) -> None:
    if households is not None:
        _sub(parent, namespace, "Households", str(households), {_q(namespace, "unit"): "世帯"})
    if people is not None:
        _sub(parent, namespace, "HeadCount", str(people))


def evacuation_order_to_edxl(order: EvacuationOrder) -> bytes:
    """The L-Alert EvacuationOrder document of a published (or since superseded) order."""
    if order.published_at is None:
        raise LAlertExportError("only a published order can be sent to L-Alert")
    chain = _published_chain(order)
    revision = next(index for index, item in enumerate(chain, start=1) if item.pk == order.pk)
    version = Version(
        document_id=f"urn:kurashi:{order.municipality_code}:lalert:evacuation:{order.chain_root_pk}",
        revision=revision,
        distribution_type="Report" if revision == 1 else "Update",
    )
    municipality = _municipality(order.municipality_code)
    texts = public_texts(order)
    lifted = order.replaces if order.is_lift else None
    sort_level = lifted.level if lifted is not None else order.level
    if order.is_whole_municipality:
        area_names = [f"{municipality.name_ja}全域"]
    else:
        area_names = list(order.district_list)
        if order.area_geojson:
            area_names.append("地図で示した区域")
    published_at = order.published_at
    root, report = _envelope(
        body_prefix="pcx_ev",
        body_namespace=PCX_EV,
        category="EvacuationOrder",
        municipality=municipality,
        version=version,
        status="Exercise" if order.is_exercise else "Actual",
        sent=published_at,
        first_sent=chain[0].published_at or published_at,
        title=f"避難情報（{municipality.name_ja}）",
        headline=texts["ja"]["headline"],
        headline_areas=area_names,
        description=texts["ja"]["headline"],
    )
    body = _sub(report, PCX_EV, "EvacuationOrder")
    disaster = _sub(body, PCX_EB, "Disaster")
    first = chain[0].published_at or published_at
    _sub(
        disaster,
        PCX_EB,
        "DisasterName",
        f"{first.astimezone(timezone.get_default_timezone()):%Y年%m月%d日} "
        f"{HAZARD_NAMES[order.hazard]['ja']}",
    )
    _sub(body, PCX_EV, "ComplementaryInfo", order.message_ja)
    if order.households is not None or order.people is not None:
        _count(_sub(body, PCX_EV, "TotalNumber"), PCX_EV, order.households, order.people)
    detail = _sub(body, PCX_EV, "Detail")
    _sub(detail, PCX_EV, "Sort", LEVELS[sort_level].name["ja"])
    _sub(detail, PCX_EV, "IssueOrLift", "解除" if order.is_lift else "発令")
    _count(_sub(detail, PCX_EV, "Object"), PCX_EV, order.households, order.people)
    areas = _sub(detail, PCX_EV, "Areas")
    for name in area_names:
        area = _sub(areas, PCX_EV, "Area")
        location = _sub(area, PCX_EB, "Location")
        _sub(location, COMMONS, "areaName", name)
        _sub(area, PCX_EV, "DateTime", jst(published_at))
        if len(area_names) == 1:
            _count(_sub(area, PCX_EV, "Object"), PCX_EV, order.households, order.people)
    _trailer(root, municipality=municipality, version=version, category="EvacuationOrder")
    return to_bytes(root)


def _state_since(shelter: Shelter, changes: list[ShelterStatusChange]) -> datetime | None:
    """When the shelter entered its current open state (the earliest change of the latest run)."""
    since: datetime | None = None
    for change in changes:  # newest first
        if change.open_state != shelter.open_state:
            break
        since = change.changed_at
    return since


def shelters_to_edxl(*, municipality_code: str, now: datetime | None = None) -> bytes:
    """The L-Alert Shelter document of a municipality: every designated shelter (and each
    emergency site that was opened) with its open state, capacity, crowding and headcount."""
    municipality = _municipality(municipality_code)
    now = now or timezone.now()
    shelters = list(
        Shelter.objects.filter(municipality_code=municipality_code)
        .filter(Q(kind=Shelter.Kind.SHELTER) | ~Q(open_state=Shelter.OpenState.NOT_OPEN))
        .prefetch_related("status_changes")
        .order_by("kind", "common_id")
    )
    changes = ShelterStatusChange.objects.filter(shelter__municipality_code=municipality_code)
    revision = changes.count() + 1
    first_change = changes.order_by("changed_at").values_list("changed_at", flat=True).first()
    version = Version(
        document_id=f"urn:kurashi:{municipality_code}:lalert:shelter",
        revision=revision,
        distribution_type="Report" if revision == 1 else "Update",
    )
    open_shelters = [s for s in shelters if s.open_state == Shelter.OpenState.OPEN]
    headline = f"{municipality.name_ja}の避難所開設状況（開設 {len(open_shelters)} か所）"
    root, report = _envelope(
        body_prefix="pcx_sh",
        body_namespace=PCX_SH,
        category="Shelter",
        municipality=municipality,
        version=version,
        status="Actual",
        sent=now,
        first_sent=first_change or now,
        title=f"避難所情報（{municipality.name_ja}）",
        headline=headline,
        headline_areas=[municipality.name_ja],
        description=headline,
    )
    body = _sub(report, PCX_SH, "Shelter")
    disaster = _sub(body, PCX_EB, "Disaster")
    _sub(
        disaster,
        PCX_EB,
        "DisasterName",
        f"{now.astimezone(timezone.get_default_timezone()):%Y年%m月%d日} 避難所開設状況",
    )
    _sub(body, PCX_SH, "ComplementaryInfo", headline)
    head_counts = [s.headcount for s in open_shelters if s.headcount is not None]
    if head_counts:
        total = _sub(body, PCX_SH, "TotalNumber")
        _sub(total, PCX_SH, "HeadCount", str(sum(head_counts)))
    _sub(body, PCX_SH, "TotalNumberOfShelter", str(len(open_shelters)))
    informations = _sub(body, PCX_SH, "Informations")
    for shelter in shelters:
        information = _sub(informations, PCX_SH, "Information")
        location = _sub(information, PCX_SH, "Location")
        _sub(location, EDXL, "circle", _circle(shelter.latitude, shelter.longitude))
        _sub(location, COMMONS, "areaName", shelter.name)
        if shelter.address:
            _sub(location, PCX_SH, "Address", shelter.address)
        _sub(information, PCX_SH, "Type", SHELTER_TYPES.get(shelter.kind, "避難所"))
        _sub(information, PCX_SH, "Sort", SHELTER_SORTS.get(shelter.open_state, "不明"))
        if shelter.open_state != Shelter.OpenState.NOT_OPEN:
            since = _state_since(shelter, list(shelter.status_changes.all()))
            if since is not None:
                _sub(information, PCX_SH, "DateTime", jst(since))
        if shelter.capacity is not None:
            _sub(information, PCX_SH, "Capacity", str(shelter.capacity))
        _sub(information, PCX_SH, "Status", SHELTER_STATUSES.get(shelter.crowding, "不明"))
        if shelter.headcount is not None:
            _sub(_sub(information, PCX_SH, "NumberOf"), PCX_SH, "HeadCount", str(shelter.headcount))
        if shelter.status_checked_at is not None:
            _sub(information, PCX_SH, "CheckedDateTime", jst(shelter.status_checked_at))
    _trailer(root, municipality=municipality, version=version, category="Shelter")
    return to_bytes(root)
