"""Readings (よみ) of Japanese text for the search index: every word of a field is read by a
morphological analyser (SudachiPy with the core dictionary; split mode C, so 有田焼 reads
ありたやき and 吉野ヶ里 よしのがり) and written in hiragana, so that hiragana, katakana and romaji
queries find text written in kanji. Words the analyser misreads (浮立 → ウキリツ) are read from the
curated dictionary (yomi.READINGS) instead. Pure functions; the dictionary is loaded once per
thread (the tokenizer is not shared between threads)."""

import re
import threading
from functools import lru_cache
from typing import Any

from kurashi.modules.archive.normalise import normalise
from kurashi.modules.archive.yomi import READINGS

_local = threading.local()
_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff々〆ヶ]")
# The curated words, longest first: the text is cut at them before the analyser sees it.
_CURATED = re.compile("|".join(re.escape(word) for word in sorted(READINGS, key=len, reverse=True)))
# Parts of speech that are not words: they separate readings (so no phrase spans them).
_SEPARATORS = {"補助記号", "空白"}
MAX_CACHED_LENGTH = 200


def _tokenizer() -> Any:
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import Dictionary, SplitMode  # type: ignore[import-untyped,unused-ignore]

        tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
        _local.tokenizer = tokenizer
    return tokenizer


def _analyse(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        pieces: list[str] = []
        # Sudachi refuses inputs over ~49 KB: long lines are read in slices
        for start in range(0, len(line), 4000):
            for morpheme in _tokenizer().tokenize(line[start : start + 4000]):
                surface = morpheme.surface()
                if morpheme.part_of_speech()[0] in _SEPARATORS:
                    pieces.append(" ")
                elif _KANJI.search(surface):
                    pieces.append(morpheme.reading_form() or surface)
                else:  # kana, Latin letters and digits read as written
                    pieces.append(surface)
        lines.append("".join(pieces))
    return "\n".join(lines)


def _reading(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for match in _CURATED.finditer(text):
        pieces.append(_analyse(text[position : match.start()]))
        pieces.append(READINGS[match.group(0)])
        position = match.end()
    pieces.append(_analyse(text[position:]))
    return normalise("".join(pieces)).strip()


@lru_cache(maxsize=65_536)
def _cached_reading(text: str) -> str:
    return _reading(text)


def reading_of(text: str) -> str:
    """The reading of `text` in normalised hiragana (see the module docstring); "" for text
    without kanji (kana and Latin text is its own reading and is indexed as written)."""
    if not _KANJI.search(text):
        return ""
    if len(text) <= MAX_CACHED_LENGTH:  # titles, subjects, names, places repeat
        return _cached_reading(text)
    return _reading(text)


def reading_spans(text: str) -> tuple[str, list[int], list[int]]:
    """The reading of `text` (normalised hiragana) with, for each of its characters, the start
    and end in `text` of the word it reads: so a snippet can mark 河童 for the query かっぱ."""
    key: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def add(reading: str, start: int, end: int) -> None:
        for char in normalise(reading):
            key.append(char)
            starts.append(start)
            ends.append(end)

    position = 0
    pieces = [
        (match.start(), match.end(), READINGS[match.group(0)]) for match in _CURATED.finditer(text)
    ]
    for start, end, curated in [*pieces, (len(text), len(text), "")]:
        segment = text[position:start]
        for offset in range(0, len(segment), 4000):
            chunk = segment[offset : offset + 4000]
            for morpheme in _tokenizer().tokenize(chunk):
                begin = position + offset + morpheme.begin()
                finish = position + offset + morpheme.end()
                surface = morpheme.surface()
                if morpheme.part_of_speech()[0] in _SEPARATORS:
                    add(" ", begin, finish)
                elif _KANJI.search(surface):
                    add(morpheme.reading_form() or surface, begin, finish)
                else:
                    add(surface, begin, finish)
        if curated:
            add(curated, start, end)
        position = end
    return "".join(key), starts, ends
