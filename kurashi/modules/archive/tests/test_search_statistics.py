"""The search statistics behind fast facets: the term totals and the per-term facet counts stay
equal to what the postings say through every kind of write; facet counts are exact for one- and
multi-term queries, with and without filters; the facet code round-trips, covers every choice,
and the migration that filled existing postings computes the same code."""

import importlib
import io
import itertools
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from kurashi.core.models import Municipality
from kurashi.core.services import load_municipalities
from kurashi.modules.archive import facetcode, services
from kurashi.modules.archive.eras import Era
from kurashi.modules.archive.models import Item, Posting, Term, TermStat
from kurashi.modules.archive.rights import Rights
from kurashi.modules.archive.selectors import SearchFilters, search
from kurashi.modules.archive.tests.factories import make_collection, make_item


@pytest.fixture
def municipalities(db: None) -> None:
    if not Municipality.objects.exists():
        load_municipalities()


def from_postings() -> tuple[Counter[tuple[str, str, str, str, int]], Counter[str]]:
    stats: Counter[tuple[str, str, str, str, int]] = Counter()
    totals: Counter[str] = Counter()
    for term, type_, era, rights, municipality_id, facets in Posting.objects.values_list(
        "term", "type", "era", "rights", "municipality_id", "facets"
    ):
        stats[(term, type_, era, rights, municipality_id or 0)] += 1
        totals[term] += 1
        assert facets == facetcode.encode(type_, era, rights, municipality_id)
    return stats, totals


def stored() -> tuple[Counter[tuple[str, str, str, str, int]], Counter[str]]:
    stats = Counter(
        {
            (term, type_, era, rights, municipality_id): items
            for term, type_, era, rights, municipality_id, items in TermStat.objects.filter(
                items__gt=0
            ).values_list("term", "type", "era", "rights", "municipality_id", "items")
        }
    )
    totals = Counter(dict(Term.objects.filter(items__gt=0).values_list("term", "items")))
    assert not TermStat.objects.filter(items__lt=0).exists()
    assert not Term.objects.filter(items__lt=0).exists()
    return stats, totals


def assert_in_step() -> None:
    expected = from_postings()
    assert stored() == expected
    assert expected[1], "the scenario should leave something indexed"


def test_statistics_follow_every_write(municipalities: None) -> None:
    karatsu = Municipality.objects.get(code="412023")
    kashima = Municipality.objects.get(code="412074")
    kappa = make_item("河童の話", subjects=["河童"], municipality=karatsu, date_text="明治十年")
    matsuri = make_item("河童と祭り", type=Item.Type.IMAGE, rights=Rights.CC0)
    make_item("河童の下書き", publish=False)
    assert_in_step()

    # an edit that moves every facet value of an item
    services.save_item(
        actor=None,
        collection=kappa.collection,
        source_key=kappa.source_key,
        item=kappa,
        data={
            "type": Item.Type.AUDIO,
            "rights": Rights.PDM,
            "municipality": kashima,
            "date_text": "昭和三年",
            "title": "河童の語り",
        },
    )
    assert_in_step()
    assert search("河童", filters=SearchFilters(type="audio")).total == 1

    services.embargo_item(actor=None, item=matsuri, until=timezone.localdate() + timedelta(days=3))
    assert_in_step()
    services.publish_item(actor=None, item=matsuri)
    services.withdraw_item(actor=None, item=matsuri)
    services.publish_item(actor=None, item=matsuri)
    assert_in_step()

    services.delete_item(actor=None, item=matsuri)  # tombstone: no postings left
    assert_in_step()
    assert not Posting.objects.filter(item_id=matsuri.pk).exists()

    # bulk indexing of new items (CSV imports) and an outright delete through the ORM
    collection = make_collection("bulk")
    made = Item.objects.bulk_create(
        Item(
            collection=collection,
            source_key=f"bulk:{number}",
            title=f"河童の絵図 其{number}",
            type=Item.Type.IMAGE,
            rights=Rights.CC_BY,
            era=Era.EDO,
            municipality=karatsu,
            status=Item.Status.PUBLISHED,
            was_public=True,
        )
        for number in range(30)
    )
    services.reindex_items(made)
    assert_in_step()
    Item.objects.filter(pk__in=[item.pk for item in made[:10]]).delete()
    Item.objects.filter(pk=kappa.pk).delete()
    assert_in_step()

    before = stored()
    assert services.rebuild_term_stats() > 0
    assert stored() == before


def test_reindexing_an_item_twice_counts_it_once(municipalities: None) -> None:
    item = make_item("佐賀錦の織り方", subjects=["佐賀錦"])
    services.reindex_item(item)
    services.reindex_item(item)
    assert_in_step()
    assert Term.objects.get(term="佐賀").items == 1


def facet_counts(result_facets: dict[str, list[object]]) -> dict[str, dict[str, int]]:
    return {
        name: {value.value: value.count for value in values}  # type: ignore[attr-defined]
        for name, values in result_facets.items()
    }


def brute_force(items: list[Item]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {name: Counter() for name in ("type", "era", "rights")}
    counts["municipality"] = Counter()
    for item in items:
        counts["type"][item.type] += 1
        if item.era:
            counts["era"][item.era] += 1
        counts["rights"][item.rights] += 1
        if item.municipality is not None:
            counts["municipality"][item.municipality.code] += 1
    return {name: dict(values) for name, values in counts.items()}


@pytest.mark.parametrize(
    ("query", "needle"),
    [("の", "の"), ("河童", "河童"), ("河童の絵", "河童の絵"), ("kappa", "河童")],
)
@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(),
        SearchFilters(type="image"),
        SearchFilters(municipality="412023", era="edo"),
        SearchFilters(rights="cc0", type="text"),
    ],
    ids=["none", "type", "municipality+era", "rights+type"],
)
def test_facet_counts_and_totals_are_exact(
    municipalities: None, query: str, needle: str, filters: SearchFilters
) -> None:
    # 24 combinations of facet values over 60 items: most combinations are shared
    choices = itertools.cycle(
        itertools.product(
            [Item.Type.TEXT, Item.Type.IMAGE],
            ["明治十年", "天保三年", ""],
            [Rights.CC0, Rights.PDL],
            [Municipality.objects.get(code="412023"), None],
        )
    )
    for number in range(60):
        type_, date_text, rights, place = next(choices)
        title = ("河童の絵図" if number % 3 == 0 else "河童と川") if number % 2 else "人形浄瑠璃"
        make_item(
            f"{title} 其{number}",
            type=type_,
            date_text=date_text,
            rights=rights,
            municipality=place,
        )
    make_item("河童の絵の下書き", publish=False)
    expected_items = [
        item
        for item in Item.objects.filter(status=Item.Status.PUBLISHED).select_related("municipality")
        if needle in item.title
        and (not filters.type or item.type == filters.type)
        and (not filters.era or item.era == filters.era)
        and (not filters.rights or item.rights == filters.rights)
        and (
            not filters.municipality
            or (item.municipality is not None and item.municipality.code == filters.municipality)
        )
    ]
    result = search(query, filters=filters, page_size=100)
    assert result.total == len(expected_items)
    assert {card.pk for card in result.items} == {item.pk for item in expected_items}
    assert facet_counts(result.facets) == brute_force(expected_items)
    assert not result.facets_partial


def test_collection_filter_counts_from_the_postings(municipalities: None) -> None:
    mine, other = make_collection("mine"), make_collection("other")
    for number in range(5):
        make_item(f"河童 其{number}", collection=mine, type=Item.Type.IMAGE)
    make_item("河童 別", collection=other)
    result = search("河童", filters=SearchFilters(collection="mine"))
    assert result.total == 5
    assert facet_counts(result.facets)["type"] == {"image": 5}


def test_results_are_best_first_then_newest(municipalities: None) -> None:
    older = make_item("資料", subjects=["河童の絵"])
    newer = make_item("資料", subjects=["河童の絵"])
    titled = make_item("河童の絵")
    result = search("河童の絵")
    assert [card.pk for card in result.items] == [titled.pk, newer.pk, older.pk]


def test_every_choice_has_its_own_facet_code() -> None:
    for choices, codes in (
        (Item.Type, facetcode.TYPE_CODES),
        (Era, facetcode.ERA_CODES),
        (Rights, facetcode.RIGHTS_CODES),
    ):
        assert set(codes) == set(choices.values), choices
        assert len(set(codes.values())) == len(codes)
        assert 0 not in codes.values()
    for type_, era, rights, municipality_id in itertools.product(
        Item.Type.values, ["", *Era.values], Rights.values, [None, 1, 47, 2**30]
    ):
        code = facetcode.encode(type_, era, rights, municipality_id)
        assert facetcode.decode(code) == (type_, era, rights, municipality_id)


def test_the_migration_computes_the_same_facet_code(municipalities: None) -> None:
    migration = importlib.import_module("kurashi.modules.archive.migrations.0002_search_statistics")
    (update,) = [
        operation.sql
        for operation in migration.Migration.operations
        if getattr(operation, "sql", "") and "UPDATE archive_posting" in str(operation.sql)
    ]
    item = make_item("河童")
    combinations = list(
        itertools.product(
            Item.Type.values,
            ["", *Era.values],
            Rights.values,
            [None, Municipality.objects.first().pk],  # type: ignore[union-attr]
        )
    )
    Posting.objects.bulk_create(
        Posting(
            term=chr(0x4E00 + number),
            item=item,
            weight=1,
            type=type_,
            era=era,
            rights=rights,
            municipality_id=municipality_id,
        )
        for number, (type_, era, rights, municipality_id) in enumerate(combinations)
    )
    with connection.cursor() as cursor:
        cursor.execute(update)
    for type_, era, rights, municipality_id, facets in Posting.objects.filter(
        item=item
    ).values_list("type", "era", "rights", "municipality_id", "facets"):
        assert facets == facetcode.encode(type_, era, rights, municipality_id)


def test_reindex_command_rebuilds_the_index_and_the_statistics(municipalities: None) -> None:
    make_item("河童の話", subjects=["河童"])
    make_item("佐賀錦の織り方", type=Item.Type.PERFORMANCE)
    expected = from_postings()
    Posting.objects.all().delete()  # as if the index were lost
    TermStat.objects.update(items=7)  # and the statistics drifted
    out = io.StringIO()
    call_command("archive_reindex", stdout=out, verbosity=0)
    assert "Index rebuilt" in out.getvalue()
    assert from_postings() == expected
    assert_in_step()
    Term.objects.update(items=0)
    call_command("archive_reindex", "--stats-only", stdout=out, verbosity=0)
    assert "Term statistics rebuilt" in out.getvalue()
    assert_in_step()
    assert search("河童").total == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_reindexing_of_one_item_leaves_one_set_of_postings() -> None:
    """Real concurrent transactions (PostgreSQL: the item's row lock; SQLite: IMMEDIATE write
    lock): each re-indexing replaces the postings whole, none is counted or kept twice."""
    item = make_item("河童の絵図", subjects=["河童", "絵図"])
    expected = Posting.objects.filter(item=item).count()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def reindex() -> None:
        try:
            barrier.wait()
            for _round in range(5):
                services.reindex_item(Item.objects.get(pk=item.pk))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reindex) for _thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert Posting.objects.filter(item=item).count() == expected, connection.vendor
    assert_in_step()
    assert Term.objects.get(term="河童").items == 1
