"""Writes of the records module: the patient index (match, merge, unmerge), consent and
break-glass, sealed FHIR resources, the hash-chained access log, comments and API tokens."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kurashi.core.audit import record_audit
from kurashi.core.models import Membership, Organisation, User
from kurashi.core.permissions import grant_for, has_permission
from kurashi.core.services import queue_email
from kurashi.modules.records import chain, crypto, fhir, matching, selectors
from kurashi.modules.records.matching import Demographics
from kurashi.modules.records.models import (
    AccessLog,
    AccessLogHead,
    ApiToken,
    BreakGlass,
    Comment,
    Consent,
    LocalIdentifier,
    MatchReview,
    MergeRecord,
    Person,
    PersonKey,
    Resource,
    ResourceToken,
)

BREAK_GLASS_WINDOW = timedelta(hours=12)  # how long an emergency opening lasts
BREAK_GLASS_DUE = timedelta(hours=24)  # consent or documented reason required by then
MAX_FORM_BYTES = 10 * 1024 * 1024


# --- access log -------------------------------------------------------------------------------


def append_access(
    *,
    user: User | Any,
    action: str,
    person: Person | None = None,
    purpose: str = "",
    outcome: str = "0",
    facility_id: int | None = None,
    resource_type: str = "",
    resource_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AccessLog:
    """Append one row to the hash-chained access log (BALP: who, where, whom, why, outcome)."""
    authenticated = getattr(user, "is_authenticated", False)
    with transaction.atomic():
        head, _created = AccessLogHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": chain.GENESIS}
        )
        row = AccessLog(
            at=timezone.now(),
            user_id_value=user.pk if authenticated else None,
            username=user.get_username() if authenticated else "anonymous",
            roles=selectors.roles_in(user, facility_id),
            facility_id_value=facility_id,
            facility_label=selectors.facility_label(facility_id),
            person_id_value=person.pk if person else None,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id[:64],
            purpose=purpose,
            outcome=outcome,
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        row.row_hash = chain.row_hash(head.last_hash, row)
        row.save()
        AccessLogHead.objects.filter(pk=1).update(last_hash=row.row_hash, count=head.count + 1)
    return row


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    broken: list[int]  # ids of rows whose hash or link does not verify

    @property
    def intact(self) -> bool:
        return not self.broken


def verify_access_log() -> ChainCheck:
    """Recompute the chain; any edited, inserted or deleted row breaks it from there on."""
    previous = chain.GENESIS
    broken: list[int] = []
    count = 0
    for row in AccessLog.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if row.prev_hash != previous or chain.row_hash(row.prev_hash, row) != row.row_hash:
            broken.append(row.pk)
        previous = row.row_hash
    head = AccessLogHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != previous or head.count != count):
        broken.append(-1)  # rows removed from the end, or the head was changed
    return ChainCheck(rows=count, broken=broken)


def log_decision(
    *,
    user: User | Any,
    person: Person,
    decision: selectors.AccessDecision,
    action: str,
    resource_type: str = "",
    resource_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AccessLog:
    extra = dict(detail or {})
    if decision.break_glass_id:
        extra["break_glass"] = decision.break_glass_id
    if not decision.allowed:
        extra["denied"] = decision.reason
    return append_access(
        user=user,
        action=action,
        person=person,
        purpose=decision.purpose,
        outcome="0" if decision.allowed else "4",
        facility_id=decision.facility_id,
        resource_type=resource_type,
        resource_id=resource_id,
        detail=extra,
    )


# --- patient index ----------------------------------------------------------------------------


def _add_keys(person: Person, value: Demographics) -> None:
    tokens = {crypto.token("block", f"{kind}:{key}") for kind, key in matching.blocking_keys(value)}
    existing = set(PersonKey.objects.filter(person=person).values_list("token", flat=True))
    PersonKey.objects.bulk_create(
        [PersonKey(person=person, token=t) for t in sorted(tokens - existing)]
    )


def _new_person(value: Demographics) -> Person:
    person = Person.objects.create(demographics=crypto.seal_json(value.as_json()))
    _add_keys(person, value)
    return person


def identifier_demographics(identifier: LocalIdentifier) -> Demographics:
    data = crypto.unseal_json(identifier.demographics)
    if not isinstance(data, dict):
        raise TypeError("sealed JSON is not an object")
    return Demographics.from_json(data)


@dataclass(frozen=True)
class Candidate:
    person: Person
    score: matching.MatchScore


def find_candidates(value: Demographics, *, exclude: Person | None = None) -> list[Candidate]:
    tokens = [crypto.token("block", f"{k}:{v}") for k, v in matching.probe_keys(value)]
    person_ids = set(
        PersonKey.objects.filter(token__in=tokens).values_list("person_id", flat=True)[:500]
    )
    seen: dict[int, Candidate] = {}
    for person in Person.objects.filter(pk__in=person_ids):
        current = selectors.current_person(person)
        if exclude is not None and current.pk == exclude.pk:
            continue
        known = [selectors.person_demographics(current)] + [
            identifier_demographics(i) for i in current.identifiers.all()
        ]
        best = max((matching.score(value, other) for other in known), key=lambda s: s.total)
        if current.pk not in seen or seen[current.pk].score.total < best.total:
            seen[current.pk] = Candidate(current, best)
    return sorted(seen.values(), key=lambda c: -c.score.total)


@transaction.atomic
def register_patient(
    *,
    facility: Organisation,
    system: str,
    value: str,
    demographics: Demographics,
    actor: User | None = None,
) -> LocalIdentifier:
    """Record a facility's patient id and link it: automatically above AUTO_LINK_THRESHOLD, to a
    new person with a review entry between REVIEW_THRESHOLD and it, else to a new person."""
    normalised = demographics.normalised()
    value_token = crypto.token("identifier", value)
    existing = LocalIdentifier.objects.filter(
        facility=facility, system=system, value_token=value_token
    ).first()
    if existing is not None:
        if identifier_demographics(existing) != normalised:
            existing.demographics = crypto.seal_json(normalised.as_json())
            existing.save(update_fields=["demographics"])
            _add_keys(existing.person, normalised)
        return existing
    candidates = find_candidates(normalised)
    best = candidates[0] if candidates else None
    if best is not None and best.score.total >= matching.AUTO_LINK_THRESHOLD:
        person, link, score = best.person, LocalIdentifier.Link.CONFIRMED, best.score.total
        _add_keys(person, normalised)
    else:
        person = _new_person(normalised)
        link, score = LocalIdentifier.Link.CONFIRMED, None
    identifier = LocalIdentifier.objects.create(
        facility=facility,
        system=system,
        value_token=value_token,
        value=crypto.seal_text(value),
        person=person,
        link=link,
        score=score,
        demographics=crypto.seal_json(normalised.as_json()),
    )
    reviews = [
        c
        for c in candidates
        if matching.REVIEW_THRESHOLD <= c.score.total < matching.AUTO_LINK_THRESHOLD
    ]
    if person.pk != (best.person.pk if best else None) and reviews:
        identifier.link = LocalIdentifier.Link.PROBABLE
        identifier.save(update_fields=["link"])
        for candidate in reviews[:5]:
            MatchReview.objects.create(
                identifier=identifier,
                candidate=candidate.person,
                score=candidate.score.total,
                parts=candidate.score.parts,
            )
    record_audit(
        actor=actor,
        action="records.patient.registered",
        obj=identifier,
        organisation_id=facility.pk,
        detail={"person": person.pk, "score": score, "reviews": len(reviews)},
    )
    return identifier


@transaction.atomic
def merge_persons(
    *,
    survivor: Person,
    retired: Person,
    actor: User | None,
    reason: str = "",
    score: float | None = None,
) -> MergeRecord:
    """Move everything of `retired` to `survivor`, remembering what moved (undo: unmerge)."""
    survivor, retired = selectors.current_person(survivor), selectors.current_person(retired)
    if survivor.pk == retired.pk:
        raise ValidationError(_("These records already belong to the same person."))
    moved: dict[str, Any] = {
        "identifiers": list(retired.identifiers.values_list("pk", flat=True)),
        "consents": list(retired.consents.values_list("pk", flat=True)),
        "break_glasses": list(retired.break_glasses.values_list("pk", flat=True)),
        "comments": list(retired.comments.values_list("pk", flat=True)),
        "resident": retired.resident_id if survivor.resident_id is None else None,
    }
    LocalIdentifier.objects.filter(pk__in=moved["identifiers"]).update(
        person=survivor, link=LocalIdentifier.Link.CONFIRMED
    )
    Consent.objects.filter(pk__in=moved["consents"]).update(person=survivor)
    BreakGlass.objects.filter(pk__in=moved["break_glasses"]).update(person=survivor)
    Comment.objects.filter(pk__in=moved["comments"]).update(person=survivor)
    if moved["resident"]:
        Person.objects.filter(pk=retired.pk).update(resident=None)
        Person.objects.filter(pk=survivor.pk).update(resident_id=moved["resident"])
    Person.objects.filter(pk=retired.pk).update(merged_into=survivor)
    record = MergeRecord.objects.create(
        survivor=survivor, retired=retired, moved=moved, reason=reason, score=score, merged_by=actor
    )
    record_audit(
        actor=actor,
        action="records.person.merged",
        obj=record,
        detail={"survivor": survivor.pk, "retired": retired.pk, "moved": moved},
    )
    return record


@transaction.atomic
def unmerge_persons(*, record: MergeRecord, actor: User | None) -> MergeRecord:
    """Undo a merge exactly: what moved goes back (later arrivals stay with the survivor)."""
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.undone_at is not None:
        raise ValidationError(_("This merge has already been undone."))
    if MergeRecord.objects.filter(retired_id=record.survivor_id, undone_at__isnull=True).exists():
        raise ValidationError(_("Undo the later merge of the surviving record first."))
    moved = record.moved
    survivor_id = record.survivor_id
    LocalIdentifier.objects.filter(pk__in=moved["identifiers"], person_id=survivor_id).update(
        person_id=record.retired_id
    )
    Consent.objects.filter(pk__in=moved["consents"], person_id=survivor_id).update(
        person_id=record.retired_id
    )
    BreakGlass.objects.filter(pk__in=moved["break_glasses"], person_id=survivor_id).update(
        person_id=record.retired_id
    )
    Comment.objects.filter(pk__in=moved["comments"], person_id=survivor_id).update(
        person_id=record.retired_id
    )
    if moved.get("resident"):
        Person.objects.filter(pk=survivor_id).update(resident=None)
        Person.objects.filter(pk=record.retired_id).update(resident_id=moved["resident"])
    Person.objects.filter(pk=record.retired_id).update(merged_into=None)
    record.undone_at = timezone.now()
    record.undone_by = actor
    record.save(update_fields=["undone_at", "undone_by"])
    record_audit(actor=actor, action="records.person.unmerged", obj=record)
    return record


@transaction.atomic
def decide_review(*, review: MatchReview, accept: bool, actor: User) -> MatchReview:
    review = MatchReview.objects.select_for_update().get(pk=review.pk)
    if review.state != MatchReview.State.PENDING:
        raise ValidationError(_("This suggestion has already been decided."))
    identifier = review.identifier
    if accept:
        merge_persons(
            survivor=review.candidate,
            retired=identifier.person,
            actor=actor,
            reason="review",
            score=review.score,
        )
        MatchReview.objects.filter(identifier=identifier, state=MatchReview.State.PENDING).exclude(
            pk=review.pk
        ).update(state=MatchReview.State.REJECTED, decided_by=actor, decided_at=timezone.now())
    review.state = MatchReview.State.ACCEPTED if accept else MatchReview.State.REJECTED
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.save(update_fields=["state", "decided_by", "decided_at"])
    if not accept and not identifier.reviews.filter(state=MatchReview.State.PENDING).exists():
        LocalIdentifier.objects.filter(pk=identifier.pk).update(link=LocalIdentifier.Link.REJECTED)
    record_audit(
        actor=actor,
        action="records.review.accepted" if accept else "records.review.rejected",
        obj=review,
    )
    return review


@transaction.atomic
def link_resident(*, person: Person, user: User, actor: User | None) -> Person:
    """Let a resident's account see their own record (done by the liaison office after identity
    checks at the counter)."""
    person = selectors.current_person(person)
    Person.objects.filter(resident=user).exclude(pk=person.pk).update(resident=None)
    person.resident = user
    person.save(update_fields=["resident"])
    record_audit(
        actor=actor, action="records.resident.linked", obj=person, detail={"user": user.pk}
    )
    return person


# --- consent and break-glass ------------------------------------------------------------------


@transaction.atomic
def record_consent(
    *,
    person: Person,
    scope: str,
    signed_on: date,
    facility_ids: list[int] | None = None,
    form: bytes | None = None,
    form_name: str = "",
    form_content_type: str = "",
    actor: User | None,
) -> Consent:
    person = selectors.current_person(person)
    if scope not in Consent.Scope.values:
        raise ValidationError(_("Choose the scope of the consent."))
    if scope == Consent.Scope.NAMED and not facility_ids:
        raise ValidationError(_("Name at least one facility for a consent limited to facilities."))
    if signed_on > timezone.localdate():
        raise ValidationError(_("The signing date cannot be in the future."))
    if form is not None and len(form) > MAX_FORM_BYTES:
        raise ValidationError(_("The scanned form is larger than 10 MB."))
    consent = Consent.objects.create(
        person=person,
        scope=scope,
        signed_on=signed_on,
        form=crypto.seal(form) if form else None,
        form_name=form_name[:200],
        form_content_type=form_content_type[:100],
        recorded_by=actor,
    )
    if scope == Consent.Scope.NAMED:
        consent.facilities.set(Organisation.objects.filter(pk__in=facility_ids or []))
    now = timezone.now()
    BreakGlass.objects.filter(
        person=person, resolution=BreakGlass.Resolution.PENDING, started_at__lte=now
    ).update(resolution=BreakGlass.Resolution.CONSENT, resolved_by=actor, resolved_at=now)
    sync_consent_resource(consent)
    record_audit(actor=actor, action="records.consent.recorded", obj=consent)
    append_access(
        user=actor,
        action="consent-recorded",
        person=person,
        purpose="HOPERAT",
        resource_type="Consent",
        resource_id=str(consent.pk),
    )
    return consent


def consent_resource(consent: Consent) -> dict[str, Any]:
    """The network's consent as a FHIR R4 Consent (patient-privacy, LOINC 59284-0, OPTIN)."""
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": consent.signed_on.isoformat()},
    }
    if consent.withdrawn_at is not None:
        provision["period"]["end"] = consent.withdrawn_at.isoformat()
    if consent.scope == Consent.Scope.NAMED:
        provision["actor"] = [
            {
                "role": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "code": "IRCP",
                        }
                    ]
                },
                "reference": {
                    "identifier": {
                        "system": f"{fhir.BASE}/NamingSystem/organisation",
                        "value": facility.slug,
                    },
                    "display": facility.name_ja,
                },
            }
            for facility in consent.facilities.order_by("pk")
        ]
    return {
        "resourceType": "Consent",
        "id": f"network-consent-{consent.pk}",
        "status": "active" if consent.status == Consent.Status.ACTIVE else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {
            "identifier": {"system": fhir.REGIONAL_ID_SYSTEM, "value": str(consent.person_id)}
        },
        "dateTime": consent.signed_on.isoformat(),
        "policyRule": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
            ]
        },
        "provision": provision,
    }


def sync_consent_resource(consent: Consent) -> None:
    """Keep the FHIR view of a network consent (served by /fhir/R4/Consent) up to date."""
    identifier = LocalIdentifier.objects.filter(person_id=consent.person_id).order_by("pk").first()
    store_resource(resource=consent_resource(consent), facility=None, patient=identifier)


@transaction.atomic
def withdraw_consent(*, person: Person, actor: User | Any) -> int:
    """Withdraw every active consent of the person: sharing stops with the next request."""
    person = selectors.current_person(person)
    withdrawn = list(Consent.objects.filter(person=person, status=Consent.Status.ACTIVE))
    count = Consent.objects.filter(pk__in=[c.pk for c in withdrawn]).update(
        status=Consent.Status.WITHDRAWN, withdrawn_at=timezone.now()
    )
    for consent in Consent.objects.filter(pk__in=[c.pk for c in withdrawn]):
        sync_consent_resource(consent)
    record_audit(
        actor=actor, action="records.consent.withdrawn", obj=person, detail={"consents": count}
    )
    append_access(
        user=actor,
        action="consent-withdrawn",
        person=person,
        purpose="PATRQT" if person.resident_id == getattr(actor, "pk", None) else "HOPERAT",
        resource_type="Consent",
        detail={"consents": count},
    )
    return count


def start_break_glass(
    *,
    user: User,
    person: Person,
    facility_id: int,
    reason: str,
    ems_case_reference: str = "",
) -> BreakGlass:
    """Open a patient's record without consent in an emergency (救急隊 or 救急医)."""
    person = selectors.current_person(person)
    if not has_permission(user, selectors.BREAK_GLASS, organisation_id=facility_id):
        append_access(
            user=user,
            action="break-glass",
            person=person,
            purpose="ETREAT",
            outcome="8",
            facility_id=facility_id,
            detail={"denied": "role"},
        )
        raise PermissionDenied(selectors.BREAK_GLASS)
    if len(reason.strip()) < 5:
        raise ValidationError(_("State the emergency reason (at least 5 characters)."))
    with transaction.atomic():
        return _open_break_glass(
            user=user,
            person=person,
            facility_id=facility_id,
            reason=reason,
            ems_case_reference=ems_case_reference,
        )


def _open_break_glass(
    *, user: User, person: Person, facility_id: int, reason: str, ems_case_reference: str
) -> BreakGlass:
    now = timezone.now()
    roles = selectors.roles_in(user, facility_id)
    glass = BreakGlass.objects.create(
        person=person,
        user=user,
        facility_id=facility_id,
        role=roles[:60],
        reason=crypto.seal_text(reason.strip()),
        ems_case_reference=ems_case_reference[:60],
        started_at=now,
        expires_at=now + BREAK_GLASS_WINDOW,
        due_at=now + BREAK_GLASS_DUE,
    )
    record_audit(
        actor=user,
        action="records.break_glass.started",
        obj=glass,
        organisation_id=facility_id,
        detail={"person": person.pk, "ems_case": ems_case_reference},
    )
    append_access(
        user=user,
        action="break-glass",
        person=person,
        purpose="ETREAT",
        facility_id=facility_id,
        resource_type="Patient",
        detail={"break_glass": glass.pk, "flagged": True},
    )
    return glass


@transaction.atomic
def document_break_glass(*, glass: BreakGlass, actor: User, note: str) -> BreakGlass:
    """Close a break-glass with a documented reason (when consent cannot be obtained)."""
    if len(note.strip()) < 10:
        raise ValidationError(_("Document the reason in at least 10 characters."))
    if not (glass.user_id == actor.pk or selectors.ADMINISTER in _names(actor)):
        raise PermissionDenied(selectors.ADMINISTER)
    glass.resolution = BreakGlass.Resolution.DOCUMENTED
    glass.resolution_note = crypto.seal_text(note.strip())
    glass.resolved_by = actor
    glass.resolved_at = timezone.now()
    glass.save(update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"])
    record_audit(actor=actor, action="records.break_glass.documented", obj=glass)
    return glass


def _names(user: User) -> set[str]:
    return {selectors.ADMINISTER} if grant_for(user, selectors.ADMINISTER) else set()


def flag_overdue_break_glass(*, now: datetime | None = None) -> list[BreakGlass]:
    """Flag break-glass cases without consent or documented reason after 24 h and tell the
    network's administrators (e-mail without patient data). Idempotent."""
    now = now or timezone.now()
    flagged = []
    with transaction.atomic():
        for glass in selectors.list_overdue_break_glass(now).filter(
            flagged_at__isnull=True, due_at__lt=now
        ):
            claimed = BreakGlass.objects.filter(pk=glass.pk, flagged_at__isnull=True).update(
                flagged_at=now
            )
            if claimed == 1:
                flagged.append(glass)
                record_audit(actor=None, action="records.break_glass.overdue", obj=glass)
        if flagged:
            recipients = sorted(
                {
                    m.user.email
                    for m in Membership.objects.select_related("user", "role").filter(
                        role__permissions__codename="administer_network",
                        role__permissions__content_type__app_label="records",
                    )
                    if m.user.email
                }
            )
            if recipients:
                queue_email(
                    subject="[Kurashi] 救急時閲覧の事後手続きが期限切れです / Overdue break-glass",
                    body=(
                        f"{len(flagged)} 件の救急時閲覧 (break-glass) が24時間以内に同意または理由の"
                        f"記録がありません。\n{len(flagged)} break-glass access(es) lack consent or "
                        f"a documented reason after 24 hours.\n"
                        f"{settings.SITE_URL}{reverse('records:overdue')}"
                    ),
                    to=recipients,
                )
    return flagged


# --- clinical resources -----------------------------------------------------------------------


def validate_resource(resource: dict[str, Any]) -> None:
    """Structural validation with fhir.resources' R4B models; a clear error otherwise."""
    from fhir.resources.R4B import get_fhir_model_class

    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        raise ValidationError(_("A FHIR resource needs a resourceType."))
    try:
        model = get_fhir_model_class(resource_type)
    except KeyError as error:
        raise ValidationError(
            _("Unknown FHIR resource type: %(type)s") % {"type": resource_type}
        ) from error
    try:
        model.model_validate(resource)
    except ValueError as error:
        raise ValidationError(
            _("Invalid %(type)s: %(error)s") % {"type": resource_type, "error": str(error)[:500]}
        ) from error


def _tokens_for(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(param, crypto.token(param, value)) for param, value in fhir.search_values(resource)]


@dataclass(frozen=True)
class StoreResult:
    resource: Resource
    created: bool
    changed: bool


def store_resource(
    *,
    resource: dict[str, Any],
    facility: Organisation | None,
    patient: LocalIdentifier | None,
    source: str = "",
    validate: bool = True,
) -> StoreResult:
    """Insert or update one resource (idempotent: the same content is not written twice)."""
    if validate:
        validate_resource(resource)
    resource_type = str(resource["resourceType"])
    fhir_id = str(resource.get("id") or uuid.uuid4().hex)
    if "id" not in resource:
        resource = {**resource, "id": fhir_id}
    content = fhir.canonical(resource)
    content_token = crypto.token("content", content)
    with transaction.atomic():
        existing = (
            Resource.objects.select_for_update()
            .filter(resource_type=resource_type, fhir_id=fhir_id)
            .first()
        )
        if (
            existing is not None
            and facility is not None
            and existing.facility_id
            not in (
                None,
                facility.pk,
            )
        ):
            raise ValidationError(
                _("%(type)s/%(id)s belongs to another facility.")
                % {"type": resource_type, "id": fhir_id}
            )
        if existing is not None and existing.content_token == content_token:
            if patient is not None and existing.patient_id != patient.pk:
                existing.patient = patient
                existing.save(update_fields=["patient"])
            return StoreResult(existing, created=False, changed=False)
        fields = {
            "patient": patient,
            "facility": facility,
            "payload": crypto.seal(content.encode("utf-8")),
            "content_token": content_token,
            "occurred_at": fhir.occurred_at(resource),
            "last_updated": timezone.now(),
            "source": source[:200],
        }
        if existing is None:
            row = Resource.objects.create(resource_type=resource_type, fhir_id=fhir_id, **fields)
        else:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.version += 1
            existing.save()
            existing.tokens.all().delete()
            row = existing
        ResourceToken.objects.bulk_create(
            [ResourceToken(resource=row, parameter=p, token=t) for p, t in _tokens_for(resource)]
        )
    return StoreResult(row, created=existing is None, changed=True)


# --- comments and tokens ----------------------------------------------------------------------


@transaction.atomic
def post_comment(*, user: User, person: Person, to_facility_id: int, body: str) -> Comment:
    """A viewer's question to the disclosing facility; its staff are told by e-mail."""
    person = selectors.current_person(person)
    decision = selectors.decide_access(user, person)
    if not decision.allowed or not decision.facility_id:
        raise PermissionDenied("records.comment")
    if not body.strip():
        raise ValidationError(_("Write a message."))
    if len(body) > 4000:
        raise ValidationError(_("The message is longer than 4,000 characters."))
    if not LocalIdentifier.objects.filter(person=person, facility_id=to_facility_id).exists():
        raise ValidationError(_("This facility has disclosed nothing about this patient."))
    comment = Comment.objects.create(
        person=person,
        author=user,
        author_facility_id=decision.facility_id,
        to_facility_id=to_facility_id,
        body=crypto.seal_text(body.strip()),
    )
    recipients = sorted(
        {
            m.user.email
            for m in Membership.objects.filter(organisation_id=to_facility_id).select_related(
                "user"
            )
            if m.user.email and m.user_id != user.pk
        }
    )
    if recipients:
        queue_email(
            subject="[Kurashi] 地域連携: 閲覧施設からのコメント / A comment from a viewing facility",
            body=(
                "閲覧施設から開示データについてコメントが届きました。内容はログインして確認してください。\n"
                "A viewing facility left a comment about data you disclosed. Sign in to read it.\n"
                f"{settings.SITE_URL}{reverse('records:comments')}"
            ),
            to=recipients,
        )
        comment.notified_at = timezone.now()
        comment.save(update_fields=["notified_at"])
    append_access(
        user=user,
        action="comment",
        person=person,
        purpose=decision.purpose,
        facility_id=decision.facility_id,
        detail={"to_facility": to_facility_id},
    )
    return comment


def issue_api_token(*, user: User, label: str, actor: User | None) -> str:
    """A new bearer token for a facility system acting as `user` (shown once)."""
    plain = "rk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, label=label[:100], token_hash=hashlib.sha256(plain.encode()).hexdigest()
    )
    record_audit(actor=actor, action="records.token.issued", obj=token)
    return plain


def authenticate_token(plain: str) -> User | None:
    digest = hashlib.sha256(plain.encode()).hexdigest()
    token = (
        ApiToken.objects.filter(token_hash=digest, is_active=True).select_related("user").first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
