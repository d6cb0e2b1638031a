"""Highlighted snippets of search results: where a query word occurs in an item's description,
open transcript or body text, as it is written (the original text, not the normalised key), with
the matches marked. A reading query (かっぱ) marks the words read so (河童). Pure functions over
plain text; the selectors pass only what the public may read (no closed transcript cue)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kurashi.modules.archive.normalise import normalise
from kurashi.modules.archive.readings import reading_spans

CONTEXT = 30  # characters shown before the first match (and about twice that after it)
MAX_SCANNED = 20_000  # characters of a long text searched for a snippet
MAX_READ = 3_000  # characters of a long text read by the analyser for a reading match

SnippetPart = tuple[str, bool]  # (text, is a match)


@dataclass(frozen=True)
class _Keyed:
    key: str
    starts: list[int]  # original index of each key character
    ends: list[int]  # original index just after it


def _surface(text: str) -> _Keyed:
    """The normalised key of `text` character by character, with where each key character
    comes from (NFKC may turn one character into several: ゟ → より)."""
    key: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        folded = normalise(char) if char not in "々ゝゞ〻" else char
        if char in "々〻" and key:
            folded = key[-1]
        for piece in folded:
            key.append(piece)
            starts.append(index)
            ends.append(index + 1)
    return _Keyed("".join(key), starts, ends)


def _reading(text: str) -> _Keyed:
    key, starts, ends = reading_spans(text)
    return _Keyed(key, starts, ends)


def _spans(keyed: _Keyed, words: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) in the original text of every occurrence of a query word."""
    spans = []
    for word in words:
        position = keyed.key.find(word)
        while position >= 0:
            end = position + len(word) - 1
            spans.append((keyed.starts[position], keyed.ends[end]))
            position = keyed.key.find(word, position + 1)
    return sorted(set(spans))


def _cut(text: str, spans: list[tuple[int, int]]) -> tuple[SnippetPart, ...]:
    first = spans[0][0]
    start = max(0, first - CONTEXT)
    end = min(len(text), first + CONTEXT * 3)
    parts: list[SnippetPart] = []
    if start > 0:
        parts.append(("…", False))
    position = start
    for span_start, span_end in spans:
        if span_start < position or span_start >= end:
            continue
        if span_start > position:
            parts.append((text[position:span_start], False))
        parts.append((text[span_start : min(span_end, end)], True))
        position = min(span_end, end)
    if position < end:
        parts.append((text[position:end], False))
    if end < len(text):
        parts.append(("…", False))
    return tuple(parts)


def _lines(texts: Iterable[str], limit: int) -> Iterable[str]:
    scanned = 0
    for text in texts:
        for line in text.splitlines():
            if scanned >= limit:
                return
            scanned += len(line)
            if line.strip():
                yield line[: limit - scanned + len(line)]


def snippet(texts: Sequence[str], words: Sequence[str]) -> tuple[SnippetPart, ...]:
    """The first passage of `texts` (description, transcript lines, body …, in order of
    preference) where one of the normalised query `words` occurs, with every occurrence in it
    marked; () when none does. Surface matches are looked for first, then reading matches
    (in the first MAX_READ characters)."""
    words = [word for word in words if word]
    if not words:
        return ()
    for line in _lines(texts, MAX_SCANNED):
        if spans := _spans(_surface(line), words):
            return _cut(line, spans)
    kana = [word for word in words if not word.isascii()]
    if kana:
        for line in _lines(texts, MAX_READ):
            if spans := _spans(_reading(line), kana):
                return _cut(line, spans)
    return ()
