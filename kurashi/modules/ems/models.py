"""Emergency medical information: hospitals and their departments, acceptance status (応需情報),
ambulances, cases with their timeline, inquiries (照会) and API tokens of hospital systems.

Enumerations follow the FDMA surveys and 99さがネット (docs/ems.md lists the sources)."""

import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kurashi.core.models import Organisation

# SS-MIX2 統一診療科コード (http://jami.jp/SS-MIX2/CodeSystem/ClinicalDepartment): the emergency
# relevant subset shipped in data/clinical_departments.csv (code → Japanese, English).
DEPARTMENT_SYSTEM = "http://jami.jp/SS-MIX2/CodeSystem/ClinicalDepartment"


class Tier(models.TextChoices):
    """救急医療体制."""

    PRIMARY = "primary", _("Primary (初期)")
    SECONDARY = "secondary", _("Secondary (二次)")
    TERTIARY = "tertiary", _("Tertiary (三次, critical care centre)")


class MedicalArea(models.TextChoices):
    """Saga's five 二次医療圏."""

    CENTRAL = "central", _("Central (中部)")
    EASTERN = "eastern", _("Eastern (東部)")
    NORTHERN = "northern", _("Northern (北部)")
    WESTERN = "western", _("Western (西部)")
    SOUTHERN = "southern", _("Southern (南部)")


class Acceptance(models.TextChoices):
    """応需ステータス. STALE (未更新) is never stored by people: the system shows it when the
    status's validity has run out."""

    EAGER = "eager", _("◎ Actively accepting")
    AVAILABLE = "available", _("○ Accepting")
    CONDITIONAL = "conditional", _("△ Conditional")
    UNAVAILABLE = "unavailable", _("× Not accepting")
    STALE = "stale", _("Not updated")


class RefusalReason(models.TextChoices):
    """受入不可理由 (FDMA survey columns), plus 業務多忙 / 急患対応中 from 99さがネット."""

    IN_SURGERY = "in_surgery", _("In surgery (手術中)")
    TREATING_PATIENT = "treating_patient", _("Treating another patient (患者対応中)")
    BEDS_FULL = "beds_full", _("No bed available (ベッド満床)")
    CANNOT_TREAT = "cannot_treat", _("Treatment not possible (処置困難)")
    NOT_SPECIALTY = "not_specialty", _("Outside specialty (専門外)")
    NO_DOCTOR = "no_doctor", _("No doctor available (医師不在)")
    FIRST_VISIT = "first_visit", _("First visit, no family doctor (初診)")
    BUSY = "busy", _("Too busy (業務多忙)")
    EMERGENCY_IN_PROGRESS = "emergency_in_progress", _("Handling an emergency (急患対応中)")
    UNKNOWN = "unknown", _("Reason unknown (理由不明)")
    OTHER = "other", _("Other (その他)")


# Refusals that say the department cannot take anyone for a while: they infer × (see services).
INFERRING_REASONS = frozenset(
    {RefusalReason.BEDS_FULL, RefusalReason.IN_SURGERY, RefusalReason.CANNOT_TREAT}
)


class SymptomCategory(models.TextChoices):
    """症状分類 used by the crew's search; each maps to departments in selectors.CATEGORY_NEEDS."""

    CARDIAC_ARREST = "cardiac_arrest", _("Cardiac arrest (CPA)")
    STROKE = "stroke", _("Suspected stroke (脳卒中疑い)")
    CHEST_PAIN = "chest_pain", _("Chest pain / cardiac (胸痛・心疾患)")
    SEVERE_TRAUMA = "severe_trauma", _("Severe trauma (重症外傷)")
    TRAUMA = "trauma", _("Injury (外傷)")
    BURN = "burn", _("Burn (熱傷)")
    RESPIRATORY = "respiratory", _("Breathing difficulty (呼吸困難)")
    ABDOMINAL = "abdominal", _("Abdominal pain (腹痛)")
    POISONING = "poisoning", _("Poisoning (中毒)")
    PAEDIATRIC = "paediatric", _("Child illness (小児)")
    OBSTETRIC = "obstetric", _("Obstetric / perinatal (産科・周産期)")
    PSYCHIATRIC = "psychiatric", _("Psychiatric (精神)")
    GENERAL = "general", _("Other illness (その他の急病)")


class AgeGroup(models.TextChoices):
    """年齢区分 (FDMA)."""

    NEWBORN = "newborn", _("Newborn (新生児)")
    INFANT = "infant", _("Infant (乳幼児)")
    YOUTH = "youth", _("Youth (少年)")
    ADULT = "adult", _("Adult (成人)")
    ELDERLY = "elderly", _("Elderly (高齢者)")


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Unknown")


class Urgency(models.TextChoices):
    """緊急度 (FDMA 緊急度判定 colours)."""

    RED = "red", _("Red: emergency (緊急)")
    YELLOW = "yellow", _("Yellow: urgent (準緊急)")
    GREEN = "green", _("Green: less urgent (低緊急)")
    WHITE = "white", _("White: non-urgent (非緊急)")


class Jcs(models.TextChoices):
    """Japan Coma Scale."""

    ALERT = "0", "0"
    I1 = "1", "I-1"
    I2 = "2", "I-2"
    I3 = "3", "I-3"
    II10 = "10", "II-10"
    II20 = "20", "II-20"
    II30 = "30", "II-30"
    III100 = "100", "III-100"
    III200 = "200", "III-200"
    III300 = "300", "III-300"


class Severity(models.TextChoices):
    """傷病程度 (初診時), entered by the receiving hospital."""

    DEATH = "death", _("Dead on first examination (死亡)")
    SEVERE = "severe", _("Severe: 3+ weeks in hospital (重症)")
    MODERATE = "moderate", _("Moderate: admitted (中等症)")
    MILD = "mild", _("Mild: outpatient (軽症)")
    OTHER = "other", _("Other (その他)")


class Diversion(models.TextChoices):
    """ED status for ambulances (EDXL-HAVE EMSTrafficStatus): normal, advisory (call first,
    limited), closed (diverting). Expires at diversion_until."""

    NORMAL = "normal", _("Normal: accepting ambulances")
    ADVISORY = "advisory", _("Restricted: call before coming")
    CLOSED = "closed", _("Diverting: not accepting ambulances")


class BedType(models.TextChoices):
    """Beds counted for capacity and disaster mode (HAvBED / EDXL-HAVE: vacant and staffed)."""

    ER = "er", _("ER beds")
    ICU = "icu", _("ICU")
    HCU = "hcu", _("HCU")
    SCU = "scu", _("Stroke unit (SCU)")
    CCU = "ccu", _("Cardiac unit (CCU)")
    NICU = "nicu", _("NICU / perinatal")
    BURN = "burn", _("Burn unit")
    OPERATING_ROOM = "or", _("Free operating rooms")


class Triage(models.TextChoices):
    """START (adults) / PAT (children) triage categories at a mass-casualty scene."""

    RED = "red", _("Red: immediate")
    YELLOW = "yellow", _("Yellow: delayed")
    GREEN = "green", _("Green: minor")
    BLACK = "black", _("Black: deceased / expectant")


class TraumaMechanism(models.TextChoices):
    """High-energy mechanisms in the field triage of trauma (JPTEC-style 受傷機転)."""

    NONE = "", _("No high-energy mechanism")
    FALL = "fall", _("Fall from 6 m or more")
    EJECTION = "ejection", _("Ejected from a vehicle")
    ROLLOVER = "rollover", _("Vehicle rollover / cabin crushed")
    PEDESTRIAN = "pedestrian", _("Pedestrian or cyclist hit by a car")
    MOTORCYCLE = "motorcycle", _("Motorcycle crash at speed")
    PENETRATING = "penetrating", _("Penetrating injury (head, neck, trunk)")
    ENTRAPMENT = "entrapment", _("Trapped / crushed under a heavy object")


class Hospital(models.Model):
    """A hospital of the EMS system, always backed by a core Organisation of kind hospital, so
    its staff are the members of that organisation."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="ems_hospital",
        limit_choices_to={"kind": Organisation.Kind.HOSPITAL},
    )
    institution_code = models.CharField(_("medical institution code"), max_length=10, blank=True)
    medical_area = models.CharField(_("medical area"), max_length=10, choices=MedicalArea.choices)
    is_emergency_designated = models.BooleanField(
        _("救急告示 (designated emergency)"), default=True
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    is_disaster_base = models.BooleanField(_("disaster base hospital"), default=False)
    is_core_on_duty = models.BooleanField(
        _("on-duty core hospital (alerted on escalation)"), default=False
    )
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    hotline = models.CharField(_("hotline"), max_length=20, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    diversion = models.CharField(
        _("ambulance traffic"), max_length=10, choices=Diversion.choices, default=Diversion.NORMAL
    )
    diversion_reason = models.CharField(_("reason"), max_length=200, blank=True)
    diversion_until = models.DateTimeField(null=True, blank=True)
    diversion_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["organisation__name_kana", "organisation__name_ja"]
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")
        permissions = [  # noqa: RUF012
            ("manage_acceptance", "Can update the acceptance status of a hospital"),
            ("answer_requests", "Can see and answer transport requests sent to a hospital"),
            ("operate_cases", "Can run emergency cases for a fire headquarters"),
            ("coordinate", "Can see every hospital and case of the prefecture"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=20, latitude__lte=46, longitude__gte=122)
                & models.Q(longitude__lte=154),
                name="ems_hospital_position_in_japan",
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name_ja


class Department(models.Model):
    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="departments")
    code = models.CharField(_("SS-MIX2 department code"), max_length=3)

    class Meta:
        ordering: ClassVar[list[str]] = ["hospital", "code"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["hospital", "code"], name="ems_department_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.code}"


class AcceptanceStatus(models.Model):
    """The acceptance of one hospital for one department or one symptom category.

    The stored status is what people said; effective() adds what the system knows: an inferred ×
    after a refusal for ベッド満床/手術中/処置困難, and 未更新 once valid_until has passed."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Hospital screen")
        API = "api", _("Hospital system (API)")
        DEMO = "demo", _("Demo data")

    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="statuses")
    department_code = models.CharField(max_length=3, blank=True)
    category = models.CharField(max_length=20, choices=SymptomCategory.choices, blank=True)
    status = models.CharField(max_length=12, choices=Acceptance.choices)
    reason = models.CharField(max_length=24, choices=RefusalReason.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    valid_until = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inferred_until = models.DateTimeField(null=True, blank=True)
    inferred_reason = models.CharField(max_length=24, choices=RefusalReason.choices, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["hospital", "department_code", "category"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=(~models.Q(department_code="") & models.Q(category=""))
                | (models.Q(department_code="") & ~models.Q(category="")),
                name="ems_status_department_xor_category",
            ),
            models.UniqueConstraint(
                fields=["hospital", "department_code", "category"], name="ems_status_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="stale"), name="ems_status_stale_is_never_stored"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.department_code or self.category}: {self.status}"

    def effective(self, now: datetime) -> tuple[str, str, bool]:
        """(status, reason, is_inferred) as crews see it at `now`."""
        return effective_status(
            status=self.status,
            reason=self.reason,
            valid_until=self.valid_until,
            inferred_until=self.inferred_until,
            inferred_reason=self.inferred_reason,
            now=now,
        )


def effective_status(
    *,
    status: str,
    reason: str,
    valid_until: datetime,
    inferred_until: datetime | None,
    inferred_reason: str,
    now: datetime,
) -> tuple[str, str, bool]:
    """An inferred × wins while it lasts; past its validity a status shows 未更新."""
    if inferred_until and inferred_until > now:
        return Acceptance.UNAVAILABLE, inferred_reason, True
    if valid_until <= now:
        return Acceptance.STALE, "", False
    return status, reason, False


class Ambulance(models.Model):
    class State(models.TextChoices):
        AVAILABLE = "available", _("Standing by (待機)")
        DISPATCHED = "dispatched", _("Dispatched (出場)")
        ON_SCENE = "on_scene", _("On scene (現着)")
        TRANSPORTING = "transporting", _("Transporting (搬送中)")
        AT_HOSPITAL = "at_hospital", _("At hospital (病院着)")

    fire_hq = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ambulances")
    call_sign = models.CharField(_("call sign"), max_length=40)
    state = models.CharField(max_length=14, choices=State.choices, default=State.AVAILABLE)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["fire_hq", "call_sign"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["fire_hq", "call_sign"], name="ems_ambulance_unique")
        ]

    def __str__(self) -> str:
        return self.call_sign


class Case(models.Model):
    """One patient transported (傷病者), with the minimum the hospital needs; no name is stored."""

    class State(models.TextChoices):
        OPEN = "open", _("Looking for a hospital")
        DECIDED = "decided", _("Destination decided")
        ARRIVED = "arrived", _("Arrived at hospital")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled (no transport)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_key = models.CharField(max_length=64, unique=True)
    fire_hq = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ems_cases")
    ambulance = models.ForeignKey(
        Ambulance, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    municipality_code = models.CharField(max_length=6, blank=True)
    category = models.CharField(max_length=20, choices=SymptomCategory.choices)
    age_group = models.CharField(max_length=10, choices=AgeGroup.choices)
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    urgency = models.CharField(max_length=8, choices=Urgency.choices)
    jcs = models.CharField(max_length=3, choices=Jcs.choices, blank=True)
    gcs_eye = models.PositiveSmallIntegerField(null=True, blank=True)
    gcs_verbal = models.PositiveSmallIntegerField(null=True, blank=True)
    gcs_motor = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    systolic_bp = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_bp = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    summary = models.CharField(_("short summary"), max_length=200, blank=True)
    # Handed over with a case opened from a call (text 119): where the caller is, how to talk
    # with them and, with their consent, their medical notes (sealed: ems.services.seal_notes).
    source = models.CharField(max_length=40, blank=True)
    scene_address = models.CharField(max_length=200, blank=True)
    scene_note = models.CharField(max_length=200, blank=True)
    position_source = models.CharField(max_length=40, blank=True)
    communication = models.CharField(max_length=100, blank=True)
    handover_notes_sealed = models.TextField(blank=True)
    # Structured findings (Saga 実施基準 style): stroke scale, trauma mechanism; they drive the
    # ranking (selectors.case_needs).
    symptom_onset_at = models.DateTimeField(_("onset / last known well"), null=True, blank=True)
    cpss_face = models.BooleanField(_("CPSS: facial droop"), null=True, blank=True)
    cpss_arm = models.BooleanField(_("CPSS: arm drift"), null=True, blank=True)
    cpss_speech = models.BooleanField(_("CPSS: abnormal speech"), null=True, blank=True)
    elvo_gaze = models.BooleanField(_("ELVO: gaze deviation"), null=True, blank=True)
    elvo_cortical = models.BooleanField(_("ELVO: aphasia or neglect"), null=True, blank=True)
    trauma_mechanism = models.CharField(
        _("trauma mechanism"), max_length=12, choices=TraumaMechanism.choices, blank=True
    )
    # Timeline (NEMSIS eTimes .03/.06/.07/—/.09/.11)
    called_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    contact_at = models.DateTimeField(null=True, blank=True)
    loaded_at = models.DateTimeField(null=True, blank=True)
    left_scene_at = models.DateTimeField(null=True, blank=True)
    arrived_hospital_at = models.DateTimeField(null=True, blank=True)
    destination = models.ForeignKey(
        Hospital, null=True, blank=True, on_delete=models.PROTECT, related_name="received_cases"
    )
    is_difficult = models.BooleanField(_("搬送困難事案"), default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.CharField(max_length=20, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    diagnosis = models.CharField(max_length=200, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["fire_hq", "state"], name="ems_case_hq_state"),
            models.Index(fields=["called_at"], name="ems_case_called"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(gcs_eye__isnull=True) | models.Q(gcs_eye__range=(1, 4)),
                name="ems_case_gcs_eye",
            ),
            models.CheckConstraint(
                condition=models.Q(gcs_verbal__isnull=True) | models.Q(gcs_verbal__range=(1, 5)),
                name="ems_case_gcs_verbal",
            ),
            models.CheckConstraint(
                condition=models.Q(gcs_motor__isnull=True) | models.Q(gcs_motor__range=(1, 6)),
                name="ems_case_gcs_motor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fire_hq} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def gcs_total(self) -> int | None:
        parts = (self.gcs_eye, self.gcs_verbal, self.gcs_motor)
        return sum(p for p in parts if p is not None) if all(p is not None for p in parts) else None

    @property
    def on_scene_minutes(self) -> float | None:
        if self.on_scene_at is None or self.left_scene_at is None:
            return None
        return (self.left_scene_at - self.on_scene_at) / timedelta(minutes=1)

    @property
    def call_to_hospital_minutes(self) -> float | None:
        if self.called_at is None or self.arrived_hospital_at is None:
            return None
        return (self.arrived_hospital_at - self.called_at) / timedelta(minutes=1)


class Inquiry(models.Model):
    """照会: one question to one hospital (phone, hotline or in-app request)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        HOTLINE = "hotline", _("Hotline")
        APP = "app", _("In-app request")

    class Result(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        CALLBACK = "callback", _("Will call back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="inquiries")
    sequence = models.PositiveSmallIntegerField()
    client_key = models.CharField(max_length=80, unique=True)
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="inquiries")
    department_code = models.CharField(max_length=3, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    request_group = models.UUIDField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PENDING)
    refusal_reason = models.CharField(max_length=24, choices=RefusalReason.choices, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The hospital saw the alert (banner and sound stop): the first acknowledgement is kept.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["case", "sequence"]
        verbose_name_plural = "inquiries"
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["hospital", "result"], name="ems_inquiry_hospital_result"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["case", "sequence"], name="ems_inquiry_sequence"),
            # At most one acceptance per case: the database itself settles a race of two accepts.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(result="accepted"),
                name="ems_inquiry_one_acceptance",
            ),
            models.CheckConstraint(
                condition=models.Q(result="refused") | models.Q(refusal_reason=""),
                name="ems_inquiry_reason_only_when_refused",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.sequence} {self.hospital_id} {self.result}"

    @property
    def counts_as_inquiry(self) -> bool:
        """照会回数 counts every hospital actually asked: a parallel request withdrawn before
        the hospital answered was never put to it."""
        return self.result != self.Result.WITHDRAWN


class ApiToken(models.Model):
    """A token a hospital system uses to update status; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ems_tokens"
    )
    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.label


class HospitalDevice(models.Model):
    """A browser (ER PC, nurse's tablet or phone) registered by hospital staff to receive a Web
    Push for every new transport request, sent through the notify module's Web Push (VAPID)."""

    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="devices")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    label = models.CharField(_("device name"), max_length=80)
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["hospital", "label", "pk"]

    def __str__(self) -> str:
        return self.label


class CaseAttachment(models.Model):
    """A photo (scene, wound) or an ECG the crew took. Seen by the crew's headquarters and, once
    decided, by the receiving hospital only (selectors.can_see_attachments); every view audited."""

    class Kind(models.TextChoices):
        ECG = "ecg", _("ECG")
        PHOTO = "photo", _("Photo")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to="ems/attachments/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["case", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class BedCapacity(models.Model):
    """Vacant, staffed beds of one type at one hospital, updated in one tap."""

    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="capacities")
    bed_type = models.CharField(max_length=8, choices=BedType.choices)
    available = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["hospital", "bed_type"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["hospital", "bed_type"], name="ems_capacity_unique"),
            models.CheckConstraint(
                condition=models.Q(available__lte=999), name="ems_capacity_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.bed_type}: {self.available}"


class MassCasualtyIncident(models.Model):
    """災害モード: a mass-casualty incident. Crews report triage counts from the scene, the
    coordinator sees capacity by tier and distributes the patients to hospitals."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("incident name"), max_length=120)
    place = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-started_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class TriageCount(models.Model):
    """How many patients of one triage category the scene has (START adults, PAT children)."""

    class Method(models.TextChoices):
        START = "start", _("START (adults)")
        PAT = "pat", _("PAT (children)")

    incident = models.ForeignKey(
        MassCasualtyIncident, on_delete=models.CASCADE, related_name="triage_counts"
    )
    category = models.CharField(max_length=8, choices=Triage.choices)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.START)
    count = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["incident", "category", "method"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["incident", "category", "method"], name="ems_triage_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.category}/{self.method}: {self.count}"


class MciAllocation(models.Model):
    """Patients of one triage category the coordinator sends to one hospital."""

    incident = models.ForeignKey(
        MassCasualtyIncident, on_delete=models.CASCADE, related_name="allocations"
    )
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="mci_allocations")
    category = models.CharField(max_length=8, choices=Triage.choices)
    patients = models.PositiveSmallIntegerField()
    allocated_at = models.DateTimeField(default=timezone.now)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["incident", "allocated_at", "pk"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(patients__gte=1) & ~models.Q(category="black"),
                name="ems_allocation_positive_living",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} → {self.hospital_id}: {self.patients} {self.category}"
