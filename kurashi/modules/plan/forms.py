from django import forms
from django.utils.translation import gettext_lazy as _

from kurashi.modules.plan.models import MeasureProgress


class ProgressForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=MeasureProgress.Status.choices)
    note_ja = forms.CharField(
        label=_("Progress note (Japanese)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )
    note_en = forms.CharField(
        label=_("Progress note (English)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )
