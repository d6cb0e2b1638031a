"""Designated shelters (指定避難所) and emergency evacuation sites (指定緊急避難場所) from the GSI
open data, keyed by the national 共通ID, with their live status."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Shelter(models.Model):
    class Kind(models.TextChoices):
        SHELTER = "shelter", _("Designated shelter (指定避難所)")
        EMERGENCY_SITE = (
            "emergency_site",
            _("Designated emergency evacuation site (指定緊急避難場所)"),
        )

    class OpenState(models.TextChoices):
        NOT_OPEN = "not_open", _("Not open (未開設)")
        OPEN = "open", _("Open (開設)")
        CLOSED = "closed", _("Closed (閉鎖)")

    class Crowding(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown (不明)")
        AVAILABLE = "available", _("Space available (空き)")
        CROWDED = "crowded", _("Crowded (混雑)")
        FULL = "full", _("Full (定員一杯)")

    common_id = models.CharField(_("common ID (共通ID)"), max_length=14, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    municipality_code = models.CharField(max_length=6, db_index=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    # GSI hazard flags (指定緊急避難場所: which hazards the site is designated for).
    for_flood = models.BooleanField(default=False)
    for_landslide = models.BooleanField(default=False)
    for_storm_surge = models.BooleanField(default=False)
    for_earthquake = models.BooleanField(default=False)
    for_tsunami = models.BooleanField(default=False)
    for_fire = models.BooleanField(default=False)
    for_inland_flood = models.BooleanField(default=False)
    for_volcano = models.BooleanField(default=False)
    is_welfare = models.BooleanField(_("welfare shelter (福祉避難所)"), default=False)
    same_address_as_other_kind = models.BooleanField(default=False)
    accepted_people = models.CharField(max_length=200, blank=True)  # 受入対象者
    note = models.TextField(blank=True)
    source_no = models.CharField(max_length=20, blank=True)  # NO column of the GSI CSV
    # Live status, updated by shelter staff.
    open_state = models.CharField(
        max_length=10, choices=OpenState.choices, default=OpenState.NOT_OPEN
    )
    capacity = models.PositiveIntegerField(null=True, blank=True)
    headcount = models.PositiveIntegerField(null=True, blank=True)
    crowding = models.CharField(max_length=10, choices=Crowding.choices, default=Crowding.UNKNOWN)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("municipality_code", "name")
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")
        permissions = (("update_shelter_status", "Can update the live status of shelters"),)
        constraints = (
            models.CheckConstraint(
                condition=models.Q(
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180
                ),
                name="disaster_shelter_coordinates",
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.common_id})"


class ShelterStatusChange(models.Model):
    """History of live status updates (who set what, when)."""

    shelter = models.ForeignKey(Shelter, on_delete=models.CASCADE, related_name="status_changes")
    open_state = models.CharField(max_length=10)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    headcount = models.PositiveIntegerField(null=True, blank=True)
    crowding = models.CharField(max_length=10)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-changed_at", "-id")
        verbose_name = _("shelter status change")
        verbose_name_plural = _("shelter status changes")

    def __str__(self) -> str:
        return f"{self.shelter_id} {self.open_state} {self.changed_at:%Y-%m-%d %H:%M}"
