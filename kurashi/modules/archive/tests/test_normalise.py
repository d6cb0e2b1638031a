import pytest

from kurashi.modules.archive.eras import era_of, kanji_number, year_from_text
from kurashi.modules.archive.normalise import (
    VARIANTS,
    index_terms,
    normalise,
    query_terms,
    query_variants,
)

# The 21 old-form pairs named in the reference (§3.1), each folded to the same key.
REFERENCE_PAIRS = [
    ("國家", "国家"),
    ("學校", "学校"),
    ("藏書", "蔵書"),
    ("圖書館", "図書館"),
    ("傳説", "伝説"),
    ("繪卷", "絵巻"),
    ("澤", "沢"),
    ("邊", "辺"),
    ("濱", "浜"),
    ("廣島", "広島"),
    ("龍", "竜"),
    ("來年", "来年"),
    ("歸國", "帰国"),
    ("聲", "声"),
    ("淺草", "浅草"),
    ("縣", "県"),
    ("驛", "駅"),
    ("體", "体"),
    ("氣", "気"),
    ("萬", "万"),
    ("與", "与"),
    ("嶋", "島"),
]


@pytest.mark.parametrize(("old", "new"), REFERENCE_PAIRS)
def test_old_and_variant_kanji_fold_to_the_new_form(old: str, new: str) -> None:
    assert normalise(old) == normalise(new) == new


def test_variant_table_maps_to_different_characters_only() -> None:
    assert len(VARIANTS) > 250
    assert all(old != new and len(old) == len(new) == 1 for old, new in VARIANTS.items())


def test_kana_width_case_and_digraphs_are_unified() -> None:
    assert normalise("フリュウ") == normalise("ふりゅう") == "ふりゅう"
    assert normalise("ﾌﾘｭｳ") == "ふりゅう"
    assert normalise("御本丸ゟ申来") == "御本丸より申来"  # ゟ (U+309F) by NFKC
    assert normalise("ＳＡＧＡ") == "saga"
    assert normalise("吉野ヶ里") == normalise("吉野ケ里") == normalise("吉野け里")


def test_historical_kana_and_iteration_marks_are_folded() -> None:
    assert normalise("ゐた") == "いた"
    assert normalise("ゑひもせす") == "えひもせす"
    assert normalise("ヰスキー") == "いすきー"
    assert normalise("人々") == "人人"
    assert normalise("すゝむ") == "すすむ"
    assert normalise("いすゞ") == "いすず"


def test_one_and_two_character_queries_have_terms() -> None:
    assert query_terms("河") == ["河"]
    assert query_terms("河童") == ["河童"]
    assert query_terms("佐賀の河童") == ["佐賀", "賀の", "の河", "河童"]
    assert set(index_terms("河童")) == {"河", "童", "河童"}


def test_romaji_queries_get_a_kana_variant() -> None:
    assert query_variants("kappa") == ["kappa", "かっぱ"]
    assert query_variants("Furyuu") == ["furyuu", "ふりゅう"]
    assert query_variants("佐賀") == ["佐賀"]
    assert query_variants("  ") == []


@pytest.mark.parametrize(
    ("written", "year"),
    [
        ("明治十年", 1877),
        ("明治元年", 1868),
        ("大正十二年九月", 1923),
        ("昭和58年", 1983),
        ("1983（昭和58）年5月10日", 1983),
        ("天保三年", 1832),
        ("令和六年", 2024),
        ("平成三十一年", 2019),
        ("慶長五年", 1600),
        ("１９３１年", 1931),
        ("江戸時代後期", None),
        ("", None),
    ],
)
def test_era_dates_as_written_give_the_western_year(written: str, year: int | None) -> None:
    assert year_from_text(written) == year


def test_kanji_numbers_and_eras() -> None:
    assert kanji_number("二十三") == 23
    assert kanji_number("五八") == 58
    assert kanji_number("百二") == 102
    assert kanji_number("abc") is None
    assert era_of(1877) == "meiji"
    assert era_of(1926) == "showa"
    assert era_of(1700) == "edo"
    assert era_of(None) == ""
