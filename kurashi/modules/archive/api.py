"""JSON API of the archive module, mounted at /api/v1/archive/: the public search (same
normalisation, ranking and facets as the search page)."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from kurashi.modules.archive import selectors
from kurashi.modules.archive.iiif import unprefixed

router = Router(tags=["archive"])


class SearchIn(Schema):
    q: str = Field("", max_length=100, description="Query: kanji, kana, romaji; old forms fold.")
    type: str = ""
    municipality: str = Field("", max_length=6, description="Local government code")
    era: str = ""
    rights: str = ""
    page: int = Field(1, ge=1, le=10_000)


class SnippetPartOut(Schema):
    text: str
    match: bool


class ItemOut(Schema):
    id: int
    title: str
    title_reading: str
    title_en: str
    type: str
    year: int | None
    municipality: str
    url: str
    snippet: list[SnippetPartOut] = Field(
        default_factory=list,
        description="Where the query occurs (description, open transcript, text), matches marked",
    )


class FacetOut(Schema):
    value: str
    label: str
    count: int


class SearchOut(Schema):
    query: str
    total: int
    page: int
    pages: int
    items: list[ItemOut]
    facets: dict[str, list[FacetOut]]
    facets_partial: bool


@router.get("/search", response=SearchOut, summary="Search public archive items")
def search_items(request: HttpRequest, params: Query[SearchIn]) -> SearchOut:
    filters = selectors.SearchFilters(
        type=params.type, municipality=params.municipality, era=params.era, rights=params.rights
    )
    if params.q.strip():
        result = selectors.search(params.q, filters=filters, page=params.page)
    else:
        result = selectors.browse(filters=filters, page=params.page)
    return SearchOut(
        query=params.q,
        total=result.total,
        page=result.page,
        pages=result.pages,
        items=[
            ItemOut(
                id=card.pk,
                title=card.title,
                title_reading=card.title_reading,
                title_en=card.title_en,
                type=card.type,
                year=card.year,
                municipality=card.municipality,
                url=unprefixed("archive:item", card.pk),
                snippet=[SnippetPartOut(text=text, match=match) for text, match in card.snippet],
            )
            for card in result.items
        ],
        facets={
            name: [FacetOut(value=v.value, label=v.label, count=v.count) for v in values]
            for name, values in result.facets.items()
        },
        facets_partial=result.facets_partial,
    )
