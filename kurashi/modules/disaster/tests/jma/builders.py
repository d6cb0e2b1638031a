"""Test documents derived from the fixtures (never stored): status/info-type variants, and Saga
VPWW53 messages in JMA's layout for the Saga entries of the real feed (whose data files are not
part of the fixture set)."""

import re
from pathlib import Path
from xml.sax.saxutils import escape

from kurashi.modules.disaster.jma.areas import saga_resolver

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "jma"
SAGA_CODES = sorted(saga_resolver().municipalities)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def all_fixture_names() -> list[str]:
    return sorted(path.name for path in FIXTURES.glob("*.xml"))


def variant(data: bytes, *, status: str | None = None, info_type: str | None = None) -> bytes:
    """The same message with Control/Status and/or Head/InfoType replaced."""
    text = data.decode("utf-8")
    if status is not None:
        text = re.sub(
            r"<Status>(通常|訓練|試験)</Status>", f"<Status>{status}</Status>", text, count=1
        )
    if info_type is not None:
        text = re.sub(
            r"<InfoType>[^<]*</InfoType>", f"<InfoType>{info_type}</InfoType>", text, count=1
        )
    return text.encode("utf-8")


def saga_vpww53(
    *,
    report_datetime: str,
    kinds: dict[str, list[tuple[str, str, str]]],
    status: str = "通常",
    info_type: str = "発表",
    headline: str = "",
) -> bytes:
    """A VPWW53 of 佐賀地方気象台 listing every municipality. kinds: 6-digit code → [(name, code,
    status)]; municipalities not given get 「発表警報・注意報はなし」."""
    municipalities = saga_resolver().municipalities
    items = []
    for code in SAGA_CODES:
        municipality = municipalities[code]
        entries = kinds.get(code) or [("", "", "発表警報・注意報はなし")]
        kind_xml = "".join(
            f"<Kind>{f'<Name>{escape(name)}</Name><Code>{kind_code}</Code>' if name else ''}"
            f"<Status>{kind_status}</Status></Kind>"
            for name, kind_code, kind_status in entries
        )
        items.append(
            f"<Item>{kind_xml}<Area><Name>{municipality.name_ja}</Name>"
            f"<Code>{municipality.class20}</Code></Area></Item>"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/" xmlns:jmx="http://xml.kishou.go.jp/jmaxml1/">
<Control><Title>気象特別警報・警報・注意報</Title><DateTime>{report_datetime[:19]}Z</DateTime>
<Status>{status}</Status><EditorialOffice>佐賀地方気象台</EditorialOffice>
<PublishingOffice>佐賀地方気象台</PublishingOffice></Control>
<Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">
<Title>佐賀県気象警報・注意報</Title><ReportDateTime>{report_datetime}</ReportDateTime>
<TargetDateTime>{report_datetime}</TargetDateTime><EventID/><InfoType>{info_type}</InfoType><Serial/>
<InfoKind>気象警報・注意報</InfoKind><InfoKindVersion>1.1_0</InfoKindVersion>
<Headline><Text>{escape(headline)}</Text></Headline></Head>
<Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">
<Warning type="気象警報・注意報（府県予報区等）"><Item><Kind><Name>雷注意報</Name><Code>14</Code><Status>発表</Status></Kind>
<Area><Name>佐賀県</Name><Code>410000</Code></Area></Item></Warning>
<Warning type="気象警報・注意報（市町村等）">{"".join(items)}</Warning>
</Body></Report>""".encode()
