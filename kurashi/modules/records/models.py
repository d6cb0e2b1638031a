"""Regional patient index, consent, break-glass, encrypted FHIR-shaped clinical data, the
hash-chained access log, viewer → discloser comments and API tokens.

No column holds clinical content or patient identity in clear: payloads are AES-GCM sealed
(crypto.py, key outside the database) and search columns hold keyed HMAC tokens."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class Person(models.Model):
    """One resident in the regional patient index (地域患者ID)."""

    demographics = models.BinaryField(_("demographics (sealed)"))
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_persons"
    )
    resident = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="records_person",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        permissions = [  # noqa: RUF012
            ("view_clinical", "View shared clinical records (physician, nurse)"),
            ("view_medication", "View medication, allergies and lab results (pharmacist)"),
            ("break_glass", "Emergency access without consent (break-glass)"),
            ("manage_index", "Manage the patient index, consent and intake (liaison office)"),
            ("view_audit", "Read the access log (auditor)"),
            ("administer_network", "Administer the network (overdue break-glass, reviews)"),
        ]

    def __str__(self) -> str:
        return f"person {self.pk}"


class PersonKey(models.Model):
    """A keyed blocking token (birth date, kana name, phone) to find match candidates."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="keys")
    token = models.CharField(max_length=32, db_index=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["person", "token"], name="records_person_key_unique")
        ]

    def __str__(self) -> str:
        return self.token


class LocalIdentifier(models.Model):
    """A facility's own patient id, linked to a person of the index."""

    class Link(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        PROBABLE = "probable", _("probable (in review)")
        REJECTED = "rejected", _("rejected suggestion")

    facility = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="records_identifiers"
    )
    system = models.CharField(max_length=200)
    value_token = models.CharField(max_length=32)
    value = models.BinaryField()  # sealed
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identifiers")
    link = models.CharField(max_length=10, choices=Link.choices, default=Link.CONFIRMED)
    score = models.FloatField(null=True, blank=True)
    demographics = models.BinaryField()  # sealed, as this facility recorded them
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["facility", "system", "value_token"], name="records_local_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility_id}:{self.system}"


class MatchReview(models.Model):
    """A probable match waiting for the liaison office (連携室)."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted (merged)")
        REJECTED = "rejected", _("rejected")

    identifier = models.ForeignKey(
        LocalIdentifier, on_delete=models.CASCADE, related_name="reviews"
    )
    candidate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    parts = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["identifier", "candidate"], name="records_review_unique"
            )
        ]

    def __str__(self) -> str:
        return f"review {self.pk} ({self.state})"


class MergeRecord(models.Model):
    """A merge of two persons: what moved, so that it can be undone exactly."""

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    retired = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    moved = models.JSONField(default=dict)  # {"identifiers": [...], "consents": [...], ...}
    reason = models.CharField(max_length=200, blank=True)
    score = models.FloatField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"merge {self.retired_id} → {self.survivor_id}"


class Consent(models.Model):
    class Scope(models.TextChoices):
        ALL = "all", _("all participating facilities")
        NAMED = "named", _("named facilities")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        WITHDRAWN = "withdrawn", _("withdrawn")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    facilities = models.ManyToManyField(
        "core.Organisation", blank=True, related_name="records_consents"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    signed_on = models.DateField(_("signed on"))
    form = models.BinaryField(null=True, blank=True)  # sealed scan of the signed form
    form_name = models.CharField(max_length=200, blank=True)
    form_content_type = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["person", "status"], name="records_consent_status")
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.status})"


class BreakGlass(models.Model):
    """Emergency access without consent; must be followed by consent or a documented reason."""

    class Resolution(models.TextChoices):
        PENDING = "pending", _("pending")
        CONSENT = "consent", _("retroactive consent obtained")
        DOCUMENTED = "documented", _("reason documented")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="break_glasses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=60)
    reason = models.BinaryField()  # sealed
    ems_case_reference = models.CharField(max_length=60, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    due_at = models.DateTimeField()
    resolution = models.CharField(
        max_length=12, choices=Resolution.choices, default=Resolution.PENDING
    )
    resolution_note = models.BinaryField(null=True, blank=True)  # sealed
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["resolution", "due_at"], name="records_bg_due"),
            models.Index(fields=["user", "person", "expires_at"], name="records_bg_active"),
        ]

    def __str__(self) -> str:
        return f"break-glass {self.pk}"


class Resource(models.Model):
    """One FHIR R4 resource, sealed; only what search needs sits beside it."""

    resource_type = models.CharField(max_length=40)
    fhir_id = models.CharField(max_length=64)
    patient = models.ForeignKey(
        LocalIdentifier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
    )
    facility = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records_resources",
    )
    payload = models.BinaryField()
    content_token = models.CharField(max_length=32)
    version = models.PositiveIntegerField(default=1)
    occurred_at = models.DateTimeField(null=True, blank=True)
    last_updated = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=200, blank=True)  # e.g. ssmix2:<file>#<n>

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["resource_type", "fhir_id"], name="records_resource_unique"
            )
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(
                fields=["patient", "resource_type", "occurred_at"], name="records_res_patient"
            ),
            models.Index(fields=["source"], name="records_res_source"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.fhir_id}"


class ResourceToken(models.Model):
    """A keyed search token of a resource: (parameter, HMAC of the value)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="tokens")
    parameter = models.CharField(max_length=30)
    token = models.CharField(max_length=32)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["parameter", "token"], name="records_token_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.parameter}={self.token}"


class AccessLog(models.Model):
    """Append-only, hash-chained access log (IHE BALP-style): who, facility, patient, purpose,
    outcome. Each row's hash covers the previous row's hash and this row's canonical form."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user_id_value = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    roles = models.CharField(max_length=200, blank=True)
    facility_id_value = models.BigIntegerField(null=True, blank=True)
    facility_label = models.CharField(max_length=200, blank=True)
    person_id_value = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=40)  # read | search | export | break-glass | ...
    resource_type = models.CharField(max_length=40, blank=True)
    resource_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=20, blank=True)  # TREAT | ETREAT | PATRQT | HOPERAT
    outcome = models.CharField(max_length=2, default="0")  # BALP: 0 success, 4 minor, 8 serious
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the access log is append-only")


class AccessLogHead(models.Model):
    """The single row holding the chain's last hash; locked while a row is appended."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.last_hash


class Comment(models.Model):
    """A viewer's message to the facility that disclosed the data (ピカピカリンクのコメント機能)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_facility = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    to_facility = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="records_comments"
    )
    body = models.BinaryField()  # sealed
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"comment {self.pk}"


class ApiToken(models.Model):
    """A bearer token of a facility system on the FHIR API; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="records_tokens"
    )
    label = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.label


class ImportedFile(models.Model):
    """One SS-MIX2 message file already taken in (idempotent, incremental import)."""

    facility = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=300)
    content_hash = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)
    resource_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["facility", "path"], name="records_imported_unique")
        ]

    def __str__(self) -> str:
        return self.path
