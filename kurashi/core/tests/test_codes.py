import pytest

from kurashi.core.codes import check_digit, is_valid_code, to_code6
from kurashi.core.tests.saga import SAGA_CODES

# Σ digit × (6, 5, 4, 3, 2) over the first five digits, its remainder mod 11, and the check digit
# (11 - remainder) mod 10 -- worked out by hand for each of the 20 official codes.
WORKED_CHECK_DIGITS = [
    ("412015", 39, 6, "5"),  # 佐賀市
    ("412023", 41, 8, "3"),  # 唐津市
    ("412031", 43, 10, "1"),  # 鳥栖市 (remainder 10 → 1)
    ("412040", 45, 1, "0"),  # 多久市 (remainder 1 → 0)
    ("412058", 47, 3, "8"),  # 伊万里市
    ("412066", 49, 5, "6"),  # 武雄市
    ("412074", 51, 7, "4"),  # 鹿島市
    ("412082", 53, 9, "2"),  # 小城市
    ("412091", 55, 0, "1"),  # 嬉野市 (remainder 0 → 1)
    ("412104", 40, 7, "4"),  # 神埼市
    ("413275", 61, 6, "5"),  # 吉野ヶ里町
    ("413411", 55, 0, "1"),  # 基山町 (remainder 0 → 1)
    ("413453", 63, 8, "3"),  # 上峰町
    ("413461", 65, 10, "1"),  # みやき町 (remainder 10 → 1)
    ("413879", 79, 2, "9"),  # 玄海町
    ("414018", 47, 3, "8"),  # 有田町
    ("414239", 57, 2, "9"),  # 大町町
    ("414247", 59, 4, "7"),  # 江北町
    ("414255", 61, 6, "5"),  # 白石町
    ("414417", 59, 4, "7"),  # 太良町
]


def test_worked_table_lists_every_saga_municipality_once() -> None:
    assert tuple(code for code, *_ in WORKED_CHECK_DIGITS) == SAGA_CODES


@pytest.mark.parametrize(("code6", "weighted_sum", "remainder", "digit"), WORKED_CHECK_DIGITS)
def test_returns_check_digit_of_every_saga_code(
    code6: str, weighted_sum: int, remainder: int, digit: str
) -> None:
    assert sum(int(d) * w for d, w in zip(code6[:5], (6, 5, 4, 3, 2), strict=True)) == weighted_sum
    assert weighted_sum % 11 == remainder
    assert check_digit(code6[:5]) == digit
    assert code6[5] == digit


@pytest.mark.parametrize("code6", SAGA_CODES)
def test_accepts_every_saga_code(code6: str) -> None:
    assert is_valid_code(code6) is True
    assert to_code6(code6) == code6
    assert to_code6(code6[:5]) == code6


def test_returns_1_when_the_weighted_sum_is_a_multiple_of_11() -> None:
    # 嬉野市 41209: 4×6 + 1×5 + 2×4 + 0×3 + 9×2 = 55 = 5 × 11.
    assert check_digit("41209") == "1"
    # 埼玉県 11000: 1×6 + 1×5 = 11.
    assert check_digit("11000") == "1"
    assert check_digit("00000") == "1"


def test_returns_0_when_the_remainder_is_1() -> None:
    # 多久市 41204: Σ = 45 = 4 × 11 + 1.
    assert check_digit("41204") == "0"


def test_returns_prefecture_code_of_saga() -> None:
    assert to_code6("41000") == "410004"


@pytest.mark.parametrize(
    "code6",
    [
        "412016",  # 佐賀市 with a wrong check digit
        "412041",  # 多久市 with 1 instead of 0
        "412090",  # 嬉野市 with 0 instead of 1
        "41201",  # 5 digits
        "4120155",  # 7 digits
        "",
        "41201a",
        "abcdef",
        "412 15",
        "412015\n",  # a trailing newline is not part of a code
        "４１２０１５",  # full-width digits
        "412015 ",
    ],
)
def test_rejects_invalid_six_digit_code(code6: str) -> None:
    assert is_valid_code(code6) is False


@pytest.mark.parametrize("code5", ["4120", "412015", "4120a", "", "41201\n", "４１２０１"])
def test_check_digit_rejects_anything_but_five_ascii_digits(code5: str) -> None:
    with pytest.raises(ValueError, match="5 digits"):
        check_digit(code5)


def test_to_code6_strips_surrounding_whitespace() -> None:
    assert to_code6(" 41202 ") == "412023"
    assert to_code6("\t412023\n") == "412023"


@pytest.mark.parametrize(
    "code", ["412016", "4120", "41201x", "４１２０１", "４１２０１５", "1234567"]
)
def test_to_code6_rejects_invalid_code(code: str) -> None:
    with pytest.raises(ValueError, match="code"):
        to_code6(code)
