"""Out to the back office: registration adapters (CSV batches for the 基幹 system's bulk import,
webhook, e-mail) with retries and a dead-letter list; CSV exports with every question column;
retention per form (delete or anonymise, legal hold, deletion records)."""

import csv
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from kurashi.core.audit import record_audit
from kurashi.core.models import User
from kurashi.modules.forms.definition import FieldType, FormField, parse_definition
from kurashi.modules.forms.models import (
    Case,
    CsvBatch,
    DeletionRecord,
    Dispatch,
    Form,
    FormVersion,
    IssuedDocument,
    Payment,
    Submission,
    SubmissionFile,
)
from kurashi.modules.forms.services import messages
from kurashi.modules.forms.services.builder import parse

logger = logging.getLogger(__name__)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def enqueue_dispatches(*, submission: Submission) -> list[Dispatch]:
    _definition, settings = parse(submission.version)
    now = timezone.now()
    return [
        Dispatch.objects.create(
            tenant_code=submission.tenant_code,
            submission=submission,
            kind=target.kind,
            target=target.model_dump(mode="json"),
            max_attempts=target.max_attempts,
            next_attempt_at=now,
        )
        for target in settings.registration
    ]


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most a day."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 24 * 60))


def submission_payload(submission: Submission) -> dict[str, Any]:
    return {
        "reference": submission.reference,
        "tenant_code": submission.tenant_code,
        "form": submission.form.slug,
        "version": submission.version.number,
        "submitted_at": submission.submitted_at.isoformat() if submission.submitted_at else None,
        "language": submission.language,
        "identity_level": submission.identity_level,
        "answers": submission.answers,
    }


def _send_webhook(dispatch: Dispatch) -> None:
    body = json.dumps(submission_payload(dispatch.submission), ensure_ascii=False).encode()
    secret = str(getattr(django_settings, "FORMS_WEBHOOK_SECRET", "") or django_settings.SECRET_KEY)
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(
        dispatch.target["url"],
        content=body,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": f"forms-{dispatch.pk}",
            "X-Kurashi-Signature": f"sha256={signature}",
        },
        timeout=10.0,
    )
    if response.status_code >= 300:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")


def _send_email(dispatch: Dispatch) -> None:
    submission = dispatch.submission
    messages.send(
        key=f"forms:registration:{dispatch.pk}",
        to=dispatch.target["email"],
        subject=f"[Kurashi] {submission.reference} {submission.form.slug}",
        body=json.dumps(submission_payload(submission), ensure_ascii=False, indent=2),
        language="ja",
    )


def process_dispatches(*, now: Any = None, limit: int = 100) -> dict[str, int]:
    """Deliver due dispatches in the active scope. Each is claimed by a conditional UPDATE
    (pending → sending), so two workers never send the same one; failures back off and, after
    max_attempts, land in the dead-letter list that staff see."""
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "dead": 0}
    due = list(
        Dispatch.objects.filter(status=Dispatch.Status.PENDING, next_attempt_at__lte=now)
        .exclude(kind="csv")
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        if (
            Dispatch.objects.filter(pk=pk, status=Dispatch.Status.PENDING).update(
                status=Dispatch.Status.SENDING
            )
            != 1
        ):
            continue
        dispatch = Dispatch.objects.select_related("submission__form", "submission__version").get(
            pk=pk
        )
        dispatch.attempts += 1
        try:
            if dispatch.kind == "webhook":
                _send_webhook(dispatch)
            elif dispatch.kind == "email":
                _send_email(dispatch)
            else:
                raise RuntimeError(f"unknown adapter {dispatch.kind}")
        except Exception as error:  # any failure of the receiver is retried, then dead-lettered
            dispatch.last_error = f"{type(error).__name__}: {error}"[:500]
            if dispatch.attempts >= dispatch.max_attempts:
                dispatch.status = Dispatch.Status.DEAD
                counts["dead"] += 1
                logger.warning("forms dispatch %s dead after %s attempts", pk, dispatch.attempts)
            else:
                dispatch.status = Dispatch.Status.PENDING
                dispatch.next_attempt_at = now + backoff(dispatch.attempts)
                counts["retry"] += 1
        else:
            dispatch.status = Dispatch.Status.SENT
            dispatch.sent_at = now
            dispatch.last_error = ""
            counts["sent"] += 1
        dispatch.save(
            update_fields=["status", "attempts", "next_attempt_at", "last_error", "sent_at"]
        )
    return counts


@transaction.atomic
def retry_dispatch(*, dispatch: Dispatch, actor: User) -> Dispatch:
    """Staff send a dead letter again (after fixing the receiver): attempts start over."""
    dispatch.status = Dispatch.Status.PENDING
    dispatch.attempts = 0
    dispatch.next_attempt_at = timezone.now()
    dispatch.save(update_fields=["status", "attempts", "next_attempt_at"])
    record_audit(
        actor=actor,
        action="forms.retry_dispatch",
        obj=dispatch,
        municipality_code=dispatch.tenant_code,
    )
    return dispatch


# --- CSV --------------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ TAB CR gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _columns(field: FormField) -> list[tuple[str, str]]:
    """(column key, header) for one question; composite answers get one column per part."""
    label = field.label.ja
    if field.type == FieldType.NAME:
        return [
            (f"{field.key}.{part}", f"{label}（{name}）")
            for part, name in (
                ("family", "姓"),
                ("given", "名"),
                ("family_kana", "セイ"),
                ("given_kana", "メイ"),
            )
        ]
    if field.type == FieldType.ADDRESS:
        return [
            (f"{field.key}.{part}", f"{label}（{name}）")
            for part, name in (
                ("postal_code", "郵便番号"),
                ("address", "住所"),
                ("detail", "番地以下"),
            )
        ]
    if field.type == FieldType.GROUP:
        return [
            (f"{field.key}[].{child.key}", f"{label}：{child.label.ja}") for child in field.fields
        ]
    return [(field.key, label)]


def export_columns(versions: Iterable[FormVersion]) -> list[tuple[str, str]]:
    """Every question of every given version, in order of first appearance — whatever branch a
    submission took (a skipped question is an empty cell, never a missing column)."""
    columns: dict[str, str] = {}
    for version in versions:
        for field in parse_definition(version.definition).all_fields():
            for key, header in _columns(field):
                columns.setdefault(key, header)
    return list(columns.items())


def _cell(answers: dict[str, Any], key: str) -> Any:
    if "[]." in key:
        group, child = key.split("[].", 1)
        items = answers.get(group) or []
        return " / ".join(str(item.get(child, "")) for item in items if isinstance(item, dict))
    if "." in key:
        field, part = key.split(".", 1)
        value = answers.get(field)
        return value.get(part, "") if isinstance(value, dict) else ""
    value = answers.get(key, "")
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return value.get("name", "")
    return value


BASE_COLUMNS = [
    ("reference", "受付番号"),
    ("submitted_at", "申請日時"),
    ("status", "状態"),
    ("version", "様式の版"),
]


def export_csv(
    *, form: Form, submissions: Iterable[Submission], encoding: str = "utf-8-sig"
) -> bytes:
    """CSV of submissions (UTF-8 with BOM by default; cp932 for older 基幹 systems), one
    column per question of every version of the form, formula injection neutralised."""
    columns = export_columns(FormVersion.objects.filter(form=form).order_by("number"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _key, header in BASE_COLUMNS + columns])
    for submission in submissions:
        case = Case.objects.filter(submission=submission).first()
        row = [
            submission.reference,
            timezone.localtime(submission.submitted_at).strftime("%Y-%m-%d %H:%M:%S")
            if submission.submitted_at
            else "",
            case.get_status_display() if case else submission.get_status_display(),
            submission.version.number,
        ]
        row += [_cell(submission.answers, key) for key, _header in columns]
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue().encode(encoding, errors="replace")


@transaction.atomic
def build_csv_batch(*, form: Form, actor: User | None = None) -> CsvBatch | None:
    """Put every pending CSV dispatch of the form into one file for the 基幹 bulk import; the
    dispatches are then delivered. None when there is nothing new."""
    pending = list(
        Dispatch.objects.filter(submission__form=form, kind="csv", status=Dispatch.Status.PENDING)
        .select_related("submission__version")
        .order_by("submission__submitted_at", "id")
    )
    if not pending:
        return None
    now = timezone.now()
    content = export_csv(form=form, submissions=[d.submission for d in pending])
    batch = CsvBatch(tenant_code=form.tenant_code, form=form, row_count=len(pending))
    batch.file.save(
        f"{form.tenant_code}-{form.slug}-{timezone.localtime(now):%Y%m%d%H%M%S}.csv",
        ContentFile(content),
        save=False,
    )
    batch.save()
    Dispatch.objects.filter(pk__in=[d.pk for d in pending]).update(
        status=Dispatch.Status.SENT, sent_at=now, batch=batch, attempts=1
    )
    record_audit(
        actor=actor,
        action="forms.csv_batch",
        obj=batch,
        municipality_code=form.tenant_code,
        detail={"rows": len(pending)},
    )
    return batch


# --- retention --------------------------------------------------------------------------------


ANONYMISED = "（匿名化済み）"


def _erase_files(submission: Submission) -> None:
    for stored in SubmissionFile.objects.filter(submission=submission):
        stored.file.delete(save=False)
    SubmissionFile.objects.filter(submission=submission).delete()
    for document in IssuedDocument.objects.filter(submission=submission):
        document.file.delete(save=False)


def anonymise(submission: Submission) -> None:
    """Keep the case's facts (form, dates, statuses) for statistics; remove who and what."""
    _erase_files(submission)
    IssuedDocument.objects.filter(submission=submission).delete()
    submission.answers = {}
    submission.email = ""
    submission.owner = None
    submission.identity_subject = ""
    submission.identity_attributes = {}
    submission.status_salt = ""
    submission.resume_token_hash = ""
    submission.anonymised_at = timezone.now()
    submission.save()
    Case.objects.filter(submission=submission).update(decision_note=ANONYMISED, proposed_note="")


def _record(submission: Submission, method: str, rule: str, now: Any) -> None:
    DeletionRecord.objects.create(
        tenant_code=submission.tenant_code,
        at=now,
        form_slug=submission.form.slug,
        reference=submission.reference or f"draft {submission.public_id}",
        method=method,
        rule=rule,
    )


def apply_retention(*, now: Any = None) -> dict[str, int]:
    """In the active scope: drafts untouched for the form's draft_days are deleted; completed
    (closed) cases older than the form's retention years are deleted or anonymised; expired
    unpaid submissions follow the draft rule. Legal holds are skipped. Every removal leaves a
    DeletionRecord."""
    now = now or timezone.now()
    counts = {"deleted": 0, "anonymised": 0, "held": 0}
    candidates = Submission.objects.filter(anonymised_at__isnull=True).select_related(
        "version", "form"
    )
    for submission in candidates.iterator():
        _definition, settings = parse(submission.version)
        retention = settings.retention
        if submission.status in {
            Submission.Status.DRAFT,
            Submission.Status.EXPIRED,
            Submission.Status.AWAITING_PAYMENT,
        }:
            if submission.updated_at + timedelta(days=retention.draft_days) > now:
                continue
            if submission.legal_hold:
                counts["held"] += 1
                continue
            _record(submission, "delete", f"draft {retention.draft_days} days", now)
            _erase_files(submission)
            Payment.objects.filter(submission=submission).delete()
            submission.delete()
            counts["deleted"] += 1
            continue
        case = Case.objects.filter(submission=submission).first()
        if case is None or case.closed_at is None:
            continue
        if case.closed_at.replace(year=case.closed_at.year + retention.years) > now:
            continue
        if submission.legal_hold:
            counts["held"] += 1
            continue
        rule = f"completed + {retention.years} years"
        if retention.method == "anonymise":
            _record(submission, "anonymise", rule, now)
            anonymise(submission)
            counts["anonymised"] += 1
        else:
            _record(submission, "delete", rule, now)
            _erase_files(submission)
            submission.delete()
            counts["deleted"] += 1
    return counts


@transaction.atomic
def set_legal_hold(*, submission: Submission, hold: bool, actor: User, reason: str) -> Submission:
    submission.legal_hold = hold
    submission.save(update_fields=["legal_hold", "updated_at"])
    record_audit(
        actor=actor,
        action="forms.legal_hold" if hold else "forms.legal_hold_released",
        obj=submission,
        municipality_code=submission.tenant_code,
        detail={"reason": reason[:200]},
    )
    return submission
