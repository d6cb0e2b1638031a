"""Every write of the archive: cataloguing, the publish/embargo workflow, tombstones, the search
index, media (stored once, tiled by a task), tracks and segments. Staff actions are audited."""

import hashlib
import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.http import HttpRequest
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kurashi.core.audit import record_audit
from kurashi.core.geo import municipality_at
from kurashi.core.models import Municipality, User
from kurashi.modules.archive import facetcode, imaging
from kurashi.modules.archive.eras import era_of, year_from_text
from kurashi.modules.archive.external import clean_origins, is_trusted
from kurashi.modules.archive.indexing import Document, IndexSource, document, search_key
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
from kurashi.modules.archive.selectors import hidden_spans
from kurashi.modules.archive.webvtt import WebVttError, open_cues, parse_vtt
from kurashi.modules.archive.yomi import readings_in

ITEM_FIELDS = (
    "title",
    "title_reading",
    "title_en",
    "alternative_title",
    "creators",
    "creators_reading",
    "description",
    "description_en",
    "date_text",
    "municipality",
    "place_name",
    "latitude",
    "longitude",
    "subjects",
    "type",
    "language",
    "rights",
    "rights_holder_ja",
    "rights_holder_en",
    "metadata_cc0",
    "source_url",
    "external_manifest_url",
    "thumbnail_url",
    "event_name",
    "performed_on",
    "preserving_group",
)
logger = logging.getLogger(__name__)
POSTING_BATCH = 5000
WRITE_BATCH = 50_000
REINDEX_CHUNK = 200


def _task(name: str) -> Task[Any, Any]:
    """A task of this module, looked up by name when enqueued: the tasks call these services,
    so services must not import the tasks module (as notify does)."""
    return import_string(f"kurashi.modules.archive.tasks.{name}")  # type: ignore[no-any-return]


# --- the search index -------------------------------------------------------------------------


def index_source(item: Item, *, with_related: bool = True) -> IndexSource:
    place = [item.place_name]
    municipality = item.municipality if item.municipality_id is not None else None
    if municipality is not None:
        place += [municipality.name_ja, municipality.name_kana, municipality.name_en]
    body: list[str] = []
    body_reading: list[str] = []
    transcript: list[str] = []
    if with_related:
        text = ItemText.objects.filter(item=item).values("plain_text", "reading_text").first()
        if text:
            body = [text["plain_text"]]
            body_reading = [text["reading_text"]]
        # Only the cues outside closed and unconsented segments: restricted words must never
        # reach the index (and through it the result list, the snippets or the totals).
        hidden = hidden_spans(list(Segment.objects.filter(item=item)))
        transcript = [
            cue.text
            for track in Track.objects.filter(item_media__item=item)
            for cue in open_cues(_safe_cues(track.vtt), hidden)
        ]
    return IndexSource(
        title=item.title,
        title_reading=item.title_reading,
        curated_readings=tuple(readings_in(item.title, item.alternative_title, *item.subjects)),
        title_en=item.title_en,
        alternative_title=item.alternative_title,
        subjects=tuple(str(subject) for subject in item.subjects),
        creators=tuple(str(name) for name in item.creators),
        creators_reading=tuple(str(name) for name in item.creators_reading),
        place=tuple(part for part in place if part),
        event=tuple(part for part in (item.event_name, item.preserving_group) if part),
        description=tuple(part for part in (item.description, item.description_en) if part),
        transcript=tuple(transcript),
        body=tuple(body),
        body_reading=tuple(body_reading),
    )


def _safe_cues(vtt: str) -> list[Any]:
    try:
        return parse_vtt(vtt)
    except WebVttError:
        return []


StatKey = tuple[str, str, str, str, int]


def _stat_key(term: str, type_: str, era: str, rights: str, municipality_id: int | None) -> StatKey:
    return (term, type_, era, rights, municipality_id or 0)


# PostgreSQL types of the columns written in bulk (unnest() needs typed arrays)
_COLUMN_TYPES = {
    "term": "varchar",
    "item_id": "bigint",
    "weight": "smallint",
    "type": "varchar",
    "era": "varchar",
    "rights": "varchar",
    "municipality_id": "bigint",
    "facets": "bigint",
    "mask": "bigint",
    "items": "integer",
}


def _write_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    add_items_on: Sequence[str] = (),
) -> None:
    """Insert `rows` into `table`; with `add_items_on` (a unique key), a row whose key exists
    adds its `items` to the stored one. PostgreSQL: one statement per batch over unnest() of
    one array per column (executemany sent a statement per row); SQLite: executemany."""
    names = ", ".join(columns)
    conflict = (
        f" ON CONFLICT ({', '.join(add_items_on)}) "
        f"DO UPDATE SET items = {table}.items + excluded.items"
        if add_items_on
        else ""
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{_COLUMN_TYPES[column]}[]" for column in columns)
            sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){conflict}"  # noqa: S608
            for start in range(0, len(rows), WRITE_BATCH):
                batch = rows[start : start + WRITE_BATCH]
                cursor.execute(sql, [list(column) for column in zip(*batch, strict=True)])
        else:
            values = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({values}){conflict}"  # noqa: S608
            for start in range(0, len(rows), WRITE_BATCH):
                cursor.executemany(sql, rows[start : start + WRITE_BATCH])


def _add_term_stats(deltas: Counter[StatKey]) -> None:
    """Add `deltas` to the term statistics and the term totals (one upsert per key, in key
    order so that concurrent re-indexings take the rows' locks in the same order)."""
    totals: Counter[str] = Counter()
    for key, delta in deltas.items():
        totals[key[0]] += delta
    _write_rows(
        Term._meta.db_table,
        ("term", "items"),
        [(term, delta) for term, delta in sorted(totals.items()) if delta],
        add_items_on=("term",),
    )
    stat_columns = ("term", "type", "era", "rights", "municipality_id")
    _write_rows(
        TermStat._meta.db_table,
        (*stat_columns, "items"),
        [(*stat, delta) for stat, delta in sorted(deltas.items()) if delta],
        add_items_on=stat_columns,
    )


def _remove_postings(item_ids: Sequence[int]) -> None:
    """Delete the items' postings and take them off the term statistics: the rows this statement
    deleted (RETURNING), so a concurrent re-indexing of the same item cannot count them twice."""
    if not item_ids:
        return
    table = Posting._meta.db_table
    placeholders = ", ".join(["%s"] * len(item_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE item_id IN ({placeholders}) "  # noqa: S608
            "RETURNING term, type, era, rights, municipality_id",
            list(item_ids),
        )
        removed = Counter(_stat_key(*row) for row in cursor.fetchall())
    _add_term_stats(Counter({key: -count for key, count in removed.items()}))


def rebuild_term_stats() -> int:
    """Recompute the term statistics from the postings (after a restore, or raw SQL on the
    index). Returns the number of rows written."""
    stats, terms, posting = (
        TermStat._meta.db_table,
        Term._meta.db_table,
        Posting._meta.db_table,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # re-indexings wait; SQLite writers queue anyway
            cursor.execute(f"LOCK TABLE {posting} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {stats}")  # noqa: S608
        cursor.execute(f"DELETE FROM {terms}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {terms} (term, items) "  # noqa: S608
            f"SELECT term, COUNT(*) FROM {posting} GROUP BY term"
        )
        cursor.execute(
            f"INSERT INTO {stats} (term, type, era, rights, municipality_id, items) "  # noqa: S608
            "SELECT term, type, era, rights, COALESCE(municipality_id, 0), COUNT(*) "
            f"FROM {posting} GROUP BY term, type, era, rights, COALESCE(municipality_id, 0)"
        )
        return int(cursor.rowcount)


def _store_document(item_id: int, indexed: Document) -> None:
    """Keep the normalised document of an item whose position masks are not exact: the
    phrases they admit are confirmed on it."""
    if not indexed.is_exact:
        SearchDocument.objects.update_or_create(item_id=item_id, defaults={"text": indexed.text})


@transaction.atomic
def reindex_item(item: Item) -> int:
    """Rebuild the item's postings: a public item is findable, any other has none. Returns the
    number of postings written."""
    # One re-indexing of an item at a time (PostgreSQL: the item's row lock; SQLite's IMMEDIATE
    # transactions queue writers anyway). Two at once both found the old postings gone and
    # both inserted new ones: the item was indexed twice.
    list(Item.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True))
    source = index_source(item)
    key = search_key(source)
    if item.search_key != key:
        Item.objects.filter(pk=item.pk).update(search_key=key)
        item.search_key = key
    _remove_postings([item.pk])
    SearchDocument.objects.filter(item_id=item.pk).delete()
    if not item.is_public:
        return 0
    facets = facetcode.encode(item.type, item.era, item.rights, item.municipality_id)
    indexed = document(source)
    postings = [
        Posting(
            term=term,
            item_id=item.pk,
            weight=impact,
            mask=mask,
            type=item.type,
            era=item.era,
            rights=item.rights,
            municipality_id=item.municipality_id,
            facets=facets,
        )
        for term, (impact, mask) in indexed.terms.items()
    ]
    Posting.objects.bulk_create(postings, batch_size=POSTING_BATCH)
    _store_document(item.pk, indexed)
    _add_term_stats(
        Counter(
            _stat_key(term.term, item.type, item.era, item.rights, item.municipality_id)
            for term in postings
        )
    )
    return len(postings)


@transaction.atomic
def reindex_items(items: Iterable[Item]) -> int:
    """Bulk variant for new items without body text or tracks (CSV imports, synthetic loads):
    their own fields only, rows written in large batches (_write_rows). Load the items
    with select_related("municipality")."""
    columns = (
        "term",
        "item_id",
        "weight",
        "type",
        "era",
        "rights",
        "municipality_id",
        "facets",
        "mask",
    )
    rows: list[tuple[str, int, int, str, str, str, int | None, int, int]] = []
    documents: list[SearchDocument] = []
    keyed: list[Item] = []
    stats: Counter[StatKey] = Counter()
    written = 0

    def flush() -> None:
        nonlocal rows, written
        if rows:
            _write_rows(Posting._meta.db_table, columns, rows)
            stats.update(_stat_key(row[0], *row[3:7]) for row in rows)
            written += len(rows)
            rows = []

    for item in items:
        source = index_source(item, with_related=False)
        item.search_key = search_key(source)
        keyed.append(item)
        if item.is_public:
            facets = facetcode.encode(item.type, item.era, item.rights, item.municipality_id)
            indexed = document(source)
            rows.extend(
                (
                    term,
                    item.pk,
                    impact,
                    item.type,
                    item.era,
                    item.rights,
                    item.municipality_id,
                    facets,
                    mask,
                )
                for term, (impact, mask) in indexed.terms.items()
            )
            if not indexed.is_exact:
                documents.append(SearchDocument(item_id=item.pk, text=indexed.text))
        if len(rows) >= POSTING_BATCH * 10:
            flush()
    flush()
    _add_term_stats(stats)
    SearchDocument.objects.bulk_create(documents, batch_size=1000)
    Item.objects.bulk_update(keyed, ["search_key"], batch_size=1000)
    return written


def reindex_all(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild every item's postings (after a change of the reading dictionary, the variant
    table or the field weights), then the term statistics from the postings. Item by item, each
    in its own transaction, so search keeps working meanwhile. Returns the postings written."""
    ids = list(Item.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), REINDEX_CHUNK):
        chunk = ids[start : start + REINDEX_CHUNK]
        for item in Item.objects.filter(pk__in=chunk).select_related("collection", "municipality"):
            written += reindex_item(item)
        if progress is not None:
            progress(start + len(chunk), len(ids))
    rebuild_term_stats()
    return written


def forget_deleted_item(item_id: int) -> None:
    """Before an item row is deleted outright (the admin, a cascade): its postings leave the
    term statistics with it. Tombstoned items never reach this; they are re-indexed instead."""
    _remove_postings([item_id])


# --- cataloguing ----------------------------------------------------------------------------


def _derive(item: Item) -> None:
    item.year = year_from_text(item.date_text) if item.date_text else None
    item.era = era_of(item.year)
    if item.municipality_id is None and item.latitude is not None and item.longitude is not None:
        found = municipality_at(item.latitude, item.longitude)
        if found is not None:
            item.municipality = Municipality.objects.get(code=found.code)
    if not item.rights_holder_ja:
        item.rights_holder_ja = item.collection.holder_ja
        item.rights_holder_en = item.rights_holder_en or item.collection.holder_en
    item.subjects = [str(subject).strip() for subject in item.subjects if str(subject).strip()]
    item.creators = [str(name).strip() for name in item.creators if str(name).strip()]


def _audit(
    actor: User | None,
    action: str,
    item: Item,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    if actor is None:
        return  # imports and the demo loader run without a person; they are logged by the command
    collection = item.collection
    record_audit(
        actor=actor,
        action=action,
        obj=item,
        organisation_id=collection.organisation_id,
        municipality_code=item.municipality.code if item.municipality else "",
        request=request,
        detail=detail or {},
    )


@transaction.atomic
def save_item(
    *,
    actor: User | None,
    collection: Collection,
    source_key: str,
    data: dict[str, Any],
    item: Item | None = None,
    request: HttpRequest | None = None,
) -> Item:
    """Create or update one item from validated `data` (keys of ITEM_FIELDS); derives the year
    and era from the date as written and the municipality from the map point; reindexes."""
    creating = item is None
    if item is None:
        item = Item.objects.filter(collection=collection, source_key=source_key).first()
        creating = item is None
        item = item or Item(collection=collection, source_key=source_key)
    tracked = (*ITEM_FIELDS, "year", "era")
    before = {name: getattr(item, name) for name in tracked}
    for name in ITEM_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    _derive(item)
    changed = [name for name in tracked if getattr(item, name) != before[name]]
    if not creating and not changed:
        return item
    item.modified_at = timezone.now()
    item.full_clean()
    item.save()
    reindex_item(item)
    _audit(
        actor,
        "archive.item_created" if creating else "archive.item_updated",
        item,
        request,
        {"fields": sorted(changed)},
    )
    return item


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did (or, in a dry run, would do) to one item. `changes` maps a field to
    (stored value, new value); `kept` maps a field a curator changed to (curated value, the
    source's value), which the import left alone."""

    source_key: str
    title: str
    action: str  # created | updated | unchanged | skipped
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    kept: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    reason: str = ""
    item_id: int | None = None


def _comparable(name: str, value: Any) -> Any:
    """A field value as JSON can hold it (the municipality by its code)."""
    if name == "municipality":
        return value.code if isinstance(value, Municipality) else (value or "")
    return value


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def import_item(
    *,
    collection: Collection,
    source_key: str,
    data: dict[str, Any],
    publish: bool = False,
    dry_run: bool = False,
) -> ImportOutcome:
    """Create or update an imported item without undoing curators' work.

    A new item takes every value of `data` and is published when `publish` is true. An existing
    item is updated only in the fields the source supplies with a value; a field is updated
    only while it still holds what the previous import wrote (Item.imported) or is empty, so a
    curated reading, English title or municipality is never overwritten and a source that
    lacks a value never blanks one. Publication state is never changed by an import: a
    withdrawn or embargoed item stays so, and a deleted item is skipped. With `dry_run`,
    nothing is written and the outcome says what would change."""
    title = str(data.get("title", ""))
    item = (
        Item.objects.filter(collection_id=collection.pk, source_key=source_key).first()
        if collection.pk is not None
        else None  # a dry run into a collection that does not exist yet
    )
    supplied = {name: value for name, value in data.items() if not _is_blank(value)}
    if item is None:
        changes = {name: (None, _comparable(name, value)) for name, value in supplied.items()}
        if dry_run:
            return ImportOutcome(source_key, title, "created", changes)
        with transaction.atomic():
            item = save_item(actor=None, collection=collection, source_key=source_key, data=data)
            Item.objects.filter(pk=item.pk).update(
                imported={name: _comparable(name, value) for name, value in supplied.items()}
            )
            if publish:
                publish_item(actor=None, item=item)
        return ImportOutcome(source_key, title, "created", changes, item_id=item.pk)
    if item.is_deleted:
        return ImportOutcome(source_key, item.title, "skipped", reason="deleted", item_id=item.pk)
    updates: dict[str, Any] = {}
    changes, kept = {}, {}
    recorded = dict(item.imported or {})
    for name, value in supplied.items():
        new = _comparable(name, value)
        current = _comparable(name, getattr(item, name))
        if current == new:
            recorded[name] = new
            continue
        if _is_blank(current) or (name in recorded and recorded[name] == current):
            updates[name] = value
            changes[name] = (current, new)
            recorded[name] = new
        else:
            kept[name] = (current, new)
    action = "updated" if changes else "unchanged"
    if dry_run:
        return ImportOutcome(source_key, item.title, action, changes, kept, item_id=item.pk)
    with transaction.atomic():
        if updates:
            item = save_item(
                actor=None,
                collection=collection,
                source_key=source_key,
                data=updates,
                item=item,
            )
        if recorded != item.imported:
            Item.objects.filter(pk=item.pk).update(imported=recorded)
    return ImportOutcome(source_key, item.title, action, changes, kept, item_id=item.pk)


def _set_status(item: Item, status: str, embargo_until: date | None) -> None:
    item.status = status
    item.embargo_until = embargo_until
    if item.is_public:
        item.was_public = True
    item.modified_at = timezone.now()
    item.full_clean()
    item.save(update_fields=["status", "embargo_until", "was_public", "modified_at"])
    reindex_item(item)


@transaction.atomic
def publish_item(*, actor: User | None, item: Item, request: HttpRequest | None = None) -> Item:
    if item.is_deleted:
        raise ValidationError(_("A deleted item cannot be published."), code="deleted")
    _set_status(item, Item.Status.PUBLISHED, None)
    _audit(actor, "archive.item_published", item, request)
    return item


@transaction.atomic
def embargo_item(
    *, actor: User | None, item: Item, until: date, request: HttpRequest | None = None
) -> Item:
    """Hide the item until `until` (it is then published by release_embargoes())."""
    if item.is_deleted:
        raise ValidationError(_("A deleted item cannot be embargoed."), code="deleted")
    if until <= timezone.localdate():
        raise ValidationError(_("The embargo date must be in the future."), code="past_embargo")
    _set_status(item, Item.Status.EMBARGOED, until)
    _audit(actor, "archive.item_embargoed", item, request, {"until": until.isoformat()})
    return item


@transaction.atomic
def withdraw_item(*, actor: User | None, item: Item, request: HttpRequest | None = None) -> Item:
    """Back to draft: no longer public (OAI-PMH then reports it as deleted)."""
    _set_status(item, Item.Status.DRAFT, None)
    _audit(actor, "archive.item_withdrawn", item, request)
    return item


@transaction.atomic
def delete_item(*, actor: User | None, item: Item, request: HttpRequest | None = None) -> Item:
    """Delete with a tombstone: the row stays (deleted) so harvesters learn of the deletion."""
    item.is_deleted = True
    item.deleted_at = timezone.now()
    item.modified_at = item.deleted_at
    item.save(update_fields=["is_deleted", "deleted_at", "modified_at"])
    reindex_item(item)
    _audit(actor, "archive.item_deleted", item, request)
    return item


def release_embargoes(*, today: date | None = None) -> int:
    """Publish the embargoed items whose date has come; returns how many."""
    today = today or timezone.localdate()
    released = 0
    for item in Item.objects.filter(
        status=Item.Status.EMBARGOED, embargo_until__lte=today, is_deleted=False
    ):
        with transaction.atomic():
            _set_status(item, Item.Status.PUBLISHED, None)
        released += 1
    return released


BULK_STATUS_ACTIONS = ("publish", "withdraw", "embargo", "delete")


@transaction.atomic
def bulk_edit_items(
    *,
    actor: User,
    items: Sequence[Item],
    action: str = "",
    embargo_until: date | None = None,
    add_subject: str = "",
    rights: str = "",
    request: HttpRequest | None = None,
) -> int:
    """Apply one status action and/or field changes to many items, each audited."""
    for item in items:
        if add_subject and add_subject not in item.subjects:
            save_item(
                actor=actor,
                collection=item.collection,
                source_key=item.source_key,
                item=item,
                data={"subjects": [*item.subjects, add_subject]},
                request=request,
            )
        if rights and rights != item.rights:
            save_item(
                actor=actor,
                collection=item.collection,
                source_key=item.source_key,
                item=item,
                data={"rights": rights},
                request=request,
            )
        if action == "publish":
            publish_item(actor=actor, item=item, request=request)
        elif action == "withdraw":
            withdraw_item(actor=actor, item=item, request=request)
        elif action == "embargo" and embargo_until is not None:
            embargo_item(actor=actor, item=item, until=embargo_until, request=request)
        elif action == "delete":
            delete_item(actor=actor, item=item, request=request)
    return len(items)


@transaction.atomic
def ensure_collection(
    *,
    slug: str,
    title_ja: str,
    title_en: str = "",
    description_ja: str = "",
    description_en: str = "",
    holder_ja: str = "",
    holder_en: str = "",
    source_url: str = "",
    organisation_id: int | None = None,
    iiif_origins: Sequence[str] | None = None,
) -> Collection:
    """Create or update a collection; `iiif_origins` (when given) replaces the holder origins
    it trusts (external.clean_origins: ValidationError for one that is not an origin)."""
    extra: dict[str, Any] = {}
    if iiif_origins is not None:
        try:
            extra["iiif_origins"] = clean_origins(iiif_origins)
        except ValueError as error:
            raise ValidationError(str(error), code="origin") from error
    collection, _created = Collection.objects.update_or_create(
        slug=slug,
        defaults={
            "title_ja": title_ja,
            "title_en": title_en,
            "description_ja": description_ja,
            "description_en": description_en,
            "holder_ja": holder_ja,
            "holder_en": holder_en,
            "source_url": source_url,
            "organisation_id": organisation_id,
            **extra,
        },
    )
    collection.full_clean()
    return collection


def collection_preview(*, slug: str, title_ja: str, **fields: Any) -> Collection:
    """The collection `slug` as stored, or an unsaved one (a dry run of an import)."""
    return Collection.objects.filter(slug=slug).first() or Collection(slug=slug, title_ja=title_ja)


@transaction.atomic
def set_item_text(
    *,
    item: Item,
    blocks: list[dict[str, Any]],
    footer: list[str],
    plain_text: str,
    reading_text: str,
    ruby_count: int,
    source_sha256: str,
) -> ItemText:
    text, _created = ItemText.objects.update_or_create(
        item=item,
        defaults={
            "blocks": blocks,
            "footer": footer,
            "plain_text": plain_text,
            "reading_text": reading_text,
            "ruby_count": ruby_count,
            "source_sha256": source_sha256,
        },
    )
    reindex_item(item)
    return text


# --- media ------------------------------------------------------------------------------------


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def tiles_directory(media: MediaFile) -> Path:
    return media_root() / "archive" / "iiif" / media.sha256


def ingest_image(*, data: bytes, filename: str = "") -> MediaFile:
    """Store an image once (by SHA-256) after checking it; tiles are rendered by a task.
    Raises imaging.ImageRejectedError for anything that is not a safe image within the limits."""
    checked = imaging.check_image(
        data,
        max_bytes=int(getattr(settings, "ARCHIVE_MAX_IMAGE_BYTES", 50 * 1024 * 1024)),
        max_pixels=int(getattr(settings, "ARCHIVE_MAX_IMAGE_PIXELS", 100_000_000)),
    )
    digest = hashlib.sha256(data).hexdigest()
    existing = MediaFile.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    media = MediaFile(
        sha256=digest,
        kind=MediaFile.Kind.IMAGE,
        mime_type=checked.mime_type,
        size=len(data),
        width=checked.width,
        height=checked.height,
    )
    media.file.save(f"{digest[:2]}/{digest}.{checked.extension}", ContentFile(data), save=False)
    media.save()
    transaction.on_commit(lambda: _task("render_tiles_task").enqueue(media.pk))
    return media


def ingest_audio(*, data: bytes, mime_type: str, duration: float) -> MediaFile:
    """Store an audio/video file once by SHA-256 (no transcoding)."""
    digest = hashlib.sha256(data).hexdigest()
    existing = MediaFile.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    kind = MediaFile.Kind.VIDEO if mime_type.startswith("video/") else MediaFile.Kind.AUDIO
    extension = {"audio/wav": "wav", "audio/mpeg": "mp3", "video/mp4": "mp4", "audio/ogg": "ogg"}
    media = MediaFile(
        sha256=digest, kind=kind, mime_type=mime_type, size=len(data), duration=duration
    )
    media.file.save(
        f"{digest[:2]}/{digest}.{extension.get(mime_type, 'bin')}", ContentFile(data), save=False
    )
    media.save()
    return media


THUMBNAIL_SIZE = 400
THUMBNAIL_TTL = timedelta(days=7)
THUMBNAIL_RETRY = timedelta(hours=1)


def thumbnail_path(url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()
    return media_root() / "archive" / "thumbnails" / digest[:2] / f"{digest}.jpg"


def _download_image(url: str, origins: Sequence[str], limit: int) -> bytes:
    """The body of `url` (following at most three redirects, each to a trusted origin), at most
    `limit` bytes; ValueError otherwise."""
    with httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
        for _hop in range(4):
            if not is_trusted(url, origins):
                raise ValueError(f"not a trusted origin: {url}")
            with client.stream("GET", url, headers={"Accept": "image/*"}) as response:
                if response.is_redirect and "location" in response.headers:
                    url = str(response.url.join(response.headers["location"]))
                    continue
                if response.status_code != 200:
                    raise ValueError(f"HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise ValueError(f"larger than {limit} bytes")
                return bytes(body)
    raise ValueError("too many redirects")


def cached_thumbnail(*, url: str, origins: Sequence[str]) -> Path | None:
    """A small JPEG (at most THUMBNAIL_SIZE px) of the external image `url`, fetched from a
    trusted origin by this site and kept THUMBNAIL_TTL; None when it cannot be had (a failure
    is retried after THUMBNAIL_RETRY, an older copy is served meanwhile). The download is
    limited in bytes and pixels (ARCHIVE_THUMBNAIL_MAX_BYTES, 5 MB; imaging.check_image) and
    the image is decoded and re-encoded, so nothing but pixels reaches the reader."""
    path = thumbnail_path(url)
    failed = path.with_suffix(".failed")
    now = timezone.now().timestamp()
    if path.exists() and now - path.stat().st_mtime < THUMBNAIL_TTL.total_seconds():
        return path
    if failed.exists() and now - failed.stat().st_mtime < THUMBNAIL_RETRY.total_seconds():
        return path if path.exists() else None
    limit = int(getattr(settings, "ARCHIVE_THUMBNAIL_MAX_BYTES", 5 * 1024 * 1024))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = _download_image(url, origins, limit)
        imaging.check_image(data, max_bytes=limit, max_pixels=40_000_000)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        imaging.save_thumbnail(data, partial, THUMBNAIL_SIZE)
        partial.replace(path)
    except (httpx.HTTPError, ValueError, OSError) as error:
        logger.warning("archive thumbnail %s: %s", url, error)
        failed.touch()
        return path if path.exists() else None
    failed.unlink(missing_ok=True)
    return path


def render_tiles(*, media_id: int) -> int:
    """Render the IIIF level-0 tiles of one image (idempotent); returns the number of files."""
    media = MediaFile.objects.get(pk=media_id, kind=MediaFile.Kind.IMAGE)
    target = tiles_directory(media)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    count = imaging.render_level0(Path(media.file.path), partial)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    MediaFile.objects.filter(pk=media.pk).update(tiles_ready=True)
    return count


@transaction.atomic
def attach_media(*, item: Item, media: MediaFile, label: str = "", position: int = 0) -> ItemMedia:
    item_media, _created = ItemMedia.objects.update_or_create(
        item=item, media=media, defaults={"label": label, "position": position}
    )
    Item.objects.filter(pk=item.pk).update(modified_at=timezone.now())
    return item_media


@transaction.atomic
def set_track(*, item_media: ItemMedia, language: str, label: str, vtt: str) -> Track:
    """Add or replace the WebVTT track of one language; ValidationError if it is not WebVTT."""
    try:
        parse_vtt(vtt)
    except WebVttError as error:
        raise ValidationError(
            _("The track is not valid WebVTT: %(reason)s"), params={"reason": str(error)}
        ) from error
    track, _created = Track.objects.update_or_create(
        item_media=item_media, language=language, defaults={"label": label, "vtt": vtt}
    )
    reindex_item(item_media.item)
    return track


@transaction.atomic
def set_segments(*, item: Item, segments: Sequence[tuple[float, float, str, str]]) -> int:
    """Replace the performance segments (start, end, title, restriction)."""
    Segment.objects.filter(item=item).delete()
    for start, end, title, restriction in segments:
        segment = Segment(
            item=item, start_seconds=start, end_seconds=end, title=title, restriction=restriction
        )
        segment.full_clean()
        segment.save()
    Item.objects.filter(pk=item.pk).update(modified_at=timezone.now())
    reindex_item(item)  # a part closed now leaves the index at once
    return len(segments)
