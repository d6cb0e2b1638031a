"""Forms, their immutable versions, submissions with files and payments, cases with their events,
issued documents, back-office dispatches, retention records, shared templates, the catalogue, and
the SME ICT-support records (plan 3.1). Every model except the postal table is tenant-owned
(kurashi/core/tenancy.py, ADR 0011)."""

import uuid
from typing import Any, ClassVar

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kurashi.core.tenancy import TenantOwned

# Models that hold no tenant's data (checked by tests/test_tenancy.py).
TENANT_EXEMPT = {"PostalCode": "Japan Post reference data, the same for every tenant"}


class ImmutableVersionError(RuntimeError):
    """A published form version was about to change."""


class Form(TenantOwned):
    """A procedure's online form in one tenant; its content lives in versions."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    slug = models.SlugField(_("identifier"), max_length=60)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_version = models.ForeignKey(
        "FormVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where a copy came from: {"template_id", "tenant_code", "title", "copied_at", …}.
    provenance = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["tenant_code", "slug"]
        verbose_name = _("form")
        verbose_name_plural = _("forms")
        permissions = [  # noqa: RUF012
            ("manage_forms", "Can build and publish forms, templates and the catalogue"),
            ("process_cases", "Can view submissions and process their cases"),
            ("approve_cases", "Can give the second approval of a decision"),
            ("manage_programmes", "Can manage SME support programmes, companies and vendors"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["tenant_code", "slug"],
                name="forms_form_unique_slug",
                violation_error_message=_("A form with this identifier already exists here."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_code}/{self.slug}"


class FormVersion(TenantOwned):
    """One version of a form: its definition and every setting. Immutable once published."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    settings = models.JSONField()
    checksum = models.CharField(max_length=64)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["form", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["form", "number"], name="forms_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id} v{self.number}"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> "FormVersion":
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._was_published = instance.published_at is not None
        return instance

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_was_published", False):
            raise ImmutableVersionError(f"form version {self.pk} is published and cannot change")
        super().save(*args, **kwargs)
        self._was_published = self.published_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if getattr(self, "_was_published", False):
            raise ImmutableVersionError(
                f"form version {self.pk} is published and cannot be deleted"
            )
        return super().delete(*args, **kwargs)


class ReferenceCounter(TenantOwned):
    """The last reference number given per tenant and year (受付番号 412023-2026-000123)."""

    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant_code", "year"], name="forms_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_code} {self.year}: {self.last}"


class Submission(TenantOwned):
    """An application: a draft until submitted; keeps the version it was filled in against."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        SUBMITTED = "submitted", _("Submitted")
        EXPIRED = "expired", _("Expired (unpaid)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="submissions")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    reference = models.CharField(max_length=24, blank=True, db_index=True)
    answers = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, default="ja")
    current_page = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    owner = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="form_submissions",
    )
    identity_level = models.CharField(max_length=20, default="none")
    identity_subject = models.CharField(max_length=200, blank=True)
    identity_attributes = models.JSONField(default=dict, blank=True)
    # The status link is an HMAC of the public id and this salt (nothing secret is stored);
    # a new salt revokes every earlier link.
    status_salt = models.CharField(max_length=32, blank=True)
    # Pages whose answers passed validation (a page saved for later is not among them).
    validated_pages = models.JSONField(default=list, blank=True)
    resume_token_hash = models.CharField(max_length=64, blank=True)
    resume_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    legal_hold = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant_code", "status", "updated_at"], name="forms_sub_status"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["reference"], condition=~models.Q(reference=""), name="forms_sub_reference"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"draft {self.public_id}"


def submission_file_path(instance: "SubmissionFile", filename: str) -> str:
    # Never the applicant's file name: it is kept as data, the path is ours.
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        instance.content_type, "bin"
    )
    return f"forms/{instance.tenant_code}/{uuid.uuid4().hex}.{extension}"


class SubmissionFile(TenantOwned):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    field_key = models.CharField(max_length=40)
    file = models.FileField(upload_to=submission_file_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attached file")
        verbose_name_plural = _("attached files")

    def __str__(self) -> str:
        return self.original_name


class Case(TenantOwned):
    """The processing of a submitted application: 受付 → 審査 → 補正依頼 → 決定/却下 → 完了."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        REVIEWING = "reviewing", _("Under review")
        CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
        APPROVED = "approved", _("Decided (approved)")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Completed")

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="case")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.RECEIVED)
    assignee = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Two-person approval: the first person proposes, a second person confirms.
    proposed_decision = models.CharField(max_length=12, blank=True)
    proposed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_note = models.TextField(blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["due_at", "id"]
        verbose_name = _("application case")
        verbose_name_plural = _("application cases")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant_code", "status", "due_at"], name="forms_case_queue"),
        ]

    def __str__(self) -> str:
        return f"case {self.submission_id} ({self.status})"


class CaseEvent(TenantOwned):
    """One step of a case, in order; the core audit log records the same transition."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    # A message to the applicant (補正依頼, decision reason); internal notes stay internal.
    message = models.TextField(blank=True)
    is_visible_to_applicant = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"


class Payment(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="payments")
    reference = models.CharField(max_length=40, unique=True)
    amount_yen = models.PositiveIntegerField()
    provider = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_payment_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.reference} ¥{self.amount_yen} {self.status}"


class IssuedDocument(TenantOwned):
    """A PDF issued to the applicant (receipt, decision notice), verifiable by its code."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt of application")
        DECISION = "decision", _("Decision notice")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    verification_code = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to="forms/documents/", max_length=200)
    sha256 = models.CharField(max_length=64)
    language = models.CharField(max_length=8, default="ja")
    issued_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["-issued_at"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")

    def __str__(self) -> str:
        return f"{self.kind} {self.verification_code}"


class Dispatch(TenantOwned):
    """A submission handed to one back-office target; retried with backoff, then dead-lettered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Delivered")
        DEAD = "dead", _("Failed (dead letter)")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="dispatches")
    kind = models.CharField(max_length=10)
    target = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        "CsvBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="dispatches"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["next_attempt_at", "id"]
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "next_attempt_at"], name="forms_dispatch_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.submission_id} {self.status}"


class CsvBatch(TenantOwned):
    """A CSV file for the 基幹 system's bulk import: the submissions of one form since the last."""

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="csv_batches")
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="forms/batches/", max_length=200)
    row_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = _("CSV batch")
        verbose_name_plural = _("CSV batches")

    def __str__(self) -> str:
        return f"{self.form_id} {self.created_at:%Y-%m-%d %H:%M}"


class DeletionRecord(TenantOwned):
    """What retention removed, when and why — never the removed personal data itself."""

    at = models.DateTimeField()
    form_slug = models.CharField(max_length=60)
    reference = models.CharField(max_length=60)  # a reference number, or "draft <uuid>"
    method = models.CharField(max_length=12)  # delete | anonymise
    rule = models.CharField(max_length=200)
    actor_label = models.CharField(max_length=150, default="system")

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]
        verbose_name = _("deletion record")
        verbose_name_plural = _("deletion records")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.method} {self.reference}"


class FormTemplate(TenantOwned):
    """A form published as a template by its tenant; other tenants may copy it (with provenance)."""

    title_ja = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    definition = models.JSONField()
    settings = models.JSONField()
    is_shared = models.BooleanField(default=True)
    provenance = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["title_ja"]
        verbose_name = _("form template")
        verbose_name_plural = _("form templates")

    def __str__(self) -> str:
        return self.title_ja


class CatalogueEntry(TenantOwned):
    """A procedure in the public catalogue: an internal form, or a link out to the national
    service that owns it (ぴったりサービス, e-Gov), which can never get an internal form."""

    class Channel(models.TextChoices):
        KURASHI = "kurashi", _("Online form on Kurashi")
        PITTARI = "pittari", _("マイナポータル ぴったりサービス")
        EGOV = "egov", _("e-Gov")
        OTHER = "other", _("Other service")

    title_ja = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=40, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    external_url = models.URLField(max_length=500, blank=True)
    form = models.OneToOneField(
        Form, null=True, blank=True, on_delete=models.CASCADE, related_name="catalogue_entry"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["category", "title_ja"]
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=(
                    models.Q(channel="kurashi", form__isnull=False, external_url="")
                    | (
                        ~models.Q(channel="kurashi")
                        & models.Q(form__isnull=True)
                        & ~models.Q(external_url="")
                    )
                ),
                name="forms_catalogue_internal_or_link",
                violation_error_message=_(
                    "A national procedure links out and cannot have an internal form; an internal "
                    "entry has a form and no external link."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title_ja


class ConsultationSlot(TenantOwned):
    """A bookable consultation time of a form (plan 3.1 consultations)."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(default=1)
    booked = models.PositiveSmallIntegerField(default=0)
    place = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["starts_at"]
        verbose_name = _("consultation slot")
        verbose_name_plural = _("consultation slots")
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("capacity")), name="forms_slot_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}"


class Company(TenantOwned):
    """A business, keyed by its validated 法人番号, with its IT-adoption readiness (plan 3.1)."""

    class SecurityAction(models.TextChoices):
        NONE = "none", _("Not declared")
        ONE_STAR = "one_star", _("SECURITY ACTION ★")
        TWO_STARS = "two_stars", _("SECURITY ACTION ★★")

    corporate_number = models.CharField(_("corporate number"), max_length=13)
    name = models.CharField(_("company name"), max_length=200)
    name_kana = models.CharField(_("company name (kana)"), max_length=200, blank=True)
    postal_code = models.CharField(max_length=7, blank=True)
    address = models.CharField(max_length=300, blank=True)
    has_gbizid_prime = models.BooleanField(_("GビズID プライム"), default=False)
    security_action = models.CharField(
        max_length=10, choices=SecurityAction.choices, default=SecurityAction.NONE
    )
    miradigi_checked = models.BooleanField(_("みらデジ経営チェック done"), default=False)
    # gBizINFO enrichment: the payload as retrieved, with its source and date.
    enrichment = models.JSONField(default=dict, blank=True)
    enrichment_source = models.CharField(max_length=100, blank=True)
    enriched_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["tenant_code", "corporate_number"], name="forms_company_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.corporate_number})"


class ItVendor(TenantOwned):
    """A local IT vendor in the public directory (IT導入支援事業者 flagged)."""

    corporate_number = models.CharField(max_length=13)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    services = models.TextField(blank=True)
    municipality_codes = models.JSONField(default=list, blank=True)
    is_it_support_provider = models.BooleanField(default=False)
    url = models.URLField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("IT vendor")
        verbose_name_plural = _("IT vendors")

    def __str__(self) -> str:
        return self.name


class SupportProgramme(TenantOwned):
    """A support programme (own subsidy, consultation, or imported from jGrants) with its
    acceptance window."""

    class Source(models.TextChoices):
        OWN = "own", _("Our programme")
        JGRANTS = "jgrants", _("jGrants")

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.OWN)
    external_id = models.CharField(max_length=60, blank=True)
    title_ja = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    target_area = models.CharField(max_length=100, blank=True)
    acceptance_start = models.DateTimeField(null=True, blank=True)
    acceptance_end = models.DateTimeField(null=True, blank=True)
    max_amount_yen = models.PositiveBigIntegerField(null=True, blank=True)
    subsidy_rate = models.CharField(max_length=60, blank=True)
    form = models.ForeignKey(
        Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="programmes"
    )
    url = models.URLField(max_length=500, blank=True)
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["acceptance_end", "title_ja"]
        verbose_name = _("support programme")
        verbose_name_plural = _("support programmes")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["tenant_code", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="forms_programme_unique_external",
            ),
        ]

    def __str__(self) -> str:
        return self.title_ja


class ProgrammeReminder(TenantOwned):
    """Someone who asked to be reminded before a programme's acceptance window closes."""

    programme = models.ForeignKey(
        SupportProgramme, on_delete=models.CASCADE, related_name="reminders"
    )
    email = models.EmailField()
    language = models.CharField(max_length=8, default="ja")
    token = models.CharField(max_length=40, unique=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("programme reminder")
        verbose_name_plural = _("programme reminders")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["programme", "email"], name="forms_reminder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} → {self.email}"


class PostalCode(models.Model):
    """郵便番号 → address (日本郵便 郵便番号データ). One code may cover several towns."""

    code = models.CharField(max_length=7, db_index=True)
    local_government_code = models.CharField(max_length=6)
    prefecture = models.CharField(max_length=10)
    city = models.CharField(max_length=50)
    town = models.CharField(max_length=100, blank=True)
    town_kana = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["code", "id"]
        verbose_name = _("postal code")
        verbose_name_plural = _("postal codes")

    def __str__(self) -> str:
        return f"{self.code} {self.prefecture}{self.city}{self.town}"
