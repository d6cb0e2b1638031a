"""Writes of the access module. Every service owns its transaction, checks the permission it
needs through kurashi.core.permissions, audits staff actions, and wakes the live streams only
after the commit (a rolled-back message is never shown)."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from kurashi.core.audit import record_audit
from kurashi.core.geo import municipality_at
from kurashi.core.models import Municipality, User
from kurashi.core.permissions import require_permission
from kurashi.core.services import queue_email
from kurashi.modules.access import selectors
from kurashi.modules.access.crypto import decrypt_text, encrypt_text
from kurashi.modules.access.live import publish_call, publish_message
from kurashi.modules.access.media import probe_video
from kurashi.modules.access.models import (
    Assignment,
    CaptionSession,
    Channel,
    Interpreter,
    Message,
    Mode,
    Notification,
    RelayConversation,
    RequestChange,
    SupportRequest,
    Text119Call,
    Text119Profile,
    VideoNotice,
)
from kurashi.modules.ems import public as ems_public

MAX_MESSAGE_CHARS = 1000
MAX_CAPTIONS_BYTES = 1024 * 1024


# --- channels -------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": _("Write a message first.")})
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValidationError(
            {
                "body": _("The message is too long (at most %(n)s characters).")
                % {"n": MAX_MESSAGE_CHARS}
            }
        )
    return text


def append_message(
    *,
    channel: Channel,
    kind: str,
    role: str,
    body: str,
    author: User | None = None,
    target_seq: int | None = None,
    client_key: str = "",
) -> Message:
    """Store one message with the channel's next sequence number and wake the channel's streams
    after the commit. Sending the same client_key again returns the stored message."""
    client_key = (client_key or "")[:64]
    if client_key:
        existing = Message.objects.filter(channel=channel, client_key=client_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            # The UPDATE locks the channel row (PostgreSQL) or the database (SQLite IMMEDIATE)
            # until the commit, so sequence numbers are handed out one at a time, without gaps.
            Channel.objects.filter(pk=channel.pk).update(last_seq=F("last_seq") + 1)
            seq = Channel.objects.values_list("last_seq", flat=True).get(pk=channel.pk)
            message = Message.objects.create(
                channel=channel,
                seq=seq,
                kind=kind,
                role=role,
                author=author,
                body=body,
                target_seq=target_seq,
                client_key=client_key,
            )
            publish_message(channel.pk, seq)  # to every process, after the commit
    except IntegrityError:
        if client_key:  # the same message sent twice at the same moment
            return Message.objects.get(channel=channel, client_key=client_key)
        raise
    return message


# --- text 119 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileInput:
    full_name: str
    municipality_code: str
    address: str
    full_name_kana: str = ""
    medical_notes: str = ""
    contacts: str = ""
    hearing: str = ""
    shares_medical_notes: bool = False


def save_text119_profile(*, user: User, data: ProfileInput) -> Text119Profile:
    if not Municipality.objects.filter(code=data.municipality_code).exists():
        raise ValidationError({"municipality_code": _("Choose your municipality.")})
    profile = Text119Profile.objects.filter(user=user).first() or Text119Profile(user=user)
    profile.full_name = data.full_name.strip()
    profile.full_name_kana = data.full_name_kana.strip()
    profile.municipality_code = data.municipality_code
    profile.address = data.address.strip()
    profile.medical_notes_encrypted = encrypt_text(data.medical_notes.strip(), user_id=user.pk)
    profile.contacts = data.contacts.strip()
    profile.hearing = data.hearing.strip()
    profile.shares_medical_notes = data.shares_medical_notes
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


def _touch_call(call: Text119Call, **changes: Any) -> None:
    """Apply `changes`, bump the console version and tell the consoles after the commit."""
    now = timezone.now()
    Text119Call.objects.filter(pk=call.pk).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    call.refresh_from_db()
    publish_call(call.municipality_code, call=str(call.public_id), state=call.state)


def start_text119_call(
    *,
    caller: User,
    kind: str,
    client_key: str,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy_m: float | None = None,
    position_corrected: bool = False,
    municipality_code: str = "",
    address_note: str = "",
    practice: bool = False,
    request: HttpRequest | None = None,
) -> tuple[Text119Call, bool]:
    """Place a text-119 call (or, with `practice`, a practice call a scripted trainer answers and
    no fire headquarters sees). The position decides the municipality (and so the fire HQ that
    receives it); without a usable position the caller's choice, else the registered address.
    Re-sending the same client_key (weak connection) returns the first call."""
    profile = selectors.get_profile(caller)
    if profile is None:
        raise ValidationError(_("Register for text 119 first."))
    if kind not in Text119Call.Kind.values:
        raise ValidationError({"kind": _("Choose fire or ambulance.")})
    client_key = (client_key or get_random_string(32))[:64]
    existing = Text119Call.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.caller_id != caller.pk:
            raise ValidationError(_("This key belongs to another call."))
        return existing, False
    code = ""
    source = Text119Call.PositionSource.ADDRESS
    if latitude is not None and longitude is not None:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValidationError(_("The position is not valid."))
        found = municipality_at(latitude, longitude)
        if found is not None:
            code = found.code
            source = (
                Text119Call.PositionSource.MANUAL
                if position_corrected
                else Text119Call.PositionSource.GPS
            )
    if municipality_code and municipality_code != code:
        # The caller corrected the municipality by hand: their word wins over the GPS fix.
        if not Municipality.objects.filter(code=municipality_code).exists():
            raise ValidationError(
                {"municipality_code": _("Choose a municipality of Saga Prefecture.")}
            )
        code = municipality_code
        source = Text119Call.PositionSource.MANUAL
        if latitude is None and code == profile.municipality_code and not address_note.strip():
            # A page without GPS posts the registered municipality as the form's default.
            source = Text119Call.PositionSource.ADDRESS
    if not code:
        code = profile.municipality_code
        source = Text119Call.PositionSource.ADDRESS
        latitude = longitude = None
    try:
        with transaction.atomic():
            call = Text119Call.objects.create(
                client_key=client_key,
                caller=caller,
                kind=kind,
                latitude=latitude,
                longitude=longitude,
                accuracy_m=accuracy_m,
                position_source=source,
                municipality_code=code,
                address_note=address_note.strip()[:200],
                channel=Channel.objects.create(kind=Channel.Kind.CALL),
                is_practice=practice,
            )
            append_message(
                channel=call.channel, kind=Message.Kind.SYSTEM, role="system", body="created"
            )
            if practice:
                _start_practice(call)
                return call, True
            record_audit(
                actor=caller,
                action="access.text119.call",
                obj=call,
                municipality_code=code,
                request=request,
                detail={"kind": kind, "position": source},
            )
            _touch_call(call)
    except IntegrityError:
        return Text119Call.objects.get(client_key=client_key), False
    return call, True


def _require_dispatcher(actor: User, call: Text119Call) -> None:
    require_permission(actor, selectors.RECEIVE_119, municipality_code=call.municipality_code)


def receive_text119_call(
    *, actor: User, call: Text119Call, request: HttpRequest | None = None
) -> bool:
    """created → received; the caller sees the confirmation at once. False if already received."""
    _require_dispatcher(actor, call)
    with transaction.atomic():
        now = timezone.now()
        claimed = Text119Call.objects.filter(pk=call.pk, state=Text119Call.State.CREATED).update(
            state=Text119Call.State.RECEIVED, received_at=now, received_by=actor
        )
        if claimed != 1:
            return False
        append_message(
            channel=call.channel, kind=Message.Kind.SYSTEM, role="system", body="received"
        )
        record_audit(
            actor=actor,
            action="access.text119.receive",
            obj=call,
            municipality_code=call.municipality_code,
            request=request,
        )
        _touch_call(call)
    return True


def post_call_message(
    *,
    actor: User,
    call: Text119Call,
    body: str,
    as_dispatcher: bool,
    client_key: str = "",
    request: HttpRequest | None = None,
) -> Message:
    """A chat message of the caller or the dispatcher. The dispatcher's first message moves the
    call to chatting (receiving it first if nobody had)."""
    text = _clean_body(body)
    if as_dispatcher:
        _require_dispatcher(actor, call)
    elif call.caller_id != actor.pk:
        raise PermissionDenied("not your call")
    if client_key and (
        stored := Message.objects.filter(channel=call.channel, client_key=client_key[:64]).first()
    ):
        return stored  # a re-sent message (weak connection) is the one already stored
    if call.state == Text119Call.State.CLOSED:
        raise ValidationError(_("This call has ended."))
    with transaction.atomic():
        if as_dispatcher:
            if call.state == Text119Call.State.CREATED:
                receive_text119_call(actor=actor, call=call, request=request)
                call.refresh_from_db()
            if call.state == Text119Call.State.RECEIVED:
                Text119Call.objects.filter(pk=call.pk).update(state=Text119Call.State.CHATTING)
                _touch_call(call)
        replayed = (
            bool(client_key)
            and Message.objects.filter(channel=call.channel, client_key=client_key[:64]).exists()
        )
        message = append_message(
            channel=call.channel,
            kind=Message.Kind.TEXT,
            role="dispatcher" if as_dispatcher else "caller",
            author=actor,
            body=text,
            client_key=client_key,
        )
        if call.is_practice and not as_dispatcher and not replayed:
            _practice_step(call)
        return message


def _start_practice(call: Text119Call) -> None:
    """A practice call is received at once by the trainer, who asks its first question."""
    Text119Call.objects.filter(pk=call.pk).update(
        state=Text119Call.State.RECEIVED, received_at=timezone.now(), practice_step=0
    )
    append_message(channel=call.channel, kind=Message.Kind.SYSTEM, role="system", body="received")
    _practice_step(call)


def _practice_step(call: Text119Call) -> None:
    """The trainer's next question after each answer; after the last one the practice ends."""
    step = Text119Call.objects.values_list("practice_step", flat=True).get(pk=call.pk)
    if step >= len(selectors.PRACTICE_SCRIPT):
        return
    append_message(
        channel=call.channel,
        kind=Message.Kind.TEXT,
        role="dispatcher",
        body=str(selectors.PRACTICE_SCRIPT[step]),
    )
    changes: dict[str, Any] = {"practice_step": step + 1, "state": Text119Call.State.CHATTING}
    if step + 1 == len(selectors.PRACTICE_SCRIPT):
        changes.update(state=Text119Call.State.CLOSED, closed_at=timezone.now())
        append_message(channel=call.channel, kind=Message.Kind.SYSTEM, role="system", body="closed")
    Text119Call.objects.filter(pk=call.pk).update(**changes)
    call.refresh_from_db()


def reroute_text119_call(
    *,
    actor: User,
    call: Text119Call,
    municipality_code: str,
    request: HttpRequest | None = None,
) -> str:
    """The caller is elsewhere than the position said (learnt in the chat): the call moves to
    the fire headquarters covering `municipality_code`, which receives it anew. Returns the name
    of that headquarters."""
    _require_dispatcher(actor, call)
    if call.state in {Text119Call.State.CLOSED, Text119Call.State.DISPATCHED}:
        raise ValidationError(_("A dispatched or closed call is not transferred."))
    if municipality_code == call.municipality_code:
        raise ValidationError({"municipality_code": _("The call is already routed there.")})
    if not Municipality.objects.filter(code=municipality_code).exists():
        raise ValidationError({"municipality_code": _("Choose a municipality of Saga Prefecture.")})
    headquarters = selectors.covering_fire_hqs(municipality_code)
    if not headquarters:
        raise ValidationError(_("No fire headquarters covers this municipality."))
    previous = call.municipality_code
    with transaction.atomic():
        append_message(
            channel=call.channel,
            kind=Message.Kind.SYSTEM,
            role="system",
            body=f"transferred:{headquarters[0]}",
        )
        record_audit(
            actor=actor,
            action="access.text119.transfer",
            obj=call,
            municipality_code=previous,
            request=request,
            detail={"from": previous, "to": municipality_code},
        )
        _touch_call(
            call,
            municipality_code=municipality_code,
            position_source=Text119Call.PositionSource.MANUAL,
            state=Text119Call.State.CREATED,
            received_at=None,
            received_by=None,
        )
        publish_call(previous, call=str(call.public_id), state=call.state)  # the old console
    return headquarters[0]


def close_text119_call(
    *, actor: User, call: Text119Call, dispatched: bool, request: HttpRequest | None = None
) -> None:
    """Ambulance/fire engine dispatched (the chat goes on), or the call is closed."""
    _require_dispatcher(actor, call)
    if call.state == Text119Call.State.CLOSED:
        raise ValidationError(_("This call has ended."))
    with transaction.atomic():
        if call.state == Text119Call.State.CREATED:
            receive_text119_call(actor=actor, call=call, request=request)
        if dispatched:
            changes: dict[str, Any] = {"state": Text119Call.State.DISPATCHED}
        else:
            changes = {"state": Text119Call.State.CLOSED, "closed_at": timezone.now()}
        append_message(
            channel=call.channel,
            kind=Message.Kind.SYSTEM,
            role="system",
            body="dispatched" if dispatched else "closed",
        )
        record_audit(
            actor=actor,
            action="access.text119.dispatch" if dispatched else "access.text119.close",
            obj=call,
            municipality_code=call.municipality_code,
            request=request,
        )
        _touch_call(call, **changes)


def open_ems_case_for_call(
    *,
    actor: User,
    call: Text119Call,
    category: str,
    age_group: str,
    sex: str,
    urgency: str,
    request: HttpRequest | None = None,
) -> str:
    """Open the EMS case (ems module) for this call and mark the call dispatched."""
    _require_dispatcher(actor, call)
    if call.ems_case_id:
        return call.ems_case_id
    with transaction.atomic():
        case_id = ems_public.open_case_from_text_call(
            actor=actor,
            municipality_code=call.municipality_code,
            client_key=f"text119-{call.public_id}",
            category=category,
            age_group=age_group,
            sex=sex,
            urgency=urgency,
            latitude=call.latitude,
            longitude=call.longitude,
            summary=_("Text 119 call"),
            handover=caller_handover(call),
            request=request,
        )
        Text119Call.objects.filter(pk=call.pk).update(ems_case_id=case_id)
        call.ems_case_id = case_id
        if call.state != Text119Call.State.DISPATCHED:
            close_text119_call(actor=actor, call=call, dispatched=True, request=request)
    return case_id


def caller_handover(call: Text119Call) -> "ems_public.CallerHandover":
    """What the crew needs from the caller's registration and call: where (the place they gave,
    else the registered address, and the position), how to talk with them, and — only with the
    consent they gave when registering — their medical notes."""
    profile = selectors.get_profile(call.caller)
    address = profile.address if profile else ""
    notes = ""
    if profile is not None and profile.shares_medical_notes:
        try:
            notes = decrypt_text(profile.medical_notes_encrypted, user_id=call.caller_id)
        except ValueError:
            notes = ""
    return ems_public.CallerHandover(
        source=_("Text 119 call"),
        registered_address=address,
        place_note=call.address_note,
        position_source=call.get_position_source_display(),
        communication=(profile.hearing if profile else "")
        or _("Deaf or hard of hearing: communicate in writing"),
        medical_notes=notes,
    )


def record_profile_read(
    *, actor: User, call: Text119Call, request: HttpRequest | None = None
) -> None:
    """The caller's registration (health notes included) was shown to a dispatcher."""
    record_audit(
        actor=actor,
        action="access.text119.profile_read",
        obj=call,
        municipality_code=call.municipality_code,
        request=request,
    )


# --- live captions --------------------------------------------------------------------------


def start_caption_session(
    *,
    actor: User,
    title: str,
    venue: str = "",
    team: list[User] | None = None,
    municipality_code: str = "",
    request: HttpRequest | None = None,
) -> CaptionSession:
    if not selectors.can_caption(actor):
        raise PermissionDenied(selectors.CAPTION)
    if not title.strip():
        raise ValidationError({"title": _("Give the session a title.")})
    with transaction.atomic():
        session = CaptionSession.objects.create(
            slug=secrets.token_urlsafe(9).replace("_", "x").replace("-", "y").lower(),
            title=title.strip()[:200],
            venue=venue.strip()[:200],
            municipality_code=municipality_code,
            channel=Channel.objects.create(kind=Channel.Kind.CAPTIONS),
            created_by=actor,
            active_captioner=actor,
        )
        session.team.set([actor, *(team or [])])
        record_audit(actor=actor, action="access.captions.start", obj=session, request=request)
    return session


def take_caption_turn(*, actor: User, session: CaptionSession) -> None:
    """The next team member takes over typing (交代)."""
    if not selectors.is_on_team(actor, session):
        raise PermissionDenied("not on this captioning team")
    with transaction.atomic():
        CaptionSession.objects.filter(pk=session.pk).update(active_captioner=actor)
        session.active_captioner = actor
        append_message(
            channel=session.channel,
            kind=Message.Kind.SYSTEM,
            role="system",
            body=f"turn:{actor}",
            author=actor,
        )


def _require_live_team(actor: User, session: CaptionSession) -> None:
    if not selectors.is_on_team(actor, session):
        raise PermissionDenied("not on this captioning team")
    if session.state == CaptionSession.State.ENDED:
        raise ValidationError(_("This session has ended."))


def post_caption(
    *, actor: User, session: CaptionSession, text: str, client_key: str = ""
) -> Message:
    _require_live_team(actor, session)
    if session.active_captioner_id != actor.pk:
        raise ValidationError(_("Another captioner is typing now; take over first."))
    return append_message(
        channel=session.channel,
        kind=Message.Kind.CAPTION,
        role="captioner",
        author=actor,
        body=_clean_body(text),
        client_key=client_key,
    )


def correct_caption(
    *, actor: User, session: CaptionSession, target_seq: int, text: str, client_key: str = ""
) -> Message:
    _require_live_team(actor, session)
    if not Message.objects.filter(
        channel_id=session.channel_id, seq=target_seq, kind=Message.Kind.CAPTION
    ).exists():
        raise ValidationError({"target": _("There is no caption line with this number.")})
    return append_message(
        channel=session.channel,
        kind=Message.Kind.CORRECTION,
        role="captioner",
        author=actor,
        body=_clean_body(text),
        target_seq=target_seq,
        client_key=client_key,
    )


def end_caption_session(
    *, actor: User, session: CaptionSession, request: HttpRequest | None = None
) -> None:
    if not selectors.is_on_team(actor, session):
        raise PermissionDenied("not on this captioning team")
    with transaction.atomic():
        CaptionSession.objects.filter(pk=session.pk).update(
            state=CaptionSession.State.ENDED, ended_at=timezone.now()
        )
        session.state = CaptionSession.State.ENDED
        append_message(
            channel=session.channel, kind=Message.Kind.SYSTEM, role="system", body="ended"
        )
        record_audit(actor=actor, action="access.captions.end", obj=session, request=request)


# --- text relay -----------------------------------------------------------------------------


def start_relay(
    *, resident: User, counterpart_name: str, topic: str = "", wants_operator: bool = False
) -> RelayConversation:
    if not counterpart_name.strip():
        raise ValidationError({"counterpart_name": _("Write who you want to talk to.")})
    with transaction.atomic():
        conversation = RelayConversation.objects.create(
            resident=resident,
            counterpart_name=counterpart_name.strip()[:120],
            topic=topic.strip()[:200],
            wants_operator=wants_operator,
            counterpart_token=secrets.token_urlsafe(24),
            channel=Channel.objects.create(kind=Channel.Kind.RELAY),
        )
        append_message(
            channel=conversation.channel, kind=Message.Kind.SYSTEM, role="system", body="opened"
        )
    return conversation


def post_relay_message(
    *,
    conversation: RelayConversation,
    role: str,
    body: str,
    author: User | None = None,
    client_key: str = "",
) -> Message:
    """`role` is decided by the view from who is asking (the resident, the holder of the
    counterpart link, the operator who joined)."""
    if role not in {"resident", "counterpart", "operator"}:
        raise ValidationError(_("Unknown sender."))
    if conversation.state == RelayConversation.State.CLOSED:
        raise ValidationError(_("This conversation has ended."))
    return append_message(
        channel=conversation.channel,
        kind=Message.Kind.TEXT,
        role=role,
        author=author,
        body=_clean_body(body),
        client_key=client_key,
    )


def join_relay_as_operator(
    *, actor: User, conversation: RelayConversation, request: HttpRequest | None = None
) -> None:
    if not selectors.is_relay_operator(actor):
        raise PermissionDenied(selectors.RELAY)
    with transaction.atomic():
        RelayConversation.objects.filter(pk=conversation.pk).update(operator=actor)
        conversation.operator = actor
        append_message(
            channel=conversation.channel, kind=Message.Kind.SYSTEM, role="system", body="operator"
        )
        record_audit(actor=actor, action="access.relay.join", obj=conversation, request=request)


def close_relay(*, actor: User, conversation: RelayConversation) -> None:
    if actor.pk not in {conversation.resident_id, conversation.operator_id}:
        raise PermissionDenied("not your conversation")
    with transaction.atomic():
        RelayConversation.objects.filter(pk=conversation.pk).update(
            state=RelayConversation.State.CLOSED
        )
        conversation.state = RelayConversation.State.CLOSED
        append_message(
            channel=conversation.channel, kind=Message.Kind.SYSTEM, role="system", body="closed"
        )


# --- dispatch -------------------------------------------------------------------------------


def _notify(user: User | None, subject: str, body: str, *, email: str = "") -> None:
    """An in-app notice, and an e-mail after the commit when there is an address."""
    if user is not None:
        Notification.objects.create(user=user, subject=subject[:200], body=body)
    address = email or (user.email if user is not None else "")
    if address:
        queue_email(subject=subject, body=body, to=[address])


def _request_summary(support_request: SupportRequest) -> str:
    start = timezone.localtime(support_request.starts_at)
    end = timezone.localtime(support_request.ends_at)
    place = _("online") if support_request.is_online else support_request.place
    return (
        f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {place}\n"
        f"{Mode(support_request.mode).label} / {support_request.purpose}"
    )


@dataclass(frozen=True)
class RequestInput:
    starts_at: datetime
    ends_at: datetime
    municipality_code: str
    purpose: str
    mode: str
    is_online: bool = False
    place: str = ""
    people: int = 1
    interpreters_needed: int = 1
    on_behalf_of: str = ""
    notes: str = ""


TRACKED_FIELDS = (
    "starts_at",
    "ends_at",
    "municipality_code",
    "purpose",
    "mode",
    "is_online",
    "place",
    "people",
    "interpreters_needed",
    "on_behalf_of",
    "notes",
)


def _validate_request(support_request: SupportRequest) -> None:
    if not support_request.is_online and not support_request.place.strip():
        raise ValidationError({"place": _("Write the place, or choose online.")})
    if support_request.ends_at <= support_request.starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    if support_request.starts_at < timezone.now():
        raise ValidationError({"starts_at": _("The start is in the past.")})
    if not Municipality.objects.filter(code=support_request.municipality_code).exists():
        raise ValidationError({"municipality_code": _("Choose a municipality of Saga Prefecture.")})
    support_request.full_clean(exclude=["requester"])


def submit_support_request(
    *,
    requester: User,
    data: RequestInput,
    easy_japanese: bool = False,
    request: HttpRequest | None = None,
) -> SupportRequest:
    support_request = SupportRequest(
        requester=requester,
        written_in_easy_japanese=easy_japanese,
        **{name: getattr(data, name) for name in TRACKED_FIELDS},
    )
    _validate_request(support_request)
    with transaction.atomic():
        support_request.save()
        RequestChange.objects.create(request=support_request, actor=requester, action="created")
        _notify(
            requester,
            _("Your request for communication support was received"),
            _request_summary(support_request),
        )
        for coordinator in selectors.coordinators_for(support_request.municipality_code):
            _notify(
                coordinator,
                _("New request for communication support"),
                _request_summary(support_request),
            )
    return support_request


def _can_edit(actor: User, support_request: SupportRequest) -> bool:
    return actor.pk == support_request.requester_id or selectors.can_coordinate(
        actor, support_request
    )


def _release_assignments(support_request: SupportRequest, *, reason: str) -> list[Interpreter]:
    released = list(
        Interpreter.objects.filter(
            assignments__request=support_request, assignments__state=Assignment.State.CONFIRMED
        )
    )
    support_request.assignments.filter(state=Assignment.State.CONFIRMED).update(
        state=Assignment.State.CANCELLED
    )
    for interpreter in released:
        _notify(
            interpreter.user,
            reason,
            _request_summary(support_request),
            email=interpreter.email,
        )
    return released


def change_support_request(
    *,
    actor: User,
    support_request: SupportRequest,
    data: RequestInput,
    request: HttpRequest | None = None,
) -> SupportRequest:
    """Change a request; the change is recorded field by field. A change of time, place or
    mode releases the interpreters already assigned (they are told) for a new match."""
    if not _can_edit(actor, support_request):
        raise PermissionDenied("not your request")
    if support_request.state == SupportRequest.State.CANCELLED:
        raise ValidationError(_("This request was cancelled."))
    before = {name: getattr(support_request, name) for name in TRACKED_FIELDS}
    for name in TRACKED_FIELDS:
        setattr(support_request, name, getattr(data, name))
    changed = {
        name: [str(before[name]), str(getattr(support_request, name))]
        for name in TRACKED_FIELDS
        if before[name] != getattr(support_request, name)
    }
    if not changed:
        return support_request
    _validate_request(support_request)
    with transaction.atomic():
        rematch = bool(
            {"starts_at", "ends_at", "municipality_code", "mode", "is_online", "place"}
            & set(changed)
        )
        if rematch:
            _release_assignments(
                support_request, reason=_("An assignment was changed and released")
            )
            support_request.state = SupportRequest.State.SUBMITTED
        support_request.updated_at = timezone.now()
        support_request.save()
        RequestChange.objects.create(
            request=support_request, actor=actor, action="changed", detail=changed
        )
        _notify(
            support_request.requester,
            _("Your request was changed"),
            _request_summary(support_request),
        )
        if actor.pk != support_request.requester_id:
            record_audit(
                actor=actor,
                action="access.request.change",
                obj=support_request,
                request=request,
                municipality_code=support_request.municipality_code,
            )
    return support_request


def cancel_support_request(
    *,
    actor: User,
    support_request: SupportRequest,
    reason: str = "",
    request: HttpRequest | None = None,
) -> None:
    if not _can_edit(actor, support_request):
        raise PermissionDenied("not your request")
    if support_request.state == SupportRequest.State.CANCELLED:
        return
    with transaction.atomic():
        _release_assignments(support_request, reason=_("An assignment was cancelled"))
        SupportRequest.objects.filter(pk=support_request.pk).update(
            state=SupportRequest.State.CANCELLED, updated_at=timezone.now()
        )
        support_request.state = SupportRequest.State.CANCELLED
        RequestChange.objects.create(
            request=support_request,
            actor=actor,
            action="cancelled",
            detail={"reason": reason[:200]},
        )
        _notify(
            support_request.requester,
            _("Your request was cancelled"),
            _request_summary(support_request),
        )
        if actor.pk != support_request.requester_id:
            record_audit(
                actor=actor,
                action="access.request.cancel",
                obj=support_request,
                request=request,
                municipality_code=support_request.municipality_code,
            )


def _lock_interpreter(interpreter_id: int) -> Interpreter:
    """Serialise bookings of one interpreter. PostgreSQL: a row lock held to the commit. SQLite:
    the IMMEDIATE transaction already holds the database write lock (settings.py)."""
    interpreters = Interpreter.objects.filter(pk=interpreter_id)
    if connection.vendor == "postgresql":
        interpreters = interpreters.select_for_update()
    return interpreters.get()


def assign_interpreter(
    *,
    actor: User,
    support_request: SupportRequest,
    interpreter: Interpreter,
    request: HttpRequest | None = None,
) -> Assignment:
    """Confirm `interpreter` for the request, unless the matching rules say no: mode, region
    (not for online support), availability, no overlap with another confirmed assignment, and
    the monthly maximum. The check and the insert happen under the interpreter's lock, so two
    coordinators cannot book the same person twice."""
    if not selectors.can_coordinate(actor, support_request):
        raise PermissionDenied(selectors.COORDINATE)
    if support_request.state == SupportRequest.State.CANCELLED:
        raise ValidationError(_("This request was cancelled."))
    with transaction.atomic():
        locked = _lock_interpreter(interpreter.pk)
        load = selectors.monthly_load([locked.pk], support_request.starts_at).get(locked.pk, 0)
        reasons = selectors.rejection_reasons(locked, support_request, load)
        if reasons:
            raise ValidationError(
                _("%(name)s cannot be assigned: %(reasons)s.")
                % {"name": locked.name, "reasons": ", ".join(reasons)}
            )
        assignment = Assignment.objects.create(
            request=support_request,
            interpreter=locked,
            starts_at=support_request.starts_at,
            ends_at=support_request.ends_at,
            assigned_by=actor,
        )
        confirmed = support_request.assignments.filter(state=Assignment.State.CONFIRMED).count()
        if confirmed >= support_request.interpreters_needed:
            SupportRequest.objects.filter(pk=support_request.pk).update(
                state=SupportRequest.State.CONFIRMED, updated_at=timezone.now()
            )
            support_request.state = SupportRequest.State.CONFIRMED
            _notify(
                support_request.requester,
                _("Your communication support is confirmed"),
                _request_summary(support_request),
            )
        RequestChange.objects.create(
            request=support_request,
            actor=actor,
            action="assigned",
            detail={"interpreter": locked.name},
        )
        _notify(
            locked.user, _("New assignment"), _request_summary(support_request), email=locked.email
        )
        record_audit(
            actor=actor,
            action="access.request.assign",
            obj=support_request,
            municipality_code=support_request.municipality_code,
            request=request,
            detail={"interpreter": locked.pk},
        )
    return assignment


# --- video notices --------------------------------------------------------------------------


def _validate_webvtt(captions: UploadedFile[Any]) -> None:
    if captions.size is None or captions.size > MAX_CAPTIONS_BYTES:
        raise ValidationError({"captions": _("The captions file is too large (at most 1 MB).")})
    head = captions.read(10).decode("utf-8-sig", errors="replace")
    captions.seek(0)
    if not head.startswith("WEBVTT"):
        raise ValidationError(
            {"captions": _("The captions must be a WebVTT file (it starts with WEBVTT).")}
        )


def publish_video_notice(
    *,
    actor: User,
    title: str,
    text: str,
    video: UploadedFile[Any],
    captions: UploadedFile[Any],
    request: HttpRequest | None = None,
) -> VideoNotice:
    """Store an upload for review. The video must really be one browsers play (container and
    codecs read from the file, not its name; size and length capped: access/media.py); nobody but
    publishers sees it until another publisher approves it (review_video_notice)."""
    if not selectors.can_publish_videos(actor):
        raise PermissionDenied(selectors.PUBLISH_VIDEOS)
    if not title.strip() or not text.strip():
        raise ValidationError(_("A title and the full text of the notice are required."))
    name = (video.name or "").lower()
    probe = probe_video(video, name=name, size=video.size)
    _validate_webvtt(captions)
    with transaction.atomic():
        notice = VideoNotice(
            title=title.strip()[:200],
            text=text.strip(),
            created_by=actor,
            state=VideoNotice.State.PENDING,
            container=probe.container,
            video_codec=probe.video_codec,
            audio_codec=probe.audio_codec,
            width=probe.width,
            height=probe.height,
            duration_seconds=probe.duration_seconds,
            size_bytes=video.size or 0,
        )
        notice.video.save(
            f"notice{get_random_string(8).lower()}.{probe.container}", video, save=False
        )
        notice.captions.save(f"notice{get_random_string(8).lower()}.vtt", captions, save=False)
        notice.save()
        record_audit(
            actor=actor,
            action="access.video.submit",
            obj=notice,
            request=request,
            detail={"container": probe.container, "video": probe.video_codec},
        )
    return notice


def review_video_notice(
    *,
    actor: User,
    notice: VideoNotice,
    approve: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> VideoNotice:
    """A second publisher approves (published at once) or rejects (with a reason for the
    uploader) a notice waiting for review. The uploader cannot approve their own upload."""
    if not selectors.can_publish_videos(actor):
        raise PermissionDenied(selectors.PUBLISH_VIDEOS)
    if notice.created_by_id == actor.pk:
        raise ValidationError(_("Another publisher must review your upload (four-eyes rule)."))
    if not approve and not note.strip():
        raise ValidationError({"note": _("Say why the notice is rejected.")})
    state = VideoNotice.State.PUBLISHED if approve else VideoNotice.State.REJECTED
    with transaction.atomic():
        updated = VideoNotice.objects.filter(pk=notice.pk, state=VideoNotice.State.PENDING).update(
            state=state,
            reviewed_by=actor,
            reviewed_at=timezone.now(),
            review_note=note.strip()[:500],
        )
        if not updated:
            raise ValidationError(_("This notice was already reviewed."))
        notice.refresh_from_db()
        record_audit(
            actor=actor,
            action="access.video.publish" if approve else "access.video.reject",
            obj=notice,
            request=request,
            detail={"note": notice.review_note},
        )
        if notice.created_by is not None:
            _notify(
                notice.created_by,
                _("Your video notice was published")
                if approve
                else _("Your video notice was rejected"),
                f"{notice.title}\n{notice.review_note}".strip(),
            )
    return notice
