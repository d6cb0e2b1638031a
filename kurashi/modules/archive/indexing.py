"""What an item contributes to the search index. Pure functions over plain values (services
write the rows).

An item's *search document* is its fields, each normalised (normalise.py) and each followed by
its reading (readings.py: the analyser's hiragana, so かっぱ finds 河童), joined by line breaks.
Its terms are the uni- and bigrams of every word (a run of letters, kana or kanji). For each
term the index keeps:

- an *impact*: BM25F — the occurrences in each field, weighted by the field (title > reading >
  subjects > … > body) and normalised by the field's length, saturated (k1) and scaled to
  0–1000. A query adds the impacts of its terms, each times the term's IDF.
- a *position mask*: bit (position mod 62) of every occurrence in the document. A query word of
  n characters is found where its n−1 bigrams sit at consecutive positions: the AND of each
  bigram's mask rotated back by its offset in the word is not zero (the SQL does this). For a
  document of at most EXACT_SPAN characters the masks are exact (no wrap-around can reach a
  phrase of up to MAX_PHRASE_OFFSET + 1 bigrams); a longer document's masks are a filter
  (positions wrap), flagged with bit 62, and a phrase they admit is confirmed on the stored
  document (a substring test). Beyond POSITIONED_SPAN characters (long texts) the masks are
  all ones: the stored document alone decides, which costs less than positions there."""

import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kurashi.modules.archive.normalise import normalise
from kurashi.modules.archive.readings import reading_of

MASK_BITS = 62
MASK_ALL = (1 << MASK_BITS) - 1
INEXACT = 1 << MASK_BITS
# The longest phrase checked exactly through the masks: 16 bigrams (17 characters). Longer query
# words are checked on their first 16 bigrams and confirmed on the document.
MAX_PHRASE_OFFSET = 15
EXACT_SPAN = MASK_BITS - MAX_PHRASE_OFFSET
# Up to this length the masks of an inexact document still filter (positions mod 62: most
# candidates without the phrase fail in SQL); beyond, they are all ones.
POSITIONED_SPAN = 4_000
IMPACT_SCALE = 1000
K1 = 12.0


@dataclass(frozen=True)
class FieldSpec:
    weight: float
    b: float  # length normalisation (BM25)
    average_length: float


# BM25F field weights: title > reading > subjects > creators > place > description > body.
# "_yomi": the analyser's reading of the field; "title_reading": the cataloguers' reading and
# the curated dictionary's.
FIELDS: dict[str, FieldSpec] = {
    "title": FieldSpec(10.0, 0.3, 20),
    "title_reading": FieldSpec(8.0, 0.3, 20),
    "title_yomi": FieldSpec(6.0, 0.3, 25),
    "alternative": FieldSpec(6.0, 0.3, 20),
    "alternative_yomi": FieldSpec(4.0, 0.3, 25),
    "subjects": FieldSpec(5.0, 0.3, 10),
    "subjects_yomi": FieldSpec(4.0, 0.3, 12),
    "creators": FieldSpec(4.0, 0.3, 10),
    "creators_yomi": FieldSpec(3.0, 0.3, 12),
    "place": FieldSpec(3.0, 0.3, 15),
    "place_yomi": FieldSpec(2.0, 0.3, 15),
    "event": FieldSpec(3.0, 0.3, 15),
    "event_yomi": FieldSpec(2.0, 0.3, 15),
    "description": FieldSpec(1.5, 0.75, 150),
    "description_yomi": FieldSpec(1.0, 0.75, 200),
    "transcript": FieldSpec(1.0, 0.75, 400),
    "transcript_yomi": FieldSpec(0.7, 0.75, 500),
    "body": FieldSpec(1.0, 0.75, 20_000),
    "body_yomi": FieldSpec(0.7, 0.75, 25_000),
}


@dataclass(frozen=True)
class IndexSource:
    title: str
    title_reading: str = ""
    curated_readings: tuple[str, ...] = ()
    title_en: str = ""
    alternative_title: str = ""
    subjects: tuple[str, ...] = ()
    creators: tuple[str, ...] = ()
    creators_reading: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    event: tuple[str, ...] = ()
    description: tuple[str, ...] = ()
    transcript: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    # the body with its ruby readings in place of the bases (Aozora): read for body_yomi, so
    # the text's own readings win over the analyser's
    body_reading: tuple[str, ...] = ()


def _streams(source: IndexSource) -> Iterator[tuple[str, str]]:
    """(field, original text) of the document, in document order."""
    yield "title", source.title
    yield "title_yomi", reading_of(source.title)
    yield "title_reading", source.title_reading
    for reading in source.curated_readings:
        yield "title_reading", reading
    for name, text in (("alternative", source.alternative_title), ("alternative", source.title_en)):
        yield name, text
        yield "alternative_yomi", reading_of(text)
    for name, texts in (
        ("subjects", source.subjects),
        ("creators", source.creators),
        ("place", source.place),
        ("event", source.event),
        ("description", source.description),
        ("transcript", source.transcript),
        ("body", source.body),
    ):
        for text in texts:
            yield name, text
            if name != "body":
                yield f"{name}_yomi", reading_of(text)
    for text in source.creators_reading:
        yield "creators_yomi", text
    for text in source.body_reading:
        yield "body_yomi", reading_of(text)


# A word: a run of letters, digits, kana and kanji ("_" and punctuation split words).
WORD = re.compile(r"[^\W_]+")


def word_terms(word: str) -> Iterator[tuple[int, str]]:
    """(offset in the word, term) of every term of a normalised word: the unigram of every
    non-ASCII character, every bigram, and an ASCII word of one character as a unigram."""
    for offset, char in enumerate(word):
        if not char.isascii():
            yield offset, char
        if offset + 1 < len(word):
            yield offset, word[offset : offset + 2]
    if len(word) == 1 and word.isascii():
        yield 0, word


@dataclass(frozen=True)
class Document:
    text: str  # the normalised document (what a phrase is confirmed on)
    terms: dict[str, tuple[int, int]]  # term → (impact, position mask)

    @property
    def is_exact(self) -> bool:
        return len(self.text) <= EXACT_SPAN


def _keys(source: IndexSource) -> list[tuple[str, str]]:
    """(field, normalised text) of the document's streams."""
    keys = []
    for name, text in _streams(source):
        if text:
            key = normalise(text)
            if key.strip():
                keys.append((name, key))
    return keys


def _counted(name: str, key: str) -> Counter[str]:
    """The terms of a stream with their counts (C-speed counting: long texts)."""
    counts: Counter[str] = Counter()
    derived = name.endswith("_yomi")
    for word in WORD.findall(key):
        if not derived:
            counts.update(char for char in word if not char.isascii())
        counts.update(map(operator.add, word, word[1:]))
        if len(word) == 1 and word.isascii():
            counts[word] += 1
    return counts


def document(source: IndexSource) -> Document:
    keys = _keys(source)
    text = "\n".join(key for _name, key in keys)
    exact = len(text) <= EXACT_SPAN
    positioned = len(text) <= POSITIONED_SPAN
    frequencies: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lengths: dict[str, int] = defaultdict(int)
    masks: dict[str, int] = defaultdict(int)
    position = 0
    for name, key in keys:
        lengths[name] += len(key)
        if not positioned:
            # a long text: its masks are all ones and every phrase is confirmed on the stored
            # document, so only the counts are needed
            for term, count in _counted(name, key).items():
                frequencies[term][name] += count
            continue
        derived = name.endswith("_yomi")
        for match in WORD.finditer(key):
            for offset, term in word_terms(match.group(0)):
                if derived and len(term) == 1:
                    # a reading's single kana finds nothing anyone looks for (の, か …):
                    # readings are searched through their bigrams
                    continue
                frequencies[term][name] += 1
                masks[term] |= 1 << ((position + match.start() + offset) % MASK_BITS)
        position += len(key) + 1  # the line break: no word runs across fields
    terms: dict[str, tuple[int, int]] = {}
    for term, by_field in frequencies.items():
        if len(term) > 4:
            continue
        pseudo = 0.0
        for name, count in by_field.items():
            spec = FIELDS[name]
            norm = 1 - spec.b + spec.b * lengths[name] / spec.average_length
            pseudo += spec.weight * count / norm
        impact = max(1, round(IMPACT_SCALE * pseudo / (K1 + pseudo)))
        mask = masks[term] if positioned else MASK_ALL
        terms[term] = (impact, mask if exact else mask | INEXACT)
    return Document(text=text, terms=terms)


def idf(items_with_term: int, items: int) -> float:
    """BM25's inverse document frequency (never negative)."""
    return math.log(1 + (items - items_with_term + 0.5) / (items_with_term + 0.5))


def search_key(source: IndexSource) -> str:
    """The short fields, normalised and joined: used to reward exact phrase matches."""
    parts = [source.title, source.title_reading, source.title_en, source.alternative_title]
    parts += list(source.curated_readings)
    parts += [*source.subjects, *source.creators, *source.place, *source.event]
    return "\n".join(normalise(part) for part in parts if part)


def query_words(keys: Iterable[str]) -> list[str]:
    """The words of normalised query keys, in order, without repeats."""
    return list(dict.fromkeys(word for key in keys for word in WORD.findall(key)))
