"""Django forms of the staff pages (the builder, settings, cases). Each turns into the plain
dicts of forms.definition that the services validate."""

from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from kurashi.modules.forms.definition import KEY_PATTERN, FieldType

key_validator = RegexValidator(
    KEY_PATTERN, _("Use lower-case letters, digits and _ (start with a letter, at most 40).")
)

FIELD_TYPE_CHOICES = [
    (FieldType.TEXT, _("Short text")),
    (FieldType.TEXTAREA, _("Long text")),
    (FieldType.NAME, _("Name (姓・名) with reading (フリガナ)")),
    (FieldType.ADDRESS, _("Address from the postal code (郵便番号)")),
    (FieldType.EMAIL, _("E-mail address")),
    (FieldType.PHONE, _("Telephone number")),
    (FieldType.DATE, _("Date (和暦 or 西暦)")),
    (FieldType.NUMBER, _("Whole number")),
    (FieldType.CORPORATE_NUMBER, _("Corporate number (法人番号)")),
    (FieldType.CHOICE, _("One choice (radio buttons)")),
    (FieldType.SELECT, _("One choice (drop-down list)")),
    (FieldType.MULTI_CHOICE, _("Several choices (check boxes)")),
    (FieldType.CONSENT, _("Consent (one check box)")),
    (FieldType.FILE, _("File (PDF, JPEG, PNG)")),
    (FieldType.APPOINTMENT, _("Consultation time (booking)")),
    (FieldType.GROUP, _("Repeating group")),
]
OPERATOR_CHOICES = [
    ("equals", _("is")),
    ("not_equals", _("is not")),
    ("includes", _("includes")),
    ("is_filled", _("is answered")),
    ("is_empty", _("is not answered")),
]


class NewFormForm(forms.Form):
    tenant_code = forms.ChoiceField(label=_("Owner"))
    slug = forms.SlugField(label=_("Identifier (in the address)"), max_length=60)
    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)

    def __init__(self, *args: Any, tenants: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tenant_code"]).choices = tenants


class PageForm(forms.Form):
    key = forms.CharField(label=_("Page key"), max_length=40, validators=[key_validator])
    title_ja = forms.CharField(label=_("Page title (Japanese)"), max_length=200)
    title_en = forms.CharField(label=_("Page title (English)"), max_length=200, required=False)


def _text(ja: str, en: str) -> dict[str, str] | None:
    return {"ja": ja, "en": en} if ja else None


class ConditionMixin(forms.Form):
    condition_field = forms.ChoiceField(label=_("Show only when the question"), required=False)
    condition_operator = forms.ChoiceField(
        label=_("Condition"), choices=OPERATOR_CHOICES, required=False
    )
    condition_value = forms.CharField(
        label=_("Value (the option's value)"), max_length=40, required=False
    )

    def conditions(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        if not data.get("condition_field"):
            return []
        return [
            {
                "field": data["condition_field"],
                "operator": data.get("condition_operator") or "equals",
                "value": data.get("condition_value", ""),
            }
        ]


class PageConditionForm(ConditionMixin):
    title_ja = forms.CharField(label=_("Page title (Japanese)"), max_length=200)
    title_en = forms.CharField(label=_("Page title (English)"), max_length=200, required=False)


class FieldForm(ConditionMixin):
    key = forms.CharField(label=_("Question key"), max_length=40, validators=[key_validator])
    type = forms.ChoiceField(label=_("Type"), choices=FIELD_TYPE_CHOICES)
    label_ja = forms.CharField(label=_("Question (Japanese)"), max_length=500)
    label_en = forms.CharField(label=_("Question (English)"), max_length=500, required=False)
    help_ja = forms.CharField(label=_("Help text (Japanese)"), max_length=1000, required=False)
    help_en = forms.CharField(label=_("Help text (English)"), max_length=1000, required=False)
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    options = forms.CharField(
        label=_("Options, one per line: value|日本語|English"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    max_length = forms.IntegerField(
        label=_("Maximum length (characters)"), min_value=1, max_value=10000, initial=200
    )
    min_items = forms.IntegerField(
        label=_("Repeating group: at least"), min_value=0, max_value=50, initial=0, required=False
    )
    max_items = forms.IntegerField(
        label=_("Repeating group: at most"), min_value=1, max_value=50, initial=5, required=False
    )
    max_megabytes = forms.IntegerField(
        label=_("Largest file (MB)"), min_value=1, max_value=20, initial=5, required=False
    )
    page_key = forms.ChoiceField(label=_("Page"), required=False)
    group_key = forms.ChoiceField(label=_("Inside the repeating group"), required=False)

    def __init__(
        self,
        *args: Any,
        pages: list[tuple[str, str]],
        questions: list[tuple[str, str]],
        groups: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["page_key"]).choices = pages
        cast(forms.ChoiceField, self.fields["condition_field"]).choices = [("", "—"), *questions]
        cast(forms.ChoiceField, self.fields["group_key"]).choices = [("", "—"), *groups]

    def clean_options(self) -> list[dict[str, Any]]:
        options = []
        for number, line in enumerate(self.cleaned_data.get("options", "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError(
                    _("Line %(number)d: write value|日本語|English.") % {"number": number}
                )
            options.append(
                {
                    "value": parts[0],
                    "label": {"ja": parts[1], "en": parts[2] if len(parts) > 2 else ""},
                }
            )
        return options

    def field_spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        spec: dict[str, Any] = {
            "key": data["key"],
            "type": data["type"],
            "label": {"ja": data["label_ja"], "en": data.get("label_en", "")},
            "required": bool(data.get("required")),
            "options": data.get("options") or [],
            "show_if": self.conditions(),
            "max_length": data.get("max_length") or 200,
        }
        if help_text := _text(data.get("help_ja", ""), data.get("help_en", "")):
            spec["help"] = help_text
        if data["type"] == FieldType.GROUP:
            spec["min_items"] = data.get("min_items") or 0
            spec["max_items"] = data.get("max_items") or 5
        if data["type"] == FieldType.FILE and data.get("max_megabytes"):
            spec["max_bytes"] = data["max_megabytes"] * 1024 * 1024
        return spec


IDENTITY_CHOICES = [
    ("none", _("None")),
    ("email", _("Confirmed e-mail address")),
    ("gbizid", "GビズID"),
    ("digital_auth", _("デジタル認証アプリ (My Number Card)")),
]


class SettingsForm(forms.Form):
    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    description_ja = forms.CharField(
        label=_("Description (Japanese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    identity_level = forms.ChoiceField(label=_("Minimum identity level"), choices=IDENTITY_CHOICES)
    fee_yen = forms.IntegerField(
        label=_("Fee (yen; empty for none)"), min_value=1, max_value=10_000_000, required=False
    )
    fee_label_ja = forms.CharField(label=_("Fee name (Japanese)"), max_length=200, required=False)
    fee_label_en = forms.CharField(label=_("Fee name (English)"), max_length=200, required=False)
    unpaid_expiry_days = forms.IntegerField(
        label=_("Unpaid applications expire after (days)"), min_value=1, max_value=365, initial=14
    )
    retention_years = forms.TypedChoiceField(
        label=_("Keep completed cases (years)"),
        choices=[(1, 1), (3, 3), (5, 5), (10, 10), (30, 30)],
        coerce=int,
        initial=5,
    )
    draft_days = forms.IntegerField(
        label=_("Keep unfinished drafts (days)"), min_value=1, max_value=365, initial=30
    )
    retention_method = forms.ChoiceField(
        label=_("After that"), choices=[("delete", _("Delete")), ("anonymise", _("Anonymise"))]
    )
    sla_days = forms.IntegerField(
        label=_("Processing time target (days)"), min_value=1, max_value=365, initial=14
    )
    two_person_approval = forms.BooleanField(
        label=_("Decisions need a second person's approval"), required=False
    )
    issue_decision_document = forms.BooleanField(
        label=_("Issue a decision notice (PDF)"), required=False, initial=True
    )
    department_ja = forms.CharField(
        label=_("Department (Japanese)"), max_length=200, required=False
    )
    department_en = forms.CharField(label=_("Department (English)"), max_length=200, required=False)
    registration = forms.CharField(
        label=_("Back-office registration, one per line: csv | webhook https://… | email office@…"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    resume_days = forms.IntegerField(
        label=_("Save-and-resume links are valid (days)"), min_value=1, max_value=60, initial=7
    )

    def clean_registration(self) -> list[dict[str, str]]:
        targets = []
        for number, line in enumerate(
            self.cleaned_data.get("registration", "").splitlines(), start=1
        ):
            parts = line.split()
            if not parts:
                continue
            kind = parts[0].lower()
            if kind == "csv":
                targets.append({"kind": "csv"})
            elif kind == "webhook" and len(parts) == 2:
                targets.append({"kind": "webhook", "url": parts[1]})
            elif kind == "email" and len(parts) == 2:
                targets.append({"kind": "email", "email": parts[1]})
            else:
                raise forms.ValidationError(
                    _("Line %(number)d: write csv, webhook URL or email address.")
                    % {"number": number}
                )
        return targets

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fee_yen") and not data.get("fee_label_ja"):
            self.add_error("fee_label_ja", _("Name the fee."))
        return data

    def settings_dict(self) -> dict[str, Any]:
        data = self.cleaned_data
        settings: dict[str, Any] = {
            "title": {"ja": data["title_ja"], "en": data.get("title_en", "")},
            "identity_level": data["identity_level"],
            "retention": {
                "years": data["retention_years"],
                "draft_days": data["draft_days"],
                "method": data["retention_method"],
            },
            "case": {
                "sla_days": data["sla_days"],
                "two_person_approval": bool(data.get("two_person_approval")),
                "issue_decision_document": bool(data.get("issue_decision_document")),
            },
            "registration": data.get("registration") or [],
            "resume_days": data["resume_days"],
            "theme": {
                "department": _text(data.get("department_ja", ""), data.get("department_en", ""))
            },
        }
        if description := _text(data.get("description_ja", ""), data.get("description_en", "")):
            settings["description"] = description
        if data.get("fee_yen"):
            settings["fee"] = {
                "amount_yen": data["fee_yen"],
                "label": {"ja": data["fee_label_ja"], "en": data.get("fee_label_en", "")},
                "unpaid_expiry_days": data["unpaid_expiry_days"],
            }
        return settings

    @staticmethod
    def initial_from(settings: dict[str, Any]) -> dict[str, Any]:
        fee = settings.get("fee") or {}
        retention = settings.get("retention") or {}
        case = settings.get("case") or {}
        department = (settings.get("theme") or {}).get("department") or {}
        description = settings.get("description") or {}
        return {
            "title_ja": settings["title"]["ja"],
            "title_en": settings["title"].get("en", ""),
            "description_ja": description.get("ja", ""),
            "description_en": description.get("en", ""),
            "identity_level": settings.get("identity_level", "none"),
            "fee_yen": fee.get("amount_yen"),
            "fee_label_ja": (fee.get("label") or {}).get("ja", ""),
            "fee_label_en": (fee.get("label") or {}).get("en", ""),
            "unpaid_expiry_days": fee.get("unpaid_expiry_days", 14),
            "retention_years": retention.get("years", 5),
            "draft_days": retention.get("draft_days", 30),
            "retention_method": retention.get("method", "delete"),
            "sla_days": case.get("sla_days", 14),
            "two_person_approval": case.get("two_person_approval", False),
            "issue_decision_document": case.get("issue_decision_document", True),
            "department_ja": department.get("ja", ""),
            "department_en": department.get("en", ""),
            "registration": "\n".join(
                " ".join(v for v in (t["kind"], t.get("url", ""), t.get("email", "")) if v)
                for t in settings.get("registration") or []
            ),
            "resume_days": settings.get("resume_days", 7),
        }


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"))
    message = forms.CharField(
        label=_("Message to the applicant"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
