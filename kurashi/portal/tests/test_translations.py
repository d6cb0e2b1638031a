"""Japanese first: every user-facing string has a Japanese translation, compiled."""

import gettext
import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]  # kurashi/
# The project catalogue (kurashi/locale) plus one per module that has its own (modules/<m>/locale).
CATALOGUES = sorted(ROOT.rglob("locale/ja/LC_MESSAGES/django.po"))

TEMPLATE_STRING = re.compile(
    r"""{%\s*(?:translate|trans)\s+"((?:[^"\\]|\\.)*)"\s*(?:context\s+"[^"]*"\s*)?(?:as\s+\w+\s*)?%}|{%\s*(?:translate|trans)\s+'((?:[^'\\]|\\.)*)'\s*%}"""
)
PYTHON_STRING = re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")


def entries() -> list[polib.POEntry]:
    return [entry for path in CATALOGUES for entry in polib.pofile(str(path))]


def test_every_message_has_a_japanese_translation() -> None:
    untranslated = [
        entry.msgid for entry in entries() if not entry.msgstr and not entry.msgstr_plural
    ]
    fuzzy = [entry.msgid for entry in entries() if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogues_match_their_po_files() -> None:
    stale = []
    for path in CATALOGUES:
        with path.with_suffix(".mo").open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        for entry in polib.pofile(str(path)):
            if entry.msgid_plural:
                if compiled.ngettext(entry.msgid, entry.msgid_plural, 1) != entry.msgstr_plural[0]:
                    stale.append(entry.msgid)
            elif entry.msgctxt:
                if compiled.pgettext(entry.msgctxt, entry.msgid) != entry.msgstr:
                    stale.append(f"{entry.msgctxt}|{entry.msgid}")
            elif entry.msgid and compiled.gettext(entry.msgid) != entry.msgstr:
                stale.append(entry.msgid)
    assert stale == [], "run `make messages` (compilemessages) and commit the .mo files"


def test_every_marked_string_in_code_and_templates_is_in_a_catalogue() -> None:
    known = {entry.msgid for entry in entries()}
    marked: set[str] = set()
    for path in ROOT.rglob("*.html"):
        for match in TEMPLATE_STRING.finditer(path.read_text(encoding="utf-8")):
            # The translate tag looks a literal up with "%" doubled, as makemessages writes it.
            literal = (match.group(1) or match.group(2) or "").replace('\\"', '"')
            marked.add(literal.replace("%", "%%"))
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "testing" in path.parts or "migrations" in path.parts:
            continue
        for match in PYTHON_STRING.finditer(path.read_text(encoding="utf-8")):
            marked.add(match.group(1).replace('\\"', '"'))
    missing = sorted(marked - known - {""})
    assert missing == [], "run `make messages` and translate these into Japanese"
