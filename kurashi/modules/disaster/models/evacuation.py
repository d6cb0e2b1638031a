"""Evacuation information issued by a municipality (高齢者等避難 L3, 避難指示 L4, 緊急安全確保 L5,
解除): drafted by one staff member, published only after a second staff member approves."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kurashi.modules.disaster.models.alerts import Hazard


class EvacuationOrder(models.Model):
    class Level(models.IntegerChoices):
        LIFTED = 0, _("Lifted (解除)")
        ELDERLY = 3, _("Level 3: evacuation of the elderly and others (高齢者等避難)")
        EVACUATE = 4, _("Level 4: evacuation order (避難指示)")
        EMERGENCY = 5, _("Level 5: emergency safety measures (緊急安全確保)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    municipality_code = models.CharField(max_length=6, db_index=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    hazard = models.CharField(max_length=20, choices=Hazard.choices)
    # Whole municipality, or named districts and/or a drawn polygon.
    is_whole_municipality = models.BooleanField(default=True)
    districts = models.TextField(blank=True)  # one district name per line
    area_geojson = models.JSONField(null=True, blank=True)
    households = models.PositiveIntegerField(null=True, blank=True)
    people = models.PositiveIntegerField(null=True, blank=True)
    message_ja = models.TextField()
    message_easy_ja = models.TextField(blank=True)  # やさしい日本語
    message_en = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    # The order this one updates or lifts (same municipality).
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The first order of the chain of updates (null for the first order itself): one public
    # event (Alert.event_key) and one L-Alert documentID per chain.
    chain_root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_reason = models.TextField(blank=True)
    is_exercise = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("evacuation information")
        verbose_name_plural = _("evacuation information")
        permissions = (
            ("draft_evacuation_order", "Can draft evacuation information for the municipality"),
            (
                "approve_evacuation_order",
                "Can approve and publish evacuation information for the municipality",
            ),
            ("export_lalert", "Can download L-Alert (EDXL-DE) exports for the municipality"),
        )
        indexes = (
            models.Index(
                fields=("municipality_code", "state"), name="disaster_evacuation_muni_state"
            ),
        )
        constraints = (
            models.CheckConstraint(
                condition=~models.Q(state="published") | models.Q(approved_by__isnull=False),
                name="disaster_evacuation_published_is_approved",
            ),
            # Two-person rule: whoever drafted an order can never be the one who approved it.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("drafted_by")),
                name="disaster_evacuation_approver_is_not_drafter",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=(0, 3, 4, 5)),
                name="disaster_evacuation_level_values",
            ),
            # 解除 always lifts a published order.
            models.CheckConstraint(
                condition=~models.Q(level=0) | models.Q(replaces__isnull=False),
                name="disaster_evacuation_lift_replaces_an_order",
            ),
        )

    def __str__(self) -> str:
        return f"{self.municipality_code} L{self.level} ({self.state})"

    @property
    def is_lift(self) -> bool:
        return self.level == self.Level.LIFTED

    @property
    def chain_root_pk(self) -> int:
        """Primary key of the first order of this order's chain (itself when it starts one)."""
        return self.chain_root_id or self.pk

    @property
    def district_list(self) -> list[str]:
        return [line.strip() for line in self.districts.splitlines() if line.strip()]

    @property
    def event_key(self) -> str:
        return f"evacuation:{self.municipality_code}:{self.chain_root_pk}"

    @property
    def alert_identifier(self) -> str:
        return f"urn:kurashi:{self.municipality_code}:evacuation:{self.pk}"
