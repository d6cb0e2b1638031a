"""Reads of the ems module: who may see what, hospital statuses as crews see them, the ranked
hospital list, the board and the FDMA KPIs."""

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kurashi.core.geo import distance_m
from kurashi.core.health import watcher_health
from kurashi.core.models import Organisation, User
from kurashi.core.permissions import grant_for, has_permission
from kurashi.modules.ems import broadcast
from kurashi.modules.ems.models import (
    Acceptance,
    AcceptanceStatus,
    BedCapacity,
    BedType,
    Case,
    CaseAttachment,
    Department,
    Diversion,
    Hospital,
    Inquiry,
    MassCasualtyIncident,
    MciAllocation,
    RefusalReason,
    SymptomCategory,
    Tier,
    TraumaMechanism,
    Triage,
    TriageCount,
    Urgency,
    effective_status,
)

MANAGE_ACCEPTANCE = "ems.manage_acceptance"
ANSWER_REQUESTS = "ems.answer_requests"
OPERATE_CASES = "ems.operate_cases"
COORDINATE = "ems.coordinate"
DATA_DIR = Path(__file__).resolve().parent / "data"

# Which departments (SS-MIX2 codes) can take each symptom category, and whether the category
# needs a critical care centre when the patient is red (緊急).
CATEGORY_NEEDS: dict[str, tuple[tuple[str, ...], bool]] = {
    SymptomCategory.CARDIAC_ARREST: (("39", "84"), True),
    SymptomCategory.STROKE: (("14", "04"), False),
    SymptomCategory.CHEST_PAIN: (("08", "16"), False),
    SymptomCategory.SEVERE_TRAUMA: (("39", "10"), True),
    SymptomCategory.TRAUMA: (("11", "10"), False),
    SymptomCategory.BURN: (("12", "39"), True),
    SymptomCategory.RESPIRATORY: (("45", "01"), False),
    SymptomCategory.ABDOMINAL: (("70", "10"), False),
    SymptomCategory.POISONING: (("39", "01"), False),
    SymptomCategory.PAEDIATRIC: (("09",), False),
    SymptomCategory.OBSTETRIC: (("23", "24"), False),
    SymptomCategory.PSYCHIATRIC: (("02",), False),
    SymptomCategory.GENERAL: (("01", "39"), False),
}
STATUS_WEIGHT = {
    Acceptance.EAGER: 1.0,
    Acceptance.AVAILABLE: 0.85,
    Acceptance.CONDITIONAL: 0.5,
    Acceptance.STALE: 0.3,
    "": 0.2,  # department exists, never reported
    Acceptance.UNAVAILABLE: 0.0,
}
STATUS_SYMBOL = {
    Acceptance.EAGER: "◎",
    Acceptance.AVAILABLE: "○",
    Acceptance.CONDITIONAL: "△",
    Acceptance.UNAVAILABLE: "×",
    Acceptance.STALE: "－",
    "": "？",
}
ROAD_FACTOR = 1.35  # road distance / straight line, typical for Saga's plain and hills
AVERAGE_SPEED_KMH = 40.0
LOAD_WINDOW = timedelta(hours=1)


def status_validity() -> timedelta:
    return timedelta(hours=getattr(settings, "EMS_STATUS_VALIDITY_HOURS", 12))


def inference_duration() -> timedelta:
    return timedelta(minutes=getattr(settings, "EMS_INFERRED_UNAVAILABLE_MINUTES", 60))


def escalation_inquiries() -> int:
    return int(getattr(settings, "EMS_ESCALATION_INQUIRIES", 4))


def escalation_scene_minutes() -> int:
    return int(getattr(settings, "EMS_ESCALATION_SCENE_MINUTES", 30))


def max_parallel_requests() -> int:
    return int(getattr(settings, "EMS_MAX_PARALLEL_REQUESTS", 5))


@cache
def department_names() -> dict[str, tuple[str, str]]:
    with (DATA_DIR / "clinical_departments.csv").open(encoding="utf-8") as handle:
        return {row["code"]: (row["name_ja"], row["name_en"]) for row in csv.DictReader(handle)}


def department_label(code: str, *, language: str = "ja") -> str:
    names = department_names().get(code)
    if names is None:
        return code
    return names[0] if language == "ja" else names[1]


# --- access ------------------------------------------------------------------------------------


def is_coordinator(user: User | AnonymousUser | Any) -> bool:
    grant = grant_for(user, COORDINATE)
    return grant.everywhere or grant.all_municipalities


def crew_hq_ids(user: User | AnonymousUser | Any) -> frozenset[int]:
    return grant_for(user, OPERATE_CASES).organisation_ids


def hospital_organisation_ids(user: User | AnonymousUser | Any, permission: str) -> frozenset[int]:
    return grant_for(user, permission).organisation_ids


def is_ems_user(user: User | AnonymousUser | Any) -> bool:
    return bool(
        is_coordinator(user)
        or crew_hq_ids(user)
        or hospital_organisation_ids(user, ANSWER_REQUESTS)
        or hospital_organisation_ids(user, MANAGE_ACCEPTANCE)
    )


def hospital_reads(organisation_ids: Iterable[int]) -> Q:
    """The one rule of what a hospital reads, for every door (hospital screen and case page,
    FHIR, API): a case whose request to it waits for its answer, and afterwards only the cases it
    received. A request withdrawn, refused or never sent gives no access."""
    ids = sorted(organisation_ids)
    return Q(
        inquiries__hospital__organisation_id__in=ids, inquiries__result=Inquiry.Result.PENDING
    ) | Q(destination__organisation_id__in=ids)


def visible_cases(user: User | AnonymousUser | Any) -> QuerySet[Case]:
    """Crews see their HQ's cases, a hospital what hospital_reads() allows, the coordinator
    every case."""
    if is_coordinator(user):
        return Case.objects.all()
    condition = Q(pk__in=[])
    if hq_ids := crew_hq_ids(user):
        condition |= Q(fire_hq_id__in=sorted(hq_ids))
    if hospital_ids := hospital_organisation_ids(user, ANSWER_REQUESTS):
        condition |= hospital_reads(hospital_ids)
    return Case.objects.filter(condition).distinct()


def hospital_case(hospital: Hospital, public_id: str) -> Case | None:
    """A case as `hospital` may read it (hospital_reads), or None."""
    return (
        Case.objects.filter(hospital_reads([hospital.organisation_id]), public_id=public_id)
        .select_related("fire_hq", "destination__organisation")
        .distinct()
        .first()
    )


def can_operate_case(user: User | AnonymousUser | Any, case: Case) -> bool:
    return has_permission(user, OPERATE_CASES, organisation_id=case.fire_hq_id)


def can_answer_for(user: User | AnonymousUser | Any, hospital: Hospital) -> bool:
    return has_permission(user, ANSWER_REQUESTS, organisation_id=hospital.organisation_id)


def can_manage_hospital(user: User | AnonymousUser | Any, hospital: Hospital) -> bool:
    return has_permission(user, MANAGE_ACCEPTANCE, organisation_id=hospital.organisation_id)


def channels_for(user: User | AnonymousUser | Any) -> set[str]:
    """The broadcast channels `user` may listen to (empty: no access to the live stream)."""
    channels: set[str] = set()
    if not is_ems_user(user):
        return channels
    channels.add(broadcast.STATUS)
    if is_coordinator(user):
        channels.add(broadcast.COORDINATOR)
    channels |= {broadcast.hq_channel(i) for i in crew_hq_ids(user)}
    hospital_ids = hospital_organisation_ids(user, ANSWER_REQUESTS)
    channels |= {broadcast.hospital_channel(i) for i in hospital_ids}
    return channels


def get_case_for(user: User | AnonymousUser | Any, public_id: str) -> Case | None:
    return (
        visible_cases(user)
        .select_related("fire_hq", "destination__organisation", "ambulance")
        .filter(public_id=public_id)
        .first()
    )


def manageable_hospitals(user: User | AnonymousUser | Any) -> QuerySet[Hospital]:
    grant_manage = grant_for(user, MANAGE_ACCEPTANCE)
    grant_answer = grant_for(user, ANSWER_REQUESTS)
    if grant_manage.everywhere:
        return Hospital.objects.select_related("organisation")
    ids = grant_manage.organisation_ids | grant_answer.organisation_ids
    return Hospital.objects.select_related("organisation").filter(organisation_id__in=sorted(ids))


def get_hospital(slug: str) -> Hospital | None:
    return Hospital.objects.select_related("organisation").filter(organisation__slug=slug).first()


def crew_headquarters(user: User | AnonymousUser | Any) -> list[Organisation]:
    grant = grant_for(user, OPERATE_CASES)
    queryset = Organisation.objects.filter(kind=Organisation.Kind.FIRE_HQ)
    if not grant.everywhere:
        queryset = queryset.filter(pk__in=sorted(grant.organisation_ids))
    return list(queryset.order_by("pk"))


# --- statuses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusView:
    hospital_id: int
    key: str  # department code or category
    label: str
    status: str  # effective, incl. stale
    symbol: str
    reason: str
    reason_label: str
    is_inferred: bool
    updated_at: datetime | None
    valid_until: datetime | None
    note: str


def _reason_label(reason: str) -> str:
    return str(RefusalReason(reason).label) if reason else ""


def status_views(hospital: Hospital, *, now: datetime, language: str = "ja") -> list[StatusView]:
    """One row per department of the hospital (whether reported or not), then categories."""
    rows = {s.department_code or s.category: s for s in hospital.statuses.all()}
    views = []
    keys = [d.code for d in hospital.departments.all()]
    keys += [s.category for s in hospital.statuses.all() if s.category]
    for key in keys:
        row = rows.get(key)
        if key in department_names():
            label = department_label(key, language=language)
        else:
            label = str(SymptomCategory(key).label)
        if row is None:
            views.append(
                StatusView(hospital.pk, key, label, "", "？", "", "", False, None, None, "")
            )
            continue
        status, reason, inferred = row.effective(now)
        views.append(
            StatusView(
                hospital.pk,
                key,
                label,
                status,
                STATUS_SYMBOL[status],
                reason,
                _reason_label(reason),
                inferred,
                row.updated_at,
                row.valid_until,
                row.note,
            )
        )
    return views


def hospitals_with_statuses() -> QuerySet[Hospital]:
    return Hospital.objects.select_related("organisation").prefetch_related(
        "departments", Prefetch("statuses", queryset=AcceptanceStatus.objects.all())
    )


# --- ranking -----------------------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    return distance_m(lat1, lon1, lat2, lon2) / 1000


def travel_minutes(km: float) -> float:
    return km * ROAD_FACTOR / AVERAGE_SPEED_KMH * 60


@dataclass(frozen=True)
class HospitalSummary:
    """What the ranking needs of a hospital, read with values() (no model instances: the
    ranked list is computed on every status change for every open tablet)."""

    pk: int
    slug: str
    name: str
    tier: str
    latitude: float
    longitude: float
    hotline: str
    departments: frozenset[str]
    statuses: dict[str, tuple[str, str, datetime, datetime, datetime | None, str]]
    diversion: str = Diversion.NORMAL
    diversion_reason: str = ""
    diversion_until: datetime | None = None
    capacities: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name

    def diversion_at(self, now: datetime) -> str:
        """The ED's ambulance traffic at `now`: a restriction ends by itself at its expiry."""
        if self.diversion != Diversion.NORMAL and (
            self.diversion_until is None or self.diversion_until > now
        ):
            return self.diversion
        return Diversion.NORMAL

    def get_tier_display(self) -> str:
        return str(Tier(self.tier).label)


def ranking_snapshot() -> list[HospitalSummary]:
    """Every hospital with its departments and stored statuses, in three queries."""
    departments: dict[int, set[str]] = {}
    for hospital_id, code in Department.objects.values_list("hospital_id", "code"):
        departments.setdefault(hospital_id, set()).add(code)
    statuses: dict[int, dict[str, tuple[str, str, datetime, datetime, datetime | None, str]]] = {}
    for row in AcceptanceStatus.objects.values_list(
        "hospital_id",
        "department_code",
        "category",
        "status",
        "reason",
        "updated_at",
        "valid_until",
        "inferred_until",
        "inferred_reason",
    ):
        hospital_id, code, category, *values = row
        statuses.setdefault(hospital_id, {})[code or category] = tuple(values)  # type: ignore[assignment]
    capacities: dict[int, dict[str, int]] = {}
    for hospital_id, bed_type, available in BedCapacity.objects.values_list(
        "hospital_id", "bed_type", "available"
    ):
        capacities.setdefault(hospital_id, {})[bed_type] = available
    return [
        HospitalSummary(
            pk=pk,
            slug=slug,
            name=name,
            tier=tier,
            latitude=latitude,
            longitude=longitude,
            hotline=hotline,
            departments=frozenset(departments.get(pk, ())),
            statuses=statuses.get(pk, {}),
            diversion=diversion,
            diversion_reason=diversion_reason,
            diversion_until=diversion_until,
            capacities=capacities.get(pk, {}),
        )
        for (
            pk,
            slug,
            name,
            tier,
            latitude,
            longitude,
            hotline,
            diversion,
            diversion_reason,
            diversion_until,
        ) in Hospital.objects.order_by("pk").values_list(
            "pk",
            "organisation__slug",
            "organisation__name_ja",
            "tier",
            "latitude",
            "longitude",
            "hotline",
            "diversion",
            "diversion_reason",
            "diversion_until",
        )
    ]


# --- what the findings say the patient needs ----------------------------------------------------

ELVO_WINDOW = timedelta(hours=24)  # thrombectomy up to 24 h from last known well (selected cases)
TPA_WINDOW = timedelta(hours=4, minutes=30)


@dataclass(frozen=True)
class CaseNeeds:
    """What the crew's findings mean for the choice of hospital (explained in the list)."""

    vital_red: bool = False
    vital_reasons: tuple[str, ...] = ()
    stroke_positive: bool = False  # CPSS: any of the three signs
    elvo_suspected: bool = False  # CPSS positive and a cortical sign, within 24 h
    within_tpa_window: bool = False
    high_energy_trauma: bool = False

    @property
    def needs_critical_care(self) -> bool:
        return self.elvo_suspected or self.high_energy_trauma


def vital_triage(case: Case) -> tuple[str, ...]:
    """Vital signs that make a patient red (緊急) whatever the crew chose: the physiological
    criteria of field triage (SBP < 90, RR < 10 or > 30, SpO2 < 90 %, HR < 50 or > 120, GCS ≤ 8
    or JCS III)."""
    reasons = []
    if case.systolic_bp is not None and case.systolic_bp < 90:
        reasons.append(f"SBP {case.systolic_bp}")
    if case.respiratory_rate is not None and not 10 <= case.respiratory_rate <= 30:
        reasons.append(f"RR {case.respiratory_rate}")
    if case.spo2 is not None and case.spo2 < 90:
        reasons.append(f"SpO2 {case.spo2}%")
    if case.heart_rate is not None and not 50 <= case.heart_rate <= 120:
        reasons.append(f"HR {case.heart_rate}")
    gcs = case.gcs_total
    if gcs is not None and gcs <= 8:
        reasons.append(f"GCS {gcs}")
    if case.jcs in {"100", "200", "300"}:
        reasons.append(f"JCS {case.jcs}")
    return tuple(reasons)


def case_needs(case: Case, *, now: datetime | None = None) -> CaseNeeds:
    now = now or timezone.now()
    reasons = vital_triage(case)
    stroke = bool(case.cpss_face or case.cpss_arm or case.cpss_speech)
    onset_age = now - case.symptom_onset_at if case.symptom_onset_at else None
    elvo = (
        stroke
        and bool(case.elvo_gaze or case.elvo_cortical)
        and (onset_age is None or onset_age <= ELVO_WINDOW)
    )
    return CaseNeeds(
        vital_red=bool(reasons),
        vital_reasons=reasons,
        stroke_positive=stroke,
        elvo_suspected=elvo,
        within_tpa_window=stroke and onset_age is not None and onset_age <= TPA_WINDOW,
        high_energy_trauma=case.trauma_mechanism not in {"", TraumaMechanism.NONE},
    )


@dataclass(frozen=True)
class RankedHospital:
    hospital: HospitalSummary
    score: float
    department_code: str
    status: str
    symbol: str
    distance_km: float | None
    minutes: float | None
    recent_accepted: int
    is_fresh: bool
    reason: str
    already_asked: bool = False


@dataclass(frozen=True)
class _Candidate:
    weight: float
    department_code: str
    status: str
    updated_at: datetime | None
    valid_until: datetime | None
    inferred: bool
    reason: str = ""


def _best_status(
    hospital: HospitalSummary, codes: Iterable[str], category: str, now: datetime
) -> _Candidate | None:
    candidates = []
    for key in [*codes, category]:
        row = hospital.statuses.get(key)
        if row is None:
            if key in hospital.departments:
                candidates.append(_Candidate(STATUS_WEIGHT[""], key, "", None, None, False))
            continue
        stored, stored_reason, updated_at, valid_until, inferred_until, inferred_reason = row
        status, reason, inferred = effective_status(
            status=stored,
            reason=stored_reason,
            valid_until=valid_until,
            inferred_until=inferred_until,
            inferred_reason=inferred_reason,
            now=now,
        )
        code = key if key != category else ""
        candidates.append(
            _Candidate(
                STATUS_WEIGHT[status], code, status, updated_at, valid_until, inferred, reason
            )
        )
    if not candidates:
        return None
    # A category row speaks for the whole hospital: an explicit × on the category wins.
    category_rows = [c for c in candidates if c.department_code == "" and c.status]
    if any(c.status == Acceptance.UNAVAILABLE for c in category_rows):
        return next(c for c in category_rows if c.status == Acceptance.UNAVAILABLE)
    return max(candidates, key=lambda c: c.weight)


def recent_acceptances(now: datetime) -> Counter[int]:
    rows = (
        Inquiry.objects.filter(result=Inquiry.Result.ACCEPTED, answered_at__gte=now - LOAD_WINDOW)
        .values("hospital_id")
        .annotate(n=Count("pk"))
    )
    return Counter({row["hospital_id"]: row["n"] for row in rows})


def rank_hospitals(
    *,
    category: str,
    urgency: str,
    latitude: float | None,
    longitude: float | None,
    now: datetime,
    hospitals: Iterable[HospitalSummary] | None = None,
    load: Counter[int] | None = None,
    asked_hospital_ids: frozenset[int] = frozenset(),
    limit: int | None = None,
    needs: CaseNeeds | None = None,
) -> list[RankedHospital]:
    """Hospitals able to take the patient, best first: capability × travel time × freshness ×
    recent load × capacity; × (not accepting, or diverting ambulances) hospitals come last with
    their reason. The crew's findings (`needs`) can raise the urgency and call for a critical
    care centre (suspected large-vessel stroke, high-energy trauma)."""
    needs = needs or CaseNeeds()
    if needs.vital_red:
        urgency = Urgency.RED
    codes, needs_tertiary = CATEGORY_NEEDS.get(category, (("01",), False))
    needs_tertiary = (needs_tertiary and urgency == Urgency.RED) or needs.needs_critical_care
    load = load if load is not None else recent_acceptances(now)
    hospitals = hospitals if hospitals is not None else ranking_snapshot()
    validity = status_validity()
    ranked = []
    for hospital in hospitals:
        best = _best_status(hospital, codes, category, now)
        if best is None:
            continue
        km = minutes = None
        time_factor = 1.0
        if latitude is not None and longitude is not None:
            km = distance_km(latitude, longitude, hospital.latitude, hospital.longitude)
            minutes = travel_minutes(km)
            time_factor = 1 / (1 + minutes / 15)
        if best.updated_at is not None and best.status not in {Acceptance.STALE, ""}:
            age = max((now - best.updated_at) / validity, 0.0)
            freshness = 1.0 - 0.5 * min(age, 1.0)
        else:
            freshness = 0.5
        accepted = load.get(hospital.pk, 0)
        load_factor = max(1.0 - 0.15 * accepted, 0.4)
        tier_factor = 1.0
        if needs_tertiary:
            stroke_centre = (
                needs.elvo_suspected
                and "14" in hospital.departments
                and hospital.capacities.get(BedType.SCU, 0) > 0
            )
            tier_factor = 1.0 if hospital.tier == Tier.TERTIARY or stroke_centre else 0.35
        elif hospital.tier == Tier.PRIMARY and urgency in {Urgency.RED, Urgency.YELLOW}:
            tier_factor = 0.3
        capacity_factor, capacity_note = _capacity_factor(hospital, urgency)
        diversion = hospital.diversion_at(now)
        diversion_factor = 0.6 if diversion == Diversion.ADVISORY else 1.0
        status, symbol = best.status, STATUS_SYMBOL[best.status]
        if diversion == Diversion.CLOSED:
            status, symbol, diversion_factor = Acceptance.UNAVAILABLE, "×", 0.0
        score = (
            best.weight
            * time_factor
            * freshness
            * load_factor
            * tier_factor
            * capacity_factor
            * diversion_factor
        )
        reason = _reason_line(best, km, minutes, accepted, now, needs_tertiary, hospital)
        extra = [
            *_diversion_note(hospital, diversion),
            *([capacity_note] if capacity_note else []),
            *_needs_note(needs, hospital, needs_tertiary),
        ]
        ranked.append(
            RankedHospital(
                hospital=hospital,
                score=round(score, 4),
                department_code=best.department_code,
                status=status,
                symbol=symbol,
                distance_km=None if km is None else round(km, 1),
                minutes=None if minutes is None else round(minutes),
                recent_accepted=accepted,
                is_fresh=freshness > 0.75,
                reason=" · ".join([*extra[:1], reason, *extra[1:]]) if extra else reason,
                already_asked=hospital.pk in asked_hospital_ids,
            )
        )
    ranked.sort(key=lambda r: (r.status == Acceptance.UNAVAILABLE, -r.score, r.hospital.pk))
    return ranked[:limit] if limit else ranked


def _capacity_factor(hospital: HospitalSummary, urgency: str) -> tuple[float, str]:
    """A hospital that reports no free ER bed (or, for a red patient, no ICU bed) is a poorer
    choice; unreported capacity changes nothing."""
    er = hospital.capacities.get(BedType.ER)
    icu = hospital.capacities.get(BedType.ICU)
    if er == 0:
        return 0.5, _("no free ER bed reported")
    if urgency == Urgency.RED and icu == 0:
        return 0.6, _("no free ICU bed reported")
    if er is not None:
        return 1.0, _("%(count)d free ER beds") % {"count": er}
    return 1.0, ""


def _diversion_note(hospital: HospitalSummary, diversion: str) -> list[str]:
    if diversion == Diversion.CLOSED:
        return [_("diverting ambulances: %(reason)s") % {"reason": hospital.diversion_reason}]
    if diversion == Diversion.ADVISORY:
        return [_("restricted, call first: %(reason)s") % {"reason": hospital.diversion_reason}]
    return []


def _needs_note(needs: CaseNeeds, hospital: HospitalSummary, needs_tertiary: bool) -> list[str]:
    notes = []
    if needs.elvo_suspected and (
        hospital.tier == Tier.TERTIARY
        or ("14" in hospital.departments and hospital.capacities.get(BedType.SCU, 0) > 0)
    ):
        notes.append(_("suspected large-vessel stroke: thrombectomy centre"))
    if needs.high_energy_trauma and hospital.tier == Tier.TERTIARY:
        notes.append(_("high-energy trauma: critical care centre"))
    if needs.vital_red and needs_tertiary and hospital.tier == Tier.TERTIARY:
        notes.append(_("vital signs red (%(signs)s)") % {"signs": ", ".join(needs.vital_reasons)})
    return notes


def _reason_line(
    best: _Candidate,
    km: float | None,
    minutes: float | None,
    accepted: int,
    now: datetime,
    needs_tertiary: bool,
    hospital: HospitalSummary,
) -> str:
    parts = []
    label = department_label(best.department_code) if best.department_code else _("whole hospital")
    state = STATUS_SYMBOL[best.status]
    if best.inferred:
        parts.append(
            _("%(state)s %(department)s (inferred from a recent refusal: %(reason)s)")
            % {"state": state, "department": label, "reason": _reason_label(best.reason)}
        )
    elif best.status == Acceptance.STALE:
        parts.append(_("%(department)s: status expired") % {"department": label})
    elif best.status == "":
        parts.append(_("%(department)s: never reported") % {"department": label})
    elif best.reason:
        parts.append(f"{state} {label} ({_reason_label(best.reason)})")
    else:
        parts.append(f"{state} {label}")
    if km is not None and minutes is not None:
        parts.append(
            _("about %(minutes)d min (%(km).1f km)") % {"minutes": round(minutes), "km": km}
        )
    if best.updated_at is not None and best.status not in {Acceptance.STALE, ""}:
        age = int((now - best.updated_at).total_seconds() // 60)
        parts.append(_("updated %(minutes)d min ago") % {"minutes": age})
    if accepted:
        parts.append(_("%(count)d accepted in the last hour") % {"count": accepted})
    if needs_tertiary and hospital.tier == Tier.TERTIARY:
        parts.append(_("critical care centre"))
    return " · ".join(parts)


# --- board -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    hospital: Hospital
    statuses: list[StatusView]
    freshest: datetime | None
    stale_count: int
    open_requests: int


def board_rows(*, now: datetime) -> list[BoardRow]:
    pending = Counter(
        Inquiry.objects.filter(result=Inquiry.Result.PENDING).values_list("hospital_id", flat=True)
    )
    rows = []
    for hospital in hospitals_with_statuses():
        views = status_views(hospital, now=now)
        stamps = [v.updated_at for v in views if v.updated_at]
        rows.append(
            BoardRow(
                hospital=hospital,
                statuses=views,
                freshest=max(stamps) if stamps else None,
                stale_count=sum(1 for v in views if v.status in {Acceptance.STALE, ""}),
                open_requests=pending.get(hospital.pk, 0),
            )
        )
    return rows


def open_cases() -> QuerySet[Case]:
    return (
        Case.objects.filter(state__in=[Case.State.OPEN, Case.State.DECIDED])
        .select_related("fire_hq", "destination__organisation")
        .annotate(
            inquiry_count=Count("inquiries", filter=~Q(inquiries__result=Inquiry.Result.WITHDRAWN))
        )
        .order_by("-is_difficult", "created_at")
    )


def pending_requests_for(hospital: Hospital) -> QuerySet[Inquiry]:
    return (
        Inquiry.objects.filter(hospital=hospital, result=Inquiry.Result.PENDING, channel="app")
        .select_related("case", "case__fire_hq", "acknowledged_by")
        .order_by("requested_at")
    )


def hospital_devices(hospital: Hospital) -> QuerySet[Any]:
    return hospital.devices.select_related("registered_by").order_by("label", "pk")


def recent_arrivals_for(hospital: Hospital, *, now: datetime) -> QuerySet[Case]:
    return (
        Case.objects.filter(destination=hospital, created_at__gte=now - timedelta(days=3))
        .select_related("fire_hq")
        .order_by("-created_at")[:30]
    )


# --- KPIs --------------------------------------------------------------------------------------

INQUIRY_BANDS = ((1, 1, "1"), (2, 3, "2-3"), (4, 5, "4-5"), (6, 10, "6-10"), (11, 10**6, "11+"))
SCENE_BANDS = (
    (0, 15, "<15"),
    (15, 30, "15-30"),
    (30, 45, "30-45"),
    (45, 60, "45-60"),
    (60, 10**6, "60+"),
)
GROUPINGS = ("fire_hq", "month", "category", "tier")


@dataclass
class KpiRow:
    key: str
    label: str
    cases: int = 0
    inquiry_bands: dict[str, int] = field(default_factory=dict)
    scene_bands: dict[str, int] = field(default_factory=dict)
    four_or_more: int = 0
    scene_thirty_or_more: int = 0
    difficult: int = 0
    call_to_hospital_total: float = 0.0
    call_to_hospital_cases: int = 0

    @property
    def share_four_or_more(self) -> float | None:
        return round(100 * self.four_or_more / self.cases, 1) if self.cases else None

    @property
    def share_scene_thirty(self) -> float | None:
        return round(100 * self.scene_thirty_or_more / self.cases, 1) if self.cases else None

    @property
    def mean_call_to_hospital(self) -> float | None:
        if not self.call_to_hospital_cases:
            return None
        return round(self.call_to_hospital_total / self.call_to_hospital_cases, 1)


def _band(value: float, bands: tuple[tuple[int, int, str], ...], *, upper_inclusive: bool) -> str:
    for low, high, label in bands:
        if low <= value <= high if upper_inclusive else low <= value < high:
            return label
    return bands[-1][2]


def kpi_cases(
    *, start: datetime, end: datetime, fire_hq_ids: Iterable[int] | None = None
) -> QuerySet[Case]:
    """Transported cases (arrived at a hospital) called in [start, end)."""
    queryset = Case.objects.filter(
        called_at__gte=start, called_at__lt=end, arrived_hospital_at__isnull=False
    ).exclude(state=Case.State.CANCELLED)
    if fire_hq_ids is not None:
        queryset = queryset.filter(fire_hq_id__in=list(fire_hq_ids))
    return queryset.select_related("fire_hq", "destination").annotate(
        inquiry_count=Count("inquiries", filter=~Q(inquiries__result=Inquiry.Result.WITHDRAWN))
    )


def compute_kpis(cases: Iterable[Case], *, group_by: str) -> tuple[KpiRow, list[KpiRow]]:
    """(total, rows by group). A case's 照会回数 counts every hospital asked, incl. the one that
    accepted (FDMA); 搬送困難事案 = 照会 ≥ 4 and 現場滞在 ≥ 30 min."""
    if group_by not in GROUPINGS:
        raise ValueError(group_by)
    total = KpiRow("total", _("Total"))
    groups: dict[str, KpiRow] = {}
    tiers = dict(Tier.choices)
    categories = dict(SymptomCategory.choices)
    threshold_inquiries = escalation_inquiries()
    threshold_scene = escalation_scene_minutes()
    for case in cases:
        if group_by == "fire_hq":
            key, label = str(case.fire_hq_id), case.fire_hq.name_ja
        elif group_by == "month":
            month = timezone.localtime(case.called_at) if case.called_at else case.created_at
            key = label = f"{month:%Y-%m}"
        elif group_by == "category":
            key, label = case.category, str(categories.get(case.category, case.category))
        else:
            tier = case.destination.tier if case.destination else ""
            key, label = tier or "none", str(tiers.get(tier, _("Unknown")))
        row = groups.setdefault(key, KpiRow(key, label))
        for target in (total, row):
            _add_case(target, case, threshold_inquiries, threshold_scene)
    return total, sorted(groups.values(), key=lambda r: r.key)


def _add_case(row: KpiRow, case: Case, threshold_inquiries: int, threshold_scene: int) -> None:
    count = int(getattr(case, "inquiry_count", 0)) or 1  # a transport needs at least one ask
    scene = case.on_scene_minutes
    row.cases += 1
    band = _band(count, INQUIRY_BANDS, upper_inclusive=True)
    row.inquiry_bands[band] = row.inquiry_bands.get(band, 0) + 1
    if scene is not None:
        scene_band = _band(scene, SCENE_BANDS, upper_inclusive=False)
        row.scene_bands[scene_band] = row.scene_bands.get(scene_band, 0) + 1
    long_scene = scene is not None and scene >= threshold_scene
    row.four_or_more += count >= threshold_inquiries
    row.scene_thirty_or_more += long_scene
    row.difficult += count >= threshold_inquiries and long_scene
    if (minutes := case.call_to_hospital_minutes) is not None:
        row.call_to_hospital_total += minutes
        row.call_to_hospital_cases += 1


def kpi_csv_rows(total: KpiRow, rows: list[KpiRow], *, group_title: str) -> list[list[str]]:
    """The FDMA survey table shape: one line per group, 照会回数 bands, 現場滞在時間 bands."""
    header = [
        group_title,
        "件数",
        *(f"照会{label}回" for _low, _high, label in INQUIRY_BANDS),
        "照会4回以上",
        "照会4回以上の割合(%)",
        *(f"現場滞在{label}分" for _low, _high, label in SCENE_BANDS),
        "現場滞在30分以上",
        "現場滞在30分以上の割合(%)",
        "搬送困難事案",
        "平均病院収容所要時間(分)",
    ]
    lines = [header]
    for row in [*rows, total]:
        lines.append(
            [
                row.label,
                str(row.cases),
                *(str(row.inquiry_bands.get(label, 0)) for _l, _h, label in INQUIRY_BANDS),
                str(row.four_or_more),
                _fmt(row.share_four_or_more),
                *(str(row.scene_bands.get(label, 0)) for _l, _h, label in SCENE_BANDS),
                str(row.scene_thirty_or_more),
                _fmt(row.share_scene_thirty),
                str(row.difficult),
                _fmt(row.mean_call_to_hospital),
            ]
        )
    return lines


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def count_difficult_cases_this_month(now: datetime | None = None) -> int:
    now = now or timezone.now()
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Case.objects.filter(is_difficult=True, created_at__gte=start).count()


def count_fresh_statuses(now: datetime | None = None) -> tuple[int, int]:
    now = now or timezone.now()
    total = AcceptanceStatus.objects.count()
    fresh = AcceptanceStatus.objects.filter(valid_until__gt=now).count()
    return fresh, total


ESCALATION_HEARTBEAT = "ems-escalation"


def escalation_watcher_health() -> tuple[bool, dict[str, Any]]:
    """For /healthz: the `ems_escalate --loop` heartbeat. Not running is a failure only when
    EMS_ESCALATION_WATCHER_ENABLED says it should run."""
    return watcher_health(
        ESCALATION_HEARTBEAT,
        enabled=bool(getattr(settings, "EMS_ESCALATION_WATCHER_ENABLED", False)),
    )


# --- capacity, disaster mode ---------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityRow:
    hospital: Hospital
    capacities: dict[str, int]
    updated_at: datetime | None
    diversion: str


def capacity_rows(*, now: datetime) -> list[CapacityRow]:
    by_hospital: dict[int, dict[str, int]] = {}
    stamps: dict[int, datetime] = {}
    for hospital_id, bed_type, available, updated_at in BedCapacity.objects.values_list(
        "hospital_id", "bed_type", "available", "updated_at"
    ):
        by_hospital.setdefault(hospital_id, {})[bed_type] = available
        stamps[hospital_id] = max(stamps.get(hospital_id, updated_at), updated_at)
    rows = []
    for hospital in Hospital.objects.select_related("organisation").order_by("tier", "pk"):
        diversion = hospital.diversion
        if (
            diversion != Diversion.NORMAL
            and hospital.diversion_until
            and hospital.diversion_until <= now
        ):
            diversion = Diversion.NORMAL
        rows.append(
            CapacityRow(
                hospital, by_hospital.get(hospital.pk, {}), stamps.get(hospital.pk), diversion
            )
        )
    return rows


@dataclass(frozen=True)
class TierCapacity:
    tier: str
    label: str
    hospitals: int
    diverting: int
    beds: dict[str, int]


def capacity_by_tier(rows: list[CapacityRow]) -> list[TierCapacity]:
    result = []
    for tier, label in Tier.choices:
        members = [r for r in rows if r.hospital.tier == tier]
        beds: dict[str, int] = {}
        for row in members:
            if row.diversion == Diversion.CLOSED:
                continue
            for bed_type, available in row.capacities.items():
                beds[bed_type] = beds.get(bed_type, 0) + available
        result.append(
            TierCapacity(
                tier=tier,
                label=str(label),
                hospitals=len(members),
                diverting=sum(1 for r in members if r.diversion == Diversion.CLOSED),
                beds=beds,
            )
        )
    return result


def hospital_capacities(hospital: Hospital) -> list[tuple[str, str, int | None]]:
    """(bed type, label, available or None when never reported) for every bed type."""
    stored = dict(hospital.capacities.values_list("bed_type", "available"))
    return [(value, str(label), stored.get(value)) for value, label in BedType.choices]


def active_incidents() -> QuerySet[MassCasualtyIncident]:
    return MassCasualtyIncident.objects.filter(ended_at__isnull=True)


LIVING = (Triage.RED, Triage.YELLOW, Triage.GREEN)


@dataclass(frozen=True)
class MciSummary:
    reported: dict[str, int]  # by triage category, START + PAT
    by_method: dict[tuple[str, str], int]
    allocated: dict[str, int]
    unallocated: dict[str, int]  # living categories only
    total: int
    allocations: list[MciAllocation]


def mci_summary(incident: MassCasualtyIncident) -> MciSummary:
    by_method = {
        (category, method): count
        for category, method, count in TriageCount.objects.filter(incident=incident).values_list(
            "category", "method", "count"
        )
    }
    reported: dict[str, int] = {}
    for (category, _method), count in by_method.items():
        reported[category] = reported.get(category, 0) + count
    allocations = list(
        MciAllocation.objects.filter(incident=incident).select_related("hospital__organisation")
    )
    allocated: dict[str, int] = {}
    for allocation in allocations:
        allocated[allocation.category] = allocated.get(allocation.category, 0) + allocation.patients
    return MciSummary(
        reported=reported,
        by_method=by_method,
        allocated=allocated,
        unallocated={c: max(0, reported.get(c, 0) - allocated.get(c, 0)) for c in LIVING},
        total=sum(reported.values()),
        allocations=allocations,
    )


# Which beds a patient of each category uses, in order of preference, and which tiers first.
TRIAGE_BEDS = {
    Triage.RED: ((BedType.ICU, BedType.ER), (Tier.TERTIARY, Tier.SECONDARY)),
    Triage.YELLOW: ((BedType.HCU, BedType.ER), (Tier.SECONDARY, Tier.TERTIARY)),
    Triage.GREEN: ((BedType.ER,), (Tier.PRIMARY, Tier.SECONDARY, Tier.TERTIARY)),
}


def suggest_distribution(
    incident: MassCasualtyIncident, *, now: datetime | None = None
) -> list[tuple[Hospital, str, int]]:
    """A first distribution for the coordinator to check: red to critical care centres by free
    ICU and ER beds, yellow to secondary hospitals by HCU and ER, green to the nearest with ER
    beds; nearer first within a tier, diverting hospitals skipped, no bed counted twice, what
    is already allocated taken off. Patients without a bed in the plan stay unallocated."""
    now = now or timezone.now()
    summary = mci_summary(incident)
    rows = [r for r in capacity_rows(now=now) if r.diversion != Diversion.CLOSED]
    left = {r.hospital.pk: dict(r.capacities) for r in rows}
    for allocation in summary.allocations:
        beds, _tiers = TRIAGE_BEDS[Triage(allocation.category)]
        need = allocation.patients
        pool = left.get(allocation.hospital_id, {})
        for bed in beds:
            used = min(need, pool.get(bed, 0))
            pool[bed] = pool.get(bed, 0) - used
            need -= used

    def distance(row: CapacityRow) -> float:
        if incident.latitude is None or incident.longitude is None:
            return 0.0
        return distance_km(
            incident.latitude, incident.longitude, row.hospital.latitude, row.hospital.longitude
        )

    plan: dict[tuple[int, str], int] = {}
    hospitals = {r.hospital.pk: r.hospital for r in rows}
    for category in LIVING:
        remaining = summary.unallocated.get(category, 0)
        beds, tiers = TRIAGE_BEDS[category]
        order = sorted(
            rows,
            key=lambda r: (
                tiers.index(r.hospital.tier) if r.hospital.tier in tiers else 9,
                distance(r),
            ),
        )
        for row in order:
            if remaining == 0 or row.hospital.tier not in tiers:
                continue
            pool = left[row.hospital.pk]
            for bed in beds:
                take = min(remaining, pool.get(bed, 0))
                if take:
                    pool[bed] -= take
                    remaining -= take
                    key = (row.hospital.pk, category)
                    plan[key] = plan.get(key, 0) + take
    return [(hospitals[pk], category, count) for (pk, category), count in plan.items()]


def allocations_for(hospital: Hospital) -> QuerySet[MciAllocation]:
    return (
        MciAllocation.objects.filter(hospital=hospital, incident__ended_at__isnull=True)
        .select_related("incident")
        .order_by("-allocated_at")
    )


# --- attachments ----------------------------------------------------------------------------------


def can_see_attachments(user: User | AnonymousUser | Any, case: Case) -> bool:
    """The crew's headquarters and the receiving hospital; not the hospitals merely asked, not
    the coordinator's board."""
    if can_operate_case(user, case):
        return True
    return case.destination is not None and can_answer_for(user, case.destination)


def case_attachments(case: Case) -> list[CaseAttachment]:
    return list(case.attachments.order_by("uploaded_at", "pk"))
