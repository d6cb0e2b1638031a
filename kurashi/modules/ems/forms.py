"""Forms of the ems pages: selection first (radio buttons and big buttons), numbers only where
a measurement is needed, and every choice list from the module's enumerations."""

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kurashi.modules.ems.models import (
    Acceptance,
    AgeGroup,
    BedType,
    CaseAttachment,
    Diversion,
    Inquiry,
    Jcs,
    RefusalReason,
    Severity,
    Sex,
    SymptomCategory,
    TraumaMechanism,
    Triage,
    TriageCount,
    Urgency,
)
from kurashi.modules.ems.selectors import GROUPINGS, max_parallel_requests
from kurashi.modules.ems.services import TIMELINE_FIELDS, CaseInput

CLIENT_KEY = forms.RegexField(
    regex=r"^[A-Za-z0-9_-]{8,64}$", error_messages={"invalid": _("Invalid request key.")}
)
REASON_CHOICES = [("", _("Choose a reason")), *RefusalReason.choices]
# How far a queued tap may lie in the past (offline in a dead zone) or ahead (clock skew).
MAX_QUEUED_AGE = timedelta(hours=24)
MAX_CLOCK_SKEW = timedelta(minutes=2)


class ClientTimeField(forms.DateTimeField):
    """The moment of the tap, sent by the tablet so a queued tap keeps its real time."""

    def clean(self, value: Any) -> datetime | None:
        result: datetime | None = super().clean(value)
        if result is None:
            return None
        if timezone.is_naive(result):
            result = timezone.make_aware(result)
        now = timezone.now()
        if result > now + MAX_CLOCK_SKEW or result < now - MAX_QUEUED_AGE:
            raise ValidationError(_("The time of the tap is not plausible."))
        return result


class CaseForm(forms.Form):
    client_key = CLIENT_KEY
    category = forms.ChoiceField(
        label=_("Symptom category"), choices=SymptomCategory.choices, widget=forms.RadioSelect
    )
    urgency = forms.ChoiceField(
        label=_("Urgency (緊急度)"), choices=Urgency.choices, widget=forms.RadioSelect
    )
    age_group = forms.ChoiceField(
        label=_("Age group"), choices=AgeGroup.choices, widget=forms.RadioSelect
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect, initial=Sex.UNKNOWN
    )
    jcs = forms.ChoiceField(
        label=_("JCS"),
        choices=[("", _("Not assessed")), *Jcs.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    gcs_eye = forms.TypedChoiceField(
        label=_("GCS E"),
        choices=[("", "–"), *((i, i) for i in range(1, 5))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    gcs_verbal = forms.TypedChoiceField(
        label=_("GCS V"),
        choices=[("", "–"), *((i, i) for i in range(1, 6))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    gcs_motor = forms.TypedChoiceField(
        label=_("GCS M"),
        choices=[("", "–"), *((i, i) for i in range(1, 7))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    heart_rate = forms.IntegerField(
        label=_("Heart rate (/min)"), min_value=0, max_value=300, required=False
    )
    systolic_bp = forms.IntegerField(
        label=_("Systolic BP (mmHg)"), min_value=0, max_value=300, required=False
    )
    diastolic_bp = forms.IntegerField(
        label=_("Diastolic BP (mmHg)"), min_value=0, max_value=250, required=False
    )
    respiratory_rate = forms.IntegerField(
        label=_("Breaths (/min)"), min_value=0, max_value=80, required=False
    )
    spo2 = forms.IntegerField(label=_("SpO2 (%)"), min_value=0, max_value=100, required=False)
    temperature = forms.DecimalField(
        label=_("Temperature (°C)"),
        min_value=25,
        max_value=45,
        max_digits=3,
        decimal_places=1,
        required=False,
    )
    summary = forms.CharField(
        label=_("Short summary (no names)"),
        max_length=200,
        required=False,
    )
    latitude = forms.FloatField(
        min_value=20, max_value=46, required=False, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        min_value=122, max_value=154, required=False, widget=forms.HiddenInput
    )
    ambulance = forms.TypedChoiceField(
        label=_("Ambulance"), coerce=int, empty_value=None, required=False
    )
    called_at = ClientTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ambulances: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ambulance"].choices = [("", _("Not set")), *ambulances]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_("The position is incomplete."))
        return data

    def case_input(self) -> CaseInput:
        data = self.cleaned_data
        return CaseInput(
            category=data["category"],
            age_group=data["age_group"],
            sex=data["sex"],
            urgency=data["urgency"],
            jcs=data["jcs"] or "",
            gcs_eye=data["gcs_eye"],
            gcs_verbal=data["gcs_verbal"],
            gcs_motor=data["gcs_motor"],
            heart_rate=data["heart_rate"],
            systolic_bp=data["systolic_bp"],
            diastolic_bp=data["diastolic_bp"],
            respiratory_rate=data["respiratory_rate"],
            spo2=data["spo2"],
            temperature=data["temperature"],
            summary=data["summary"],
        )


class TimelineForm(forms.Form):
    event = forms.ChoiceField(choices=[(key, key) for key in TIMELINE_FIELDS])
    at = ClientTimeField(required=False)


class InquiryForm(forms.Form):
    client_key = CLIENT_KEY
    hospital = forms.IntegerField(min_value=1)
    department_code = forms.CharField(max_length=3, required=False)
    channel = forms.ChoiceField(
        choices=[
            (Inquiry.Channel.PHONE, Inquiry.Channel.PHONE.label),
            (Inquiry.Channel.HOTLINE, Inquiry.Channel.HOTLINE.label),
        ],
        initial=Inquiry.Channel.PHONE,
    )
    result = forms.ChoiceField(
        choices=[
            (Inquiry.Result.ACCEPTED, Inquiry.Result.ACCEPTED.label),
            (Inquiry.Result.REFUSED, Inquiry.Result.REFUSED.label),
            (Inquiry.Result.CALLBACK, Inquiry.Result.CALLBACK.label),
        ]
    )
    refusal_reason = forms.ChoiceField(choices=REASON_CHOICES, required=False, label=_("Reason"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("result") == Inquiry.Result.REFUSED and not data.get("refusal_reason"):
            raise ValidationError(_("Choose the reason for the refusal."))
        return data


class ParallelRequestForm(forms.Form):
    client_key = CLIENT_KEY
    targets = forms.MultipleChoiceField(label=_("Hospitals to ask"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = choices  # type: ignore[attr-defined]

    def clean_targets(self) -> list[tuple[int, str]]:
        values: list[str] = self.cleaned_data["targets"]
        if len(values) > max_parallel_requests():
            raise ValidationError(
                _("Ask at most %(count)d hospitals at once.") % {"count": max_parallel_requests()}
            )
        parsed = []
        for value in values:
            hospital_id, _sep, code = value.partition(":")
            parsed.append((int(hospital_id), code))
        return parsed


class StatusForm(forms.Form):
    key = forms.CharField(max_length=20)
    status = forms.ChoiceField(
        choices=[(v, label) for v, label in Acceptance.choices if v != Acceptance.STALE]
    )
    reason = forms.ChoiceField(choices=REASON_CHOICES, required=False, label=_("Reason"))
    note = forms.CharField(max_length=200, required=False, label=_("Note"))


class AnswerForm(forms.Form):
    inquiry = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
    refusal_reason = forms.ChoiceField(choices=REASON_CHOICES, required=False, label=_("Reason"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "decline" and not data.get("refusal_reason"):
            raise ValidationError(_("Choose the reason for declining."))
        return data


class IncidentForm(forms.Form):
    name = forms.CharField(label=_("Incident name"), max_length=120)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=20, max_value=46)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=122, max_value=154)


class TriageForm(forms.Form):
    category = forms.ChoiceField(choices=Triage.choices)
    method = forms.ChoiceField(choices=TriageCount.Method.choices, required=False)
    delta = forms.IntegerField(required=False, min_value=-1, max_value=1)
    value = forms.IntegerField(required=False, min_value=0, max_value=999)

    def clean_method(self) -> str:
        return self.cleaned_data.get("method") or TriageCount.Method.START


class CapacityForm(forms.Form):
    bed_type = forms.ChoiceField(choices=BedType.choices)
    delta = forms.IntegerField(required=False, min_value=-1, max_value=1)
    value = forms.IntegerField(required=False, min_value=0, max_value=999)


class DiversionForm(forms.Form):
    status = forms.ChoiceField(choices=Diversion.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    hours = forms.FloatField(
        label=_("For how many hours"), required=False, min_value=0.25, max_value=72
    )


THREE_STATE = forms.RadioSelect(
    choices=[("unknown", _("Not checked")), ("true", _("Yes")), ("false", _("No"))]
)


class FindingsForm(forms.Form):
    """Stroke scale and trauma mechanism: three-state answers (yes / no / not checked)."""

    symptom_onset_at = forms.DateTimeField(
        label=_("Onset / last known well"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    cpss_face = forms.NullBooleanField(label=_("Facial droop"), required=False, widget=THREE_STATE)
    cpss_arm = forms.NullBooleanField(label=_("Arm drift"), required=False, widget=THREE_STATE)
    cpss_speech = forms.NullBooleanField(
        label=_("Abnormal speech"), required=False, widget=THREE_STATE
    )
    elvo_gaze = forms.NullBooleanField(
        label=_("Gaze deviation"), required=False, widget=THREE_STATE
    )
    elvo_cortical = forms.NullBooleanField(
        label=_("Aphasia or neglect"), required=False, widget=THREE_STATE
    )

    @staticmethod
    def initial_for(value: bool | None) -> str:
        if value is None:
            return "unknown"
        return "true" if value else "false"

    trauma_mechanism = forms.ChoiceField(
        label=_("Trauma mechanism"), choices=TraumaMechanism.choices, required=False
    )


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=CaseAttachment.Kind.choices)
    file = forms.FileField(
        label=_("Photo (JPEG, PNG) or ECG (PDF), at most 10 MB"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,application/pdf", "capture": "environment"}
        ),
    )


class DeviceForm(forms.Form):
    """A browser's push subscription (PushSubscription.toJSON()) and a name for the device."""

    endpoint = forms.URLField(max_length=1000)
    p256dh = forms.CharField(max_length=200)
    auth = forms.CharField(max_length=100)
    label = forms.CharField(label=_("Device name"), max_length=80, required=False)


class OutcomeForm(forms.Form):
    case = forms.UUIDField()
    severity = forms.ChoiceField(label=_("Severity at first examination"), choices=Severity.choices)
    diagnosis = forms.CharField(label=_("Diagnosis"), max_length=200, required=False)


class KpiFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("Until (exclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    group_by = forms.ChoiceField(
        label=_("Group by"),
        choices=[
            ("fire_hq", _("Fire headquarters")),
            ("month", _("Month")),
            ("category", _("Symptom category")),
            ("tier", _("Hospital tier")),
        ],
        initial="fire_hq",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("group_by") not in GROUPINGS:
            raise ValidationError(_("Unknown grouping."))
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end <= start:
                raise ValidationError(_("The end must be after the start."))
            if (end - start).days > 731:
                raise ValidationError(_("Choose at most two years."))
        return data
