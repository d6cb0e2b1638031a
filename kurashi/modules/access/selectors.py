"""Reads of the access module, scoped by kurashi.core.permissions."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kurashi.core.models import Municipality, Organisation, User
from kurashi.core.permissions import grant_for, has_permission, has_permission_anywhere
from kurashi.modules.access.live import console_key, message_frame
from kurashi.modules.access.models import (
    Assignment,
    Availability,
    CaptionSession,
    Interpreter,
    Message,
    Mode,
    Notification,
    RelayConversation,
    SupportRequest,
    Text119Call,
    Text119Profile,
    VideoNotice,
)

AnyUser = User | AnonymousUser

RECEIVE_119 = "access.receive_text119"
COORDINATE = "access.coordinate_dispatch"
CAPTION = "access.caption"
RELAY = "access.relay"
PUBLISH_VIDEOS = "access.publish_videos"

# Fixed questions of the dispatcher and quick replies of the caller (Net119 style).
DISPATCHER_QUESTIONS = (
    _("Is the person conscious?"),
    _("Is the person breathing?"),
    _("Is anyone injured?"),
    _("Is the position on the map correct?"),
    _("How many people need help?"),
    _("Is the fire spreading?"),
    _("Help is on the way. Stay where you are."),
)
CALLER_QUICK_REPLIES = (_("Yes"), _("No"), _("I don't know"))
RELAY_PHRASES = (
    _("Hello. I am deaf; I talk to you through text relay."),
    _("Please write in short sentences."),
    _("Please wait a moment."),
    _("I would like to make an appointment."),
    _("Could you say that again?"),
    _("Thank you very much."),
)


def municipality_names() -> dict[str, str]:
    return {m.code: m.name for m in Municipality.objects.order_by("code")}


def municipality_choices() -> list[tuple[str, str]]:
    return list(municipality_names().items())


# --- channels -------------------------------------------------------------------------------


def messages_after(channel_id: int, after: int, limit: int = 500) -> list[Message]:
    return list(
        Message.objects.filter(channel_id=channel_id, seq__gt=after)
        .select_related("author")
        .order_by("seq")[:limit]
    )


def frame_of(message: Message, *, with_author: bool = False) -> bytes:
    return message_frame(
        seq=message.seq,
        kind=message.kind,
        role=message.role,
        body=message.body,
        target_seq=message.target_seq,
        created_at=message.created_at,
        author=str(message.author) if with_author and message.author else "",
    )


def frames_after(channel_id: int, after: int) -> list[tuple[int, bytes]]:
    return [(m.seq, frame_of(m)) for m in messages_after(channel_id, after)]


def list_messages(channel_id: int) -> list[Message]:
    return list(Message.objects.filter(channel_id=channel_id).order_by("seq"))


# --- text 119 -------------------------------------------------------------------------------


def get_profile(user: AnyUser) -> Text119Profile | None:
    if not user.is_authenticated:
        return None
    return Text119Profile.objects.filter(user_id=user.pk).first()


def is_dispatcher(user: AnyUser) -> bool:
    return has_permission_anywhere(user, RECEIVE_119)


def dispatcher_calls(user: AnyUser) -> QuerySet[Text119Call]:
    """Calls in the areas where `user` receives text 119 (their fire HQ's jurisdiction); practice
    calls never reach a console."""
    grant = grant_for(user, RECEIVE_119)
    return Text119Call.objects.filter(
        grant.as_q(municipality_field="municipality_code"), is_practice=False
    )


def covering_fire_hqs(municipality_code: str) -> list[str]:
    """The fire headquarters whose jurisdiction covers a municipality: where a call from a
    position in it is routed (the municipality comes from core's municipality_at)."""
    return list(
        Organisation.objects.filter(
            kind=Organisation.Kind.FIRE_HQ, is_active=True, jurisdiction__code=municipality_code
        )
        .order_by("pk")
        .values_list("name_ja", flat=True)
    )


# The trainer's questions of a practice call, in order (one after each answer of the caller).
PRACTICE_SCRIPT = (
    _("PRACTICE: this is a practice call. Is it a fire or do you need an ambulance?"),
    _("PRACTICE: is the position shown on your screen correct? If not, write where you are."),
    _("PRACTICE: is the person conscious? Answer with the buttons or in words."),
    _(
        "PRACTICE: well done. In a real call an ambulance would now be on its way. The practice ends."
    ),
)


def console_calls(user: AnyUser) -> list[Text119Call]:
    """Open calls first (newest first), then the calls closed in the last 12 hours."""
    since = timezone.now() - timedelta(hours=12)
    calls = (
        dispatcher_calls(user)
        .filter(~Q(state=Text119Call.State.CLOSED) | Q(closed_at__gte=since))
        .select_related("caller__text119_profile")
    )
    return sorted(
        calls, key=lambda c: (c.state == Text119Call.State.CLOSED, -c.created_at.timestamp())
    )


def console_version(user: AnyUser) -> tuple[Any, ...]:
    """Changes whenever a call in the user's area is created or changes (the console poll)."""
    aggregate = dispatcher_calls(user).aggregate(
        count=Count("pk"), latest=Max("updated_at"), version=Sum("version")
    )
    return (aggregate["count"], aggregate["latest"], aggregate["version"])


def console_keys(user: AnyUser) -> list[str]:
    grant = grant_for(user, RECEIVE_119)
    if grant.everywhere or grant.all_municipalities:
        return [console_key("*")]
    return [console_key(code) for code in sorted(grant.municipality_codes)]


def can_receive(user: AnyUser, call: Text119Call) -> bool:
    return has_permission(user, RECEIVE_119, municipality_code=call.municipality_code)


def caller_calls(user: AnyUser) -> QuerySet[Text119Call]:
    if not user.is_authenticated:
        return Text119Call.objects.none()
    return Text119Call.objects.filter(caller_id=user.pk)


def get_call_for_caller(user: AnyUser, public_id: Any) -> Text119Call | None:
    return caller_calls(user).select_related("channel").filter(public_id=public_id).first()


def get_call_for_dispatcher(user: AnyUser, public_id: Any) -> Text119Call | None:
    return (
        dispatcher_calls(user)
        .select_related("caller__text119_profile", "channel")
        .filter(public_id=public_id)
        .first()
    )


# --- captions -------------------------------------------------------------------------------


def can_caption(user: AnyUser) -> bool:
    return has_permission_anywhere(user, CAPTION)


def is_on_team(user: AnyUser, session: CaptionSession) -> bool:
    if not user.is_authenticated:
        return False
    return bool(getattr(user, "is_superuser", False)) or session.team.filter(pk=user.pk).exists()


def list_caption_sessions(*, live_only: bool = False) -> QuerySet[CaptionSession]:
    sessions = CaptionSession.objects.all()
    if live_only:
        sessions = sessions.filter(state=CaptionSession.State.LIVE)
    return sessions


@dataclass(frozen=True)
class CaptionLine:
    seq: int
    at: datetime
    text: str
    is_corrected: bool


def caption_lines(session: CaptionSession) -> list[CaptionLine]:
    """The session's caption lines in order, each with its latest correction applied."""
    lines: dict[int, CaptionLine] = {}
    for message in Message.objects.filter(
        channel_id=session.channel_id, kind__in=[Message.Kind.CAPTION, Message.Kind.CORRECTION]
    ).order_by("seq"):
        if message.kind == Message.Kind.CAPTION:
            lines[message.seq] = CaptionLine(message.seq, message.created_at, message.body, False)
        elif message.target_seq in lines:
            original = lines[message.target_seq]
            lines[message.target_seq] = CaptionLine(original.seq, original.at, message.body, True)
    return list(lines.values())


def _vtt_time(seconds: float) -> str:
    milliseconds = max(0, round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def transcript_webvtt(session: CaptionSession) -> str:
    """WebVTT: each line from its commit until the next line (at most 8 s), relative to the
    session start."""
    lines = caption_lines(session)
    out = ["WEBVTT", f"NOTE {session.title}", ""]
    for index, line in enumerate(lines):
        start = (line.at - session.started_at).total_seconds()
        following = lines[index + 1].at if index + 1 < len(lines) else None
        end = (following - session.started_at).total_seconds() if following else start + 4
        end = min(max(end, start + 0.5), start + 8)
        text = line.text.replace("-->", "→")
        out += [str(line.seq), f"{_vtt_time(start)} --> {_vtt_time(end)}", text, ""]
    return "\n".join(out)


def transcript_text(session: CaptionSession) -> str:
    lines = [f"{session.title}", f"{timezone.localtime(session.started_at):%Y-%m-%d %H:%M}", ""]
    lines += [
        f"[{timezone.localtime(line.at):%H:%M:%S}] {line.text}" for line in caption_lines(session)
    ]
    return "\n".join(lines) + "\n"


# --- relay ----------------------------------------------------------------------------------


def is_relay_operator(user: AnyUser) -> bool:
    return has_permission_anywhere(user, RELAY)


def resident_conversations(user: AnyUser) -> QuerySet[RelayConversation]:
    if not user.is_authenticated:
        return RelayConversation.objects.none()
    return RelayConversation.objects.filter(resident_id=user.pk)


def operator_queue() -> QuerySet[RelayConversation]:
    return RelayConversation.objects.filter(
        state=RelayConversation.State.OPEN, wants_operator=True
    ).select_related("resident", "operator")


RELAY_SYSTEM_TEXTS = {
    "opened": _("Conversation opened"),
    "operator": _("A relay operator joined"),
    "closed": _("The conversation has ended"),
}


def relay_transcript(conversation: RelayConversation) -> str:
    """The conversation as text, kept for the resident (one line per message)."""
    roles = {
        "resident": _("Resident"),
        "counterpart": conversation.counterpart_name,
        "operator": _("Relay operator"),
    }
    lines = [f"{conversation.counterpart_name} — {conversation.topic}", ""]
    for message in list_messages(conversation.channel_id):
        at = f"[{timezone.localtime(message.created_at):%Y-%m-%d %H:%M:%S}]"
        if message.kind == Message.Kind.SYSTEM:
            lines.append(f"{at} ({RELAY_SYSTEM_TEXTS.get(message.body, message.body)})")
        else:
            lines.append(f"{at} {roles.get(message.role, message.role)}: {message.body}")
    return "\n".join(lines) + "\n"


# --- dispatch -------------------------------------------------------------------------------


def own_requests(user: AnyUser) -> QuerySet[SupportRequest]:
    if not user.is_authenticated:
        return SupportRequest.objects.none()
    return SupportRequest.objects.filter(requester_id=user.pk)


def coordinator_requests(user: AnyUser) -> QuerySet[SupportRequest]:
    grant = grant_for(user, COORDINATE)
    return SupportRequest.objects.filter(grant.as_q(municipality_field="municipality_code"))


def can_coordinate(user: AnyUser, support_request: SupportRequest | None = None) -> bool:
    if support_request is None:
        return has_permission_anywhere(user, COORDINATE)
    return has_permission(user, COORDINATE, municipality_code=support_request.municipality_code)


def coordinators_for(municipality_code: str) -> list[User]:
    """The people who coordinate dispatch for this municipality (to tell them of a request)."""
    candidates = User.objects.filter(
        is_active=True,
        memberships__role__permissions__codename="coordinate_dispatch",
        memberships__role__permissions__content_type__app_label="access",
    ).distinct()
    return [
        user
        for user in candidates
        if has_permission(user, COORDINATE, municipality_code=municipality_code)
    ]


def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(moment)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def monthly_load(interpreter_ids: list[int], moment: datetime) -> dict[int, int]:
    start, end = _month_bounds(moment)
    rows = (
        Assignment.objects.filter(
            interpreter_id__in=interpreter_ids,
            state=Assignment.State.CONFIRMED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .values("interpreter_id")
        .annotate(n=Count("pk"))
    )
    return {row["interpreter_id"]: row["n"] for row in rows}


def overlapping_assignments(
    interpreter_id: int, starts_at: datetime, ends_at: datetime
) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        interpreter_id=interpreter_id,
        state=Assignment.State.CONFIRMED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )


def is_available(interpreter_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    return Availability.objects.filter(
        interpreter_id=interpreter_id, starts_at__lte=starts_at, ends_at__gte=ends_at
    ).exists()


@dataclass(frozen=True)
class Candidate:
    interpreter: Interpreter
    load_this_month: int
    reasons: tuple[str, ...]  # why not eligible; empty when eligible

    @property
    def is_eligible(self) -> bool:
        return not self.reasons


def rejection_reasons(
    interpreter: Interpreter, support_request: SupportRequest, load: int
) -> tuple[str, ...]:
    """Why this interpreter cannot take this request (empty: they can)."""
    reasons: list[str] = []
    if not interpreter.is_active:
        reasons.append(str(_("not active")))
    if support_request.mode not in interpreter.modes:
        reasons.append(str(_("does not offer this mode")))
    if (
        not support_request.is_online
        and support_request.municipality_code not in interpreter.municipality_codes
    ):
        reasons.append(str(_("outside their region")))
    if not is_available(interpreter.pk, support_request.starts_at, support_request.ends_at):
        reasons.append(str(_("not available at this time")))
    busy = overlapping_assignments(
        interpreter.pk, support_request.starts_at, support_request.ends_at
    )
    if busy.exclude(request_id=support_request.pk).exists():
        reasons.append(str(_("already booked at this time")))
    if busy.filter(request_id=support_request.pk).exists():
        reasons.append(str(_("already assigned to this request")))
    if load >= interpreter.max_per_month:
        reasons.append(str(_("monthly maximum reached")))
    return tuple(reasons)


def match_candidates(support_request: SupportRequest) -> list[Candidate]:
    """Every active interpreter with the request's mode, eligible ones first, the least loaded
    this month first (fair sharing of work), then by name."""
    interpreters = [
        i for i in Interpreter.objects.filter(is_active=True) if support_request.mode in i.modes
    ]
    loads = monthly_load([i.pk for i in interpreters], support_request.starts_at)
    candidates = [
        Candidate(i, loads.get(i.pk, 0), rejection_reasons(i, support_request, loads.get(i.pk, 0)))
        for i in interpreters
    ]
    return sorted(
        candidates, key=lambda c: (not c.is_eligible, c.load_this_month, c.interpreter.name)
    )


@dataclass(frozen=True)
class StatisticsRow:
    municipality_code: str
    municipality_name: str
    mode: str
    mode_label: str
    requests: int
    confirmed: int
    cancelled: int
    hours: float


def monthly_statistics(year: int, month: int) -> list[StatisticsRow]:
    """Requests per municipality and mode whose support starts in the month (local time), with
    the confirmed interpreting hours."""
    start = datetime(year, month, 1, tzinfo=timezone.get_current_timezone())
    end = (start + timedelta(days=32)).replace(day=1)
    names = municipality_names()
    labels = dict(Mode.choices)
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for request in SupportRequest.objects.filter(starts_at__gte=start, starts_at__lt=end):
        row = rows.setdefault(
            (request.municipality_code, request.mode),
            {"requests": 0, "confirmed": 0, "cancelled": 0, "hours": 0.0},
        )
        row["requests"] += 1
        if request.state == SupportRequest.State.CONFIRMED:
            row["confirmed"] += 1
            row["hours"] += (request.ends_at - request.starts_at).total_seconds() / 3600
        elif request.state == SupportRequest.State.CANCELLED:
            row["cancelled"] += 1
    return [
        StatisticsRow(
            municipality_code=code,
            municipality_name=names.get(code, code),
            mode=mode,
            mode_label=str(labels.get(mode, mode)),
            requests=int(values["requests"]),
            confirmed=int(values["confirmed"]),
            cancelled=int(values["cancelled"]),
            hours=round(values["hours"], 1),
        )
        for (code, mode), values in sorted(rows.items())
    ]


def count_requests_this_month() -> int:
    start, end = _month_bounds(timezone.now())
    return SupportRequest.objects.filter(starts_at__gte=start, starts_at__lt=end).count()


def interpreter_assignments(user: AnyUser) -> list[Assignment]:
    """The confirmed assignments of the interpreter linked to this account, upcoming first."""
    if not user.is_authenticated:
        return []
    return list(
        Assignment.objects.filter(
            interpreter__user_id=user.pk,
            state=Assignment.State.CONFIRMED,
            ends_at__gte=timezone.now(),
        )
        .select_related("request")
        .order_by("starts_at")[:50]
    )


def list_notifications(user: AnyUser, limit: int = 20) -> list[Notification]:
    if not user.is_authenticated:
        return []
    return list(Notification.objects.filter(user_id=user.pk)[:limit])


# --- video notices --------------------------------------------------------------------------


def published_videos() -> QuerySet[VideoNotice]:
    return VideoNotice.objects.filter(state=VideoNotice.State.PUBLISHED)


def videos_for_review() -> QuerySet[VideoNotice]:
    return VideoNotice.objects.filter(state=VideoNotice.State.PENDING).select_related("created_by")


def visible_video(user: AnyUser, pk: int) -> VideoNotice | None:
    """A published notice for everyone; any notice (pending, rejected) for publishers."""
    if can_publish_videos(user):
        return VideoNotice.objects.select_related("created_by", "reviewed_by").filter(pk=pk).first()
    return published_videos().filter(pk=pk).first()


def can_publish_videos(user: AnyUser) -> bool:
    return has_permission_anywhere(user, PUBLISH_VIDEOS)
