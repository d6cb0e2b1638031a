from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.db.models import QuerySet
from django.template import loader
from django.utils.translation import gettext_lazy as _

from kurashi.core.models import Role, User
from kurashi.core.services import queue_email


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
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none(), empty_label=None)

    def __init__(self, *args: Any, roles: QuerySet[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]

    def clean_user(self) -> User:
        identifier = str(self.cleaned_data["user"]).strip()
        lookup: dict[str, Any] = (
            {"email__iexact": identifier} if "@" in identifier else {"username": identifier}
        )
        user = User.objects.filter(is_active=True, **lookup).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this username or e-mail address."))
        return user


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, but the e-mail goes out from the task worker: the page answers at
    once and the same message for known and unknown addresses (no account enumeration)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        queue_email(subject=subject, body=body, to=[to_email])
