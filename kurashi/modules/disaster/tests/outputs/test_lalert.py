"""L-Alert (EDXL-DE 1.0 + Commons) export of evacuation orders and shelter status: structure
compared with the FMMC sample and the LGDIS templates (namespaces, element order), versioning,
and the staff-only downloads (four actors)."""

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from kurashi.core.models import User
from kurashi.modules.disaster.models import Shelter, ShelterStatusChange
from kurashi.modules.disaster.outputs import lalert

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EDXL = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
COMMONS = "http://xml.publiccommons.ne.jp/xml/edxl/"
PCXML = "http://xml.publiccommons.ne.jp/pcxml1/3"
NS = {
    "edxlde": EDXL,
    "commons": COMMONS,
    "pcxml": PCXML,
    "pcx_eb": lalert.PCX_EB,
    "pcx_ib": lalert.PCX_IB,
    "pcx_ev": lalert.PCX_EV,
    "pcx_sh": lalert.PCX_SH,
}


def sample(name: str) -> Any:
    return etree.parse(str(FIXTURES / name)).getroot()


def child_tags(element: Any) -> list[str]:
    return [child.tag for child in element if isinstance(child.tag, str)]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    iterator = iter(whole)
    return all(tag in iterator for tag in part)


def assert_envelope_like_samples(document: Any, template_name: str) -> None:
    fmmc = sample("mmc_sample_commons_evacuation.xml")
    template = sample(template_name)
    for prefix in ("edxlde", "commons", "pcxml", "pcx_eb", "pcx_ib", "xs", "xsi"):
        assert document.nsmap[prefix] == template.nsmap[prefix], prefix
    assert document.tag == template.tag == f"{{{EDXL}}}EDXLDistribution"
    # Head of the envelope: exactly the FMMC sample's elements in its order.
    assert child_tags(document) == child_tags(fmmc)
    assert child_tags(document.find("commons:targetArea", NS)) == child_tags(
        fmmc.find("commons:targetArea", NS)
    )
    ours = document.find("commons:contentObject", NS)
    theirs = template.find("commons:contentObject", NS)
    assert is_subsequence(child_tags(ours), child_tags(theirs))
    assert child_tags(ours)[:2] == child_tags(theirs)[:2]  # contentDescription, xmlContent
    report = ours.find("edxlde:xmlContent/edxlde:embeddedXMLContent/pcxml:Report", NS)
    template_report = theirs.find("edxlde:xmlContent/edxlde:embeddedXMLContent/pcxml:Report", NS)
    assert child_tags(report)[:2] == child_tags(template_report)  # Control, Head (then Body)
    for path in (
        "pcxml:Control",
        "pcxml:Control/pcxml:PublishingOffice/pcx_eb:OfficeInfo",
        "pcx_ib:Head",
    ):
        assert is_subsequence(
            child_tags(report.find(path, NS)), child_tags(template_report.find(path, NS))
        ), path


def text(document: Any, path: str) -> str:
    element = document.find(path, NS)
    assert element is not None, path
    return str(element.text)


def test_evacuation_export_matches_the_samples(
    make_order: Any, approver: User, drafter: User
) -> None:
    order = make_order(
        state="published",
        approved_by=approver,
        households=120,
        people=300,
        is_whole_municipality=False,
        districts="兵庫町\n本庄町",
    )

    document = etree.fromstring(lalert.evacuation_order_to_edxl(order))

    assert_envelope_like_samples(document, "lgdis_commons_evacuation.xml")
    assert document.nsmap["pcx_ev"] == sample("lgdis_commons_evacuation.xml").nsmap["pcx_ev"]
    assert text(document, "edxlde:distributionType") == "Report"
    assert text(document, "edxlde:distributionStatus") == "Actual"
    assert text(document, "commons:targetArea/commons:jisX0402") == "412015"
    assert text(document, "commons:targetArea/commons:areaName") == "佐賀市"
    assert text(document, "commons:contentObject/commons:category") == "EvacuationOrder"
    assert text(document, "commons:contentObject/commons:documentRevision") == "1"
    assert document.find("commons:contentObject/commons:previousDocumentRevision", NS) is None
    body = document.find(".//pcx_ev:EvacuationOrder", NS)
    assert text(body, "pcx_ev:Detail/pcx_ev:Sort") == "避難指示"
    assert text(body, "pcx_ev:Detail/pcx_ev:IssueOrLift") == "発令"
    assert [
        e.text
        for e in body.findall(
            "pcx_ev:Detail/pcx_ev:Areas/pcx_ev:Area/pcx_eb:Location/commons:areaName", NS
        )
    ] == ["兵庫町", "本庄町"]
    households = body.find("pcx_ev:TotalNumber/pcx_ev:Households", NS)
    assert households.text == "120"
    assert households.get(f"{{{lalert.PCX_EV}}}unit") == "世帯"
    assert text(body, "pcx_ev:TotalNumber/pcx_ev:HeadCount") == "300"
    assert text(document, "edxlde:dateTimeSent").endswith("+09:00")


def test_updates_and_lifting_are_revisions_of_one_document(make_order: Any, approver: User) -> None:
    first = make_order(state="published", approved_by=approver)
    update = make_order(state="published", approved_by=approver, replaces=first, level=5)
    lift = make_order(state="published", approved_by=approver, replaces=update, level=0)

    documents = [
        etree.fromstring(lalert.evacuation_order_to_edxl(o)) for o in (first, update, lift)
    ]

    ids = {text(d, "commons:contentObject/commons:documentID") for d in documents}
    assert ids == {f"urn:kurashi:412015:lalert:evacuation:{first.pk}"}
    assert [text(d, "commons:contentObject/commons:documentRevision") for d in documents] == [
        "1",
        "2",
        "3",
    ]
    assert [text(d, ".//pcx_ib:Head/commons:previousDocumentRevision") for d in documents[1:]] == [
        "1",
        "2",
    ]
    assert [text(d, "edxlde:distributionType") for d in documents] == ["Report", "Update", "Update"]
    assert text(documents[2], ".//pcx_ev:Detail/pcx_ev:IssueOrLift") == "解除"
    assert text(documents[2], ".//pcx_ev:Detail/pcx_ev:Sort") == "緊急安全確保"
    assert len({text(d, "edxlde:distributionID") for d in documents}) == 3


def test_an_unpublished_order_cannot_be_exported(make_order: Any) -> None:
    with pytest.raises(lalert.LAlertExportError):
        lalert.evacuation_order_to_edxl(make_order(state="pending"))


@pytest.fixture
def shelters(db: None) -> list[Shelter]:
    now = timezone.now()
    hall = Shelter.objects.create(
        common_id="E4120100001111",
        kind=Shelter.Kind.SHELTER,
        municipality_code="412015",
        name="佐賀市民会館",
        address="佐賀市天神",
        latitude=33.2558,
        longitude=130.2958,
        open_state=Shelter.OpenState.OPEN,
        capacity=500,
        headcount=120,
        crowding=Shelter.Crowding.AVAILABLE,
        status_checked_at=now,
    )
    ShelterStatusChange.objects.create(shelter=hall, open_state="open", crowding="available")
    school = Shelter.objects.create(
        common_id="E4120100002111",
        kind=Shelter.Kind.SHELTER,
        municipality_code="412015",
        name="勧興小学校",
        latitude=33.25,
        longitude=130.30,
    )
    park = Shelter.objects.create(
        common_id="E4120100003201",
        kind=Shelter.Kind.EMERGENCY_SITE,
        municipality_code="412015",
        name="どん3の森",
        latitude=33.26,
        longitude=130.30,
    )
    return [hall, school, park]


def test_shelter_export_matches_the_template(shelters: list[Shelter]) -> None:
    document = etree.fromstring(lalert.shelters_to_edxl(municipality_code="412015"))

    assert_envelope_like_samples(document, "lgdis_commons_shelter.xml")
    assert document.nsmap["pcx_sh"] == sample("lgdis_commons_shelter.xml").nsmap["pcx_sh"]
    assert text(document, "commons:contentObject/commons:category") == "Shelter"
    assert text(document, "commons:contentObject/commons:documentRevision") == "2"
    assert text(document, "edxlde:distributionType") == "Update"
    body = document.find(".//pcx_sh:Shelter", NS)
    assert text(body, "pcx_sh:TotalNumberOfShelter") == "1"
    assert text(body, "pcx_sh:TotalNumber/pcx_sh:HeadCount") == "120"
    informations = body.findall("pcx_sh:Informations/pcx_sh:Information", NS)
    # Designated shelters always; an emergency site only once it was opened.
    assert [text(i, "pcx_sh:Location/commons:areaName") for i in informations] == [
        "佐賀市民会館",
        "勧興小学校",
    ]
    hall = informations[0]
    assert child_tags(hall) == [
        f"{{{lalert.PCX_SH}}}{tag}"
        for tag in (
            "Location",
            "Type",
            "Sort",
            "DateTime",
            "Capacity",
            "Status",
            "NumberOf",
            "CheckedDateTime",
        )
    ]
    assert text(hall, "pcx_sh:Location/edxlde:circle") == "33.255800,130.295800,0"
    assert text(hall, "pcx_sh:Type") == "避難所"
    assert text(hall, "pcx_sh:Sort") == "開設"
    assert text(hall, "pcx_sh:Status") == "空き"
    assert text(hall, "pcx_sh:Capacity") == "500"
    assert text(hall, "pcx_sh:NumberOf/pcx_sh:HeadCount") == "120"
    assert text(informations[1], "pcx_sh:Sort") == "未開設"
    assert text(informations[1], "pcx_sh:Status") == "不明"


def test_shelter_export_of_an_unknown_municipality_fails(db: None) -> None:
    with pytest.raises(lalert.LAlertExportError):
        lalert.shelters_to_edxl(municipality_code="999999")


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 302),
        ("resident", 403),
        ("staff_without", 403),
        ("karatsu_approver", 403),
        ("approver", 200),
    ],
)
def test_downloads_are_for_staff_with_the_permission(
    make_order: Any,
    approver: User,
    actor: str,
    status: int,
    request: pytest.FixtureRequest,
    client: Client,
) -> None:
    order = make_order(state="published", approved_by=approver)
    if actor != "anonymous":
        client.force_login(request.getfixturevalue(actor))

    for url in (
        f"/disaster/lalert/evacuation/{order.pk}.xml",
        "/disaster/lalert/shelters/412015.xml",
    ):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 200:
            assert response["Content-Disposition"].startswith("attachment;")
            assert etree.fromstring(response.content).tag == f"{{{EDXL}}}EDXLDistribution"


def test_download_of_a_draft_is_404(make_order: Any, approver: User, client: Client) -> None:
    order = make_order()
    client.force_login(approver)
    assert client.get(f"/disaster/lalert/evacuation/{order.pk}.xml").status_code == 404
