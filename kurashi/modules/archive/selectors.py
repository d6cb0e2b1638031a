"""Reads of the archive: Japanese search with facets, browsing, the OAI-PMH record stream, IIIF
data, and who may catalogue or publish what."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language

from kurashi.core.models import Municipality, User
from kurashi.core.permissions import grant_for, has_permission
from kurashi.modules.archive import facetcode
from kurashi.modules.archive.eras import Era
from kurashi.modules.archive.external import is_trusted
from kurashi.modules.archive.imaging import sizes
from kurashi.modules.archive.indexing import (
    INEXACT,
    MASK_ALL,
    MASK_BITS,
    MAX_PHRASE_OFFSET,
    idf,
    query_words,
)
from kurashi.modules.archive.models import (
    Collection,
    Item,
    ItemMedia,
    ItemText,
    MediaFile,
    Posting,
    SearchDocument,
    Segment,
    Term,
    TermStat,
    Track,
)
from kurashi.modules.archive.normalise import query_variants
from kurashi.modules.archive.rights import Rights
from kurashi.modules.archive.snippets import snippet
from kurashi.modules.archive.webvtt import Cue, WebVttError, open_cues, parse_vtt

CATALOGUE = "archive.catalogue_items"
PUBLISH = "archive.publish_items"
DATA_DIR = Path(__file__).resolve().parent / "data"
PAGE_SIZE = 20
RERANK_WINDOW = 200
FACET_WINDOW = 10_000
FACETS = ("type", "municipality", "era", "rights")


# --- visibility ---------------------------------------------------------------------------------


def public_items() -> QuerySet[Item]:
    return Item.objects.filter(status=Item.Status.PUBLISHED, is_deleted=False)


def get_public_item(pk: int) -> Item:
    """The public item `pk`; Item.DoesNotExist for drafts, embargoed and deleted items."""
    return public_items().select_related("collection", "municipality").get(pk=pk)


def media_of(item: Item) -> list[ItemMedia]:
    return list(ItemMedia.objects.filter(item=item).select_related("media"))


def images_of(item: Item) -> list[ItemMedia]:
    return [use for use in media_of(item) if use.media.kind == MediaFile.Kind.IMAGE]


@dataclass(frozen=True)
class TranscriptLine:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class TrackView:
    language: str
    label: str
    lines: list[TranscriptLine]


def hidden_spans(segments: Sequence[Segment]) -> list[tuple[float, float]]:
    """(start, end) of the closed and unconsented segments: their cues are never public."""
    return [
        (segment.start_seconds, segment.end_seconds)
        for segment in segments
        if segment.restriction != Segment.Restriction.OPEN
    ]


def tracks_of(item_media: ItemMedia, *, segments: Sequence[Segment] = ()) -> list[TrackView]:
    """The transcripts of a recording, without the cues inside closed or unconsented segments."""
    hidden = hidden_spans(segments)
    views = []
    for track in Track.objects.filter(item_media=item_media):
        try:
            cues: list[Cue] = parse_vtt(track.vtt)
        except WebVttError:
            cues = []
        lines = [TranscriptLine(cue.start, cue.end, cue.text) for cue in open_cues(cues, hidden)]
        views.append(TrackView(track.language, track.label, lines))
    return views


# --- search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemCard:
    pk: int
    title: str
    title_reading: str
    title_en: str
    type: str
    type_label: str
    date_text: str
    year: int | None
    municipality: str
    description: str
    thumbnail: str
    # where the query occurs (description, open transcript, body), matches marked
    snippet: tuple[tuple[str, bool], ...] = ()

    @property
    def display_title(self) -> str:
        if (get_language() or "ja").startswith("en") and self.title_en:
            return self.title_en
        return self.title


# What item_cards reads of an item.
CARD_FIELDS = (
    "pk",
    "collection_id",
    "thumbnail_url",
    "subjects",
    "description_en",
    "title",
    "title_reading",
    "title_en",
    "type",
    "date_text",
    "year",
    "municipality_id",
    "description",
)


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    page: int
    pages: int
    items: list[ItemCard]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    facets_partial: bool = False


def _municipality_names() -> dict[int, Municipality]:
    return {
        municipality.pk: municipality
        for municipality in Municipality.objects.only("pk", "code", "name_ja", "name_en")
    }


def thumbnail_url(
    item: Item,
    media: MediaFile | None,
    *,
    absolute: bool = True,
    trusted_origins: Sequence[str] = (),
) -> str:
    """The smallest pre-rendered IIIF size at least 150 px wide: an absolute URL (OGP, IIIF) or,
    with absolute=False, a path for this site's own pages (right whatever host and port
    served the page, e.g. `kurashi run --port 8790` with the default SITE_URL). An item
    without local images whose holder's thumbnail comes from a trusted origin gets this site's
    thumbnail cache (the reader's browser never reaches the holder for it)."""
    if media is not None and media.tiles_ready and media.width and media.height:
        small = [size for size in sizes(media.width, media.height) if size[0] >= 150]
        width, height = small[0] if small else (media.width, media.height)
        base = iiif_image_base(media) if absolute else f"/archive/iiif/{media.sha256}"
        return f"{base}/full/{width},{height}/0/default.jpg"
    if item.thumbnail_url and is_trusted(item.thumbnail_url, trusted_origins):
        path = f"/archive/items/{item.pk}/thumbnail.jpg"
        return f"{settings.SITE_URL.rstrip('/')}{path}" if absolute else path
    return ""


def iiif_image_base(media: MediaFile) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/archive/iiif/{media.sha256}"


def item_cards(
    items: Sequence[Item], municipalities: dict[int, Municipality] | None = None
) -> list[ItemCard]:
    municipalities = municipalities if municipalities is not None else _municipality_names()
    first_images: dict[int, MediaFile] = {}
    for use in (
        ItemMedia.objects.filter(item__in=[item.pk for item in items], media__kind="image")
        .select_related("media")
        .order_by("-position", "-pk")
    ):
        first_images[use.item_id] = use.media
    origins = dict(
        Collection.objects.filter(pk__in={item.collection_id for item in items}).values_list(
            "pk", "iiif_origins"
        )
    )
    cards = []
    for item in items:
        municipality = municipalities.get(item.municipality_id or 0)
        cards.append(
            ItemCard(
                pk=item.pk,
                title=item.title,
                title_reading=item.title_reading,
                title_en=item.title_en,
                type=item.type,
                type_label=str(Item.Type(item.type).label),
                date_text=item.date_text,
                year=item.year,
                municipality=municipality.name if municipality else "",
                description=item.description[:160],
                thumbnail=thumbnail_url(
                    item,
                    first_images.get(item.pk),
                    absolute=False,
                    trusted_origins=origins.get(item.collection_id) or (),
                ),
            )
        )
    return cards


@dataclass(frozen=True)
class SearchFilters:
    type: str = ""
    municipality: str = ""  # local government code
    era: str = ""
    rights: str = ""
    collection: str = ""  # slug

    def is_empty(self) -> bool:
        return not (self.type or self.municipality or self.era or self.rights or self.collection)


def _filter_sql(filters: SearchFilters, alias: str = "") -> tuple[str, list[Any]]:
    """Conditions on the facet columns every posting carries (no join with the items)."""
    clauses: list[str] = []
    params: list[Any] = []
    for name in ("type", "era", "rights"):
        value = getattr(filters, name)
        if value:
            clauses.append(f"{alias}{name} = %s")
            params.append(value)
    if filters.municipality:
        clauses.append(f"{alias}municipality_id = %s")
        params.append(_municipality_pk(filters.municipality))
    if filters.collection:
        collection = Collection.objects.filter(slug=filters.collection).first()
        item_table = Item._meta.db_table
        clauses.append(
            f"{alias}item_id IN (SELECT id FROM {item_table} WHERE collection_id = %s)"  # noqa: S608
        )
        params.append(collection.pk if collection else -1)
    return "".join(f" AND {clause}" for clause in clauses), params


def _municipality_pk(code: str) -> int:
    """The primary key of the municipality with local government code `code`; -1 (matches
    nothing) for an unknown code."""
    pk = Municipality.objects.filter(code=code).values_list("pk", flat=True).first()
    return pk if pk is not None else -1


def _term_counts(terms: set[str]) -> dict[str, int]:
    """How many public items hold each term (from the term totals, not the postings)."""
    table = Term._meta.db_table
    placeholders = ", ".join(["%s"] * len(terms))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term, items FROM {table} WHERE term IN ({placeholders}) AND items > 0",  # noqa: S608
            sorted(terms),
        )
        return {term: int(count) for term, count in cursor.fetchall()}


FacetRow = tuple[str, Any, int]


def _term_facets(term: str, filters: SearchFilters) -> tuple[int, list[FacetRow]]:
    """(total, facet rows) of a one-term query from the term statistics: exact, whatever the
    number of matches, for any combination of the type, era, rights and municipality filters
    (not the collection filter, which the statistics do not carry). The database sums the
    rows of the term's facet combinations, once per facet."""
    stats = TermStat._meta.db_table
    clauses: list[str] = ["term = %s", "items > 0"]
    params: list[Any] = [term]
    for name in ("type", "era", "rights"):
        if getattr(filters, name):
            clauses.append(f"{name} = %s")
            params.append(getattr(filters, name))
    if filters.municipality:
        clauses.append("municipality_id = %s")
        params.append(_municipality_pk(filters.municipality))
    where = " AND ".join(clauses)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one pass over the term's rows
            cursor.execute(
                "SELECT GROUPING(type, era, rights, municipality_id), type, era, rights, "  # noqa: S608
                f"NULLIF(municipality_id, 0), SUM(items) FROM {stats} WHERE {where} "
                "GROUP BY GROUPING SETS ((type), (era), (rights), (municipality_id))",
                params,
            )
            rows = [
                (name, row[column], int(row[5]))
                for row in cursor.fetchall()
                for name, column in (_GROUPING_SETS[row[0]],)
            ]
        else:
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT '{name}', {column}, SUM(items) FROM {stats} "  # noqa: S608
                    f"WHERE {where} GROUP BY {column}"
                    for name, column in (
                        ("type", "type"),
                        ("era", "era"),
                        ("rights", "rights"),
                        ("municipality", "NULLIF(municipality_id, 0)"),
                    )
                ),
                params * 4,
            )
            rows = [(name, value, int(count)) for name, value, count in cursor.fetchall()]
    total = sum(count for name, _value, count in rows if name == "type")
    return total, rows


# GROUPING(type, era, rights, municipality_id) of each grouping set → (facet, column in the row)
_GROUPING_SETS = {
    0b0111: ("type", 1),
    0b1011: ("era", 2),
    0b1101: ("rights", 3),
    0b1110: ("municipality", 4),
}


MAX_QUERY_TERMS = 12
# Merge the terms' postings rather than probe (PostgreSQL) while the terms' total postings are
# at most this many times the probes (rarest term's postings × other terms): a probe costs about
# six rows of a merge.
MERGE_FACTOR = 6


# A match's score and item in one integer (score × 2**40 + item): one value to fetch and sort.
_ITEM_BITS = 40
_ITEM_MASK = (1 << _ITEM_BITS) - 1


@dataclass(frozen=True)
class QueryWord:
    """A word of a normalised query: its terms with their offsets in the word (None for a
    one-character word, looked up as a unigram)."""

    text: str
    terms: tuple[tuple[str, int | None], ...]

    @classmethod
    def of(cls, word: str) -> "QueryWord":
        if len(word) == 1:
            return cls(word, ((word, None),))
        return cls(word, tuple((word[k : k + 2], k) for k in range(len(word) - 1)))


def _query_words(key: str) -> list[QueryWord]:
    return [QueryWord.of(word) for word in query_words([key])]


def _rotated(alias: str, offset: int) -> str:
    """SQL: the alias's position mask rotated back by `offset` within MASK_BITS bits (bit
    p + offset → bit p), without the inexact flag."""
    if offset == 0:
        return f"({alias}.mask & {MASK_ALL})"
    return (
        f"((({alias}.mask & {MASK_ALL}) >> {offset}) "
        f"| (({alias}.mask << {MASK_BITS - offset}) & {MASK_ALL}))"
    )


def _idf_weights(terms: list[str], counts: dict[str, int]) -> dict[str, int]:
    items = max(_count_public_items(), *(counts.get(term, 0) for term in terms))
    return {term: max(1, round(10 * idf(counts.get(term, 0), items))) for term in terms}


def _count_public_items() -> int:
    """How many items are public (BM25's N), cached for a minute: the IDF barely moves."""
    count = cache.get("archive:public-items")
    if count is None:
        count = public_items().count()
        cache.set("archive:public-items", count, 60)
    return int(count)


def _variant_sql(
    words: list[QueryWord], counts: dict[str, int], filters: SearchFilters
) -> tuple[str, list[Any]]:
    """(score × 2**40 + item, facet code) of the items holding every word of the query as a
    phrase, in no order. The rarest term's postings drive, every other term is one (term,
    item) index look-up per driving row (CROSS JOIN keeps that order on SQLite; PostgreSQL may
    merge-join the covering index), so the work is bounded by the rarest term. A word's
    bigrams must sit at consecutive positions: the AND of their position masks, each rotated
    back by its offset, is not zero (indexing.py). Where the masks are not exact (long
    documents: the driving posting carries the INEXACT bit) the phrase is confirmed on the
    stored document. The score is BM25: impacts times IDF. Two integers a match: fetching
    rows costs more than finding them. Very long queries join their MAX_QUERY_TERMS rarest
    terms."""
    posting = Posting._meta.db_table
    documents = SearchDocument._meta.db_table
    terms = list(dict.fromkeys(term for word in words for term, _offset in word.terms))
    ordered = sorted(terms, key=lambda term: (counts.get(term, 0), term))[:MAX_QUERY_TERMS]
    aliases = {term: ("d" if index == 0 else f"o{index}") for index, term in enumerate(ordered)}
    idfs = _idf_weights(ordered, counts)
    where, filter_params = _filter_sql(filters, alias="d.")
    joins = "".join(f" CROSS JOIN {posting} o{index}" for index in range(1, len(ordered)))
    conditions = "".join(
        f" AND o{index}.item_id = d.item_id AND o{index}.term = %s"
        for index in range(1, len(ordered))
    )
    phrase_params: list[Any] = []
    for word in words:
        chain = [
            _rotated(aliases[term], offset)
            for term, offset in word.terms
            if term in aliases and offset is not None and offset <= MAX_PHRASE_OFFSET
        ]
        if len(chain) < 2 and len(word.terms) < 2:
            continue  # a unigram or a single bigram: being there is enough
        conditions += (
            f" AND ({' & '.join(chain) if chain else '1'}) != 0"  # noqa: S608
            f" AND (d.mask < {INEXACT} OR EXISTS (SELECT 1 FROM {documents} s"
            " WHERE s.item_id = d.item_id AND s.text LIKE %s))"
        )
        phrase_params.append(f"%{word.text}%")
    score = " + ".join(f"{aliases[term]}.weight * {idfs[term]}" for term in ordered)
    sql = (
        f"SELECT CAST({score} AS BIGINT) * {1 << _ITEM_BITS} + d.item_id, d.facets "  # noqa: S608
        f"FROM {posting} d{joins} WHERE d.term = %s{conditions}{where}"
    )
    return sql, [ordered[0], *ordered[1:], *phrase_params, *filter_params]


def _facet_labels(name: str, municipalities: dict[int, Municipality]) -> dict[str, str]:
    if name == "type":
        return {value: str(label) for value, label in Item.Type.choices}
    if name == "era":
        return {value: str(label) for value, label in Era.choices}
    if name == "rights":
        return {value: str(label) for value, label in Rights.choices}
    return {str(pk): municipality.name for pk, municipality in municipalities.items()}


def _single_term_sql(term: str, filters: SearchFilters) -> tuple[str, str, list[Any]]:
    """(count SQL, best-first SQL, parameters) of a one-term query: a plain range of the
    (term, weight, item, facets) index, read backwards — no grouping and no sort, whatever the
    number of matches."""
    posting = Posting._meta.db_table
    where, params = _filter_sql(filters)
    base = f"FROM {posting} WHERE term = %s{where}"
    best = (
        "SELECT item_id, weight AS score, type, era, rights, municipality_id "
        f"{base} ORDER BY weight DESC, item_id DESC"
    )
    return f"SELECT COUNT(*) {base}", best, [term, *params]


def _window_facet_sql(best: str) -> str:
    """Facet counts over the FACET_WINDOW best matches of a one-term query (the collection
    filter, which the term statistics do not carry)."""
    return f"WITH top AS ({best} LIMIT {FACET_WINDOW}) " + " UNION ALL ".join(  # noqa: S608
        f"SELECT '{name}', {column}, COUNT(*) FROM top GROUP BY {column}"  # noqa: S608
        for name, column in (
            ("type", "type"),
            ("municipality", "CAST(municipality_id AS VARCHAR(20))"),
            ("era", "era"),
            ("rights", "rights"),
        )
    )


MatchRow = tuple[int, int]  # score × 2**40 + item, facet code


def _variant_rows(
    cursor: Any, words: list[QueryWord], counts: dict[str, int], filters: SearchFilters
) -> list[MatchRow]:
    """Run _variant_sql. On PostgreSQL, when the terms are of similar frequency, merging their
    postings in item order (a pass over each term's range of the covering index) beats one
    index probe per row of the rarest term, but the planner, which cannot know how strongly
    the bigrams of one word go together, estimates a few rows and probes: nested loops are
    turned off for that query. A rare term with a frequent one keeps the probes."""
    sql, params = _variant_sql(words, counts, filters)
    ordered = sorted(
        counts.get(term, 0) for term in {term for word in words for term, _ in word.terms}
    )
    merge = (
        connection.vendor == "postgresql"
        and len(ordered) > 1
        and sum(ordered) <= MERGE_FACTOR * ordered[0] * (len(ordered) - 1)
    )
    if merge:
        cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute(sql, params)
    rows: list[MatchRow] = cursor.fetchall()
    if merge:
        cursor.execute("SET LOCAL enable_nestloop = on")
    return rows


def _multi_term_rows(
    variants: list[list[QueryWord]], counts: dict[str, int], filters: SearchFilters
) -> list[MatchRow]:
    """Every match of a multi-term (or multi-variant) query, best first (score, then newer
    item), fetched once: their number is bounded by the rarest term's. An item matched by
    several variants counts once, with its best score."""
    with connection.cursor() as cursor:
        if len(variants) == 1:
            rows = _variant_rows(cursor, variants[0], counts, filters)
        else:
            best: dict[int, MatchRow] = {}
            for words in variants:
                for row in _variant_rows(cursor, words, counts, filters):
                    item = row[0] & _ITEM_MASK
                    known = best.get(item)
                    if known is None or known[0] < row[0]:
                        best[item] = row
            rows = list(best.values())
    rows.sort(reverse=True)
    return rows


def _facet_tallies(rows: list[MatchRow]) -> list[FacetRow]:
    """Facet counts of matches from their facet codes: one count per distinct code (a few
    thousand at most), then decoded."""
    tallies: Counter[tuple[str, Any]] = Counter()
    for code, count in Counter(map(itemgetter(1), rows)).items():
        type_, era, rights, municipality_id = facetcode.decode(code)
        tallies[("type", type_)] += count
        tallies[("era", era)] += count
        tallies[("rights", rights)] += count
        tallies[("municipality", municipality_id)] += count
    return [(name, value, count) for (name, value), count in tallies.items()]


def search(
    query: str, *, filters: SearchFilters | None = None, page: int = 1, page_size: int = PAGE_SIZE
) -> SearchResult:
    """See _search. On PostgreSQL the queries run with JIT off: compiling them costs far more
    (~0.4 s) than running them (a few ms), and the planner's estimates would trigger it."""
    if connection.vendor != "postgresql":
        return _search(query, filters=filters, page=page, page_size=page_size)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return _search(query, filters=filters, page=page, page_size=page_size)


def _search(
    query: str, *, filters: SearchFilters | None, page: int, page_size: int
) -> SearchResult:
    """Public items matching `query` (every uni/bigram of the normalised query, or of its kana
    reading for a romaji query), best first. The total and the facet counts are exact. A
    one-term query reads them from the term statistics and only its best page of postings, so
    a one-character query matching every item costs what a rare one does. A multi-term query
    fetches its matches once (bounded by the rarest term's postings) and counts them in
    Python. Only a one-term query filtered by collection (which the statistics do not carry)
    counts facets over its FACET_WINDOW best matches (SearchResult.facets_partial)."""
    filters = filters or SearchFilters()
    normalised = query_variants(query)
    variants = [words for words in (_query_words(key) for key in normalised) if words]
    if not variants:
        return SearchResult(query=query, total=0, page=1, pages=0, items=[])
    counts = _term_counts(
        {term for words in variants for word in words for term, _offset in word.terms}
    )
    variants = [
        words
        for words in variants
        if all(counts.get(term) for word in words for term, _offset in word.terms)
    ]
    if not variants:
        return SearchResult(query=query, total=0, page=1, pages=0, items=[])
    page = max(page, 1)
    offset = (page - 1) * page_size
    if offset + page_size <= RERANK_WINDOW:
        limit, sql_offset = RERANK_WINDOW, 0
    else:
        limit, sql_offset = page_size, offset
    facet_rows: list[FacetRow]
    facets_partial = False
    if len(variants) == 1 and len(variants[0]) == 1 and len(variants[0][0].terms) == 1:
        term = variants[0][0].terms[0][0]
        count_sql, best, params = _single_term_sql(term, filters)
        with connection.cursor() as cursor:
            if filters.collection:  # not in the term statistics: count the postings
                cursor.execute(count_sql, params)
                total = int(cursor.fetchone()[0])
                cursor.execute(_window_facet_sql(best), params)
                facet_rows = cursor.fetchall()
                facets_partial = total > FACET_WINDOW
            else:
                total, facet_rows = _term_facets(term, filters)
            cursor.execute(f"{best} LIMIT %s OFFSET %s", [*params, limit, sql_offset])
            ranked = [(int(row[0]), int(row[1])) for row in cursor.fetchall()]
    else:
        rows = _multi_term_rows(variants, counts, filters)
        total = len(rows)
        facet_rows = _facet_tallies(rows)
        ranked = [
            (packed & _ITEM_MASK, packed >> _ITEM_BITS)
            for packed, _facets in rows[sql_offset : sql_offset + limit]
        ]
    if sql_offset == 0:
        keys = dict(
            Item.objects.filter(pk__in=[row[0] for row in ranked]).values_list("pk", "search_key")
        )

        def boost(item_id: int) -> float:
            """The whole query is a short field (title, reading, subject …) or in one."""
            key = keys.get(item_id, "")
            lines = key.split("\n")
            if any(variant in lines for variant in normalised):
                return 2.0
            return 1.5 if any(variant in key for variant in normalised) else 1.0

        ranked = sorted(ranked, key=lambda row: (-(row[1] * boost(row[0])), -row[0]))
        ranked = ranked[offset : offset + page_size]
    ids = [row[0] for row in ranked]
    by_id = {item.pk: item for item in Item.objects.filter(pk__in=ids).only(*CARD_FIELDS)}
    municipalities = _municipality_names()
    cards = item_cards([by_id[pk] for pk in ids if pk in by_id], municipalities)
    cards = _with_snippets(cards, by_id, query_words(normalised))
    selected = {
        "type": filters.type,
        "era": filters.era,
        "rights": filters.rights,
        "municipality": next(
            (str(m.pk) for m in municipalities.values() if m.code == filters.municipality), ""
        ),
    }
    facets: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    labels = {name: _facet_labels(name, municipalities) for name in FACETS}
    for name, value, count in facet_rows:
        if value in (None, ""):
            continue
        value = str(value)
        facet_value = value
        if name == "municipality":
            municipality = municipalities.get(int(value))
            facet_value = municipality.code if municipality else value
        facets[name].append(
            FacetValue(
                value=facet_value,
                label=labels[name].get(value, value),
                count=int(count),
                selected=selected[name] == value,
            )
        )
    for values in facets.values():
        values.sort(key=lambda facet: (-facet.count, facet.label))
    return SearchResult(
        query=query,
        total=total,
        page=page,
        pages=(total + page_size - 1) // page_size,
        items=cards,
        facets=facets,
        facets_partial=facets_partial,
    )


def _with_snippets(
    cards: list[ItemCard], items: dict[int, Item], words: list[str]
) -> list[ItemCard]:
    """The cards with a snippet from what the public may read of each item: its description,
    the open cues of its transcripts (never a closed or unconsented part) and its text."""
    ids = [card.pk for card in cards]
    bodies = dict(ItemText.objects.filter(item_id__in=ids).values_list("item_id", "plain_text"))
    transcripts: dict[int, list[str]] = {}
    segments: dict[int, list[Segment]] = {}
    for segment in Segment.objects.filter(item_id__in=ids):
        segments.setdefault(segment.item_id, []).append(segment)
    for use in ItemMedia.objects.filter(item_id__in=ids, tracks__isnull=False).distinct():
        for view in tracks_of(use, segments=segments.get(use.item_id, [])):
            transcripts.setdefault(use.item_id, []).extend(line.text for line in view.lines)
    result = []
    for card in cards:
        item = items[card.pk]
        texts = [
            item.description,
            item.description_en,
            *transcripts.get(card.pk, []),
            bodies.get(card.pk, ""),
            " / ".join(str(subject) for subject in item.subjects),
        ]
        result.append(replace(card, snippet=snippet(texts, words)))
    return result


def browse(*, filters: SearchFilters, page: int = 1, page_size: int = PAGE_SIZE) -> SearchResult:
    """Public items by collection / municipality / type / era / rights, newest first."""
    items = public_items()
    if filters.type:
        items = items.filter(type=filters.type)
    if filters.era:
        items = items.filter(era=filters.era)
    if filters.rights:
        items = items.filter(rights=filters.rights)
    if filters.municipality:
        items = items.filter(municipality__code=filters.municipality)
    if filters.collection:
        items = items.filter(collection__slug=filters.collection)
    total = items.count()
    page = max(page, 1)
    chunk = list(items.order_by("-modified_at", "-pk")[(page - 1) * page_size : page * page_size])
    return SearchResult(
        query="",
        total=total,
        page=page,
        pages=(total + page_size - 1) // page_size,
        items=item_cards(chunk),
    )


@dataclass(frozen=True)
class CollectionSummary:
    slug: str
    title: str
    description: str
    holder: str
    count: int


def list_collections() -> list[CollectionSummary]:
    english = (get_language() or "ja").startswith("en")
    rows = Collection.objects.annotate(
        public_count=Count(
            "items", filter=Q(items__status=Item.Status.PUBLISHED, items__is_deleted=False)
        )
    ).order_by("slug")
    return [
        CollectionSummary(
            slug=collection.slug,
            title=(collection.title_en if english and collection.title_en else collection.title_ja),
            description=(
                collection.description_en
                if english and collection.description_en
                else collection.description_ja
            ),
            holder=(
                collection.holder_en if english and collection.holder_en else collection.holder_ja
            ),
            count=collection.public_count,
        )
        for collection in rows
    ]


@dataclass(frozen=True)
class MunicipalityCount:
    code: str
    name: str
    count: int


def count_by_municipality() -> list[MunicipalityCount]:
    rows = (
        public_items()
        .filter(municipality__isnull=False)
        .values("municipality__code")
        .annotate(count=Count("pk"))
    )
    counts = {row["municipality__code"]: row["count"] for row in rows}
    return [
        MunicipalityCount(municipality.code, municipality.name, counts.get(municipality.code, 0))
        for municipality in Municipality.objects.order_by("code")
    ]


def map_features(*, limit: int = 2000) -> dict[str, Any]:
    """GeoJSON of public items with a map point (the browse map)."""
    rows = (
        public_items()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .values("pk", "title", "title_en", "type", "latitude", "longitude")
        .order_by("pk")[:limit]
    )
    english = (get_language() or "ja").startswith("en")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
                "properties": {
                    "id": row["pk"],
                    "title": row["title_en"] if english and row["title_en"] else row["title"],
                    "type": row["type"],
                },
            }
            for row in rows
        ],
    }


# --- OAI-PMH ------------------------------------------------------------------------------------


def oai_items() -> QuerySet[Item]:
    """Every record OAI-PMH reports: public items, and tombstones of items that once were
    (deleted, or withdrawn to draft). An embargoed item is on hold, not deleted: it is not
    reported at all until its embargo is released (then as an update)."""
    return Item.objects.filter(
        Q(status=Item.Status.PUBLISHED, is_deleted=False)
        | (Q(was_public=True) & ~Q(status=Item.Status.EMBARGOED, is_deleted=False))
    )


def oai_page(
    *,
    collection_id: int | None,
    since: datetime | None,
    before: datetime | None,
    after_pk: int,
    limit: int,
) -> tuple[list[Item], bool, QuerySet[Item]]:
    """One page of records in primary-key order after `after_pk`: (items, has_more, filtered)."""
    items = oai_items()
    if collection_id is not None:
        items = items.filter(collection_id=collection_id)
    if since is not None:
        items = items.filter(modified_at__gte=since)
    if before is not None:
        items = items.filter(modified_at__lt=before)
    page = list(
        items.filter(pk__gt=after_pk)
        .select_related("collection", "municipality")
        .order_by("pk")[: limit + 1]
    )
    return page[:limit], len(page) > limit, items


def get_oai_item(pk: int) -> Item:
    return oai_items().select_related("collection", "municipality").get(pk=pk)


def earliest_datestamp() -> datetime | None:
    return oai_items().order_by("modified_at").values_list("modified_at", flat=True).first()


# --- staff --------------------------------------------------------------------------------------


def staff_collections(user: User | AnonymousUser | Any) -> QuerySet[Collection]:
    """Collections `user` may catalogue: those of organisations they hold the permission in; a
    prefecture-wide grant reaches every collection."""
    grant = grant_for(user, CATALOGUE)
    if grant.everywhere or grant.all_municipalities:
        return Collection.objects.all()
    return Collection.objects.filter(grant.as_q(organisation_field="organisation_id"))


def can_catalogue(user: User | AnonymousUser | Any, collection: Collection) -> bool:
    return staff_collections(user).filter(pk=collection.pk).exists()


def can_publish(user: User | AnonymousUser | Any, collection: Collection) -> bool:
    grant = grant_for(user, PUBLISH)
    if grant.everywhere or grant.all_municipalities:
        return True
    return collection.organisation_id is not None and has_permission(
        user, PUBLISH, organisation_id=collection.organisation_id
    )


def is_archive_staff(user: User | AnonymousUser | Any) -> bool:
    return bool(grant_for(user, CATALOGUE))


def staff_items(
    user: User | AnonymousUser | Any, *, query: str = "", status: str = ""
) -> QuerySet[Item]:
    items = Item.objects.filter(collection__in=staff_collections(user), is_deleted=False)
    if query:
        items = items.filter(Q(title__icontains=query) | Q(title_reading__icontains=query))
    if status:
        items = items.filter(status=status)
    return items.select_related("collection").order_by("-modified_at", "-pk")


def count_public_items() -> int:
    return public_items().count()


def count_searchable_texts() -> int:
    return public_items().filter(text__isnull=False).count()
