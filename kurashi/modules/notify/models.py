"""Subscriptions, the persisted notices (one per alert revision) and the delivery outbox."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LANGUAGES = (
    ("ja", "日本語"),
    ("ja-x-easy", "やさしい日本語"),
    ("en", "English"),
    ("zh-Hans", "中文(简体)"),
    ("zh-Hant", "中文(繁體)"),
    ("ko", "한국어"),
    ("vi", "Tiếng Việt"),
    ("tl", "Tagalog"),
    ("ne", "नेपाली"),
    ("id", "Bahasa Indonesia"),
    ("my", "မြန်မာဘာသာ"),
    ("pt", "Português"),
)

# Hazards as the disaster module names them; a bit each, so that preferences filter in SQL on
# both SQLite and PostgreSQL (no JSON containment query needed at prefecture scale).
HAZARDS = (
    ("heavy_rain", _("Heavy rain")),
    ("landslide", _("Landslide")),
    ("flood", _("Flood")),
    ("storm_surge", _("Storm surge")),
    ("storm", _("Storm")),
    ("high_waves", _("High waves")),
    ("snow", _("Heavy snow")),
    ("tornado", _("Tornado")),
    ("heat", _("Heat stroke")),
    ("earthquake", _("Earthquake")),
    ("tsunami", _("Tsunami")),
    ("fire", _("Large fire")),
    ("other", _("Other")),
)
HAZARD_BITS = {key: 1 << index for index, (key, _label) in enumerate(HAZARDS)}
ALL_HAZARDS_MASK = (1 << len(HAZARDS)) - 1


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBPUSH = "webpush", _("Browser notification (Web Push)")
    WEBHOOK = "webhook", _("Webhook")
    MASTODON = "mastodon", _("SNS post (Mastodon)")
    LINE = "line", "LINE"
    SMS = "sms", "SMS"
    NULL = "null", _("Null (benchmarks)")


# Per-recipient channels only: the SNS post is one per notice, not per subscriber.
CHANNEL_BITS = {"email": 1, "webpush": 2, "webhook": 4, "line": 8, "sms": 16, "null": 32}


class Lane(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    NORMAL = "default", _("Normal")
    BULK = "bulk", _("Bulk")


class Subscription(models.Model):
    """One resident's (or one municipal system's) choices. Email-only subscribers confirm by a
    link first (double opt-in); a push subscription needs no account and no e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_subscriptions",
    )
    email = models.EmailField(blank=True)
    is_confirmed = models.BooleanField(default=False)
    language = models.CharField(max_length=10, choices=LANGUAGES, default="ja")
    hazard_mask = models.PositiveIntegerField(default=ALL_HAZARDS_MASK)
    min_level = models.PositiveSmallIntegerField(default=3)
    # [{"lat": 33.25, "lon": 130.3, "radius_m": 2000, "label": "home"}]
    points = models.JSONField(default=list, blank=True)
    channel_mask = models.PositiveSmallIntegerField(default=0)  # CHANNEL_BITS of its channels
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    push_endpoint = models.URLField(max_length=1000, blank=True)
    push_p256dh = models.CharField(max_length=200, blank=True)
    push_auth = models.CharField(max_length=100, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=100, blank=True)
    # LINE user id of the prefecture's official account ("U" + 32 hex), from its follow webhook.
    line_user_id = models.CharField(max_length=33, blank=True)
    # E.164, e.g. +819012345678 (SMS).
    phone = models.CharField(max_length=16, blank=True)
    # The secret behind every manage/unsubscribe link (signed together with the id).
    token = models.CharField(max_length=40, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = (models.Index(fields=("is_active", "min_level"), name="notify_sub_active_lvl"),)
        constraints = (
            models.CheckConstraint(
                condition=models.Q(min_level__gte=1, min_level__lte=5),
                name="notify_subscription_min_level_range",
            ),
        )

    def __str__(self) -> str:
        return (
            f"subscription {self.pk} ({self.email or self.push_endpoint[:40] or self.webhook_url})"
        )

    @property
    def channel_list(self) -> list[str]:
        return [name for name, bit in CHANNEL_BITS.items() if self.channel_mask & bit]

    @property
    def hazard_list(self) -> list[str]:
        return [name for name, bit in HAZARD_BITS.items() if self.hazard_mask & bit]


class SubscriptionArea(models.Model):
    """A municipality a subscription covers: chosen directly, or touched by one of its points'
    circles (`from_point`; those are refined against the alert's polygon when it has one)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="areas")
    municipality_code = models.CharField(max_length=6)
    from_point = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("subscription area")
        verbose_name_plural = _("subscription areas")
        indexes = (
            models.Index(fields=("municipality_code", "subscription"), name="notify_area_code"),
        )
        constraints = (
            models.UniqueConstraint(
                fields=("subscription", "municipality_code"), name="notify_area_unique"
            ),
        )

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.municipality_code}"


class Notice(models.Model):
    """One alert revision as the notify module received it (see public.Notice)."""

    key = models.CharField(max_length=200, unique=True)
    event_key = models.CharField(max_length=200)
    revision = models.PositiveIntegerField()
    msg_type = models.CharField(max_length=10, default="Alert")
    references_key = models.CharField(max_length=200, blank=True)
    hazard = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField(default=0)
    area_levels = models.JSONField(default=dict)
    area_geojson = models.JSONField(null=True, blank=True)
    texts = models.JSONField(default=dict)
    # The structured part of the notice (notices.Notice.content_json): {"family": …, "areas":
    # [AreaState JSON, …]}; messages are rendered from it per recipient municipality.
    content = models.JSONField(default=dict, blank=True)
    web_url = models.CharField(max_length=500, blank=True)
    sent = models.DateTimeField()
    is_exercise = models.BooleanField(default=False)
    lane = models.CharField(max_length=20, choices=Lane.choices, default=Lane.NORMAL)
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    # Touched by the fan-out after every chunk it writes: recovery restarts only fan-outs that
    # stopped moving (a worker died), never one that another worker is still writing.
    fan_out_progress_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-sent", "-id")
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        permissions = (("view_deliveries", _("Can view the delivery progress of alerts")),)
        constraints = (
            models.UniqueConstraint(
                fields=("event_key", "revision"), name="notify_notice_revision"
            ),
        )

    def __str__(self) -> str:
        return f"{self.event_key} r{self.revision} ({self.msg_type}, L{self.level})"


class Delivery(models.Model):
    """The outbox: one row per recipient × channel × alert revision. `idempotency_key` is unique,
    so however often a revision is dispatched, each recipient gets one row, hence one message."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    lane = models.CharField(max_length=20, choices=Lane.choices)
    idempotency_key = models.CharField(max_length=300, unique=True)
    is_correction = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = (
            models.Index(
                fields=("lane", "status", "next_attempt_at"), name="notify_delivery_queue"
            ),
            models.Index(fields=("notice", "status"), name="notify_delivery_notice"),
            models.Index(fields=("claim",), name="notify_delivery_claim"),
        )

    def __str__(self) -> str:
        return self.idempotency_key


class NullMessage(models.Model):
    """What the null channel "sends": written in the same transaction that marks the delivery
    sent, so a crash leaves both or neither (benchmarks and the exactly-once test count these)."""

    # Deliberately not unique: a duplicate hand-off must be countable, not hidden by a constraint.
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("null message")
        verbose_name_plural = _("null messages")

    def __str__(self) -> str:
        return f"null message {self.delivery_id}"
