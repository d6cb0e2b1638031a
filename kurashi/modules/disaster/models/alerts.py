"""The canonical public alert: what residents are told, whatever its source.

Every JMA bulletin that reaches residents and every published evacuation order becomes one Alert
revision. Revisions of one event share `event_key`; a new revision is msg_type Update (or Cancel)
and `references` the revision it replaces, which stops being current. CAP 1.2, the Atom feed,
L-Alert and (later) the notify module all read Alerts, never the sources directly.
"""

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Languages of alert texts: Japanese, やさしい日本語, and the main visitor languages.
ALERT_LANGUAGES = ("ja", "ja-x-easy", "en", "zh-Hans", "ko", "vi")


class Hazard(models.TextChoices):
    HEAVY_RAIN = "heavy_rain", _("Heavy rain")
    LANDSLIDE = "landslide", _("Landslide")
    FLOOD = "flood", _("Flood")
    STORM_SURGE = "storm_surge", _("Storm surge")
    STORM = "storm", _("Storm")
    HIGH_WAVES = "high_waves", _("High waves")
    SNOW = "snow", _("Heavy snow")
    TORNADO = "tornado", _("Tornado")
    HEAT = "heat", _("Heat stroke")
    EARTHQUAKE = "earthquake", _("Earthquake")
    TSUNAMI = "tsunami", _("Tsunami")
    FIRE = "fire", _("Large fire")
    OTHER = "other", _("Other")


class AlertQuerySet(models.QuerySet["Alert"]):
    def in_force(self, at: datetime | None = None) -> "AlertQuerySet":
        """THE definition of an alert in force at `at` (now): the latest revision of its event,
        not a Cancel, not expired. Every page, API, feed and notice reads alerts through it
        (selectors.alerts.current_alerts)."""
        moment = at or timezone.now()
        return (
            self.filter(is_current=True)
            .exclude(msg_type="Cancel")
            .filter(models.Q(expires__isnull=True) | models.Q(expires__gt=moment))
        )


class Alert(models.Model):
    class Source(models.TextChoices):
        JMA = "jma", _("Japan Meteorological Agency")
        EVACUATION = "evacuation", _("Evacuation information of a municipality")

    class MsgType(models.TextChoices):
        ALERT = "Alert", "Alert"
        UPDATE = "Update", "Update"
        CANCEL = "Cancel", "Cancel"

    class Status(models.TextChoices):
        ACTUAL = "Actual", _("Actual")
        EXERCISE = "Exercise", _("Exercise (訓練)")
        TEST = "Test", _("Test (試験)")

    # CAP identifier, unique per revision, e.g. "urn:kurashi:410004:jma:20240725041454_0_VPWW53_410000".
    identifier = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    # Same for every revision of one event (e.g. "jma:気象警報・注意報:佐賀地方気象台" or "evacuation:412023:17").
    event_key = models.CharField(max_length=200, db_index=True)
    revision = models.PositiveIntegerField(default=1)
    msg_type = models.CharField(max_length=10, choices=MsgType.choices, default=MsgType.ALERT)
    references = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTUAL)
    sent = models.DateTimeField(db_index=True)
    effective = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    hazard = models.CharField(max_length=20, choices=Hazard.choices)
    # 警戒レベル 1–5 (0 = lifted / no level); `level` is the highest of `area_levels`.
    level = models.PositiveSmallIntegerField(default=0)
    # {"412015": 4, "412023": 2}: level per municipality (6-digit code) covered by this revision.
    area_levels = models.JSONField(default=dict)
    # What each municipality is told, as notify's AreaState JSON (notify.public.areas_from_json):
    # [{"code": "412015", "level": 5, "kinds": [{"kind": "heavy_rain_emergency_warning",
    #   "name_ja": "大雨特別警報", "conditions": ["landslide"], …}], "lifted": […],
    #   "instruction": "safety_now", "name_ja": …, "name_kana": …, "name_en": …}, …].
    # Pages, API, CAP and notices name per municipality exactly the kinds in force there.
    area_states = models.JSONField(default=list, blank=True)
    # Optional drawn area (GeoJSON Polygon/MultiPolygon) inside the municipalities, e.g. a district.
    area_geojson = models.JSONField(null=True, blank=True)
    area_description_ja = models.CharField(max_length=500, blank=True)
    # {"ja": {"event": …, "headline": …, "description": …, "instruction": …}, "ja-x-easy": {…}, "en": {…}, …}
    texts = models.JSONField(default=dict)
    sender_name_ja = models.CharField(max_length=200, blank=True)  # e.g. 佐賀地方気象台, 唐津市
    # Where it came from (exactly one is set): a JMA bulletin or an evacuation order.
    bulletin = models.ForeignKey(
        "disaster.Bulletin", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    evacuation_order = models.ForeignKey(
        "disaster.EvacuationOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    # The latest revision of its event; Cancel revisions are current but carry level 0.
    is_current = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ("-sent", "-id")
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = (
            models.UniqueConstraint(
                fields=("event_key", "revision"), name="disaster_alert_event_revision_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(level__lte=5), name="disaster_alert_level_range"
            ),
            models.CheckConstraint(
                condition=models.Q(msg_type="Alert", references__isnull=True)
                | (~models.Q(msg_type="Alert") & models.Q(references__isnull=False)),
                name="disaster_alert_references_iff_update_or_cancel",
            ),
        )

    def __str__(self) -> str:
        return f"{self.identifier} ({self.msg_type}, L{self.level})"

    @property
    def is_public(self) -> bool:
        """訓練 (Exercise) and 試験 (Test) never reach residents; they show only in the exercise view."""
        return self.status == self.Status.ACTUAL

    def text(self, language: str, field: str) -> str:
        """The text in `language`, falling back to Japanese."""
        texts: dict[str, Any] = self.texts or {}
        value = (texts.get(language) or {}).get(field) or (texts.get("ja") or {}).get(field) or ""
        return str(value)
