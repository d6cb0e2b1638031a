"""Japanese search on the real corpus: the 11 Aozora texts, Saga IIIF labels and curated items,
with a judged query set (MRR and nDCG@3 thresholds), 1–2-character queries, readings in
hiragana/katakana/romaji, old/variant kanji, ruby both ways, facets and visibility."""

import json
import math
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import connection

from kurashi.core.models import Municipality
from kurashi.core.services import load_municipalities
from kurashi.modules.archive import imports, services
from kurashi.modules.archive.models import Collection, Item
from kurashi.modules.archive.rights import Rights
from kurashi.modules.archive.selectors import DATA_DIR, SearchFilters, search
from kurashi.modules.archive.tests.factories import make_collection, make_item

AWAJI = "淡路人形座訪問（其の現状と由來）"
ULSAN = {"朝鮮蔚山攻城図（第一図全体）": 3, "朝鮮蔚山攻城図（第一図１扇部分）": 3}
MAPS = {"西海道九ヶ国壱岐対馬絵図": 3, "杵島郡村図本部村 本宿絵図面(3)": 3}
KISHIMA = {
    "杵島郡村図堤村 (1)": 3,
    "杵島郡村図鳥海村 (4)": 3,
    "杵島郡村図佐留志村 (2)": 3,
    "杵島郡村図本部村 本宿絵図面(3)": 3,
    "杵島郡村図大日村、永島村、片白村 (2)": 3,
}
TAMESHIGE = {
    "為重村之内字二本谷全図": 3,
    "為重村ノ内字二本杉全図": 3,
    "為重村之内字竜王屋敷全図": 3,
    "為重村ノ内字四本谷全図字松丸屋敷": 3,
    "為重村ノ内字大神丸搦上下分土井外全図": 3,
}
HIKYAKU = {"大坂へ飛脚被差越候事": 3, "右同断、江戸へ飛脚被差立候事": 3}
MATSUHIME = {"松姫様御着帯御祝之事": 3, "右ニ付松姫様御使者事": 3, "直員公へ松姫様ヨリ御祝物事": 3}
HIZEN = {"破れわらじ": 3, "増長天王": 3, "松浦あがた": 2, "日本の伝説": 1}
ARITA = {"北九州の窯": 3, "松浦あがた": 2, "増長天王": 1}
IMARI = {
    "松浦郡伊万里郷今岳村白野分図": 3,
    "北九州の窯": 3,
    "増長天王": 2,
    "松浦あがた": 2,
    "日本の伝説": 1,
}

# The judged query set (issue 17, point 9): query → {title: graded relevance (3 = what the
# user looks for, 2 = about it too, 1 = mentions it)}, written for this corpus by reading the
# texts and labels — not from the engine's answers (some queries are missed, see THRESHOLDS).
# Kinds: 1–2 characters, readings in hiragana, katakana and romaji, variant (old) kanji,
# historical kana and ゟ, phrases.
JUDGED: dict[str, dict[str, int]] = {
    # 1–2 characters
    "河童": {"河童の話": 3},
    "猫": {"猫の草紙": 3},
    "鬼": {"桃太郎": 3},
    "窯": {"北九州の窯": 3, "増長天王": 2},
    "淡路": {AWAJI: 3},
    "人形": {AWAJI: 3},
    "松浦": {"松浦あがた": 3},
    "伝説": {"日本の伝説": 3},
    "浮立": {"面浮立": 3},
    "行乞": {"行乞記（二）": 3},
    "蔚山": ULSAN,
    "原城": {"原城攻防図": 3},
    "絵図": MAPS,
    "飛脚": HIKYAKU,
    "松姫": MATSUHIME,
    "乙姫": {"浦島太郎": 3, "日本の伝説": 1},
    "有田": ARITA,
    # readings in hiragana
    "かっぱ": {"河童の話": 3},
    "ももたろう": {"桃太郎": 3},
    "うらしま": {"浦島太郎": 3},
    "ねこ": {"猫の草紙": 3},
    "あわじ": {AWAJI: 3},
    "にんぎょう": {AWAJI: 3},
    "ありたやき": ARITA,
    "まつら": {"松浦あがた": 3},
    "でんせつ": {"日本の伝説": 3},
    "ふりゅう": {"面浮立": 3},
    "めんぶりゅう": {"面浮立": 3},
    "さがにしき": {"佐賀錦の織り方": 3},
    "ひぜん": HIZEN,
    "けらい": {"桃太郎": 3},
    "りゅうぐう": {"浦島太郎": 3},
    "たまてばこ": {"浦島太郎": 3},
    "ためしげ": TAMESHIGE,
    "きしまぐん": KISHIMA,
    "ひきゃく": HIKYAKU,
    "まつひめ": MATSUHIME,
    "うれしの": {"行乞記（二）": 3},
    "なべしま": {"増長天王": 3, "北九州の窯": 2},
    "いまり": IMARI,
    "ぞうちょうてん": {"増長天王": 3},
    "はらじょう": {"原城攻防図": 3},
    "みんぞくげいのう": {"面浮立": 3},
    "さんとうか": {"行乞記（二）": 3},
    # readings in katakana
    "カッパ": {"河童の話": 3},
    "モモタロウ": {"桃太郎": 3},
    "ウラシマ": {"浦島太郎": 3},
    "フリュウ": {"面浮立": 3},
    "アリタヤキ": ARITA,
    "ヒゼン": HIZEN,
    "マツラ": {"松浦あがた": 3},
    "サガニシキ": {"佐賀錦の織り方": 3},
    # readings in romaji
    "kappa": {"河童の話": 3},
    "momotarou": {"桃太郎": 3},
    "momotaro": {"桃太郎": 3},
    "urashima": {"浦島太郎": 3},
    "furyuu": {"面浮立": 3},
    "aritayaki": ARITA,
    "hizen": HIZEN,
    "saganishiki": {"佐賀錦の織り方": 3},
    "matsura": {"松浦あがた": 3},
    # variant (old) kanji
    "傳説": {"日本の伝説": 3},
    "由來": {AWAJI: 3},
    "由来": {AWAJI: 3},
    "增長天王": {"増長天王": 3},
    "龍宮": {"浦島太郎": 3},
    "繪圖": MAPS,
    # historical kana and ゟ
    "かはわろ": {"河童の話": 3},
    "江戸より": {"上屋敷便ニて江戸ゟ文箱到来事": 3},
    "江戸ゟ": {"上屋敷便ニて江戸ゟ文箱到来事": 3},
    # phrases
    "有田焼": ARITA,
    "猫の草紙": {"猫の草紙": 3},
    "浦島太郎": {"浦島太郎": 3},
    "日本の伝説": {"日本の伝説": 3},
    "淡路人形座": {AWAJI: 3},
    "北九州の窯": {"北九州の窯": 3},
    "佐賀錦の織り方": {"佐賀錦の織り方": 3},
    "杵島郡": KISHIMA,
    "為重村": TAMESHIGE,
    "増長天王": {"増長天王": 3},
    "破れわらじ": {"破れわらじ": 3},
    "玉手箱": {"浦島太郎": 3},
    "民俗芸能": {"面浮立": 3},
    "山頭火": {"行乞記（二）": 3},
}
# What the judged set must reach on SQLite and PostgreSQL alike (measured 0.952 / 0.968 / 0.974
# on both; the engine before issue 17 reached 0.833 / 0.849 / 0.866 on the same set)
THRESHOLDS = {"hit@1": 0.94, "mrr": 0.95, "ndcg@5": 0.95}


@pytest.fixture(scope="module")
def corpus(django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Imported once for the module (3 s), removed afterwards."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        loaded_municipalities = not Municipality.objects.exists()
        if loaded_municipalities:
            load_municipalities()
        imports.import_aozora_directory(DATA_DIR / "aozora")
        data = json.loads((DATA_DIR / "iiif" / "saga_univ_ogi_nikki_first60.json").read_text())
        ogi = make_collection("ogi-nikki", title_ja="小城藩日記")
        imports.import_iiif_collection(data, collection=ogi, default_rights=Rights.CC_BY_NC_SA)
        data = json.loads((DATA_DIR / "iiif" / "saga_pref_library_first60.json").read_text())
        ezu = make_collection("sagalibdb", title_ja="佐賀県立図書館データベース")
        imports.import_iiif_collection(data, collection=ezu, default_rights=Rights.PDM)
        geino = make_collection("geino", title_ja="民俗芸能")
        make_item(
            "面浮立",
            collection=geino,
            title_reading="めんぶりゅう",
            type=Item.Type.PERFORMANCE,
            subjects=["浮立", "民俗芸能"],
            municipality=Municipality.objects.get(code="412074"),
            preserving_group="保存会",
            date_text="令和六年",
        )
        make_item(
            "佐賀錦の織り方",
            collection=geino,
            subjects=["佐賀錦"],
            rights=Rights.PDL,
            date_text="昭和五十年",
            municipality=Municipality.objects.get(code="412015"),
        )
        make_item("下書きの河童", collection=geino, publish=False)
        hidden = make_item("削除した河童", collection=geino)
        services.delete_item(actor=None, item=hidden)
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        Item.objects.all().delete()
        Collection.objects.all().delete()
        if loaded_municipalities:
            Municipality.objects.all().delete()


def titles(query: str, **filters: str) -> list[str]:
    result = search(query, filters=SearchFilters(**filters))
    return [card.title for card in result.items]


def ndcg_at_5(ranked: list[str], judged: dict[str, int], counts: dict[str, int]) -> float:
    """nDCG@5 with graded relevance; a judged title held by several items (labels repeat in
    the Ogi diaries) is as many relevant items."""
    gains = [judged.get(title, 0) for title in ranked[:5]]
    dcg = sum(gain / math.log2(position + 2) for position, gain in enumerate(gains))
    ideal_gains = sorted(
        (grade for title, grade in judged.items() for _ in range(max(counts.get(title, 1), 1))),
        reverse=True,
    )[:5]
    ideal = sum(gain / math.log2(position + 2) for position, gain in enumerate(ideal_gains))
    return dcg / ideal


def judged_figures() -> tuple[dict[str, float], list[tuple[str, list[str]]]]:
    """hit@1, MRR and nDCG@5 of the judged set, and the queries whose first hit is not one
    of the most relevant items."""
    counts = Counter(Item.objects.filter(is_deleted=False).values_list("title", flat=True))
    hits, reciprocal_ranks, ndcgs, misses = [], [], [], []
    for query, judged in JUDGED.items():
        ranked = titles(query)
        top = max(judged.values())
        rank = next(
            (number for number, title in enumerate(ranked, 1) if judged.get(title) == top), None
        )
        hits.append(rank == 1)
        reciprocal_ranks.append(1 / rank if rank else 0.0)
        ndcgs.append(ndcg_at_5(ranked, judged, counts))
        if rank != 1:
            misses.append((query, ranked[:3]))
    count = len(JUDGED)
    figures = {
        "hit@1": sum(hits) / count,
        "mrr": sum(reciprocal_ranks) / count,
        "ndcg@5": sum(ndcgs) / count,
    }
    return figures, misses


def test_judged_query_set_is_large_and_varied() -> None:
    assert len(JUDGED) >= 60
    assert sum(1 for query in JUDGED if len(query) <= 2) >= 10
    assert sum(1 for query in JUDGED if query.isascii()) >= 8  # romaji
    assert sum(1 for query in JUDGED if re.fullmatch(r"[ァ-ヶー]+", query)) >= 5  # katakana


def test_judged_queries_reach_the_thresholds(corpus: None, db: None) -> None:
    figures, misses = judged_figures()
    for name, threshold in THRESHOLDS.items():
        assert figures[name] >= threshold, (connection.vendor, name, figures, misses)


@pytest.mark.parametrize(
    ("query", "title", "absent"),
    [
        # issue 17: かっぱ returned 8 items, 7 without かっぱ (its bigrams anywhere)
        ("かっぱ", "河童の話", "淡路人形座訪問（其の現状と由來）"),
        # ありたやき found 5 items without the phrase and missed one that has 有田焼
        ("ありたやき", "北九州の窯", "日本の伝説"),
        # urashima: 9 of 10 hits were false (u-r, r-a, … anywhere in English and romaji)
        ("urashima", "浦島太郎", "松浦あがた"),
    ],
)
def test_phrases_match_adjacent_characters_only(
    corpus: None, db: None, query: str, title: str, absent: str
) -> None:
    found = titles(query)
    assert found[0] == title
    assert absent not in found
    best = search(query).items[0]
    assert [text for text, marked in best.snippet if marked], best.snippet  # shows where


def test_readings_find_kanji_text_and_snippets_mark_it(corpus: None, db: None) -> None:
    # さが and ひぜん found 7 and 1 items against 277 and 8 for 佐賀 and 肥前
    assert set(titles("佐賀")) <= set(titles("さが"))
    assert set(titles("肥前")) == set(titles("ひぜん")) == set(titles("hizen"))
    card = next(card for card in search("かっぱ").items if card.title == "河童の話")
    assert ("河童", True) in card.snippet
    card = search("有田焼").items[0]
    assert ("有田焼", True) in card.snippet


def test_one_and_two_character_queries_find_items(corpus: None, db: None) -> None:
    assert "猫の草紙" in titles("猫")
    assert "河童の話" in titles("河童")
    assert "松浦あがた" in titles("佐賀")  # 佐賀 occurs in the text, 2 characters
    assert "桃太郎" in titles("鬼")


def test_old_and_new_kanji_queries_find_the_same_items(corpus: None, db: None) -> None:
    assert titles("國") == titles("国")
    assert titles("由來") == titles("由来")
    assert "淡路人形座訪問（其の現状と由來）" in titles("諸国")  # the text writes 諸國


def test_ruby_is_indexed_as_base_text_and_as_reading(corpus: None, db: None) -> None:
    assert "桃太郎" in titles("家来")  # 家来《けらい》 as printed
    assert "桃太郎" in titles("けらい")  # and by its reading
    assert "河童の話" in titles("かはわろ")  # 河童《カハワロ》: katakana ruby, hiragana query


def test_historical_kana_and_digraph_yori(corpus: None, db: None) -> None:
    assert "河童の話" in titles("いた")  # ゐた in 旧仮名
    found = titles("江戸より")
    assert any("江戸ゟ" in title for title in found), found


def test_drafts_and_deleted_items_are_not_found(corpus: None, db: None) -> None:
    found = titles("河童")
    assert "下書きの河童" not in found
    assert "削除した河童" not in found


def test_facets_count_and_filter(corpus: None, db: None) -> None:
    result = search("浮立")
    facet_types = {value.value: value.count for value in result.facets["type"]}
    assert facet_types == {"performance": 1}
    municipalities = {value.value: value.label for value in result.facets["municipality"]}
    assert municipalities == {"412074": "鹿島市"}
    assert {value.value for value in result.facets["era"]} == {"reiwa"}
    wide = search("の")
    assert sum(value.count for value in wide.facets["type"]) == wide.total
    assert titles("芸", type="performance") == ["面浮立"]
    assert titles("芸", municipality="412074") == ["面浮立"]
    assert titles("織", era="showa") == ["佐賀錦の織り方"]
    assert titles("の", rights="pdl-1.0") == ["佐賀錦の織り方"]
    assert titles("佐賀", collection="geino") == ["佐賀錦の織り方"]
    assert titles("の", type="performance") == []


def test_paging_is_stable_and_complete(corpus: None, db: None) -> None:
    first = search("の", page=1, page_size=5)
    second = search("の", page=2, page_size=5)
    assert first.total == second.total > 10
    assert not {card.pk for card in first.items} & {card.pk for card in second.items}


def test_search_takes_a_fixed_number_of_queries(
    corpus: None, db: None, django_assert_max_num_queries: object
) -> None:
    # PostgreSQL adds SAVEPOINT, SET LOCAL jit = off and RELEASE; the snippets take 4
    with django_assert_max_num_queries(12 if connection.vendor == "sqlite" else 15):  # type: ignore[operator]
        search("河童")


def test_empty_and_punctuation_queries_return_nothing(corpus: None, db: None) -> None:
    assert search("").total == 0
    assert search("、。！").total == 0
    assert connection.vendor in {"sqlite", "postgresql"}
