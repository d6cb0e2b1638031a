from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, Permission
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kurashi.core.codes import is_valid_code


def validate_local_government_code(value: str) -> None:
    if not is_valid_code(value):
        raise ValidationError(
            _("%(value)s is not a valid 6-digit local government code (check digit)."),
            params={"value": value},
            code="invalid_code",
        )


class BilingualNameMixin:
    """`name` in the active language: Japanese first, English where the page is English."""

    name_ja: str
    name_en: str

    @property
    def name(self) -> str:
        if (get_language() or "ja").startswith("en") and self.name_en:
            return self.name_en
        return self.name_ja


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        default="ja",
        choices=[("ja", "日本語"), ("en", "English")],
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                Lower("email"),
                name="core_user_unique_email",
                condition=~models.Q(email=""),
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class Prefecture(BilingualNameMixin, models.Model):
    code = models.CharField(
        _("local government code"),
        max_length=6,
        unique=True,
        validators=[validate_local_government_code],
    )
    name_ja = models.CharField(_("name (Japanese)"), max_length=20)
    name_kana = models.CharField(_("name (kana)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)

    class Meta:
        verbose_name = _("prefecture")
        verbose_name_plural = _("prefectures")

    def __str__(self) -> str:
        return self.name_ja


class Municipality(BilingualNameMixin, models.Model):
    class Kind(models.TextChoices):
        CITY = "city", _("city")
        TOWN = "town", _("town")
        VILLAGE = "village", _("village")

    code = models.CharField(
        _("local government code"),
        max_length=6,
        unique=True,
        validators=[validate_local_government_code],
    )
    prefecture = models.ForeignKey(
        Prefecture, on_delete=models.PROTECT, related_name="municipalities"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name_ja = models.CharField(_("name (Japanese)"), max_length=20)
    name_kana = models.CharField(_("name (kana)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)
    # JMA area codes (class20 = the municipality's own forecast area), for warning intake.
    jma_class20_code = models.CharField(max_length=7, blank=True)
    jma_class15_code = models.CharField(max_length=6, blank=True)
    jma_class10_code = models.CharField(max_length=6, blank=True)
    # Simplified outline as GeoJSON geometry (WGS84), with its bounding box for cheap filters.
    boundary_geojson = models.JSONField(_("boundary"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["code"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name_ja

    @property
    def code5(self) -> str:
        return self.code[:5]


class Organisation(BilingualNameMixin, models.Model):
    class Kind(models.TextChoices):
        PREFECTURAL_DEPARTMENT = "prefectural_department", _("prefectural department")
        MUNICIPALITY = "municipality", _("municipality")
        FIRE_HQ = "fire_hq", _("fire headquarters")
        HOSPITAL = "hospital", _("hospital or clinic")
        SCHOOL = "school", _("school")
        LIBRARY = "library", _("library")
        CSO = "cso", _("civil society organisation")
        BUSINESS = "business", _("business")

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Where the organisation is (for a municipality: the municipality itself).
    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    # The area its members act for: a fire HQ's member municipalities, a prefectural department's whole prefecture.
    jurisdiction = models.ManyToManyField(
        Municipality, blank=True, related_name="covering_organisations"
    )
    covers_whole_prefecture = models.BooleanField(_("covers the whole prefecture"), default=False)
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name_kana", "name_ja"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [  # noqa: RUF012
            ("manage_members", "Can manage the members of an organisation")
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=~models.Q(kind="municipality") | models.Q(municipality__isnull=False),
                name="core_organisation_municipality_has_municipality",
            ),
        ]

    def __str__(self) -> str:
        return self.name_ja


class Role(BilingualNameMixin, models.Model):
    """A named bundle of permissions, granted inside one organisation through a Membership."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(Permission, blank=True, related_name="kurashi_roles")

    class Meta:
        ordering: ClassVar[list[str]] = ["code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name_ja


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="core_membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role.code})"


class AuditEvent(models.Model):
    """One row per audited action. Append-only: the model refuses updates and deletes, and
    database triggers (migration 0002) refuse them for raw SQL too."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and no cascade: deleting an account must not touch its trail.
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Kept as text so the trail still names the account after it is deleted.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    municipality_code = models.CharField(max_length=6, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["object_type", "object_id"], name="core_audit_object")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")


class Heartbeat(models.Model):
    """Last sign of life of a long-running process or periodic job (worker, poller)."""

    name = models.CharField(max_length=80, unique=True)
    last_seen_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class LoginFailure(models.Model):
    """A failed login, kept briefly to slow down password guessing (per account and per address)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username}"


class LiveEvent(models.Model):
    """One event of the live-event bus (kurashi/core/events.py). Kept for
    LIVE_EVENTS_RETENTION_SECONDS so that a reconnecting stream can resume after its
    Last-Event-ID; ids follow commit order (the bus publishes one event at a time)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    topics = models.JSONField(default=list)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("live event")
        verbose_name_plural = _("live events")

    def __str__(self) -> str:
        return f"{self.pk} {' '.join(self.topics)}"


# The TOTP device with a sealed secret is a model of this app (a proxy of django-otp's).
from kurashi.core.otp import SealedTOTPDevice  # noqa: E402, F401
