"""What an item contributes to the search index: normalised terms with field weights. Pure
functions over plain values (services write the rows)."""

from collections.abc import Iterable
from dataclasses import dataclass

from kurashi.modules.archive.normalise import index_terms, normalise

# The weight of a term is that of the best field it occurs in, plus one for every further field
# that has it: a title hit outranks a body hit, a term in title and subjects outranks both.
WEIGHTS = {
    "title": 20,
    "title_reading": 16,
    "title_en": 12,
    "alternative_title": 12,
    "subjects": 10,
    "creators": 8,
    "place": 6,
    "event": 6,
    "description": 3,
    "transcript": 2,
    "body": 1,
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
    place: tuple[str, ...] = ()
    event: tuple[str, ...] = ()
    description: tuple[str, ...] = ()
    transcript: tuple[str, ...] = ()
    body: tuple[str, ...] = ()


def _field_texts(source: IndexSource) -> Iterable[tuple[str, str]]:
    yield "title", source.title
    yield "title_reading", source.title_reading
    yield "title_en", source.title_en
    yield "alternative_title", source.alternative_title
    for reading in source.curated_readings:
        yield "title_reading", reading
    for name in ("subjects", "creators", "place", "event", "description", "transcript", "body"):
        for text in getattr(source, name):
            yield name, text


def term_weights(source: IndexSource) -> dict[str, int]:
    best: dict[str, int] = {}
    fields: dict[str, set[str]] = {}
    for name, text in _field_texts(source):
        if not text:
            continue
        weight = WEIGHTS[name]
        for term in set(index_terms(normalise(text))):
            if len(term) > 4:
                continue
            if weight > best.get(term, 0):
                best[term] = weight
            fields.setdefault(term, set()).add(name)
    return {term: min(best[term] + len(fields[term]) - 1, 32767) for term in best}


def search_key(source: IndexSource) -> str:
    """The short fields, normalised and joined: used to reward exact phrase matches."""
    parts = [source.title, source.title_reading, source.title_en, source.alternative_title]
    parts += list(source.curated_readings)
    parts += [*source.subjects, *source.creators, *source.place, *source.event]
    return "\n".join(normalise(part) for part in parts if part)
