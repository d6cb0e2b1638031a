"""The subscription form (works without JavaScript; push fields are filled by push.js)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kurashi.core.models import Municipality
from kurashi.modules.notify.models import HAZARDS, LANGUAGES
from kurashi.modules.notify.services.subscriptions import Choices, Point

LEVEL_CHOICES = [
    (1, _("Level 1 and above (all information)")),
    (2, _("Level 2 and above")),
    (3, _("Level 3 and above (elderly evacuate)")),
    (4, _("Level 4 and above (everyone evacuates)")),
    (5, _("Level 5 only (emergency safety measures)")),
]
CHANNEL_CHOICES = [("email", _("E-mail")), ("webpush", _("Browser notification (this device)"))]


class SubscriptionForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), required=False)
    language = forms.ChoiceField(label=_("Language of the messages"), choices=LANGUAGES)
    municipalities = forms.MultipleChoiceField(
        label=_("Municipalities"), required=False, widget=forms.CheckboxSelectMultiple
    )
    point_lat = forms.FloatField(label=_("Latitude of a place (e.g. home)"), required=False)
    point_lon = forms.FloatField(label=_("Longitude of that place"), required=False)
    point_radius = forms.IntegerField(
        label=_("Radius around it in metres"), required=False, min_value=100, max_value=20000
    )
    hazards = forms.MultipleChoiceField(
        label=_("Hazards"), choices=HAZARDS, widget=forms.CheckboxSelectMultiple
    )
    min_level = forms.TypedChoiceField(
        label=_("Minimum level"), choices=LEVEL_CHOICES, coerce=int, initial=3
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=CHANNEL_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    quiet_start = forms.TimeField(label=_("Quiet hours from (HH:MM)"), required=False)
    quiet_end = forms.TimeField(label=_("Quiet hours until (HH:MM)"), required=False)
    push_endpoint = forms.URLField(required=False, widget=forms.HiddenInput, max_length=1000)
    push_p256dh = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    push_auth = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, english: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipalities"].choices = [  # type: ignore[attr-defined]
            (m.code, m.name_en if english else m.name_ja)
            for m in Municipality.objects.order_by("code")
        ]
        if not self.is_bound:
            self.fields["hazards"].initial = [key for key, _label in HAZARDS]
            self.fields["channels"].initial = ["email"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        point = [data.get("point_lat"), data.get("point_lon"), data.get("point_radius")]
        if any(value is not None for value in point) and not all(
            value is not None for value in point
        ):
            self.add_error("point_radius", _("Give latitude, longitude and radius together."))
        return data

    def choices(self) -> Choices:
        data = self.cleaned_data
        points: tuple[Point, ...] = ()
        if data.get("point_radius") is not None and data.get("point_lat") is not None:
            points = (
                Point(
                    lat=float(data["point_lat"]),
                    lon=float(data["point_lon"]),
                    radius_m=int(data["point_radius"]),
                ),
            )
        return Choices(
            language=data["language"],
            municipality_codes=tuple(data.get("municipalities") or ()),
            points=points,
            hazards=tuple(data["hazards"]),
            min_level=int(data["min_level"]),
            channels=tuple(data["channels"]),
            quiet_start=data.get("quiet_start"),
            quiet_end=data.get("quiet_end"),
        )

    def push(self) -> dict[str, str] | None:
        data = self.cleaned_data
        if not data.get("push_endpoint"):
            return None
        return {
            "endpoint": data["push_endpoint"],
            "p256dh": data.get("push_p256dh", ""),
            "auth": data.get("push_auth", ""),
        }
