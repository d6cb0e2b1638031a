"""Japanese first: every user-facing string has a Japanese translation, compiled."""

import gettext
import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]  # kurashi/
PO = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

TEMPLATE_STRING = re.compile(r"""{%\s*(?:translate|trans)\s+"((?:[^"\\]|\\.)*)"\s*(?:as\s+\w+\s*)?%}|{%\s*(?:translate|trans)\s+'((?:[^'\\]|\\.)*)'\s*%}""")
PYTHON_STRING = re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_every_message_has_a_japanese_translation() -> None:
    untranslated = [entry.msgid for entry in catalogue() if not entry.msgstr and not entry.msgstr_plural]
    fuzzy = [entry.msgid for entry in catalogue() if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [entry.msgid for entry in catalogue() if entry.msgid and compiled.gettext(entry.msgid) != entry.msgstr]
    assert stale == [], "run `make messages` (compilemessages) and commit the .mo file"


def test_every_marked_string_in_code_and_templates_is_in_the_catalogue() -> None:
    known = {entry.msgid for entry in catalogue()}
    marked: set[str] = set()
    for path in ROOT.rglob("*.html"):
        for match in TEMPLATE_STRING.finditer(path.read_text(encoding="utf-8")):
            marked.add((match.group(1) or match.group(2) or "").replace('\\"', '"'))
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "testing" in path.parts or "migrations" in path.parts:
            continue
        for match in PYTHON_STRING.finditer(path.read_text(encoding="utf-8")):
            marked.add(match.group(1).replace('\\"', '"'))
    missing = sorted(marked - known - {""})
    assert missing == [], "run `make messages` and translate these into Japanese"
