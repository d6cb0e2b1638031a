"""全国地方公共団体コード (JIS X 0402 local government codes) with the mod-11 check digit."""

import re

# ASCII digits only, and the whole string: \d would also take full-width digits (４) and $ a
# trailing newline.
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
_SIX_DIGITS = re.compile(r"[0-9]{6}")


def check_digit(code5: str) -> str:
    """Return the 検査数字 for a 5-digit code: (11 - Σ digit×weight mod 11) mod 10, weights 6..2."""
    if not _FIVE_DIGITS.fullmatch(code5):
        raise ValueError(f"a local government code has 5 digits before its check digit: {code5!r}")
    total = sum(int(digit) * weight for digit, weight in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def is_valid_code(code6: str) -> bool:
    return bool(_SIX_DIGITS.fullmatch(code6)) and check_digit(code6[:5]) == code6[5]


def to_code6(code: str) -> str:
    """Accept a 5- or 6-digit code and return the validated 6-digit form."""
    code = code.strip()
    if _FIVE_DIGITS.fullmatch(code):
        return code + check_digit(code)
    if not is_valid_code(code):
        raise ValueError(f"not a valid 6-digit local government code (check digit): {code!r}")
    return code
