"""JMA 防災情報XML intake: feed polling state, seen feed entries, stored bulletins, rejected
documents, and the warning state per municipality that the bulletins produce."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedState(models.Model):
    """Conditional-GET state of one JMA Atom feed (extra, eqvol, regular …)."""

    url = models.URLField(max_length=500, unique=True)
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=200, blank=True)  # "200 12 new", "304", "error: …"

    class Meta:
        verbose_name = _("JMA feed")
        verbose_name_plural = _("JMA feeds")

    def __str__(self) -> str:
        return self.url


class FeedEntry(models.Model):
    """An Atom entry seen in a feed. Its data URL is fetched at most once."""

    class State(models.TextChoices):
        SKIPPED = "skipped", _("Skipped (other office or type)")
        PENDING = "pending", _("Waiting to be fetched")
        FETCHED = "fetched", _("Fetched")
        FAILED = "failed", _("Failed")

    entry_id = models.CharField(max_length=500, unique=True)
    data_url = models.URLField(max_length=500)
    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200, blank=True)
    office_code = models.CharField(max_length=6, blank=True)
    type_code = models.CharField(max_length=10, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    seen_at = models.DateTimeField(auto_now_add=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("JMA feed entry")
        indexes = (models.Index(fields=("state", "seen_at"), name="disaster_feedentry_state"),)
        verbose_name_plural = _("JMA feed entries")

    def __str__(self) -> str:
        return self.entry_id


class Bulletin(models.Model):
    """One JMA XML document as received (or a rejected one, with the reason)."""

    class InfoType(models.TextChoices):
        ISSUED = "発表", "発表"
        CORRECTED = "訂正", "訂正"
        CANCELLED = "取消", "取消"

    class ControlStatus(models.TextChoices):
        NORMAL = "通常", "通常"
        EXERCISE = "訓練", "訓練"
        TEST = "試験", "試験"

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Changed the Saga state")
        UNCHANGED = "unchanged", _("Confirmed the Saga state (no change)")
        STALE = "stale", _("Older than the state in force (not applied)")
        NOT_SAGA = "not_saga", _("Not about Saga")
        NO_STATE = "no_state", _("Information only (no warning state)")
        RETRACTED = "retracted", _("Retracted an earlier bulletin (取消)")

    type_code = models.CharField(max_length=10, db_index=True)  # VPWW53, VXKO, VXSE53 …
    control_title = models.CharField(max_length=200)
    control_status = models.CharField(max_length=4, choices=ControlStatus.choices)
    control_datetime = models.DateTimeField()
    editorial_office = models.CharField(max_length=200)
    publishing_office = models.CharField(max_length=200, blank=True)
    head_title = models.CharField(max_length=300)
    report_datetime = models.DateTimeField(db_index=True)
    target_datetime = models.DateTimeField(null=True, blank=True)
    event_id = models.CharField(max_length=100)
    serial = models.CharField(max_length=20, blank=True)
    info_type = models.CharField(max_length=4, choices=InfoType.choices)
    info_kind = models.CharField(max_length=100, blank=True)
    info_kind_version = models.CharField(max_length=20, blank=True)
    headline = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    raw_xml = models.TextField()
    source = models.CharField(max_length=20, default="feed")  # feed | upload | cli
    source_name = models.CharField(max_length=500, blank=True)  # data URL or file name
    received_at = models.DateTimeField(auto_now_add=True)
    # Set when a later 訂正/取消 or a newer serial of the same event replaced this one.
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The product family (see jma/levels.py family_of) and what ingesting the bulletin did.
    family = models.CharField(max_length=100, blank=True, db_index=True)
    mentions_saga = models.BooleanField(default=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.NO_STATE)
    # {"added": [...], "lifted": [...], "levels": {"412015": 3}} — what changed in Saga.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-report_datetime", "-id")
        verbose_name = _("JMA bulletin")
        verbose_name_plural = _("JMA bulletins")
        permissions = (
            ("ingest_bulletin", "Can ingest JMA bulletins (upload or replay of files)"),
            ("view_intake", "Can view the JMA intake log and the exercise state"),
        )
        constraints = (
            models.UniqueConstraint(
                fields=(
                    "control_title",
                    "editorial_office",
                    "event_id",
                    "serial",
                    "report_datetime",
                    "info_type",
                ),
                name="disaster_bulletin_idempotency",
            ),
        )

    def __str__(self) -> str:
        return f"{self.type_code} {self.head_title} {self.report_datetime:%Y-%m-%d %H:%M}"

    @property
    def is_exercise(self) -> bool:
        return self.control_status != self.ControlStatus.NORMAL


class AreaWarningQuerySet(models.QuerySet["AreaWarning"]):
    def unexpired(self, at: datetime | None = None) -> "AreaWarningQuerySet":
        moment = at or timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=moment))

    def in_force(self, at: datetime | None = None) -> "AreaWarningQuerySet":
        """THE definition of a warning row in force at `at` (now): not replaced, lifted or
        retracted, and not expired (the same rule as Alert.objects.in_force)."""
        return self.filter(is_current=True).unexpired(at)


class AreaWarning(models.Model):
    """A warning in force for one municipality, produced by a bulletin (current until replaced)."""

    municipality_code = models.CharField(max_length=6, db_index=True)
    # The product family the warning belongs to, so a newer bulletin of the family replaces it:
    # "weather" (VPWW5x), "landslide" (VXWW50), "flood:<river code>" (VXKO), "tsunami", "earthquake" …
    family = models.CharField(max_length=100)
    hazard = models.CharField(max_length=20)  # Hazard value
    kind_code = models.CharField(max_length=10, blank=True)
    kind_name = models.CharField(max_length=100)  # e.g. 大雨警報, レベル４大雨危険警報, 震度５弱
    level = models.PositiveSmallIntegerField(default=0)  # 警戒レベル (相当) 0–5
    since = models.DateTimeField()
    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="area_warnings")
    is_exercise = models.BooleanField(default=False)
    is_current = models.BooleanField(default=True, db_index=True)
    status = models.CharField(max_length=40, blank=True)  # 発表 / 継続 (as JMA wrote it)
    last_kind_name = models.CharField(max_length=100, blank=True)  # R06 / tsunami LastKind
    detail = models.CharField(max_length=100, blank=True)  # e.g. tsunami height ３ｍ, intensity 5-
    # The language-neutral key of the kind (jma/kinds.py), and JMA's Kind/Condition of a heavy-rain
    # kind as written (「土砂災害」「浸水害」「土砂災害、浸水害」).
    kind_key = models.CharField(max_length=60, blank=True)
    condition = models.CharField(max_length=40, blank=True)
    # Observation-type information (earthquakes, 竜巻注意情報 …) stops being current by itself.
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Bulletin, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AreaWarningQuerySet.as_manager()

    class Meta:
        ordering = ("municipality_code", "-level", "kind_name")
        verbose_name = _("warning in force")
        verbose_name_plural = _("warnings in force")
        indexes = (
            models.Index(
                fields=("is_current", "municipality_code"), name="disaster_warning_current"
            ),
        )

    def __str__(self) -> str:
        return f"{self.municipality_code} {self.kind_name} (L{self.level})"


class RejectedBulletin(models.Model):
    """A document refused at intake (hostile, malformed, too large, unknown type), with the reason.
    Only the first bytes are kept, as escaped text: nothing else of it is stored or processed."""

    reason = models.CharField(max_length=20)  # xmlsafe.REASONS key: too_large, doctype, …
    message = models.CharField(max_length=500)
    source = models.CharField(max_length=20)  # feed | upload | cli
    source_name = models.CharField(max_length=500, blank=True)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    head = models.TextField(blank=True)  # the first 1,000 characters, decoded leniently
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-received_at", "-id")
        verbose_name = _("rejected JMA document")
        verbose_name_plural = _("rejected JMA documents")

    def __str__(self) -> str:
        return f"{self.reason}: {self.source_name or self.sha256[:12]}"
