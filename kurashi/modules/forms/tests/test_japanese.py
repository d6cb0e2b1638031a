"""Japanese input rules (requirement 29): フリガナ, 和暦/西暦, phone, 郵便番号, 法人番号 with the
check-digit vectors of citizen-services.md §2.1, NFKC normalisation of digits."""

from datetime import date

import pytest

from kurashi.modules.forms import japanese
from kurashi.modules.forms.japanese import InputError


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("サガ ハナコ", "サガ ハナコ"),
        ("さが", "サガ"),  # hiragana becomes katakana
        ("ｻｶﾞ", "サガ"),  # half-width kana widened by NFKC
        ("ヴァイオリン", "ヴァイオリン"),
        ("サガ　ハナコ", "サガ ハナコ"),
    ],
)
def test_furigana_is_full_width_katakana(typed, expected):
    assert japanese.clean_furigana(typed) == expected


@pytest.mark.parametrize("typed", ["佐賀", "saga", "サガ1", "<script>"])
def test_furigana_refuses_anything_but_kana(typed):
    with pytest.raises(InputError, match="カタカナ"):
        japanese.clean_furigana(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("令和8年12月6日", date(2026, 12, 6)),
        ("R8.12.6", date(2026, 12, 6)),
        ("ｒ８．１２．６", date(2026, 12, 6)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("2026-12-06", date(2026, 12, 6)),
        ("２０２６／１２／６", date(2026, 12, 6)),
        ("2026年12月6日", date(2026, 12, 6)),
    ],
)
def test_dates_in_wareki_and_seireki(typed, expected):
    assert japanese.clean_date(typed) == expected


@pytest.mark.parametrize(
    "typed", ["平成31年5月1日", "昭和64年1月8日", "令和0年1月1日", "2026-02-30", "明日"]
)
def test_impossible_dates_are_refused(typed):
    with pytest.raises(InputError):
        japanese.clean_date(typed)


def test_to_wareki_writes_gannen():
    assert japanese.to_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert japanese.to_wareki(date(2026, 12, 6)) == "令和8年12月6日"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0952-24-2111", "0952242111"),
        ("０９０－１２３４－５６７８", "09012345678"),
        ("+81 90 1234 5678", "09012345678"),
    ],
)
def test_phone_numbers(typed, expected):
    assert japanese.clean_phone(typed) == expected


@pytest.mark.parametrize("typed", ["12345", "1952242111", "090-1234-5678-9"])
def test_bad_phone_numbers(typed):
    with pytest.raises(InputError):
        japanese.clean_phone(typed)


def test_postal_codes():
    assert japanese.clean_postal_code("〒840-8570") == "8408570"
    assert japanese.clean_postal_code("８４０８５７０") == "8408570"
    with pytest.raises(InputError):
        japanese.clean_postal_code("840-857")


@pytest.mark.parametrize(
    "number",
    [
        "7000012050002",
        "1000011000005",
        "1000012010003",
        "8000020130001",
        "4011001098993",
        "2120901007402",
        "7123456789012",
    ],
)
def test_valid_corporate_numbers(number):
    assert japanese.clean_corporate_number(number) == number


def test_corporate_number_accepts_full_width_hyphens_and_invoice_prefix():
    assert (
        japanese.clean_corporate_number("７０００−０１２０−５０００２".replace("−", "-"))
        == "7000012050002"
    )
    assert japanese.clean_corporate_number("T7000012050002") == "7000012050002"


@pytest.mark.parametrize("number", ["2835678256246", "7000012050003", "700001205000"])
def test_invalid_corporate_numbers(number):
    with pytest.raises(InputError):
        japanese.clean_corporate_number(number)
