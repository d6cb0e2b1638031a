"""OAI-PMH 2.0: a real harvester (sickle, over HTTP) pages through every record with resumption
tokens and sees deletions; every error code; formats, sets, dates, POST, escaping."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree
from sickle import Sickle

from kurashi.modules.archive import services
from kurashi.modules.archive.models import Item
from kurashi.modules.archive.tests.factories import make_collection, make_item
from kurashi.modules.archive.views.oai import oai_identifier

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}


def oai(client: Client, **params: str) -> etree._Element:
    response = client.get("/archive/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return etree.fromstring(response.content)


def error_code(root: etree._Element) -> str | None:
    errors = root.xpath("o:error/@code", namespaces=NS)
    return str(errors[0]) if errors else None


def build_repository() -> tuple[list[Item], list[Item]]:
    """7 public items in two sets, a deleted and a withdrawn one (tombstones), and a draft."""
    minwa = make_collection("minwa", title_ja="民話")
    ezu = make_collection("ezu", title_ja="絵図")
    public = [make_item(f"民話{n}", collection=minwa, creators=["語り手"]) for n in range(4)]
    public += [make_item(f"絵図{n}", collection=ezu) for n in range(3)]
    deleted = make_item("消した資料", collection=minwa)
    services.delete_item(actor=None, item=deleted)
    withdrawn = make_item("取り下げた資料", collection=ezu)
    services.withdraw_item(actor=None, item=withdrawn)
    make_item("下書き", collection=minwa, publish=False)
    return public, [deleted, withdrawn]


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_every_record_through_resumption_tokens(
    live_server: object, settings: object
) -> None:
    settings.ARCHIVE_OAI_PAGE_SIZE = 3  # type: ignore[attr-defined]
    public, gone = build_repository()
    harvester = Sickle(f"{live_server.url}/archive/oai", max_retries=1, timeout=20)  # type: ignore[attr-defined]
    records = list(harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    identifiers = [record.header.identifier for record in records]
    assert len(identifiers) == len(set(identifiers)) == 9  # 3 pages of 3
    assert set(identifiers) == {oai_identifier(item) for item in public + gone}
    deleted = {record.header.identifier for record in records if record.header.deleted}
    assert deleted == {oai_identifier(item) for item in gone}
    titles = {record.metadata["title"][0] for record in records if not record.header.deleted}
    assert titles == {item.title for item in public}

    headers = list(
        harvester.ListIdentifiers(metadataPrefix="dcndl_simple", set="minwa", ignore_deleted=False)
    )
    assert len(headers) == 5  # 4 public + 1 deleted in the minwa set
    record = harvester.GetRecord(identifier=oai_identifier(public[0]), metadataPrefix="oai_dc")
    assert record.metadata["creator"] == ["語り手"]
    assert {s.setSpec for s in harvester.ListSets()} == {"minwa", "ezu"}
    identify = harvester.Identify()
    assert identify.deletedRecord == "persistent"
    assert identify.protocolVersion == "2.0"
    assert {f.metadataPrefix for f in harvester.ListMetadataFormats()} == {"oai_dc", "dcndl_simple"}


@pytest.mark.django_db
def test_last_page_has_an_empty_token_and_tokens_are_idempotent(
    client: Client, settings: object
) -> None:
    settings.ARCHIVE_OAI_PAGE_SIZE = 4  # type: ignore[attr-defined]
    build_repository()
    first = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.xpath("//o:resumptionToken", namespaces=NS)[0]
    assert token.get("completeListSize") == "9"
    assert token.get("cursor") == "0"
    again = client.get("/archive/oai", {"verb": "ListIdentifiers", "resumptionToken": token.text})
    twice = client.get("/archive/oai", {"verb": "ListIdentifiers", "resumptionToken": token.text})
    strip = lambda body: body.split(b"</responseDate>")[1]  # noqa: E731
    assert strip(again.content) == strip(twice.content)
    second = etree.fromstring(again.content)
    next_token = second.xpath("//o:resumptionToken", namespaces=NS)[0]
    last = oai(client, verb="ListIdentifiers", resumptionToken=next_token.text)
    final = last.xpath("//o:resumptionToken", namespaces=NS)[0]
    assert final.text is None
    assert final.get("cursor") == "8"
    assert len(last.xpath("//o:header", namespaces=NS)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "ListEverything"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": "oai:kurashi.localhost:1"}, "badArgument"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2020-01-01",
                "until": "2030-01-01T00:00:00Z",
            },
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {
                "verb": "GetRecord",
                "identifier": "oai:kurashi.localhost:999999",
                "metadataPrefix": "oai_dc",
            },
            "idDoesNotExist",
        ),
        (
            {"verb": "GetRecord", "identifier": "urn:other:1", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
        ),
        (
            {"verb": "ListMetadataFormats", "identifier": "oai:kurashi.localhost:999999"},
            "idDoesNotExist",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "no-such-set"},
            "noRecordsMatch",
        ),
    ],
)
def test_error_codes(client: Client, params: dict[str, str], code: str) -> None:
    build_repository()
    root = oai(client, **params)
    assert error_code(root) == code
    request = root.xpath("o:request", namespaces=NS)[0]
    if code in {"badVerb", "badArgument"}:
        assert dict(request.attrib) == {}
    assert request.text.endswith("/archive/oai")


@pytest.mark.django_db
def test_repeated_argument_is_a_bad_argument(client: Client) -> None:
    response = client.get(
        "/archive/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc"
    )
    assert error_code(etree.fromstring(response.content)) == "badArgument"


@pytest.mark.django_db
def test_deleted_record_has_no_metadata_formats_and_getrecord_reports_deletion(
    client: Client,
) -> None:
    _public, gone = build_repository()
    assert (
        error_code(oai(client, verb="ListMetadataFormats", identifier=oai_identifier(gone[0])))
        == "noMetadataFormats"
    )
    root = oai(
        client, verb="GetRecord", identifier=oai_identifier(gone[0]), metadataPrefix="oai_dc"
    )
    header = root.xpath("//o:header", namespaces=NS)[0]
    assert header.get("status") == "deleted"
    assert not root.xpath("//o:metadata", namespaces=NS)


@pytest.mark.django_db
def test_no_set_hierarchy_without_collections(client: Client) -> None:
    assert error_code(oai(client, verb="ListSets")) == "noSetHierarchy"
    assert (
        error_code(oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="minwa"))
        == "noSetHierarchy"
    )


@pytest.mark.django_db
def test_dates_filter_inclusively_and_changes_move_the_datestamp(client: Client) -> None:
    public, _gone = build_repository()
    later = timezone.now() + timedelta(seconds=5)
    Item.objects.filter(pk=public[0].pk).update(modified_at=later)
    stamp = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": stamp})
    assert [e.text for e in root.xpath("//o:identifier", namespaces=NS)] == [
        oai_identifier(public[0])
    ]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=stamp)
    assert len(root.xpath("//o:header", namespaces=NS)) == 9
    before = Item.objects.get(pk=public[1].pk).modified_at
    services.withdraw_item(actor=None, item=public[1])
    assert Item.objects.get(pk=public[1].pk).modified_at > before


@pytest.mark.django_db
def test_post_is_accepted_and_metadata_is_escaped(client: Client) -> None:
    hostile = '<script>alert("x")</script> & 河童'
    item = make_item(hostile, description="]]><evil/>", subjects=["<b>bold</b>"])
    response = client.post(
        "/archive/oai",
        {"verb": "GetRecord", "identifier": oai_identifier(item), "metadataPrefix": "oai_dc"},
    )
    assert b"<script>" not in response.content
    assert b"<evil/>" not in response.content
    root = etree.fromstring(response.content)
    assert root.xpath("//dc:title/text()", namespaces=NS)[0] == hostile
    assert root.xpath("//dc:description/text()", namespaces=NS)[0] == "]]><evil/>"


@pytest.mark.django_db
def test_identify_and_dcndl_simple_carry_readings(client: Client) -> None:
    item = make_item(
        "面浮立", title_reading="めんぶりゅう", creators=["保存会"], creators_reading=["ほぞんかい"]
    )
    root = oai(client, verb="Identify")
    assert root.xpath("//o:deletedRecord/text()", namespaces=NS) == ["persistent"]
    assert root.xpath("//o:granularity/text()", namespaces=NS) == ["YYYY-MM-DDThh:mm:ssZ"]
    root = oai(
        client, verb="GetRecord", identifier=oai_identifier(item), metadataPrefix="dcndl_simple"
    )
    ns = {"dcndl": "http://ndl.go.jp/dcndl/terms/"}
    assert root.xpath("//dcndl:titleTranscription/text()", namespaces=ns) == ["めんぶりゅう"]
    assert root.xpath("//dcndl:creatorTranscription/text()", namespaces=ns) == ["ほぞんかい"]


@pytest.mark.django_db
def test_repeated_verb_is_a_bad_verb(client: Client) -> None:
    root = oai(client, verb=["Identify", "ListSets"])  # type: ignore[arg-type]
    assert error_code(root) == "badVerb"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        ("http://127.0.0.1:8000", "kurashi.localhost"),
        ("http://localhost:8000", "kurashi.localhost"),
        ("https://archive.pref.saga.example", "archive.pref.saga.example"),
    ],
)
def test_repository_identifier_is_valid_by_default(
    client: Client, settings: object, site_url: str, expected: str
) -> None:
    settings.SITE_URL = site_url  # type: ignore[attr-defined]
    root = oai(client, verb="Identify")
    ns = {"i": "http://www.openarchives.org/OAI/2.0/oai-identifier", **NS}
    identifier = root.xpath("//i:repositoryIdentifier/text()", namespaces=ns)[0]
    assert identifier == expected
    # the oai-identifier schema's pattern for repositoryIdentifier
    assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+", identifier)


@pytest.mark.django_db
def test_embargoed_items_are_not_reported_as_deleted(client: Client) -> None:
    """An embargo holds an item back for a while; it is not a deletion (harvesters such as NDL
    Search drop deleted records). Withdrawal and deletion are still reported as deletions."""
    held = make_item("公開保留の資料")
    services.embargo_item(actor=None, item=held, until=timezone.localdate() + timedelta(days=30))
    withdrawn = make_item("取り下げた資料")
    services.withdraw_item(actor=None, item=withdrawn)
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    deleted = set(root.xpath("//o:header[@status='deleted']/o:identifier/text()", namespaces=NS))
    listed = set(root.xpath("//o:header/o:identifier/text()", namespaces=NS))
    assert oai_identifier(held) not in listed
    assert deleted == {oai_identifier(withdrawn)}
    record = oai(client, verb="GetRecord", identifier=oai_identifier(held), metadataPrefix="oai_dc")
    assert error_code(record) == "idDoesNotExist"
