"""Models of the hearing-impaired support centre (plan 1.4).

Every live conversation (a text-119 call, a caption session, a relay chat) writes its messages to
one `Channel`: each message gets the next sequence number of its channel inside the transaction
that stores it, so a client that lost its connection asks for "everything after N" and misses
nothing (see live.py).
"""

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    """Communication support modes (意思疎通支援の方法)."""

    SIGN = "sign", _("Sign language (手話)")
    SUMMARY_HAND = "summary_hand", _("Summary writing by hand (要約筆記・手書き)")
    SUMMARY_PC = "summary_pc", _("Summary writing by PC (要約筆記・PC)")
    TACTILE_SIGN = "tactile_sign", _("Tactile sign language (触手話)")
    FINGER_BRAILLE = "finger_braille", _("Finger braille (指点字)")


class Channel(models.Model):
    """The ordered message log of one live conversation."""

    class Kind(models.TextChoices):
        CALL = "call", _("Text 119 call")
        CAPTIONS = "captions", _("Live captions")
        RELAY = "relay", _("Text relay")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class Message(models.Model):
    """One message, caption line or correction of a channel; never edited after it is stored
    (a correction is a message of its own pointing at the line it replaces)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Message")
        CAPTION = "caption", _("Caption")
        CORRECTION = "correction", _("Correction")
        SYSTEM = "system", _("System notice")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEXT)
    # caller / dispatcher / captioner / resident / counterpart / operator / system
    role = models.CharField(max_length=12)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    target_seq = models.PositiveIntegerField(null=True, blank=True)
    # A key chosen by the client so that a re-sent POST (weak connection) stores the text once.
    client_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["channel", "seq"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["channel", "seq"], name="access_message_seq"),
            models.UniqueConstraint(
                fields=["channel", "client_key"],
                condition=~models.Q(client_key=""),
                name="access_message_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.seq} {self.body[:30]}"


# --- text 119 -------------------------------------------------------------------------------


class Text119Profile(models.Model):
    """A resident's pre-registration for text 119 (Net119 requires it before a call)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="text119_profile"
    )
    full_name = models.CharField(_("full name"), max_length=100)
    full_name_kana = models.CharField(_("full name (kana)"), max_length=100, blank=True)
    municipality_code = models.CharField(_("municipality"), max_length=6)
    address = models.CharField(_("address"), max_length=200)
    # Health data: stored encrypted (crypto.py); every read by a dispatcher is audited.
    medical_notes_encrypted = models.TextField(blank=True)
    contacts = models.TextField(_("emergency contacts"), blank=True)
    hearing = models.CharField(_("hearing / speech"), max_length=100, blank=True)
    # Consent to pass the medical notes on with the EMS case (crew and receiving hospital): 要配慮
    # 個人情報 leaves the fire HQ only when the resident said so, when registering.
    shares_medical_notes = models.BooleanField(
        _("share my medical notes with the ambulance crew and the receiving hospital"),
        default=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("text 119 registration")
        verbose_name_plural = _("text 119 registrations")
        permissions = [  # noqa: RUF012
            ("receive_text119", "Can receive text 119 calls of the fire HQ's area"),
            ("coordinate_dispatch", "Can coordinate interpreter and captioner dispatch"),
            ("caption", "Can caption live sessions"),
            ("relay", "Can act as a text relay operator"),
            ("publish_videos", "Can publish sign-language video notices"),
        ]

    def __str__(self) -> str:
        return self.full_name


class Text119Call(models.Model):
    class Kind(models.TextChoices):
        FIRE = "fire", _("Fire (火事)")
        AMBULANCE = "ambulance", _("Ambulance (救急)")

    class State(models.TextChoices):
        CREATED = "created", _("Sent, waiting for the fire headquarters")
        RECEIVED = "received", _("Received by the fire headquarters")
        CHATTING = "chatting", _("In conversation")
        DISPATCHED = "dispatched", _("Ambulance / fire engine dispatched")
        CLOSED = "closed", _("Call closed")

    class PositionSource(models.TextChoices):
        GPS = "gps", _("GPS")
        MANUAL = "manual", _("Corrected by the caller")
        ADDRESS = "address", _("Registered address")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_key = models.CharField(max_length=64, unique=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="text119_calls"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.CREATED)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    position_source = models.CharField(max_length=8, choices=PositionSource.choices)
    municipality_code = models.CharField(max_length=6, db_index=True)
    address_note = models.CharField(_("where you are"), max_length=200, blank=True)
    channel = models.OneToOneField(Channel, on_delete=models.PROTECT, related_name="call")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    ems_case_id = models.CharField(max_length=64, blank=True)
    # A practice call (Net119's 訓練通報): answered by a scripted trainer, never shown to a fire
    # headquarters' console.
    is_practice = models.BooleanField(default=False)
    practice_step = models.PositiveSmallIntegerField(default=0)
    # Bumped on every change the console must show (its cheap "anything new?" poll).
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"119 {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.state not in {self.State.CLOSED, self.State.DISPATCHED}


# --- live captions --------------------------------------------------------------------------


class CaptionSession(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Captioning live")
        ENDED = "ended", _("Ended")

    slug = models.SlugField(max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    municipality_code = models.CharField(max_length=6, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LIVE)
    channel = models.OneToOneField(Channel, on_delete=models.PROTECT, related_name="captions")
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="caption_sessions")
    active_captioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-started_at"]

    def __str__(self) -> str:
        return self.title


# --- text relay -----------------------------------------------------------------------------


class RelayConversation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Conversation open")
        CLOSED = "closed", _("Conversation closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relay_conversations"
    )
    counterpart_name = models.CharField(_("who you talk to"), max_length=120)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    # The hearing party opens the conversation with this secret link (no account needed).
    counterpart_token = models.CharField(max_length=64, unique=True)
    wants_operator = models.BooleanField(_("ask a relay operator to join"), default=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    channel = models.OneToOneField(Channel, on_delete=models.PROTECT, related_name="relay")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return self.counterpart_name


# --- dispatch of interpreters and captioners ------------------------------------------------


class Interpreter(models.Model):
    """A registered sign-language interpreter or summary writer (登録通訳者・要約筆記者)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_interpreter",
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    modes = models.JSONField(_("modes"), default=list)  # Mode values
    municipality_codes = models.JSONField(_("region"), default=list)  # where they take work
    max_per_month = models.PositiveSmallIntegerField(_("maximum assignments per month"), default=20)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Availability(models.Model):
    """A period in which an interpreter can take assignments."""

    interpreter = models.ForeignKey(
        Interpreter, on_delete=models.CASCADE, related_name="availabilities"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["starts_at"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="access_availability_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.interpreter} {self.starts_at:%Y-%m-%d %H:%M}"


class SupportRequest(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    on_behalf_of = models.CharField(
        _("organisation (if on behalf of someone)"), max_length=120, blank=True
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    is_online = models.BooleanField(_("online"), default=False)
    place = models.CharField(_("place"), max_length=200, blank=True)
    municipality_code = models.CharField(_("municipality"), max_length=6)
    purpose = models.CharField(_("purpose"), max_length=200)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    people = models.PositiveSmallIntegerField(_("number of users"), default=1)
    interpreters_needed = models.PositiveSmallIntegerField(_("interpreters needed"), default=1)
    notes = models.TextField(_("notes"), blank=True)
    written_in_easy_japanese = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUBMITTED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["starts_at"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="access_request_order",
            ),
            models.CheckConstraint(
                condition=models.Q(interpreters_needed__gte=1, interpreters_needed__lte=10),
                name="access_request_interpreters_needed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.starts_at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, related_name="assignments"
    )
    interpreter = models.ForeignKey(
        Interpreter, on_delete=models.PROTECT, related_name="assignments"
    )
    # Copied from the request so that the double-booking check is one indexed query.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.CONFIRMED)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["interpreter", "state", "starts_at"], name="access_assign_busy")
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["request", "interpreter"],
                condition=models.Q(state="confirmed"),
                name="access_assignment_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.interpreter} → {self.request}"


class RequestChange(models.Model):
    """The history of a request: created, changed, assigned, cancelled (who, when, what)."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"


class Notification(models.Model):
    """What a person was told (also sent by e-mail when they have an address)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_notifications"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


# --- information access ---------------------------------------------------------------------


class VideoNotice(models.Model):
    """A notice in sign language: the video, its WebVTT captions and the full text. An upload
    waits for a second publisher's review before anyone else can see it (four eyes)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text of the notice"))
    video = models.FileField(_("video (MP4 or WebM)"), upload_to="access/videos/")
    captions = models.FileField(_("captions (WebVTT)"), upload_to="access/captions/")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # What the file really is (access/media.py), shown to the reviewer.
    container = models.CharField(max_length=8, blank=True)
    video_codec = models.CharField(max_length=20, blank=True)
    audio_codec = models.CharField(max_length=20, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return self.title
