from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kurashi.core.models import Municipality, Organisation
from kurashi.modules.archive.eras import Era
from kurashi.modules.archive.rights import Rights


class Collection(models.Model):
    """A collection of items; also the OAI-PMH set (setSpec = slug, ASCII)."""

    slug = models.SlugField(_("identifier"), max_length=60, unique=True)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    holder_ja = models.CharField(_("holding institution (Japanese)"), max_length=200, blank=True)
    holder_en = models.CharField(_("holding institution (English)"), max_length=200, blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    # The holder's IIIF origins this site trusts (e.g. "https://www.sagalibdb.jp"): item pages
    # of the collection open external manifests from them in the viewer (the page's CSP allows
    # exactly these origins), and their thumbnails are shown through the thumbnail cache.
    iiif_origins = models.JSONField(_("trusted IIIF origins"), default=list, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("managing organisation"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["slug"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")

    def __str__(self) -> str:
        return self.title_ja


class Item(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")
        PERFORMANCE = "performance", _("Performing art")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", pgettext_lazy("archive", "Published")
        EMBARGOED = "embargoed", _("Embargoed")

    collection = models.ForeignKey(
        Collection, on_delete=models.PROTECT, related_name="items", verbose_name=_("collection")
    )
    # The identifier in the source (Aozora work number, manifest URL, CSV id): makes imports
    # idempotent.
    source_key = models.CharField(_("source identifier"), max_length=300)
    title = models.CharField(pgettext_lazy("archive", "title"), max_length=300)
    title_reading = models.CharField(_("title reading (kana)"), max_length=300, blank=True)
    title_en = models.CharField(_("English title"), max_length=300, blank=True)
    alternative_title = models.CharField(_("alternative title"), max_length=300, blank=True)
    creators = models.JSONField(_("creators"), default=list, blank=True)
    creators_reading = models.JSONField(_("creator readings"), default=list, blank=True)
    description = models.TextField(pgettext_lazy("archive", "description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    date_text = models.CharField(_("date as written"), max_length=100, blank=True)
    year = models.IntegerField(_("year"), null=True, blank=True)
    era = models.CharField(_("era"), max_length=10, choices=Era.choices, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    language = models.CharField(_("language"), max_length=12, default="ja")
    rights = models.CharField(_("rights"), max_length=16, choices=Rights.choices)
    rights_holder_ja = models.CharField(_("rights holder (Japanese)"), max_length=200, blank=True)
    rights_holder_en = models.CharField(_("rights holder (English)"), max_length=200, blank=True)
    metadata_cc0 = models.BooleanField(_("metadata released under CC0"), default=True)
    source_url = models.URLField(_("original page"), max_length=500, blank=True)
    external_manifest_url = models.URLField(
        _("IIIF manifest (external)"), max_length=500, blank=True
    )
    thumbnail_url = models.URLField(_("thumbnail (external)"), max_length=500, blank=True)
    # Performing arts: the event, where, and the group that preserves it (保存会).
    event_name = models.CharField(_("event"), max_length=200, blank=True)
    performed_on = models.DateField(_("performed on"), null=True, blank=True)
    preserving_group = models.CharField(_("preserving group"), max_length=200, blank=True)
    status = models.CharField(
        pgettext_lazy("archive", "status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    embargo_until = models.DateField(_("embargo until"), null=True, blank=True)
    # Deletion keeps a tombstone so OAI-PMH harvesters learn about it (deletedRecord=persistent).
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    was_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The OAI-PMH datestamp: every change of metadata or visibility moves it.
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Normalised title, reading, English title, subjects and creators (phrase ranking).
    search_key = models.TextField(blank=True, editable=False)
    # What the last import wrote into each field it supplies: a field whose value still equals
    # it is the source's and follows the source; any other value is a curator's and is kept
    # (services.import_item).
    imported = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["pk"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        permissions = [  # noqa: RUF012
            ("catalogue_items", "Can catalogue archive items"),
            ("publish_items", "Can publish, embargo and withdraw archive items"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["collection", "source_key"], name="archive_item_unique_source"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="embargoed") | models.Q(embargo_until__isnull=False),
                name="archive_item_embargo_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="archive_item_latitude_range",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "is_deleted"], name="archive_item_visible"),
            models.Index(fields=["collection", "status"], name="archive_item_collection"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and not self.is_deleted


class ItemText(models.Model):
    """The parsed body of a text item (Aozora notation → blocks with ruby and annotations)."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="text")
    blocks = models.JSONField(default=list)
    footer = models.JSONField(default=list)
    plain_text = models.TextField(blank=True)
    reading_text = models.TextField(blank=True)
    ruby_count = models.PositiveIntegerField(default=0)
    source_sha256 = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"text of {self.item_id}"


class MediaFile(models.Model):
    """A file stored once, named by its SHA-256; several items may show it."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")

    sha256 = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to="archive/originals/", max_length=300)
    mime_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    tiles_ready = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.sha256[:12]


class ItemMedia(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="media")
    media = models.ForeignKey(MediaFile, on_delete=models.PROTECT, related_name="uses")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "pk"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["item", "media"], name="archive_itemmedia_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.media_id}"


class Track(models.Model):
    """A WebVTT track of an audio/video file: captions or transcript in one language (dialect
    text, standard Japanese, English …)."""

    item_media = models.ForeignKey(ItemMedia, on_delete=models.CASCADE, related_name="tracks")
    language = models.CharField(_("language"), max_length=16)
    label = models.CharField(_("label"), max_length=80)
    vtt = models.TextField("WebVTT")

    class Meta:
        ordering: ClassVar[list[str]] = ["pk"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["item_media", "language"], name="archive_track_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.language})"


class Segment(models.Model):
    """A part of a performance recording with its own restriction (performers' consent, sacred
    or closed parts that must not be shown)."""

    class Restriction(models.TextChoices):
        OPEN = "open", pgettext_lazy("archive", "Open")
        CONSENT_PENDING = "consent", _("Performers' consent pending")
        CLOSED = "closed", _("Sacred or closed part: not shown")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="segments")
    start_seconds = models.FloatField(_("start (seconds)"))
    end_seconds = models.FloatField(_("end (seconds)"))
    title = models.CharField(pgettext_lazy("archive", "title"), max_length=200)
    restriction = models.CharField(
        _("restriction"), max_length=8, choices=Restriction.choices, default=Restriction.OPEN
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["start_seconds"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(end_seconds__gt=models.F("start_seconds")),
                name="archive_segment_positive_length",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Posting(models.Model):
    """The inverted index: one row per (normalised uni/bigram, public item), with the weight of
    the best field it occurs in and the item's facet values (so search, facets and filters never
    join the item table). Maintained by services.reindex_item()."""

    term = models.CharField(max_length=4)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+", db_index=True)
    weight = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=12)
    era = models.CharField(max_length=10, blank=True)
    rights = models.CharField(max_length=16)
    municipality_id = models.BigIntegerField(null=True, blank=True)
    # The four facet values as one integer (facetcode.encode): what a multi-term search counts.
    facets = models.BigIntegerField(default=0)
    # Where the term occurs in the item's search document: bit (position mod 62) per
    # occurrence, and bit 62 when the document is too long for that to be exact (then a phrase
    # found through the bits is confirmed against SearchDocument). See indexing.py.
    mask = models.BigIntegerField(default=0)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            # (term, item) look-ups and merge joins of a multi-term query; on PostgreSQL it
            # covers the facet values too, so a merge join of every term is index-only
            # (SQLite ignores `include`: there the rarest term drives through the index below)
            models.Index(
                fields=["term", "item", "weight", "mask"],
                include=["type", "era", "rights", "municipality_id", "facets"],
                name="archive_posting_term_mask",
            ),
            # the best matches of a term, with the facet values, without touching the table
            models.Index(
                fields=[
                    "term",
                    "weight",
                    "item",
                    "type",
                    "era",
                    "rights",
                    "municipality_id",
                    "facets",
                    "mask",
                ],
                name="archive_posting_rank_mask",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term}→{self.item_id}"


class SearchDocument(models.Model):
    """The normalised search document of a public item whose document is too long for the
    position bits of its postings to be exact (indexing.EXACT_SPAN): a phrase those bits admit
    is confirmed here (a substring test)."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, primary_key=True, related_name="+")
    text = models.TextField()

    def __str__(self) -> str:
        return f"document of {self.item_id}"


class Term(models.Model):
    """How many public items hold a term: decides which term drives a multi-term query, and
    answers a query with an unknown term without reading any posting. Kept in step with the
    postings by services, like TermStat."""

    term = models.CharField(max_length=4, unique=True)
    items = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.term}: {self.items}"


class TermStat(models.Model):
    """How many public items hold a term, per combination of facet values: the total and the
    exact facet counts of a one-term query (with or without facet filters) without reading the
    term's postings. Kept in step with the postings by services (every posting written or
    removed adds or takes one); services.rebuild_term_stats() recomputes it from the
    postings."""

    term = models.CharField(max_length=4)
    type = models.CharField(max_length=12)
    era = models.CharField(max_length=10, blank=True)
    rights = models.CharField(max_length=16)
    municipality_id = models.BigIntegerField(default=0)  # 0: no municipality
    items = models.IntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["term", "type", "era", "rights", "municipality_id"],
                name="archive_termstat_unique",
            )
        ]
        indexes: ClassVar[list[models.Index]] = [
            # every column: a term's facet counts are read from the index alone (the rows of
            # one term lie wherever their upserts put them in the table)
            models.Index(
                fields=["term", "type", "era", "rights", "municipality_id", "items"],
                name="archive_termstat_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.term}: {self.items}"
