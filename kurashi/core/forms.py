from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kurashi.core.models import Role, User


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username or e-mail address"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits shown in your authenticator app.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "maxlength": "6",
            }
        ),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


class AddMemberForm(forms.Form):
    user = forms.CharField(label=_("Username or e-mail address of the person"), max_length=254)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.all(), empty_label=None)

    def clean_user(self) -> User:
        identifier = str(self.cleaned_data["user"]).strip()
        lookup: dict[str, Any] = (
            {"email__iexact": identifier} if "@" in identifier else {"username": identifier}
        )
        user = User.objects.filter(is_active=True, **lookup).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this username or e-mail address."))
        return user
