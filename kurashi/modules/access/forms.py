"""Forms of the access module (labels and errors in Japanese first, English at /en/)."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kurashi.modules.access import media
from kurashi.modules.access.models import Mode, Text119Call
from kurashi.modules.access.selectors import municipality_choices

# The values of the ems module's choices used when a dispatcher opens an EMS case (the ems
# service validates them again).
EMS_CATEGORIES = (
    ("general", _("Other illness (その他の急病)")),
    ("cardiac_arrest", _("Cardiac arrest (CPA)")),
    ("stroke", _("Suspected stroke (脳卒中疑い)")),
    ("respiratory", _("Breathing difficulty (呼吸困難)")),
    ("trauma", _("Injury (外傷)")),
    ("burn", _("Burn (熱傷)")),
)
EMS_AGE_GROUPS = (
    ("adult", _("Adult (成人)")),
    ("elderly", _("Elderly (高齢者)")),
    ("youth", _("Youth (少年)")),
    ("infant", _("Infant (乳幼児)")),
    ("newborn", _("Newborn (新生児)")),
)
EMS_SEXES = (("unknown", _("Unknown")), ("female", _("Female")), ("male", _("Male")))
EMS_URGENCIES = (
    ("red", _("Red: emergency (緊急)")),
    ("yellow", _("Yellow: urgent (準緊急)")),
    ("green", _("Green: less urgent (低緊急)")),
)


class MunicipalityChoiceField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=(), **kwargs)

    def prepare(self) -> None:
        self.choices = [("", "—"), *municipality_choices()]


class MunicipalityFormMixin:
    fields: dict[str, forms.Field]

    def prepare_municipalities(self) -> None:
        for field in self.fields.values():
            if isinstance(field, MunicipalityChoiceField):
                field.prepare()


class ProfileForm(MunicipalityFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    full_name_kana = forms.CharField(label=_("Full name (kana)"), max_length=100, required=False)
    municipality_code = MunicipalityChoiceField(label=_("Municipality"))
    address = forms.CharField(label=_("Address"), max_length=200)
    hearing = forms.CharField(
        label=_("Hearing / speech (e.g. deaf, cannot speak)"), max_length=100, required=False
    )
    medical_notes = forms.CharField(
        label=_("Medical notes (illnesses, medicines, allergies)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Stored encrypted; shown only to the fire headquarters during your call."),
    )
    shares_medical_notes = forms.BooleanField(
        label=_(
            "When an ambulance comes, the fire headquarters may pass my medical notes on to the "
            "ambulance crew and the receiving hospital"
        ),
        required=False,
        help_text=_(
            "Without this, only your address, position and how to communicate are passed on."
        ),
    )
    contacts = forms.CharField(
        label=_("Emergency contacts (name, relation, e-mail or fax)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepare_municipalities()


class CallForm(MunicipalityFormMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=Text119Call.Kind.choices, widget=forms.HiddenInput, required=False
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, widget=forms.HiddenInput)
    gps_municipality = forms.CharField(required=False, widget=forms.HiddenInput)
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    municipality_code = MunicipalityChoiceField(
        label=_("Municipality where you are"), required=False
    )
    address_note = forms.CharField(
        label=_("Where you are (address, landmark)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepare_municipalities()


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=1000)
    client_key = forms.CharField(required=False, max_length=64)


class EmsCaseForm(forms.Form):
    category = forms.ChoiceField(label=_("Symptom category"), choices=EMS_CATEGORIES)
    age_group = forms.ChoiceField(label=_("Age group"), choices=EMS_AGE_GROUPS)
    sex = forms.ChoiceField(label=_("Sex"), choices=EMS_SEXES)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=EMS_URGENCIES)


class CaptionSessionForm(forms.Form):
    title = forms.CharField(label=_("Session title"), max_length=200)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    team = forms.CharField(
        label=_("Other captioners of the team (user names, comma separated)"),
        max_length=300,
        required=False,
    )


class CorrectionForm(forms.Form):
    target = forms.IntegerField(label=_("Line number"), min_value=1)
    body = forms.CharField(label=_("Corrected text"), max_length=1000)
    client_key = forms.CharField(required=False, max_length=64)


class RelayForm(forms.Form):
    counterpart_name = forms.CharField(
        label=_("Who do you want to talk to? (office, clinic…)"), max_length=120
    )
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)
    wants_operator = forms.BooleanField(label=_("Ask a relay operator to join"), required=False)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class SupportRequestForm(MunicipalityFormMixin, forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Start"), widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        label=_("End"), widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    mode = forms.ChoiceField(
        label=_("Kind of support"), choices=Mode.choices, widget=forms.RadioSelect
    )
    is_online = forms.BooleanField(label=_("Online"), required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    municipality_code = MunicipalityChoiceField(label=_("Municipality"))
    purpose = forms.CharField(
        label=_("Purpose (e.g. hospital visit, school meeting)"), max_length=200
    )
    people = forms.IntegerField(label=_("Number of users"), min_value=1, max_value=500, initial=1)
    interpreters_needed = forms.IntegerField(
        label=_("Interpreters needed"), min_value=1, max_value=10, initial=1
    )
    on_behalf_of = forms.CharField(
        label=_("Organisation (if on behalf of someone)"), max_length=120, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepare_municipalities()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value is not None and timezone.is_naive(value):
                data[name] = timezone.make_aware(value)
        return data


class VideoNoticeForm(forms.Form):
    title = forms.CharField(label=_("Notice title"), max_length=200)
    text = forms.CharField(
        label=_("Full text of the notice"), widget=forms.Textarea(attrs={"rows": 5})
    )
    video = forms.FileField(
        label=_("Sign-language video (MP4 or WebM)"),
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/webm"}),
    )
    captions = forms.FileField(
        label=_("Captions (WebVTT)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".vtt,text/vtt"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["video"].help_text = _(
            "MP4 (H.264 or AV1) or WebM (VP8, VP9 or AV1), at most %(mb)d MB and %(minutes)d "
            "minutes. Another publisher reviews it before it is public."
        ) % {"mb": media.max_bytes() // (1024 * 1024), "minutes": media.max_seconds() // 60}


class VideoReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("publish", _("Publish")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the uploader (required to reject)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
