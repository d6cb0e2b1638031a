"""Case workflow: 受付 → 審査 → 補正依頼 → 決定/却下 → 完了, with assignment, an SLA due date,
optional two-person approval of decisions, applicant notices and an audited event per step."""

from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kurashi.core.audit import record_audit
from kurashi.core.models import User
from kurashi.core.permissions import has_permission
from kurashi.modules.forms.models import Case, CaseEvent, Submission
from kurashi.modules.forms.services import messages
from kurashi.modules.forms.services.builder import parse

Status = Case.Status

# Which status may follow which (a decision goes through propose/confirm when two-person).
TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.REVIEWING},
    Status.REVIEWING: {Status.CORRECTION_REQUESTED, Status.APPROVED, Status.REJECTED},
    Status.CORRECTION_REQUESTED: {Status.REVIEWING},
    Status.APPROVED: {Status.CLOSED},
    Status.REJECTED: {Status.CLOSED},
    Status.CLOSED: set(),
}
DECISIONS = {Status.APPROVED, Status.REJECTED}
# What the applicant's notice says for each status reached.
HEADLINES: dict[str, str] = {
    Status.CORRECTION_REQUESTED: gettext_noop("Correction requested"),
    Status.APPROVED: gettext_noop("Decision made"),
    Status.REJECTED: gettext_noop("Application rejected"),
    Status.CLOSED: gettext_noop("Case completed"),
}


def _event(
    case: Case,
    *,
    actor: User | None,
    action: str,
    from_status: str = "",
    to_status: str = "",
    message: str = "",
    visible: bool = False,
    request: Any = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        tenant_code=case.tenant_code,
        case=case,
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=(
            actor.get_username() if actor is not None and actor.is_authenticated else "system"
        ),
        action=action,
        from_status=from_status,
        to_status=to_status,
        message=message,
        is_visible_to_applicant=visible,
    )
    record_audit(
        actor=actor,
        action=f"forms.case.{action}",
        obj=case,
        municipality_code=case.tenant_code,
        request=request,
        detail={"from": from_status, "to": to_status, "reference": case.submission.reference},
    )
    return event


def open_case(*, submission: Submission) -> Case:
    _definition, settings = parse(submission.version)
    now = timezone.now()
    case = Case.objects.create(
        tenant_code=submission.tenant_code,
        submission=submission,
        status=Status.RECEIVED,
        opened_at=now,
        due_at=now + timedelta(days=settings.case.sla_days),
    )
    _event(case, actor=None, action="received", to_status=Status.RECEIVED, visible=True)
    return case


def _require(actor: User, permission: str, case: Case) -> None:
    if not has_permission(actor, permission, municipality_code=case.tenant_code):
        raise PermissionDenied(permission)


@transaction.atomic
def assign(*, case: Case, assignee: User | None, actor: User, request: Any = None) -> Case:
    _require(actor, "forms.process_cases", case)
    if assignee is not None and not has_permission(
        assignee, "forms.process_cases", municipality_code=case.tenant_code
    ):
        raise ValidationError(_("This person cannot process cases here."))
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    _event(
        case,
        actor=actor,
        action="assigned",
        message=assignee.get_username() if assignee else "",
        request=request,
    )
    return case


@transaction.atomic
def transition(*, case: Case, to: str, actor: User, message: str = "", request: Any = None) -> Case:
    """Move the case on. A decision on a two-person form is only proposed here (confirm_decision
    makes it); 補正依頼 and decisions need a message for the applicant."""
    _require(actor, "forms.process_cases", case)
    if to not in TRANSITIONS.get(case.status, set()):
        raise ValidationError(
            _("A case that is “%(from)s” cannot become “%(to)s”.")
            % {
                "from": Status(case.status).label,
                "to": Status(to).label if to in Status.values else to,
            }
        )
    if to in DECISIONS | {Status.CORRECTION_REQUESTED} and not message.strip():
        raise ValidationError(_("Write a message for the applicant."))
    _definition, settings = parse(case.submission.version)
    if to in DECISIONS and settings.case.two_person_approval:
        if case.proposed_decision:
            raise ValidationError(_("A decision is already waiting for its second approval."))
        case.proposed_decision = to
        case.proposed_by = actor
        case.proposed_note = message.strip()
        case.save(update_fields=["proposed_decision", "proposed_by", "proposed_note"])
        _event(
            case,
            actor=actor,
            action="proposed",
            from_status=case.status,
            to_status=to,
            message=message,
            request=request,
        )
        return case
    return _move(case, to=to, actor=actor, message=message, request=request)


@transaction.atomic
def confirm_decision(*, case: Case, actor: User, approve: bool, request: Any = None) -> Case:
    """The second person confirms (or sends back) the proposed decision; never the proposer."""
    _require(actor, "forms.approve_cases", case)
    if not case.proposed_decision:
        raise ValidationError(_("No decision is waiting for approval."))
    if case.proposed_by_id == actor.pk:
        raise ValidationError(_("The second approval must come from another person."))
    to, note = case.proposed_decision, case.proposed_note
    case.proposed_decision, case.proposed_by, case.proposed_note = "", None, ""
    case.save(update_fields=["proposed_decision", "proposed_by", "proposed_note"])
    if not approve:
        _event(
            case,
            actor=actor,
            action="proposal_returned",
            from_status=case.status,
            to_status=case.status,
            request=request,
        )
        return case
    return _move(case, to=to, actor=actor, message=note, request=request)


def _move(case: Case, *, to: str, actor: User | None, message: str, request: Any) -> Case:
    from kurashi.modules.forms.services import documents

    from_status = case.status
    now = timezone.now()
    case.status = to
    fields = ["status"]
    if to in DECISIONS:
        case.decided_at, case.decision_note = now, message.strip()
        fields += ["decided_at", "decision_note"]
    if to == Status.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    case.save(update_fields=fields)
    visible = to in HEADLINES
    event = _event(
        case,
        actor=actor,
        action=to,
        from_status=from_status,
        to_status=to,
        message=message,
        visible=visible,
        request=request,
    )
    _definition, settings = parse(case.submission.version)
    if to in DECISIONS and settings.case.issue_decision_document:
        documents.issue(submission=case.submission, kind="decision")
    if visible:
        messages.case_update(
            submission=case.submission,
            event_id=event.pk,
            headline=HEADLINES[to],
            message=message,
            site_url=django_settings.SITE_URL,
        )
    return case


@transaction.atomic
def receive_correction(*, submission: Submission) -> Case:
    """The applicant sent the corrected application: back to review."""
    case = submission.case
    submission.save()
    return _move(case, to=Status.REVIEWING, actor=submission.owner, message="", request=None)


def is_overdue(case: Case, now: Any = None) -> bool:
    return case.status not in {Status.APPROVED, Status.REJECTED, Status.CLOSED} and case.due_at < (
        now or timezone.now()
    )
