from django import forms
from django.utils.translation import gettext_lazy as _

from kurashi.core.models import Organisation
from kurashi.modules.records.models import Consent


class PatientSearchForm(forms.Form):
    kana_name = forms.CharField(
        label=_("Name in kana"),
        max_length=80,
        required=False,
        help_text=_("Full name in katakana or hiragana; spaces are ignored."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class EmergencyForm(forms.Form):
    kana_name = forms.CharField(label=_("Name in kana"), max_length=80)
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    facility = forms.ModelChoiceField(label=_("Acting for"), queryset=Organisation.objects.none())
    reason = forms.CharField(
        label=_("Emergency reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    ems_case_reference = forms.CharField(
        label=_("EMS case number (crews)"), max_length=60, required=False
    )


class ConsentForm(forms.Form):
    scope = forms.ChoiceField(label=_("Scope"), choices=Consent.Scope.choices)
    facilities = forms.ModelMultipleChoiceField(
        label=_("Named facilities"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    form_file = forms.FileField(label=_("Scanned consent form (PDF or image)"), required=False)


class CommentForm(forms.Form):
    to_facility = forms.ModelChoiceField(
        label=_("Disclosing facility"), queryset=Organisation.objects.none()
    )
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class DocumentForm(forms.Form):
    note = forms.CharField(
        label=_("Documented reason (why consent could not be obtained)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
