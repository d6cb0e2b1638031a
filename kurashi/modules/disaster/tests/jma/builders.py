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
    body = f"""
<Warning type="気象警報・注意報（府県予報区等）"><Item><Kind><Name>雷注意報</Name><Code>14</Code><Status>発表</Status></Kind>
<Area><Name>佐賀県</Name><Code>410000</Code></Area></Item></Warning>
<Warning type="気象警報・注意報（市町村等）">{"".join(items)}</Warning>
"""
    return _vpww53(
        report_datetime, status=status, info_type=info_type, headline=headline, body=body
    )


# A kind in a Saga bulletin: (name, code, status) or (name, code, status, condition).
KindSpec = tuple[str, ...]
NOTHING: tuple[KindSpec, ...] = (("", "", "発表警報・注意報はなし"),)


def _kind_xml(spec: KindSpec) -> str:
    name, code, status, *rest = spec
    condition = rest[0] if rest else ""
    named = f"<Name>{escape(name)}</Name><Code>{code}</Code>" if name else ""
    qualified = f"<Condition>{escape(condition)}</Condition>" if condition else ""
    return f"<Kind>{named}<Status>{status}</Status>{qualified}</Kind>"


def _union(specs: list[KindSpec]) -> tuple[KindSpec, ...]:
    """The kinds of a group of areas (JMA lists every kind in force anywhere in the group)."""
    seen: dict[str, KindSpec] = {}
    for spec in specs:
        if spec[0] and spec[2] in {"発表", "継続"} and spec[0] not in seen:
            seen[spec[0]] = spec
    return tuple(seen.values()) or NOTHING


def saga_bulletin(
    *,
    report_datetime: str,
    kinds: dict[str, list[KindSpec]],
    headline: str = "",
    status: str = "通常",
    info_type: str = "発表",
) -> bytes:
    """A VPWW53 of 佐賀地方気象台 in JMA's full layout, as the official sample
    official_15_14_01_170216_VPWW53.xml has it: the four Warning blocks (府県予報区 410000,
    一次細分区域 南部/北部, 市町村等をまとめた地域 ×6, 市町村等 ×20), each area's kinds with
    Status and Condition; a municipality without kinds is 「発表警報・注意報はなし」 (no Name), and
    so is a group where nothing is in force."""
    resolver = saga_resolver()
    municipalities = resolver.municipalities

    def specs(code: str) -> list[KindSpec]:
        return list(kinds.get(code) or NOTHING)

    def group_items(codes_by_group: dict[tuple[str, str], list[str]]) -> str:
        items = []
        for (group_code, group_name), codes in sorted(codes_by_group.items()):
            union = _union([spec for code in codes for spec in specs(code)])
            items.append(
                "<Item>"
                + "".join(_kind_xml(spec) for spec in union)
                + f"<Area><Name>{group_name}</Name><Code>{group_code}</Code></Area></Item>"
            )
        return "".join(items)

    class10: dict[tuple[str, str], list[str]] = {}
    class15: dict[tuple[str, str], list[str]] = {}
    for code, municipality in municipalities.items():
        class10.setdefault((municipality.class10, CLASS10_NAMES[municipality.class10]), []).append(
            code
        )
        class15.setdefault((municipality.class15, CLASS15_NAMES[municipality.class15]), []).append(
            code
        )
    municipal = "".join(
        "<Item>"
        + "".join(_kind_xml(spec) for spec in specs(code))
        + f"<Area><Name>{municipalities[code].name_ja}</Name>"
        f"<Code>{municipalities[code].class20}</Code></Area></Item>"
        for code in SAGA_CODES
    )
    body = (
        '<Warning type="気象警報・注意報（府県予報区等）">'
        + group_items({("410000", "佐賀県"): list(SAGA_CODES)})
        + '</Warning><Warning type="気象警報・注意報（一次細分区域等）">'
        + group_items(class10)
        + '</Warning><Warning type="気象警報・注意報（市町村等をまとめた地域等）">'
        + group_items(class15)
        + '</Warning><Warning type="気象警報・注意報（市町村等）">'
        + municipal
        + "</Warning>"
    )
    return _vpww53(
        report_datetime, status=status, info_type=info_type, headline=headline, body=body
    )


CLASS10_NAMES = {"410010": "南部", "410020": "北部"}
CLASS15_NAMES = {
    "410011": "佐賀多久地区",
    "410012": "鳥栖地区",
    "410013": "武雄地区",
    "410014": "鹿島地区",
    "410021": "唐津地区",
    "410022": "伊万里地区",
}


def _vpww53(
    report_datetime: str, *, status: str, info_type: str, headline: str, body: str
) -> bytes:
    """Control and Head of a VPWW53 of 佐賀地方気象台 around `body` (the Warning blocks)."""
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
<Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">{body}</Body></Report>""".encode()
