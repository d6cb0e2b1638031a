"""One integer for an item's facet values (type, era, rights, municipality), stored on every
posting so that a multi-term search fetches two integers per match instead of four strings and
counts its facets over integers. Pure functions, no Django.

The codes are fixed numbers, never derived from the order of the choices: postings already
written keep their meaning when a choice is added. A new choice needs a new code here (a test
checks that every choice has one); a value without a code encodes as 0 and is not counted."""

TYPE_CODES: dict[str, int] = {"text": 1, "image": 2, "audio": 3, "video": 4, "performance": 5}
ERA_CODES: dict[str, int] = {
    "edo": 1,
    "meiji": 2,
    "taisho": 3,
    "showa": 4,
    "heisei": 5,
    "reiwa": 6,
}
RIGHTS_CODES: dict[str, int] = {
    "cc0": 1,
    "pdm": 2,
    "cc-by": 3,
    "cc-by-sa": 4,
    "cc-by-nc": 5,
    "cc-by-nc-sa": 6,
    "cc-by-nd": 7,
    "cc-by-nc-nd": 8,
    "pdl-1.0": 9,
    "rs-inc": 10,
    "rs-inc-edu": 11,
    "rs-inc-nc": 12,
    "rs-inc-ruu": 13,
    "rs-noc-cr": 14,
    "rs-noc-nc": 15,
    "rs-noc-oklr": 16,
    "rs-nkc": 17,
    "rs-cne": 18,
    "rs-und": 19,
}
# bits 0–3 type, 4–7 era, 8–15 rights, 16– municipality primary key
_TYPE_BITS, _ERA_SHIFT, _RIGHTS_SHIFT, _MUNICIPALITY_SHIFT = 0xF, 4, 8, 16
_TYPES = {code: value for value, code in TYPE_CODES.items()}
_ERAS = {code: value for value, code in ERA_CODES.items()}
_RIGHTS = {code: value for value, code in RIGHTS_CODES.items()}


def encode(type_: str, era: str, rights: str, municipality_id: int | None) -> int:
    return (
        (municipality_id or 0) << _MUNICIPALITY_SHIFT
        | RIGHTS_CODES.get(rights, 0) << _RIGHTS_SHIFT
        | ERA_CODES.get(era, 0) << _ERA_SHIFT
        | TYPE_CODES.get(type_, 0)
    )


def decode(code: int) -> tuple[str, str, str, int | None]:
    """(type, era, rights, municipality primary key or None); "" for a value without a code."""
    return (
        _TYPES.get(code & _TYPE_BITS, ""),
        _ERAS.get((code >> _ERA_SHIFT) & 0xF, ""),
        _RIGHTS.get((code >> _RIGHTS_SHIFT) & 0xFF, ""),
        (code >> _MUNICIPALITY_SHIFT) or None,
    )


def sql_expression(alias: str = "") -> str:
    """The same code computed in SQL from a posting's columns (fills existing rows)."""

    def case(column: str, codes: dict[str, int]) -> str:
        whens = " ".join(f"WHEN '{value}' THEN {code}" for value, code in codes.items())
        return f"(CASE {alias}{column} {whens} ELSE 0 END)"

    return (
        f"(COALESCE({alias}municipality_id, 0) * {1 << _MUNICIPALITY_SHIFT}"
        f" + {case('rights', RIGHTS_CODES)} * {1 << _RIGHTS_SHIFT}"
        f" + {case('era', ERA_CODES)} * {1 << _ERA_SHIFT}"
        f" + {case('type', TYPE_CODES)})"
    )
