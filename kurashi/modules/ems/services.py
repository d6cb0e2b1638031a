"""Writes of the ems module. Every service owns its transaction, audits staff actions, and
publishes its live event only after the commit (so a rolled-back change is never announced)."""

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kurashi.core.audit import record_audit
from kurashi.core.geo import municipality_at
from kurashi.core.models import Organisation, User
from kurashi.core.sealing import Sealer
from kurashi.modules.ems import broadcast
from kurashi.modules.ems.models import (
    INFERRING_REASONS,
    Acceptance,
    AcceptanceStatus,
    Ambulance,
    ApiToken,
    BedCapacity,
    BedType,
    Case,
    CaseAttachment,
    Diversion,
    Hospital,
    HospitalDevice,
    Inquiry,
    MassCasualtyIncident,
    MciAllocation,
    RefusalReason,
    Severity,
    SymptomCategory,
    TraumaMechanism,
    Triage,
    TriageCount,
)
from kurashi.modules.ems.selectors import (
    department_names,
    escalation_inquiries,
    escalation_scene_minutes,
    inference_duration,
    max_parallel_requests,
    mci_summary,
    status_validity,
)
from kurashi.modules.notify import public as notify_public

TIMELINE_FIELDS = {
    "called": "called_at",
    "on_scene": "on_scene_at",
    "contact": "contact_at",
    "loaded": "loaded_at",
    "left_scene": "left_scene_at",
    "arrived": "arrived_hospital_at",
}
TIMELINE_ORDER = tuple(TIMELINE_FIELDS)


def _task(name: str) -> Any:
    """A task of this module, looked up by name when enqueued: the tasks call these services, so
    services must not import the tasks module (as in notify)."""
    return import_string(f"kurashi.modules.ems.tasks.{name}")


def _publish(kind: str, channels: Sequence[str], **data: Any) -> None:
    broadcast.publish(kind, channels, **data)  # after the commit, to every process


def _case_channels(case: Case) -> list[str]:
    return [broadcast.hq_channel(case.fire_hq_id), broadcast.COORDINATOR]


# --- acceptance status ---------------------------------------------------------------------------


def set_acceptance(
    *,
    actor: User | None,
    hospital: Hospital,
    key: str,
    status: str,
    reason: str = "",
    note: str = "",
    source: str = AcceptanceStatus.Source.MANUAL,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> AcceptanceStatus:
    """Set the status of one department (SS-MIX2 code) or symptom category. A hospital's own
    setting overrides any inferred ×."""
    now = now or timezone.now()
    if status not in Acceptance.values or status == Acceptance.STALE:
        raise ValidationError({"status": _("Choose ◎, ○, △ or ×.")})
    if status == Acceptance.UNAVAILABLE and not reason:
        raise ValidationError({"reason": _("Give the reason for ×.")})
    if reason and reason not in RefusalReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    if status != Acceptance.UNAVAILABLE and status != Acceptance.CONDITIONAL:
        reason = ""
    is_department = key in department_names()
    if not is_department and key not in SymptomCategory.values:
        raise ValidationError({"key": _("Unknown department or symptom category.")})
    if is_department and not hospital.departments.filter(code=key).exists():
        raise ValidationError({"key": _("This hospital has no such department.")})
    with transaction.atomic():
        row, _created = AcceptanceStatus.objects.update_or_create(
            hospital=hospital,
            department_code=key if is_department else "",
            category="" if is_department else key,
            defaults={
                "status": status,
                "reason": reason,
                "note": note[:200],
                "source": source,
                "valid_until": now + status_validity(),
                "updated_at": now,
                "updated_by": actor,
                "inferred_until": None,
                "inferred_reason": "",
            },
        )
        record_audit(
            actor=actor,
            action="ems.status.set",
            obj=row,
            organisation_id=hospital.organisation_id,
            request=request,
            detail={"key": key, "status": status, "reason": reason, "source": source},
        )
        _publish("status", [broadcast.STATUS], hospital_id=hospital.pk, key=key)
    return row


def reconfirm_statuses(
    *,
    actor: User | None,
    hospital: Hospital,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> int:
    """One tap "no change": every status of the hospital is valid for another period. An
    inferred × stays: only setting that department explicitly overrides it."""
    now = now or timezone.now()
    with transaction.atomic():
        count = AcceptanceStatus.objects.filter(hospital=hospital).update(
            valid_until=now + status_validity(), updated_at=now, updated_by=actor
        )
        record_audit(
            actor=actor,
            action="ems.status.reconfirm",
            obj=hospital,
            organisation_id=hospital.organisation_id,
            request=request,
            detail={"rows": count},
        )
        _publish("status", [broadcast.STATUS], hospital_id=hospital.pk, key="")
    return count


def _infer_unavailable(*, hospital: Hospital, key: str, reason: str, now: datetime) -> None:
    """A refusal for ベッド満床/手術中/処置困難 makes the department × for a while, whatever
    the screen said: the 99さがネット lesson ("○ on the iPad, refused on the phone")."""
    if reason not in INFERRING_REASONS or not key:
        return
    is_department = key in department_names()
    row = AcceptanceStatus.objects.filter(
        hospital=hospital,
        department_code=key if is_department else "",
        category="" if is_department else key,
    ).first()
    until = now + inference_duration()
    if row is None:
        AcceptanceStatus.objects.create(
            hospital=hospital,
            department_code=key if is_department else "",
            category="" if is_department else key,
            status=Acceptance.UNAVAILABLE,
            reason=reason,
            source=AcceptanceStatus.Source.MANUAL,
            valid_until=now,  # nobody set it: it shows 未更新 once the inference ends
            updated_at=now,
            inferred_until=until,
            inferred_reason=reason,
        )
    else:
        AcceptanceStatus.objects.filter(pk=row.pk).update(
            inferred_until=until, inferred_reason=reason
        )
    _publish("status", [broadcast.STATUS], hospital_id=hospital.pk, key=key)


# --- cases ---------------------------------------------------------------------------------------

CASE_FIELDS = (
    "category",
    "age_group",
    "sex",
    "urgency",
    "jcs",
    "gcs_eye",
    "gcs_verbal",
    "gcs_motor",
    "heart_rate",
    "systolic_bp",
    "diastolic_bp",
    "respiratory_rate",
    "spo2",
    "temperature",
    "summary",
)


@dataclass(frozen=True)
class CaseInput:
    category: str
    age_group: str
    sex: str
    urgency: str
    jcs: str = ""
    gcs_eye: int | None = None
    gcs_verbal: int | None = None
    gcs_motor: int | None = None
    heart_rate: int | None = None
    systolic_bp: int | None = None
    diastolic_bp: int | None = None
    respiratory_rate: int | None = None
    spo2: int | None = None
    temperature: Decimal | None = None
    summary: str = ""


@dataclass(frozen=True)
class CallerHandover:
    """What a case opened from a call carries over for the crew and the receiving hospital.
    `medical_notes` only when the caller consented (the caller's module decides)."""

    source: str
    registered_address: str = ""
    place_note: str = ""
    position_source: str = ""
    communication: str = ""
    medical_notes: str = ""


HANDOVER_NOTES = Sealer("ems.handover-notes")


def seal_notes(text: str) -> str:
    """Medical notes at rest: core's sealing service (AES-256-GCM, keys outside the database,
    bound to this purpose)."""
    return HANDOVER_NOTES.seal_armored(text.encode()) if text else ""


def open_notes(sealed: str) -> str:
    """The notes in clear ("" when none); "" too when the sealing key has changed."""
    if not sealed:
        return ""
    try:
        return HANDOVER_NOTES.open_armored(sealed).decode()
    except (ValueError, InvalidTag):
        return ""


def create_case(
    *,
    actor: User,
    fire_hq: Organisation,
    client_key: str,
    data: CaseInput,
    latitude: float | None = None,
    longitude: float | None = None,
    ambulance: Ambulance | None = None,
    called_at: datetime | None = None,
    handover: CallerHandover | None = None,
    request: HttpRequest | None = None,
) -> tuple[Case, bool]:
    """Open a case; replaying the same client_key (offline queue) returns the first one."""
    existing = Case.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.fire_hq_id != fire_hq.pk:
            raise ValidationError({"client_key": _("This key belongs to another case.")})
        return existing, False
    if ambulance is not None and ambulance.fire_hq_id != fire_hq.pk:
        raise ValidationError({"ambulance": _("This ambulance belongs to another headquarters.")})
    now = timezone.now()
    case = Case(
        client_key=client_key,
        fire_hq=fire_hq,
        ambulance=ambulance,
        created_by=actor,
        latitude=latitude,
        longitude=longitude,
        called_at=called_at or now,
        **{name: getattr(data, name) for name in CASE_FIELDS},
    )
    if latitude is not None and longitude is not None:
        found = municipality_at(latitude, longitude)
        case.municipality_code = found.code if found else ""
    if handover is not None:
        case.source = handover.source[:40]
        case.scene_address = handover.registered_address[:200]
        case.scene_note = handover.place_note[:200]
        case.position_source = handover.position_source[:40]
        case.communication = handover.communication[:100]
        case.handover_notes_sealed = seal_notes(handover.medical_notes.strip())
    case.full_clean(exclude=["client_key"] if len(client_key) > 64 else None)
    try:
        with transaction.atomic():
            case.save()
            record_audit(
                actor=actor,
                action="ems.case.create",
                obj=case,
                organisation_id=fire_hq.pk,
                request=request,
                detail={"category": case.category, "urgency": case.urgency},
            )
            _publish("case", _case_channels(case), case=str(case.public_id))
    except IntegrityError:
        # The same key sent twice at the same moment: the other request created it.
        return Case.objects.get(client_key=client_key), False
    return case, True


def record_case_read(*, actor: User, case: Case, request: HttpRequest | None = None) -> None:
    """Every read of a case is audited (who saw which patient, from where)."""
    record_audit(
        actor=actor,
        action="ems.case.read",
        obj=case,
        organisation_id=case.fire_hq_id,
        request=request,
    )


def record_timeline(
    *,
    actor: User,
    case: Case,
    event: str,
    at: datetime | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Stamp one timeline event (入電, 現着, 接触, 車内収容, 現発, 病院着). The first stamp
    stays: a replayed or double tap changes nothing and returns False."""
    if event not in TIMELINE_FIELDS:
        raise ValidationError({"event": _("Unknown timeline event.")})
    at = at or timezone.now()
    field = TIMELINE_FIELDS[event]
    with transaction.atomic():
        changes: dict[str, Any] = {field: at}
        if event == "arrived":
            changes["state"] = Case.State.ARRIVED
        updated = Case.objects.filter(Q(pk=case.pk) & Q(**{f"{field}__isnull": True})).update(
            **changes
        )
        if updated:
            record_audit(
                actor=actor,
                action="ems.case.timeline",
                obj=case,
                organisation_id=case.fire_hq_id,
                request=request,
                detail={"event": event, "at": at.isoformat()},
            )
            case.refresh_from_db()
            check_escalation(case=case, now=at)
            _publish("case", _case_channels(case), case=str(case.public_id), event=event)
    return bool(updated)


def cancel_case(*, actor: User, case: Case, request: HttpRequest | None = None) -> bool:
    with transaction.atomic():
        updated = Case.objects.filter(
            pk=case.pk, state__in=[Case.State.OPEN, Case.State.DECIDED]
        ).update(state=Case.State.CANCELLED)
        if updated:
            Inquiry.objects.filter(case=case, result=Inquiry.Result.PENDING).update(
                result=Inquiry.Result.WITHDRAWN, answered_at=timezone.now()
            )
            record_audit(
                actor=actor,
                action="ems.case.cancel",
                obj=case,
                organisation_id=case.fire_hq_id,
                request=request,
            )
            _publish("case", _case_channels(case), case=str(case.public_id))
    return bool(updated)


# --- inquiries and requests ----------------------------------------------------------------------


def _next_sequence(case: Case) -> int:
    last = Inquiry.objects.filter(case=case).order_by("-sequence").first()
    return (last.sequence if last else 0) + 1


def log_inquiry(
    *,
    actor: User,
    case: Case,
    client_key: str,
    hospital: Hospital,
    result: str,
    department_code: str = "",
    channel: str = Inquiry.Channel.PHONE,
    refusal_reason: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> tuple[Inquiry, bool]:
    """Log a phone/hotline inquiry with its answer in one tap. Idempotent by client_key."""
    existing = Inquiry.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.case_id != case.pk:
            raise ValidationError({"client_key": _("This key belongs to another case.")})
        return existing, False
    if result not in {Inquiry.Result.ACCEPTED, Inquiry.Result.REFUSED, Inquiry.Result.CALLBACK}:
        raise ValidationError({"result": _("Choose accepted, refused or call back.")})
    if result == Inquiry.Result.REFUSED and refusal_reason not in RefusalReason.values:
        raise ValidationError({"refusal_reason": _("Choose the reason for the refusal.")})
    if result != Inquiry.Result.REFUSED:
        refusal_reason = ""
    if channel not in {Inquiry.Channel.PHONE, Inquiry.Channel.HOTLINE}:
        raise ValidationError({"channel": _("Log phone or hotline inquiries here.")})
    if case.state not in {Case.State.OPEN}:
        raise ValidationError(_("This case already has a destination or is closed."))
    now = now or timezone.now()
    try:
        with transaction.atomic():
            inquiry = Inquiry.objects.create(
                case=case,
                sequence=_next_sequence(case),
                client_key=client_key,
                hospital=hospital,
                department_code=department_code,
                channel=channel,
                result=Inquiry.Result.PENDING,
                requested_at=now,
            )
            if result == Inquiry.Result.ACCEPTED:
                if not _claim_destination(case=case, inquiry=inquiry, actor=actor, now=now):
                    raise ValidationError(_("This case already has a destination."))
            else:
                Inquiry.objects.filter(pk=inquiry.pk).update(
                    result=result, refusal_reason=refusal_reason, answered_at=now
                )
                if result == Inquiry.Result.REFUSED:
                    _infer_unavailable(
                        hospital=hospital,
                        key=department_code or case.category,
                        reason=refusal_reason,
                        now=now,
                    )
            record_audit(
                actor=actor,
                action="ems.inquiry.log",
                obj=inquiry,
                organisation_id=case.fire_hq_id,
                request=request,
                detail={"hospital": hospital.pk, "result": result, "reason": refusal_reason},
            )
            case.refresh_from_db()
            check_escalation(case=case, now=now)
            _publish("case", _case_channels(case), case=str(case.public_id))
    except IntegrityError:
        existing = Inquiry.objects.filter(client_key=client_key).first()
        if existing is None:
            raise
        return existing, False
    inquiry.refresh_from_db()
    return inquiry, True


def send_parallel_request(
    *,
    actor: User,
    case: Case,
    client_key: str,
    targets: Sequence[tuple[Hospital, str]],
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> list[Inquiry]:
    """Ask up to N hospitals at once in the app; the first to accept wins (answer_request).
    Replaying the same client_key returns the inquiries of the first send."""
    already = list(Inquiry.objects.filter(client_key__startswith=f"{client_key}:"))
    if already:
        if any(i.case_id != case.pk for i in already):
            raise ValidationError({"client_key": _("This key belongs to another case.")})
        return already
    if not targets:
        raise ValidationError(_("Choose at least one hospital."))
    if len(targets) > max_parallel_requests():
        raise ValidationError(
            _("Ask at most %(count)d hospitals at once.") % {"count": max_parallel_requests()}
        )
    if len({h.pk for h, _code in targets}) != len(targets):
        raise ValidationError(_("Each hospital only once."))
    if case.state != Case.State.OPEN:
        raise ValidationError(_("This case already has a destination or is closed."))
    now = now or timezone.now()
    group = uuid.uuid4()
    created = []
    with transaction.atomic():
        pending = set(
            Inquiry.objects.filter(case=case, result=Inquiry.Result.PENDING).values_list(
                "hospital_id", flat=True
            )
        )
        sequence = _next_sequence(case)
        for hospital, code in targets:
            if hospital.pk in pending:
                continue
            created.append(
                Inquiry.objects.create(
                    case=case,
                    sequence=sequence,
                    client_key=f"{client_key}:{hospital.pk}",
                    hospital=hospital,
                    department_code=code,
                    channel=Inquiry.Channel.APP,
                    request_group=group,
                    requested_at=now,
                )
            )
            sequence += 1
        record_audit(
            actor=actor,
            action="ems.request.send",
            obj=case,
            organisation_id=case.fire_hq_id,
            request=request,
            detail={"hospitals": [i.hospital_id for i in created], "group": str(group)},
        )
        for inquiry in created:
            _publish(
                "request",
                [broadcast.hospital_channel(inquiry.hospital.organisation_id)],
                case=str(case.public_id),
                inquiry=inquiry.pk,
                category=case.category,
                urgency=case.urgency,
            )
            if HospitalDevice.objects.filter(hospital=inquiry.hospital, is_active=True).exists():
                transaction.on_commit(
                    lambda pk=inquiry.pk: _task("push_request_task").enqueue(inquiry_id=pk)  # type: ignore[misc]
                )
        _publish("case", _case_channels(case), case=str(case.public_id))
    return created


def _claim_destination(*, case: Case, inquiry: Inquiry, actor: User | None, now: datetime) -> bool:
    """The race of two hospitals accepting at once is settled here, by a conditional UPDATE:
    only the first transaction finds the case still OPEN (SQLite serialises writers with BEGIN
    IMMEDIATE; PostgreSQL re-checks the WHERE after the row lock), and the partial unique index
    ems_inquiry_one_acceptance backs it up."""
    claimed = Case.objects.filter(pk=case.pk, state=Case.State.OPEN).update(
        state=Case.State.DECIDED, destination=inquiry.hospital
    )
    if claimed != 1:
        return False
    Inquiry.objects.filter(pk=inquiry.pk).update(
        result=Inquiry.Result.ACCEPTED, answered_at=now, answered_by=actor
    )
    withdrawn = list(
        Inquiry.objects.filter(case=case, result=Inquiry.Result.PENDING)
        .exclude(pk=inquiry.pk)
        .select_related("hospital")
    )
    Inquiry.objects.filter(pk__in=[i.pk for i in withdrawn]).update(
        result=Inquiry.Result.WITHDRAWN, answered_at=now
    )
    for other in withdrawn:
        _publish(
            "request",
            [broadcast.hospital_channel(other.hospital.organisation_id)],
            case=str(case.public_id),
            inquiry=other.pk,
            withdrawn=True,
        )
    return True


@dataclass(frozen=True)
class Answer:
    outcome: str  # accepted | refused | too_late | already_answered


def answer_request(
    *,
    actor: User,
    inquiry: Inquiry,
    accept: bool,
    refusal_reason: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Answer:
    """A hospital accepts or declines an in-app request in one tap."""
    if not accept and refusal_reason not in RefusalReason.values:
        raise ValidationError({"refusal_reason": _("Choose the reason for the refusal.")})
    now = now or timezone.now()
    case = inquiry.case
    with transaction.atomic():
        if Inquiry.objects.filter(pk=inquiry.pk, result=Inquiry.Result.PENDING).count() != 1:
            return Answer("already_answered")
        if accept:
            if not _claim_destination(case=case, inquiry=inquiry, actor=actor, now=now):
                Inquiry.objects.filter(pk=inquiry.pk, result=Inquiry.Result.PENDING).update(
                    result=Inquiry.Result.WITHDRAWN, answered_at=now
                )
                return Answer("too_late")
            outcome = "accepted"
        else:
            updated = Inquiry.objects.filter(pk=inquiry.pk, result=Inquiry.Result.PENDING).update(
                result=Inquiry.Result.REFUSED,
                refusal_reason=refusal_reason,
                answered_at=now,
                answered_by=actor,
            )
            if not updated:
                return Answer("already_answered")
            _infer_unavailable(
                hospital=inquiry.hospital,
                key=inquiry.department_code or case.category,
                reason=refusal_reason,
                now=now,
            )
            outcome = "refused"
        # An answer is also the acknowledgement of the alert (if nobody had pressed it). Written
        # after the decision: the case row is locked first in every path, so two hospitals
        # accepting at once never lock the same rows in the opposite order (PostgreSQL deadlock).
        Inquiry.objects.filter(pk=inquiry.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor
        )
        record_audit(
            actor=actor,
            action=f"ems.request.{outcome}",
            obj=inquiry,
            organisation_id=inquiry.hospital.organisation_id,
            request=request,
            detail={"case": str(case.public_id), "reason": refusal_reason},
        )
        case.refresh_from_db()
        check_escalation(case=case, now=now)
        _publish(
            "case",
            _case_channels(case),
            case=str(case.public_id),
            answer=outcome,
            hospital_id=inquiry.hospital_id,
        )
        _publish(
            "request",
            [broadcast.hospital_channel(inquiry.hospital.organisation_id)],
            case=str(case.public_id),
            inquiry=inquiry.pk,
            answered=outcome,
        )
    return Answer(outcome)


def record_outcome(
    *,
    actor: User,
    case: Case,
    severity: str,
    diagnosis: str,
    request: HttpRequest | None = None,
) -> Case:
    """The receiving hospital enters 初診時傷病程度 and the diagnosis."""
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Choose the severity.")})
    if case.destination_id is None:
        raise ValidationError(_("This case has no destination yet."))
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(
            severity=severity, diagnosis=diagnosis.strip()[:200], outcome_at=timezone.now()
        )
        case.refresh_from_db()
        record_audit(
            actor=actor,
            action="ems.case.outcome",
            obj=case,
            organisation_id=case.destination.organisation_id if case.destination else None,
            request=request,
            detail={"severity": severity},
        )
        _publish("case", _case_channels(case), case=str(case.public_id))
    return case


# --- the hospital's alert: acknowledgement and devices ------------------------------------------


def acknowledge_requests(
    *,
    actor: User,
    hospital: Hospital,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> int:
    """Someone at the hospital saw the new requests: the banner and the repeating sound stop on
    every screen of the hospital, and the time and the person are recorded (the first
    acknowledgement of each request is kept). Returns how many requests it acknowledged."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = Inquiry.objects.filter(
            hospital=hospital,
            result=Inquiry.Result.PENDING,
            channel=Inquiry.Channel.APP,
            acknowledged_at__isnull=True,
        )
        ids = list(pending.values_list("pk", flat=True))
        count = Inquiry.objects.filter(pk__in=ids, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor
        )
        if count:
            record_audit(
                actor=actor,
                action="ems.request.acknowledge",
                obj=hospital,
                organisation_id=hospital.organisation_id,
                request=request,
                detail={"inquiries": ids},
            )
            _publish(
                "request",
                [broadcast.hospital_channel(hospital.organisation_id)],
                acknowledged=ids,
            )
    return count


def register_device(
    *,
    actor: User,
    hospital: Hospital,
    endpoint: str,
    p256dh: str,
    auth: str,
    label: str,
    request: HttpRequest | None = None,
) -> HospitalDevice:
    """Register (or re-register) a browser's push subscription for the hospital's new requests.
    The same endpoint registered again updates its keys and label and is active again."""
    if not notify_public.web_push_public_key():
        raise ValidationError(_("Web Push is not configured on this installation."))
    label = (label or "").strip()[:80] or _("Unnamed device")
    device = HospitalDevice(
        hospital=hospital,
        registered_by=actor,
        label=label,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
    )
    device.full_clean(exclude=["endpoint"])
    if not endpoint.startswith("https://") and not _is_loopback(endpoint):
        raise ValidationError({"endpoint": _("The push service address must use HTTPS.")})
    with transaction.atomic():
        device, _created = HospitalDevice.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "hospital": hospital,
                "registered_by": actor,
                "label": label,
                "p256dh": p256dh,
                "auth": auth,
                "is_active": True,
                "last_error": "",
            },
        )
        record_audit(
            actor=actor,
            action="ems.device.register",
            obj=device,
            organisation_id=hospital.organisation_id,
            request=request,
            detail={"label": label},
        )
    return device


def _is_loopback(url: str) -> bool:
    """Local push receivers (tests, an on-premises relay) may use plain HTTP on loopback."""
    return urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}


def remove_device(
    *, actor: User, device: HospitalDevice, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        record_audit(
            actor=actor,
            action="ems.device.remove",
            obj=device,
            organisation_id=device.hospital.organisation_id,
            request=request,
        )
        device.delete()


PUSH_ATTEMPTS = 3
PUSH_RETRY_SECONDS = 20


def push_request(*, inquiry_id: int, attempt: int = 1) -> dict[str, int]:
    """Send the Web Push of one new request to every active device of its hospital (the
    payload says what and from whom, never who the patient is). A device whose subscription is
    gone is switched off; a transient failure is retried while the request still waits."""
    inquiry = (
        Inquiry.objects.select_related("case__fire_hq", "hospital__organisation")
        .filter(pk=inquiry_id)
        .first()
    )
    counts = {"sent": 0, "retry": 0, "failed": 0, "gone": 0}
    if inquiry is None or inquiry.result != Inquiry.Result.PENDING:
        return counts
    case = inquiry.case
    payload = {
        "title": _("New transport request"),
        "body": f"{case.get_category_display()} · {case.get_urgency_display()} · {case.fire_hq}",
        "url": reverse("ems:hospital", args=[inquiry.hospital.organisation.slug]),
        "tag": f"ems-request-{inquiry.pk}",
        "inquiry": inquiry.pk,
    }
    retry = False
    for device in HospitalDevice.objects.filter(hospital=inquiry.hospital, is_active=True):
        result = notify_public.send_web_push(
            endpoint=device.endpoint,
            p256dh=device.p256dh,
            auth=device.auth,
            payload=payload,
            key=f"ems-request-{inquiry.pk}-{device.pk}",
        )
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        changes: dict[str, Any] = {"last_error": result.error[:300]}
        if result.outcome == "sent":
            changes["last_sent_at"] = timezone.now()
        elif result.outcome == "gone":
            changes["is_active"] = False
        elif result.outcome == "retry":
            retry = True
        HospitalDevice.objects.filter(pk=device.pk).update(**changes)
    if retry and attempt < PUSH_ATTEMPTS:
        _task("push_request_task").using(
            run_after=timezone.now() + timedelta(seconds=PUSH_RETRY_SECONDS * attempt)
        ).enqueue(inquiry_id=inquiry_id, attempt=attempt + 1)
    return counts


# --- escalation ----------------------------------------------------------------------------------


def check_escalation(*, case: Case, now: datetime) -> bool:
    """Flag 搬送困難事案 once a case reaches the inquiry or scene-time threshold, and alert the
    coordinator and the on-duty core hospitals live. Runs inside the caller's transaction."""
    if case.escalated_at is not None or case.state not in {Case.State.OPEN}:
        return False
    inquiries = Inquiry.objects.filter(case=case).exclude(result=Inquiry.Result.WITHDRAWN).count()
    scene_minutes = None
    if case.on_scene_at and case.left_scene_at is None:
        scene_minutes = (now - case.on_scene_at).total_seconds() / 60
    reason = ""
    if inquiries >= escalation_inquiries():
        reason = "inquiries"
    elif scene_minutes is not None and scene_minutes >= escalation_scene_minutes():
        reason = "scene_time"
    if not reason:
        return False
    updated = Case.objects.filter(pk=case.pk, escalated_at__isnull=True).update(
        is_difficult=True, escalated_at=now, escalation_reason=reason
    )
    if not updated:
        return False
    case.refresh_from_db()
    record_audit(
        actor=None,
        action="ems.case.escalate",
        obj=case,
        organisation_id=case.fire_hq_id,
        detail={"reason": reason, "inquiries": inquiries},
    )
    core = Hospital.objects.filter(is_core_on_duty=True).values_list("organisation_id", flat=True)
    _publish(
        "escalation",
        [*_case_channels(case), *(broadcast.hospital_channel(i) for i in core)],
        case=str(case.public_id),
        reason=reason,
        inquiries=inquiries,
        escalated_at=case.escalated_at.isoformat() if case.escalated_at else "",
    )
    return True


def next_escalation_due(*, now: datetime | None = None) -> datetime | None:
    """When the next open case on scene reaches the scene-time threshold (None: no such case):
    the watcher sleeps until then instead of a fixed interval, so the escalation is on time."""
    first = (
        Case.objects.filter(
            state=Case.State.OPEN,
            escalated_at__isnull=True,
            on_scene_at__isnull=False,
            left_scene_at__isnull=True,
        )
        .order_by("on_scene_at")
        .values_list("on_scene_at", flat=True)
        .first()
    )
    return None if first is None else first + timedelta(minutes=escalation_scene_minutes())


def check_escalations(*, now: datetime | None = None) -> int:
    """Escalate every open case past the scene-time threshold (run by `kurashi ems_escalate`
    and on board renders: the scene-time rule fires without any new write)."""
    now = now or timezone.now()
    count = 0
    cutoff = now - timedelta(minutes=escalation_scene_minutes())
    candidates = Case.objects.filter(
        state=Case.State.OPEN,
        escalated_at__isnull=True,
        on_scene_at__lte=cutoff,
        left_scene_at__isnull=True,
    )
    for case in candidates:
        with transaction.atomic():
            count += check_escalation(case=case, now=now)
    return count


# --- API tokens ----------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_api_token(
    *, actor: User, hospital: Hospital, label: str, request: HttpRequest | None = None
) -> str:
    """Create a token for a hospital system acting as `actor`; the raw value is shown once."""
    raw = "ems_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor, hospital=hospital, label=label[:80] or "API", token_hash=hash_token(raw)
        )
        record_audit(
            actor=actor,
            action="ems.token.issue",
            obj=token,
            organisation_id=hospital.organisation_id,
            request=request,
        )
    return raw


def authenticate_token(raw: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user", "hospital__organisation")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def record_export(*, actor: User, kind: str, request: HttpRequest | None = None) -> None:
    record_audit(
        actor=actor, action="ems.export", object_type="ems.kpi", object_id=kind, request=request
    )


def open_case_from_text_call(
    *,
    actor: User,
    municipality_code: str,
    client_key: str,
    category: str,
    age_group: str,
    sex: str,
    urgency: str,
    latitude: float | None = None,
    longitude: float | None = None,
    summary: str = "",
    handover: CallerHandover | None = None,
    request: HttpRequest | None = None,
) -> str:
    """Open a case for a text-119 call (plan 1.4, access module) in the fire headquarters that
    covers `municipality_code` and of which `actor` (the 119 dispatcher) is a member; returns
    the case's public id. Idempotent on client_key."""
    headquarters = Organisation.objects.filter(
        kind=Organisation.Kind.FIRE_HQ, is_active=True, jurisdiction__code=municipality_code
    )
    if not actor.is_superuser:
        headquarters = headquarters.filter(memberships__user=actor)
    fire_hq = headquarters.order_by("pk").first()
    if fire_hq is None:
        raise PermissionDenied("no fire headquarters of the actor covers this municipality")
    case, _created = create_case(
        actor=actor,
        fire_hq=fire_hq,
        client_key=client_key,
        data=CaseInput(
            category=category, age_group=age_group, sex=sex, urgency=urgency, summary=summary
        ),
        latitude=latitude,
        longitude=longitude,
        handover=handover,
        request=request,
    )
    return str(case.public_id)


# --- capacity and diversion (one tap each) --------------------------------------------------------


def adjust_capacity(
    *,
    actor: User | None,
    hospital: Hospital,
    bed_type: str,
    delta: int | None = None,
    value: int | None = None,
    request: HttpRequest | None = None,
) -> BedCapacity:
    """One tap: +1 / −1 (`delta`) or an exact number (`value`) of vacant, staffed beds."""
    if bed_type not in BedType.values:
        raise ValidationError({"bed_type": _("Unknown bed type.")})
    if (delta is None) == (value is None):
        raise ValidationError(_("Give either a change or a number of beds."))
    if value is not None and not 0 <= value <= 999:
        raise ValidationError({"value": _("Give a number of beds from 0 to 999.")})
    if delta is not None and delta not in {-1, 1}:
        raise ValidationError({"delta": _("Change one bed at a time.")})
    now = timezone.now()
    with transaction.atomic():
        row, _created = BedCapacity.objects.select_for_update().get_or_create(
            hospital=hospital, bed_type=bed_type
        )
        new = value if value is not None else max(0, min(999, row.available + (delta or 0)))
        BedCapacity.objects.filter(pk=row.pk).update(
            available=new, updated_at=now, updated_by=actor
        )
        row.refresh_from_db()
        record_audit(
            actor=actor,
            action="ems.capacity.set",
            obj=hospital,
            organisation_id=hospital.organisation_id,
            request=request,
            detail={"bed_type": bed_type, "available": new},
        )
        _publish(
            "capacity",
            [broadcast.STATUS],
            hospital_id=hospital.pk,
            bed_type=bed_type,
            available=new,
        )
    return row


def set_diversion(
    *,
    actor: User | None,
    hospital: Hospital,
    status: str,
    reason: str = "",
    hours: float | None = None,
    request: HttpRequest | None = None,
) -> Hospital:
    """Ambulance traffic of the ED: normal, restricted (call first) or diverting, for `hours`
    (then normal again by itself) — the EMResource / EDXL-HAVE status with an expiry."""
    if status not in Diversion.values:
        raise ValidationError({"status": _("Choose normal, restricted or diverting.")})
    if status != Diversion.NORMAL and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for restricting or diverting.")})
    if hours is not None and not 0 < hours <= 72:
        raise ValidationError({"hours": _("Give a duration of up to 72 hours.")})
    now = timezone.now()
    until = None
    if status != Diversion.NORMAL:
        until = now + timedelta(hours=hours or 4)
    with transaction.atomic():
        Hospital.objects.filter(pk=hospital.pk).update(
            diversion=status,
            diversion_reason=reason.strip()[:200] if status != Diversion.NORMAL else "",
            diversion_until=until,
            diversion_updated_at=now,
        )
        hospital.refresh_from_db()
        record_audit(
            actor=actor,
            action="ems.diversion.set",
            obj=hospital,
            organisation_id=hospital.organisation_id,
            request=request,
            detail={
                "status": status,
                "reason": reason,
                "until": until.isoformat() if until else "",
            },
        )
        _publish("status", [broadcast.STATUS], hospital_id=hospital.pk, key="diversion")
    return hospital


# --- structured findings and attachments ---------------------------------------------------------


@dataclass(frozen=True)
class Findings:
    symptom_onset_at: datetime | None = None
    cpss_face: bool | None = None
    cpss_arm: bool | None = None
    cpss_speech: bool | None = None
    elvo_gaze: bool | None = None
    elvo_cortical: bool | None = None
    trauma_mechanism: str = ""


def record_findings(
    *, actor: User, case: Case, findings: Findings, request: HttpRequest | None = None
) -> Case:
    """The crew's structured findings (stroke scale, trauma mechanism); they re-rank the list."""
    if findings.trauma_mechanism not in TraumaMechanism.values:
        raise ValidationError({"trauma_mechanism": _("Unknown trauma mechanism.")})
    now = timezone.now()
    if findings.symptom_onset_at is not None and not (
        now - timedelta(days=7) <= findings.symptom_onset_at <= now + timedelta(minutes=2)
    ):
        raise ValidationError({"symptom_onset_at": _("The onset time must be in the last 7 days.")})
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(**vars(findings))
        case.refresh_from_db()
        record_audit(
            actor=actor,
            action="ems.case.findings",
            obj=case,
            organisation_id=case.fire_hq_id,
            request=request,
        )
        _publish("case", _case_channels(case), case=str(case.public_id))
        if case.destination is not None:
            _publish(
                "request",
                [broadcast.hospital_channel(case.destination.organisation_id)],
                case=str(case.public_id),
            )
    return case


ATTACHMENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "PDF": "application/pdf"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _attachment_type(upload: UploadedFile[Any]) -> str:
    """What the file really is (its first bytes and a full image decode), never its name."""
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return ATTACHMENT_TYPES["PDF"]
    try:
        with Image.open(upload) as image:
            image_format = image.format or ""
            image.load()  # a damaged or truncated image fails here
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError(
            {"file": _("Attach a photo (JPEG or PNG) or an ECG as PDF.")}
        ) from error
    finally:
        upload.seek(0)
    if image_format not in {"JPEG", "PNG"}:
        raise ValidationError({"file": _("Attach a photo (JPEG or PNG) or an ECG as PDF.")})
    return ATTACHMENT_TYPES[image_format]


def attach_to_case(
    *,
    actor: User,
    case: Case,
    kind: str,
    upload: UploadedFile[Any],
    request: HttpRequest | None = None,
) -> CaseAttachment:
    """A photo or ECG from the scene, for the receiving hospital (and the crew's HQ) only."""
    if kind not in CaseAttachment.Kind.values:
        raise ValidationError({"kind": _("Choose photo or ECG.")})
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("The file is too large (at most 10 MB).")})
    content_type = _attachment_type(upload)
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[content_type]
    with transaction.atomic():
        attachment = CaseAttachment(
            case=case,
            kind=kind,
            content_type=content_type,
            size_bytes=upload.size,
            uploaded_by=actor,
        )
        attachment.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
        attachment.save()
        record_audit(
            actor=actor,
            action="ems.attachment.add",
            obj=case,
            organisation_id=case.fire_hq_id,
            request=request,
            detail={"kind": kind, "type": content_type},
        )
        _publish("case", _case_channels(case), case=str(case.public_id))
        if case.destination is not None:
            _publish(
                "request",
                [broadcast.hospital_channel(case.destination.organisation_id)],
                case=str(case.public_id),
            )
    return attachment


def record_attachment_read(
    *, actor: User, attachment: CaseAttachment, request: HttpRequest | None = None
) -> None:
    record_audit(
        actor=actor,
        action="ems.attachment.read",
        obj=attachment.case,
        organisation_id=attachment.case.fire_hq_id,
        request=request,
        detail={"attachment": attachment.pk},
    )


# --- mass-casualty incidents (disaster mode) -----------------------------------------------------


def _mci_channels(allocated_hospital_orgs: Sequence[int] = ()) -> list[str]:
    return [
        broadcast.COORDINATOR,
        broadcast.STATUS,
        *(broadcast.hospital_channel(i) for i in allocated_hospital_orgs),
    ]


def start_incident(
    *,
    actor: User,
    name: str,
    place: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    request: HttpRequest | None = None,
) -> MassCasualtyIncident:
    if not name.strip():
        raise ValidationError({"name": _("Give the incident a name.")})
    with transaction.atomic():
        incident = MassCasualtyIncident.objects.create(
            name=name.strip()[:120],
            place=place.strip()[:200],
            latitude=latitude,
            longitude=longitude,
            started_by=actor,
        )
        record_audit(actor=actor, action="ems.mci.start", obj=incident, request=request)
        _publish("mci", _mci_channels(), incident=str(incident.public_id))
    return incident


def end_incident(
    *, actor: User, incident: MassCasualtyIncident, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        MassCasualtyIncident.objects.filter(pk=incident.pk, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
        record_audit(actor=actor, action="ems.mci.end", obj=incident, request=request)
        _publish("mci", _mci_channels(), incident=str(incident.public_id))


def _require_active(incident: MassCasualtyIncident) -> None:
    if not MassCasualtyIncident.objects.filter(pk=incident.pk, ended_at__isnull=True).exists():
        raise ValidationError(_("This incident has ended."))


def report_triage(
    *,
    actor: User,
    incident: MassCasualtyIncident,
    category: str,
    method: str = TriageCount.Method.START,
    delta: int | None = None,
    value: int | None = None,
    request: HttpRequest | None = None,
) -> TriageCount:
    """From the scene, one tap per patient triaged (+1 / −1) or the count of a category."""
    if category not in Triage.values or method not in TriageCount.Method.values:
        raise ValidationError(_("Unknown triage category."))
    if (delta is None) == (value is None) or (delta is not None and delta not in {-1, 1}):
        raise ValidationError(_("Give either a change of one or a count."))
    if value is not None and not 0 <= value <= 999:
        raise ValidationError({"value": _("Give a count from 0 to 999.")})
    _require_active(incident)
    with transaction.atomic():
        row, _created = TriageCount.objects.select_for_update().get_or_create(
            incident=incident, category=category, method=method
        )
        new = value if value is not None else max(0, row.count + (delta or 0))
        TriageCount.objects.filter(pk=row.pk).update(
            count=new, updated_at=timezone.now(), updated_by=actor
        )
        row.refresh_from_db()
        record_audit(
            actor=actor,
            action="ems.mci.triage",
            obj=incident,
            request=request,
            detail={"category": category, "method": method, "count": new},
        )
        _publish("mci", _mci_channels(), incident=str(incident.public_id))
    return row


def allocate_patients(
    *,
    actor: User,
    incident: MassCasualtyIncident,
    allocations: Sequence[tuple[Hospital, str, int]],
    request: HttpRequest | None = None,
) -> list[MciAllocation]:
    """The coordinator sends patients to hospitals: (hospital, triage category, count). Never
    more living patients of a category than the scene reported and not yet allocated."""
    _require_active(incident)
    wanted: dict[str, int] = {}
    for _hospital, category, count in allocations:
        if category not in {Triage.RED, Triage.YELLOW, Triage.GREEN}:
            raise ValidationError(_("Only living patients (red, yellow, green) are distributed."))
        if count < 1:
            raise ValidationError(_("Give at least one patient per hospital."))
        wanted[category] = wanted.get(category, 0) + count
    if not wanted:
        raise ValidationError(_("Choose at least one hospital and a number of patients."))
    with transaction.atomic():
        # One distribution at a time per incident: the check below reads what is allocated.
        MassCasualtyIncident.objects.select_for_update().filter(pk=incident.pk).update(
            name=F("name")
        )
        summary = mci_summary(incident)
        for category, count in wanted.items():
            left = summary.unallocated.get(category, 0)
            if count > left:
                raise ValidationError(
                    _("Only %(left)d %(category)s patients are left to distribute.")
                    % {"left": left, "category": Triage(category).label}
                )
        created = [
            MciAllocation.objects.create(
                incident=incident,
                hospital=hospital,
                category=category,
                patients=count,
                allocated_by=actor,
            )
            for hospital, category, count in allocations
        ]
        record_audit(
            actor=actor,
            action="ems.mci.allocate",
            obj=incident,
            request=request,
            detail={
                "allocations": [
                    [hospital.pk, category, count] for hospital, category, count in allocations
                ]
            },
        )
        _publish(
            "mci",
            _mci_channels(sorted({h.organisation_id for h, _c, _n in allocations})),
            incident=str(incident.public_id),
        )
    return created


def acknowledge_allocations(
    *, actor: User, hospital: Hospital, request: HttpRequest | None = None
) -> int:
    with transaction.atomic():
        count = MciAllocation.objects.filter(
            hospital=hospital, acknowledged_at__isnull=True
        ).update(acknowledged_at=timezone.now())
        if count:
            record_audit(
                actor=actor,
                action="ems.mci.acknowledge",
                obj=hospital,
                organisation_id=hospital.organisation_id,
                request=request,
            )
            _publish("mci", _mci_channels([hospital.organisation_id]))
    return count
