"""JMA 防災情報XML intake: feed polling state, seen feed entries, stored bulletins, and the warning
state per municipality that the bulletins produce."""

from django.db import models
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
        SKIPPED = "skipped", _("Skipped (other office)")
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
    seen_at = models.DateTimeField(auto_now_add=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("JMA feed entry")
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

    class Meta:
        ordering = ("-report_datetime", "-id")
        verbose_name = _("JMA bulletin")
        verbose_name_plural = _("JMA bulletins")
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
