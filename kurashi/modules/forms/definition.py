"""What a form version is made of, as validated data: pages → sections → fields (a repeating
group is a field with child fields), conditions, and every setting (identity level, fee,
retention, case workflow, registration, theme). A published version stores both as JSON and never
changes; restoring a version copies both, so every setting comes back (Open Forms #6431).
"""

import re
from enum import StrEnum
from typing import Any, Literal, Self

from django.utils.translation import get_language
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


class Text(BaseModel):
    """A text in Japanese (required) and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ja: str = Field(min_length=1, max_length=2000)
    en: str = Field(default="", max_length=2000)

    def __str__(self) -> str:
        if (get_language() or "ja").startswith("en") and self.en:
            return self.en
        return self.ja


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    NUMBER = "number"
    DATE = "date"  # 和暦 or 西暦 input, stored ISO
    PHONE = "phone"
    NAME = "name"  # 氏名 (姓/名) + フリガナ (全角カナ)
    ADDRESS = "address"  # 郵便番号 → address from the postal table, then 番地以下
    CORPORATE_NUMBER = "corporate_number"  # 法人番号 with check digit
    CHOICE = "choice"  # radio buttons
    MULTI_CHOICE = "multi_choice"  # check boxes
    SELECT = "select"
    CONSENT = "consent"  # one check box that must be ticked when required
    FILE = "file"
    APPOINTMENT = "appointment"  # a consultation slot of the form's tenant
    GROUP = "group"  # a repeating group of child fields


# 個人番号 needs the mynumber module (encrypted store, audit, purpose); refused until it exists.
UNAVAILABLE_TYPES = {
    "my_number": "個人番号 fields need the mynumber module, which does not exist yet."
}
CHOICE_TYPES = {FieldType.CHOICE, FieldType.MULTI_CHOICE, FieldType.SELECT}
FILE_KINDS = {
    "pdf": ("application/pdf", ".pdf"),
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
}


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,40}$")
    label: Text


class Condition(BaseModel):
    """Show an element only when a field (on an earlier page, or earlier on the same page) has
    this value. `equals`/`not_equals` compare a choice value; `includes` a multi-choice value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(pattern=KEY_PATTERN)
    operator: Literal["equals", "not_equals", "includes", "is_filled", "is_empty"] = "equals"
    value: str = ""


class FormField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    type: FieldType
    label: Text
    help: Text | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    show_if: tuple[Condition, ...] = ()
    max_length: int = Field(default=200, ge=1, le=10000)
    min_value: int | None = None
    max_value: int | None = None
    accept: tuple[Literal["pdf", "jpeg", "png"], ...] = ("pdf", "jpeg", "png")
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=20 * 1024 * 1024)
    # repeating groups
    fields: tuple["FormField", ...] = ()
    min_items: int = Field(default=0, ge=0, le=50)
    max_items: int = Field(default=5, ge=1, le=50)

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        if value in UNAVAILABLE_TYPES:
            raise ValueError(UNAVAILABLE_TYPES[value])
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type in CHOICE_TYPES and not self.options:
            raise ValueError(f"field {self.key}: a choice needs options")
        if len({option.value for option in self.options}) != len(self.options):
            raise ValueError(f"field {self.key}: option values must be unique")
        if self.type == FieldType.GROUP:
            if not self.fields:
                raise ValueError(f"group {self.key}: needs at least one field")
            if any(child.type == FieldType.GROUP for child in self.fields):
                raise ValueError(f"group {self.key}: groups cannot be nested")
            if any(child.type == FieldType.FILE for child in self.fields):
                raise ValueError(f"group {self.key}: files cannot repeat inside a group")
            if self.min_items > self.max_items:
                raise ValueError(f"group {self.key}: min_items exceeds max_items")
        elif self.fields:
            raise ValueError(f"field {self.key}: only a group has child fields")
        return self


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Text | None = None
    description: Text | None = None
    fields: tuple[FormField, ...] = ()


class Page(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: Text
    sections: tuple[Section, ...] = Field(min_length=1)
    show_if: tuple[Condition, ...] = ()

    def fields(self) -> list[FormField]:
        return [field for section in self.sections for field in section.fields]


class FormDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pages: tuple[Page, ...] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _keys_and_conditions(self) -> Self:
        seen: dict[str, FormField] = {}
        page_keys: set[str] = set()
        for page in self.pages:
            if page.key in page_keys:
                raise ValueError(f"page key {page.key} is used twice")
            page_keys.add(page.key)
            for condition in page.show_if:
                _check_condition(condition, seen, f"page {page.key}")
            for field in page.fields():
                if field.key in seen:
                    raise ValueError(f"field key {field.key} is used twice")
                for condition in field.show_if:
                    _check_condition(condition, seen, f"field {field.key}")
                child_keys = [child.key for child in field.fields]
                if len(set(child_keys)) != len(child_keys):
                    raise ValueError(f"group {field.key}: child keys must be unique")
                seen[field.key] = field
        if len(seen) > 200:
            raise ValueError("a form has at most 200 fields")
        return self

    def all_fields(self) -> list[FormField]:
        return [field for page in self.pages for field in page.fields()]

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.all_fields() if f.key == key), None)

    def page(self, key: str) -> Page | None:
        return next((p for p in self.pages if p.key == key), None)


def _check_condition(condition: Condition, earlier: dict[str, FormField], where: str) -> None:
    target = earlier.get(condition.field)
    if target is None:
        raise ValueError(
            f"{where}: the condition refers to {condition.field}, which is not an earlier field"
        )
    if target.type == FieldType.GROUP:
        raise ValueError(f"{where}: a condition cannot refer to a repeating group")
    if (
        condition.operator in {"equals", "not_equals", "includes"}
        and target.options
        and condition.value not in {option.value for option in target.options}
    ):
        raise ValueError(f"{where}: {condition.value!r} is not an option of {condition.field}")


class IdentityLevel(StrEnum):
    """Minimum identity an applicant needs, lowest first (Open Forms' level of assurance)."""

    NONE = "none"
    EMAIL = "email"
    GBIZID = "gbizid"  # GビズID (businesses)
    DIGITAL_AUTH = "digital_auth"  # デジタル認証アプリ (マイナンバーカード, 利用者証明)


IDENTITY_RANK = {
    IdentityLevel.NONE: 0,
    IdentityLevel.EMAIL: 1,
    IdentityLevel.GBIZID: 2,
    IdentityLevel.DIGITAL_AUTH: 3,
}


class Fee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amount_yen: int = Field(ge=1, le=10_000_000)
    label: Text
    provider: str = Field(default="fake", pattern=r"^[a-z_]{1,30}$")
    # An unpaid submission expires after this many days (its case is never opened).
    unpaid_expiry_days: int = Field(default=14, ge=1, le=365)


class Retention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Completed cases: kept this many years after completion (文書 classes 1/3/5/10/30 years).
    years: Literal[1, 3, 5, 10, 30] = 5
    # Drafts never submitted: kept this many days after their last change.
    draft_days: int = Field(default=30, ge=1, le=365)
    method: Literal["delete", "anonymise"] = "delete"


class CaseSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sla_days: int = Field(default=14, ge=1, le=365)
    two_person_approval: bool = False
    issue_decision_document: bool = True


class RegistrationTarget(BaseModel):
    """Where each submission goes in the back office (adapters: csv, webhook, email)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["csv", "webhook", "email"]
    url: str = Field(default="", max_length=500)
    email: str = Field(default="", max_length=254)
    max_attempts: int = Field(default=5, ge=1, le=20)

    @model_validator(mode="after")
    def _address(self) -> Self:
        if self.kind == "webhook" and not re.match(r"^https?://", self.url):
            raise ValueError("a webhook target needs an http(s) URL")
        if self.kind == "email" and "@" not in self.email:
            raise ValueError("an e-mail target needs an address")
        return self


class Theme(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    department: Text | None = None  # 担当課, shown on the form and its documents
    contact: Text | None = None


class FormSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Text
    description: Text | None = None
    identity_level: IdentityLevel = IdentityLevel.NONE
    fee: Fee | None = None
    retention: Retention = Retention()
    case: CaseSettings = CaseSettings()
    registration: tuple[RegistrationTarget, ...] = ()
    theme: Theme = Theme()
    confirmation: Text | None = None
    # Save-and-resume links are valid this many days.
    resume_days: int = Field(default=7, ge=1, le=60)


def parse_definition(data: Any) -> FormDefinition:
    return FormDefinition.model_validate(data)


def parse_settings(data: Any) -> FormSettings:
    return FormSettings.model_validate(data)


IDENTITY_LABELS = {
    IdentityLevel.NONE: Text(ja="本人確認なし", en="No identification"),
    IdentityLevel.EMAIL: Text(ja="メールアドレスの確認", en="Confirmed e-mail address"),
    IdentityLevel.GBIZID: Text(ja="GビズID", en="gBizID"),
    IdentityLevel.DIGITAL_AUTH: Text(
        ja="デジタル認証アプリ（マイナンバーカード）",
        en="Digital Authentication App (My Number Card)",
    ),
}
