"""Field reports from residents and staff (GPS/SNS in the plan), moderated before publication."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldReport(models.Model):
    class Category(models.TextChoices):
        FLOODING = "flooding", _("Flooding / inundation")
        LANDSLIDE = "landslide", _("Landslide / slope failure")
        ROAD_BLOCKED = "road_blocked", _("Road blocked")
        BUILDING_DAMAGE = "building_damage", _("Building damage")
        FIRE = "fire", _("Fire")
        PEOPLE_STRANDED = "people_stranded", _("People stranded / need rescue")
        LIFELINE = "lifeline", _("Power, water or phone outage")
        SHELTER_NEED = "shelter_need", _("Need at a shelter")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        PUBLISHED = "published", _("Published")
        MERGED = "merged", _("Merged into another report")

    category = models.CharField(max_length=20, choices=Category.choices)
    text = models.TextField(max_length=2000)
    latitude = models.FloatField()
    longitude = models.FloatField()
    municipality_code = models.CharField(max_length=6, db_index=True)
    photo = models.ImageField(upload_to="reports/%Y/%m/", blank=True)
    keeps_photo_location = models.BooleanField(
        default=False
    )  # the reporter consented to keep EXIF GPS
    people_affected = models.PositiveIntegerField(null=True, blank=True)
    houses_damaged = models.PositiveIntegerField(null=True, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_contact = models.CharField(max_length=200, blank=True)  # never shown publicly
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.RECEIVED, db_index=True
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_reports"
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderation_note = models.TextField(blank=True)
    is_exercise = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("field report")
        verbose_name_plural = _("field reports")
        permissions = (("moderate_report", "Can moderate field reports in the municipality"),)

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.municipality_code} ({self.state})"
