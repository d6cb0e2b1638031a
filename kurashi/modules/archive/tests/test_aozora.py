"""The Aozora parser and reading view: ruby (《》 and ｜), annotations, gaiji, headings, indents,
and the import of all 11 saved texts."""

import json

import pytest
from django.test import Client

from kurashi.modules.archive import aozora, imports
from kurashi.modules.archive.models import Item, ItemText
from kurashi.modules.archive.selectors import DATA_DIR

AOZORA = DATA_DIR / "aozora"


def parts(line: str) -> list[dict[str, str]]:
    return aozora.parse(f"題\n著者\n\n{line}\n").blocks[0]["parts"]


def test_ruby_attaches_to_the_preceding_kanji_run() -> None:
    assert parts("昔々、欄干《てすり》を見た") == [
        {"k": "t", "s": "昔々、"},
        {"k": "r", "s": "欄干", "rt": "てすり"},
        {"k": "t", "s": "を見た"},
    ]


def test_ruby_start_marker_sets_where_the_base_begins() -> None:
    assert parts("廣田村｜中條《なかすぢ》の") == [
        {"k": "t", "s": "廣田村"},
        {"k": "r", "s": "中條", "rt": "なかすぢ"},
        {"k": "t", "s": "の"},
    ]


def test_ruby_on_katakana_and_emphasis_and_notes() -> None:
    assert parts("カハワロ《河童》")[0] == {"k": "r", "s": "カハワロ", "rt": "河童"}
    assert parts("大事な言葉［＃「言葉」に傍点］です") == [
        {"k": "t", "s": "大事な"},
        {"k": "e", "c": "sesame", "s": "言葉"},
        {"k": "t", "s": "です"},
    ]
    assert {"k": "n", "s": "「芸たけで」は底本では「芸たけで」"} in parts(
        "芸たけで［＃「芸たけで」は底本では「芸たけで」］"
    )


def test_ruby_after_an_unresolved_gaiji_reads_the_gaiji() -> None:
    # 淡路人形座訪問: 小※［＃「くさかんむり／大／巳」、174-14］《つじ》 showed a raw 《つじ》
    line = "小※［＃「くさかんむり／大／巳」、174-14］《つじ》に捨つる"
    assert parts(line) == [
        {"k": "t", "s": "小"},
        {"k": "rg", "s": "「くさかんむり／大／巳」、174-14", "rt": "つじ"},
        {"k": "t", "s": "に捨つる"},
    ]
    html = aozora.render_html(aozora.parse(f"題\n著者\n\n{line}\n").blocks)
    assert "《" not in html
    assert "<rt>つじ</rt>" in html
    awaji = aozora.parse((AOZORA / "awaji_ningyoza.txt").read_text(encoding="utf-8"))
    assert "《つじ》" not in str(aozora.render_html(awaji.blocks))


def test_gaiji_resolves_jis_x_0213_and_unicode_positions() -> None:
    assert aozora.resolve_gaiji("二の字点、1-2-22") is None  # no 第3水準 marker: kept as a note
    assert aozora.resolve_gaiji("「さんずい＋猗」、第3水準1-87-6") == "漪"
    assert aozora.resolve_gaiji("「山／卒」、U+5D12、110-上-21") == "崒"
    assert parts("漣※［＃「さんずい＋猗」、第3水準1-87-6］《さざなみ》")[0] == {
        "k": "r",
        "s": "漣漪",
        "rt": "さざなみ",
    }
    assert parts("※［＃「てへん＋劣」、287-5］")[0] == {"k": "g", "s": "「てへん＋劣」、287-5"}


def test_headings_indents_page_breaks_and_kaeriten() -> None:
    parsed = aozora.parse(
        "題\n著者\n\n［＃５字下げ］一［＃「一」は中見出し］\n［＃ここから２字下げ］\n字下げの文\n"
        "［＃ここで字下げ終わり］\n［＃改ページ］\n未［＃レ］至［＃二］栄《サガ》城［＃一］\n"
    )
    kinds = [(block["kind"], block.get("indent")) for block in parsed.blocks]
    assert kinds == [("h3", 5), ("p", 2), ("hr", None), ("p", None)]
    assert {"k": "kaeri", "s": "レ"} in parsed.blocks[-1]["parts"]


def test_rendered_html_has_ruby_and_escapes_text() -> None:
    parsed = aozora.parse(
        "題\n著者\n\n<script>alert(1)</script>河童《かっぱ》［＃「河童」に傍点］\n"
    )
    html = aozora.render_html(parsed.blocks)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<ruby>河童<rp>（</rp><rt>かっぱ</rt><rp>）</rp></ruby>" in html


def test_header_legend_and_footer_are_separated() -> None:
    parsed = aozora.parse((AOZORA / "awaji_ningyoza.txt").read_text(encoding="utf-8"))
    assert (parsed.title, parsed.subtitle, parsed.author) == (
        "淡路人形座訪問",
        "（其の現状と由來）",
        "竹内勝太郎",
    )
    assert "【テキスト中に現れる記号について】" not in parsed.plain_text
    assert parsed.footer[0].startswith("底本：")
    assert any("入力" in line for line in parsed.footer)
    assert "國" in parsed.plain_text  # the original form is kept for display


@pytest.mark.django_db
def test_all_eleven_texts_import_render_and_import_again_idempotently(client: Client) -> None:
    index = json.loads((AOZORA / "index.json").read_text(encoding="utf-8"))
    report = imports.import_aozora_directory(AOZORA)
    items = list(Item.objects.filter(pk__in=report.items).order_by("pk"))
    assert len(items) == 11
    assert report.count("created") == 11
    assert {item.title for item in items} == {entry["title"] for entry in index}
    for item in items:
        text = ItemText.objects.get(item=item)
        entry = next(e for e in index if item.source_key == e["aozora_card"])
        # every 《》 of the body becomes ruby (the legend's examples are not counted)
        assert text.ruby_count >= entry["ruby_count"] - 5, item.title
        assert item.is_public
        page = client.get(f"/archive/items/{item.pk}/read/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "<rt>" in body or entry["ruby_count"] < 5
        assert "［＃" not in body.split('class="archive-text__footer"')[0] or "aozora-note" in body
        assert entry["teihon"].split("、")[0].strip("「」") in body or "底本" in body
    momotaro = next(item for item in items if item.title == "桃太郎")
    page = client.get(f"/archive/items/{momotaro.pk}/read/").content.decode()
    assert "<ruby>家来<rp>（</rp><rt>けらい</rt><rp>）</rp></ruby>" in page
    again = imports.import_aozora_directory(AOZORA)
    assert sorted(again.items) == [item.pk for item in items]
    assert again.count("unchanged") == 11
    assert Item.objects.count() == 11


@pytest.mark.django_db
def test_reading_view_switches_to_vertical_writing_with_ruby(client: Client) -> None:
    imports.import_aozora_file(
        AOZORA / "momotaro.txt", collection=imports.aozora_collection(), metadata={}
    )
    item = Item.objects.get(title="桃太郎")
    horizontal = client.get(f"/archive/items/{item.pk}/read/").content.decode()
    assert "archive-text--vertical" not in horizontal
    assert "?mode=vertical" in horizontal
    vertical = client.get(f"/archive/items/{item.pk}/read/?mode=vertical").content.decode()
    assert 'class="archive-text archive-text--vertical"' in vertical
    assert 'tabindex="0" role="region"' in vertical  # the scrolling text is reachable by keyboard
    assert "<ruby>家来<rp>（</rp><rt>けらい</rt><rp>）</rp></ruby>" in vertical
    assert "?mode=horizontal" in vertical
