"""Field reports from residents and staff (GPS/SNS in the plan), moderated before publication.

A report's own quantities (people_affected, houses_damaged) are what its reporter wrote and never
change; combined_* are what the public sees: the maximum over the report and every report merged
into it (two reporters usually count the same houses, so a sum would double-count).
"""

from pathlib import PurePath
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def report_photo_path(instance: "FieldReport", filename: str) -> str:
    """A random name: the uploaded file name can carry personal data and is never kept."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in {".jpg", ".webp"}:
        suffix = ".jpg"
    return f"disaster/reports/{timezone.now():%Y/%m}/{uuid4().hex}{suffix}"


class FieldReportQuerySet(models.QuerySet["FieldReport"]):
    def published(self) -> "FieldReportQuerySet":
        return self.filter(state=FieldReport.State.PUBLISHED, is_exercise=False)


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

    class LocationSource(models.TextChoices):
        GPS = "gps", _("Device location (GPS)")
        MAP = "map", _("Pin on the map")
        TYPED = "typed", _("Typed coordinates")
        PHOTO = "photo", _("Location recorded in the photo")
        MUNICIPALITY = "municipality", _("Municipality and place description (approximate)")

    category = models.CharField(max_length=20, choices=Category.choices)
    text = models.TextField(max_length=2000)
    latitude = models.FloatField()
    longitude = models.FloatField()
    location_source = models.CharField(
        max_length=12, choices=LocationSource.choices, default=LocationSource.TYPED
    )
    place_description = models.CharField(max_length=200, blank=True)
    municipality_code = models.CharField(max_length=6, db_index=True)
    photo = models.ImageField(upload_to=report_photo_path, blank=True)
    keeps_photo_location = models.BooleanField(
        default=False
    )  # the reporter consented to keep EXIF GPS
    people_affected = models.PositiveIntegerField(null=True, blank=True)
    houses_damaged = models.PositiveIntegerField(null=True, blank=True)
    combined_people_affected = models.PositiveIntegerField(null=True, blank=True)
    combined_houses_damaged = models.PositiveIntegerField(null=True, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_contact = models.CharField(max_length=200, blank=True)  # never shown publicly
    # HMAC of the client address: enough to rate-limit, without keeping residents' addresses.
    submitter_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    # SHA-256 of the receipt token handed to the reporter once; the token itself is not stored.
    receipt_token_hash = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.RECEIVED, db_index=True
    )
    state_before_merge = models.CharField(max_length=10, choices=State.choices, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_reports"
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.TextField(max_length=2000, blank=True)
    is_exercise = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = FieldReportQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("field report")
        verbose_name_plural = _("field reports")
        permissions = (("moderate_report", "Can moderate field reports in the municipality"),)
        indexes = (
            models.Index(fields=("state", "municipality_code", "-created_at")),
            models.Index(fields=("latitude", "longitude")),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="disaster_fieldreport_position_valid",
            ),
            models.CheckConstraint(
                condition=(Q(state="merged") & Q(merged_into__isnull=False))
                | (~Q(state="merged") & Q(merged_into__isnull=True)),
                name="disaster_fieldreport_merged_has_target",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.municipality_code} ({self.state})"

    @property
    def is_location_approximate(self) -> bool:
        return self.location_source == self.LocationSource.MUNICIPALITY
