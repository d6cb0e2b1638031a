"""Filling in a form: drafts bound to the published version they started on, page by page with
save-and-resume by e-mailed magic link, identity levels, submission with a reference number,
fees through a payment adapter (reference first, then payment), and corrections.

The caller activates the tenant scope of the form (`tenant_scope(form.tenant_code)`): a resident
writes into the tenant of the form they apply to, nowhere else.
"""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from kurashi.core.audit import record_audit
from kurashi.core.models import User
from kurashi.modules.forms import answers as answer_rules
from kurashi.modules.forms.adapters import Identity, payment_provider
from kurashi.modules.forms.definition import (
    IDENTITY_LABELS,
    IDENTITY_RANK,
    FieldType,
    IdentityLevel,
)
from kurashi.modules.forms.models import (
    ConsultationSlot,
    Form,
    FormVersion,
    Payment,
    PostalCode,
    ReferenceCounter,
    Submission,
    SubmissionFile,
)
from kurashi.modules.forms.services import links, messages
from kurashi.modules.forms.services._common import new_token, token_hash
from kurashi.modules.forms.services.builder import parse


class SubmissionError(ValidationError):
    """The submission cannot go ahead; `pages` names the pages to visit again."""

    def __init__(self, message: str, pages: list[str] | None = None) -> None:
        super().__init__(message)
        self.pages = pages or []


def postal_lookup(code: str) -> list[str]:
    """Addresses (prefecture + city + town) for a 7-digit postal code."""
    rows = PostalCode.objects.filter(code=code).order_by("id")
    return [f"{row.prefecture}{row.city}{row.town}" for row in rows]


def open_slots(form: Form) -> dict[str, str]:
    """Consultation slots still bookable: id → label (Asia/Tokyo)."""
    slots = ConsultationSlot.objects.filter(
        form=form, starts_at__gt=timezone.now(), booked__lt=F("capacity")
    ).order_by("starts_at")
    return {
        str(
            slot.pk
        ): f"{timezone.localtime(slot.starts_at):%Y-%m-%d %H:%M}–{timezone.localtime(slot.ends_at):%H:%M} {slot.place}".strip()
        for slot in slots
    }


@transaction.atomic
def start_submission(*, form: Form, language: str, owner: User | None = None) -> Submission:
    """A draft of the form's published version (the one it keeps, whatever is published later)."""
    if form.status != Form.Status.PUBLISHED or form.published_version is None:
        raise ValidationError(_("This form is not open for applications."))
    version = form.published_version
    definition, _settings = parse(version)
    return Submission.objects.create(
        tenant_code=form.tenant_code,
        form=form,
        version=version,
        language=language[:8],
        current_page=definition.pages[0].key,
        owner=owner if owner is not None and owner.is_authenticated else None,
        email=(owner.email if owner is not None and owner.is_authenticated else ""),
    )


def is_editable(submission: Submission) -> bool:
    if submission.status == Submission.Status.DRAFT:
        return True
    case = getattr(submission, "case", None)
    return case is not None and case.status == "correction_requested"


@transaction.atomic
def save_page(
    *,
    submission: Submission,
    page_key: str,
    data: Any,
    files: Any,
    validate: bool,
    language: str | None = None,
) -> answer_rules.PageResult:
    """Store one page's answers. With validate=True errors are returned and the page is not
    marked done; the typed values are kept either way, so nothing is lost."""
    if not is_editable(submission):
        raise ValidationError(_("This application can no longer be changed."))
    definition, _settings = parse(submission.version)
    page = definition.page(page_key)
    if page is None:
        raise ValidationError(_("This page is not part of the form."))
    result = answer_rules.clean_page(
        definition,
        page,
        data,
        files,
        submission.answers,
        postal_lookup=postal_lookup,
        open_slots=lambda: open_slots(submission.form),
        validate=validate,
    )
    updated = dict(submission.answers)
    for form_field in page.fields():
        if form_field.type != FieldType.FILE:
            updated.pop(form_field.key, None)
    updated.update(result.answers)
    for key, upload in result.uploads.items():
        updated[key] = _store_upload(submission, key, upload)
    submission.answers = answer_rules.prune(definition, updated) if validate else updated
    done = [key for key in submission.validated_pages if key != page_key]
    if validate and not result.errors:
        done.append(page_key)
    submission.validated_pages = done
    submission.current_page = page_key
    if language:
        submission.language = language[:8]
    email_field = next((f for f in definition.all_fields() if f.type == FieldType.EMAIL), None)
    if (
        email_field
        and isinstance(submission.answers.get(email_field.key), str)
        and "@" in submission.answers[email_field.key]
    ):
        submission.email = submission.answers[email_field.key]
    submission.save()
    return result


def _store_upload(submission: Submission, key: str, upload: Any) -> dict[str, Any]:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    content_type = answer_rules.CONTENT_TYPES[upload.kurashi_kind]
    SubmissionFile.objects.filter(submission=submission, field_key=key).delete()
    stored = SubmissionFile(
        tenant_code=submission.tenant_code,
        submission=submission,
        field_key=key,
        original_name=(upload.name or "file")[:200],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
    stored.file.save("upload", File(upload), save=False)
    stored.save()
    return {
        "file_id": stored.pk,
        "name": stored.original_name,
        "size": stored.size,
        "type": content_type,
    }


def next_page(submission: Submission, page_key: str) -> str | None:
    definition, _settings = parse(submission.version)
    pages = [p.key for p in answer_rules.visible_pages(definition, submission.answers)]
    if page_key not in pages:
        return pages[0] if pages else None
    index = pages.index(page_key)
    return pages[index + 1] if index + 1 < len(pages) else None


def previous_page(submission: Submission, page_key: str) -> str | None:
    definition, _settings = parse(submission.version)
    pages = [p.key for p in answer_rules.visible_pages(definition, submission.answers)]
    if page_key not in pages:
        return None
    index = pages.index(page_key)
    return pages[index - 1] if index > 0 else None


# --- save and resume, e-mail verification ----------------------------------------------------


@transaction.atomic
def send_resume_link(*, submission: Submission, email: str, site_url: str) -> None:
    """E-mail a magic link to continue the draft; valid for the form's resume_days. Opening
    it also proves the address (identity level "email")."""
    if not is_editable(submission):
        raise ValidationError(_("This application can no longer be changed."))
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise ValidationError(_("Enter an e-mail address such as name@example.jp."))
    _definition, settings = parse(submission.version)
    token = new_token()
    submission.email = email
    submission.resume_token_hash = token_hash(token)
    submission.resume_expires_at = timezone.now() + timedelta(days=settings.resume_days)
    submission.save(update_fields=["email", "resume_token_hash", "resume_expires_at", "updated_at"])
    with translation.override(submission.language):
        link = site_url.rstrip("/") + reverse("forms:resume", args=[submission.public_id, token])
        messages.send(
            key=f"forms:resume:{submission.public_id}:{submission.resume_token_hash[:12]}",
            to=email,
            subject=_("Continue your application: %(title)s") % {"title": settings.title},
            body=_(
                "You saved your application “%(title)s” to finish later.\n\n"
                "Continue here (the link is valid until %(until)s):\n%(link)s\n\n"
                "If you did not ask for this, ignore this message; nothing will be sent."
            )
            % {
                "title": settings.title,
                "until": f"{timezone.localtime(submission.resume_expires_at):%Y-%m-%d %H:%M}",
                "link": link,
            },
            language=submission.language,
        )


@transaction.atomic
def resume(*, submission: Submission, token: str) -> bool:
    """True when `token` opens this draft (and then proves its e-mail address)."""
    if not submission.resume_token_hash or submission.resume_expires_at is None:
        return False
    if submission.resume_expires_at < timezone.now():
        return False
    if not constant_time_compare(token_hash(token), submission.resume_token_hash):
        return False
    attributes = dict(submission.identity_attributes)
    attributes["verified_email"] = submission.email
    submission.identity_attributes = attributes
    if IDENTITY_RANK[IdentityLevel(submission.identity_level)] < IDENTITY_RANK[IdentityLevel.EMAIL]:
        submission.identity_level = IdentityLevel.EMAIL
        submission.identity_subject = submission.email
    submission.save(
        update_fields=["identity_attributes", "identity_level", "identity_subject", "updated_at"]
    )
    return True


@transaction.atomic
def record_identity(*, submission: Submission, identity: Identity) -> None:
    """Store what an identity provider asserted; a higher level replaces a lower one."""
    if IDENTITY_RANK[identity.level] < IDENTITY_RANK[IdentityLevel(submission.identity_level)]:
        return
    submission.identity_level = identity.level
    submission.identity_subject = identity.subject[:200]
    submission.identity_attributes = {**submission.identity_attributes, **identity.attributes}
    submission.save(
        update_fields=["identity_level", "identity_subject", "identity_attributes", "updated_at"]
    )
    record_audit(
        actor=None,
        action="forms.identity",
        obj=submission,
        municipality_code=submission.tenant_code,
        detail={"level": str(identity.level)},
    )


def identity_missing(submission: Submission) -> IdentityLevel | None:
    """The level the form requires when the draft has less, else None."""
    _definition, settings = parse(submission.version)
    required = settings.identity_level
    if IDENTITY_RANK[IdentityLevel(submission.identity_level)] >= IDENTITY_RANK[required]:
        return None
    return required


def new_state() -> str:
    """The state parameter of an identity provider round trip (kept in the session)."""
    return secrets.token_urlsafe(16)


# --- status link ------------------------------------------------------------------------------


status_token = links.status_token
status_token_matches = links.status_token_matches
status_url = links.status_url


# --- submitting -------------------------------------------------------------------------------


def _next_reference(tenant_code: str) -> str:
    year = timezone.localdate().year
    counter, _created = ReferenceCounter.objects.get_or_create(tenant_code=tenant_code, year=year)
    ReferenceCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{tenant_code}-{year}-{counter.last:06d}"


def unfinished_pages(submission: Submission) -> list[str]:
    definition, _settings = parse(submission.version)
    return [
        page.key
        for page in answer_rules.visible_pages(definition, submission.answers)
        if page.key not in submission.validated_pages
    ]


@transaction.atomic
def submit(*, submission: Submission, site_url: str) -> Submission:
    """Submit the draft (or its corrections). Gives the reference number first; with a fee the
    submission waits for payment, otherwise its case opens at once."""
    from kurashi.modules.forms.services import cases

    if not is_editable(submission):
        raise SubmissionError(_("This application has already been submitted."))
    if missing := identity_missing(submission):
        raise SubmissionError(
            _("This form needs identification at the level “%(level)s” before you submit.")
            % {"level": IDENTITY_LABELS[missing]}
        )
    if pages := unfinished_pages(submission):
        raise SubmissionError(_("Some pages are not complete yet."), pages)
    definition, settings = parse(submission.version)
    submission.answers = answer_rules.prune(definition, submission.answers)
    _check_business_identity(submission, definition)
    if submission.status == Submission.Status.SUBMITTED:  # corrections
        cases.receive_correction(submission=submission)
        return submission
    _reserve_slots(submission, definition)
    submission.reference = _next_reference(submission.tenant_code)
    submission.status_salt = secrets.token_hex(16)
    if settings.fee is not None:
        submission.status = Submission.Status.AWAITING_PAYMENT
        submission.save()
        Payment.objects.create(
            tenant_code=submission.tenant_code,
            submission=submission,
            reference=f"{submission.reference}-P1",
            amount_yen=settings.fee.amount_yen,
            provider=settings.fee.provider,
        )
        return submission
    submission.save()
    _complete(submission, site_url=site_url)
    return submission


def _check_business_identity(submission: Submission, definition: Any) -> None:
    """A GビズID account (プライム or メンバー) acts only for its own 法人番号: every corporate
    number answered must be the one the identity provider asserted."""
    asserted = submission.identity_attributes.get("corporate_number", "")
    if submission.identity_level != IdentityLevel.GBIZID or not asserted:
        return
    for form_field in definition.all_fields():
        answered = submission.answers.get(form_field.key)
        if form_field.type == FieldType.CORPORATE_NUMBER and answered and answered != asserted:
            raise SubmissionError(
                _("Your GビズID account acts for the corporate number %(number)s only.")
                % {"number": asserted},
                [page.key for page in definition.pages if form_field in page.fields()],
            )


def _reserve_slots(submission: Submission, definition: Any) -> None:
    for form_field in definition.all_fields():
        if form_field.type != FieldType.APPOINTMENT or form_field.key not in submission.answers:
            continue
        taken = ConsultationSlot.objects.filter(
            pk=int(submission.answers[form_field.key]),
            form=submission.form,
            booked__lt=F("capacity"),
        ).update(booked=F("booked") + 1)
        if taken != 1:
            raise SubmissionError(
                _("The consultation time you chose has just been taken; choose another."),
                [page.key for page in definition.pages if form_field in page.fields()],
            )


def _complete(submission: Submission, *, site_url: str) -> None:
    from kurashi.modules.forms.services import backoffice, cases

    submission.status = Submission.Status.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.save(update_fields=["status", "submitted_at", "updated_at"])
    cases.open_case(submission=submission)
    backoffice.enqueue_dispatches(submission=submission)
    record_audit(
        actor=submission.owner,
        action="forms.submit",
        obj=submission,
        municipality_code=submission.tenant_code,
        detail={"version": submission.version.number, "form": submission.form.slug},
    )
    messages.receipt(submission=submission, site_url=site_url)


# --- fees -------------------------------------------------------------------------------------


def pending_payment(submission: Submission) -> Payment | None:
    return Payment.objects.filter(submission=submission, status=Payment.Status.PENDING).first()


def payment_start_url(payment: Payment) -> str:
    provider = payment_provider(payment.provider)
    if provider is None:
        raise ValidationError(_("Payment is not available at the moment; please try again later."))
    return provider.start_url(reference=payment.reference, amount_yen=payment.amount_yen)


@transaction.atomic
def confirm_payment(
    *, reference: str, amount_yen: int, provider_payment_id: str, site_url: str
) -> Payment:
    """The provider says the payment with this reference was made: record it and complete the
    submission. Idempotent; a wrong amount is refused (and shows in reconciliation)."""
    payment = Payment.objects.select_related("submission").filter(reference=reference).first()
    if payment is None:
        raise ValidationError(_("Unknown payment reference."))
    if payment.status == Payment.Status.PAID:
        return payment
    if payment.status != Payment.Status.PENDING:
        raise ValidationError(_("This payment has expired."))
    if amount_yen != payment.amount_yen:
        raise ValidationError(_("The amount paid does not match the fee."))
    payment.status = Payment.Status.PAID
    payment.paid_at = timezone.now()
    payment.provider_payment_id = provider_payment_id[:100]
    payment.save()
    record_audit(
        actor=None, action="forms.payment", obj=payment, municipality_code=payment.tenant_code
    )
    if payment.submission.status == Submission.Status.AWAITING_PAYMENT:
        _complete(payment.submission, site_url=site_url)
    return payment


@transaction.atomic
def expire_unpaid(*, now: Any = None) -> int:
    """Unpaid submissions past their form's unpaid_expiry_days expire (in the active scope)."""
    now = now or timezone.now()
    expired = 0
    for submission in Submission.objects.filter(
        status=Submission.Status.AWAITING_PAYMENT
    ).select_related("version"):
        _definition, settings = parse(submission.version)
        if (
            settings.fee is None
            or submission.updated_at + timedelta(days=settings.fee.unpaid_expiry_days) > now
        ):
            continue
        submission.status = Submission.Status.EXPIRED
        submission.save(update_fields=["status", "updated_at"])
        Payment.objects.filter(submission=submission, status=Payment.Status.PENDING).update(
            status=Payment.Status.EXPIRED
        )
        expired += 1
    return expired


def form_version_for(form: Form, version_id: str) -> FormVersion | None:
    """The version with this id if it belongs to this form (a tampered id gives None)."""
    if not str(version_id).isdigit():
        return None
    return FormVersion.objects.filter(pk=int(version_id), form=form).first()
