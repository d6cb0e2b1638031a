"""Turning what an applicant typed into answers: conditions (which pages and fields apply),
per-type cleaning with Japanese rules, and the errors of a page, each linked to its input.

Pure functions over the definition (no database): the services pass in what needs one (postal
lookup, stored files, open consultation slots). Input names: `<key>` for a simple field,
`<key>__<part>` for composite ones (氏名, 住所), `<group>__<index>__<child>` in repeating groups.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from kurashi.modules.forms import japanese
from kurashi.modules.forms.definition import (
    Condition,
    FieldType,
    FormDefinition,
    FormField,
    Page,
)

NAME_PARTS = ("family", "given", "family_kana", "given_kana")
ADDRESS_PARTS = ("postal_code", "address", "detail")


class Data(Protocol):
    """The parts of a QueryDict the cleaning reads."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class FieldError:
    input_id: str  # the id of the input the error summary links to
    label: str
    message: str


@dataclass
class PageResult:
    answers: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    uploads: dict[str, Any] = field(default_factory=dict)  # field key → UploadedFile (checked)


def input_id(*parts: str | int) -> str:
    return "id_" + "__".join(str(part) for part in parts)


def _is_filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value) and any(
            _is_filled(v) for v in (value.values() if isinstance(value, dict) else value)
        )
    return True


def condition_holds(condition: Condition, answers: Mapping[str, Any]) -> bool:
    value = answers.get(condition.field)
    match condition.operator:
        case "is_filled":
            return _is_filled(value)
        case "is_empty":
            return not _is_filled(value)
        case "includes":
            return isinstance(value, list) and condition.value in value
        case "not_equals":
            return value != condition.value
        case _:
            return value == condition.value


def is_visible(conditions: Sequence[Condition], answers: Mapping[str, Any]) -> bool:
    return all(condition_holds(condition, answers) for condition in conditions)


def visible_pages(definition: FormDefinition, answers: Mapping[str, Any]) -> list[Page]:
    return [page for page in definition.pages if is_visible(page.show_if, answers)]


def visible_fields(page: Page, answers: Mapping[str, Any]) -> list[FormField]:
    return [f for f in page.fields() if is_visible(f.show_if, answers)]


def prune(definition: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers without those of pages and fields the conditions now hide (a branch the
    applicant left): a hidden answer is never submitted."""
    kept: dict[str, Any] = {}
    for page in definition.pages:
        if not is_visible(page.show_if, kept):
            continue
        for form_field in page.fields():
            if form_field.key in answers and is_visible(form_field.show_if, kept):
                kept[form_field.key] = answers[form_field.key]
    return kept


def group_count(data: Data, group: FormField, stored: Any) -> int:
    raw = data.get(f"{group.key}__count")
    try:
        count = int(raw) if raw is not None else len(stored or [])
    except (TypeError, ValueError):
        count = len(stored or [])
    return max(group.min_items, min(count, group.max_items)) if count or group.min_items else 0


def clean_page(
    definition: FormDefinition,
    page: Page,
    data: Data,
    files: Mapping[str, Any],
    stored: Mapping[str, Any],
    *,
    postal_lookup: Callable[[str], list[str]],
    open_slots: Callable[[], dict[str, str]],
    validate: bool = True,
) -> PageResult:
    """Clean one page. With validate=False (save for later, language switch) values are kept as
    typed and required/format errors are not reported, so nothing the applicant typed is lost."""
    result = PageResult()
    context = dict(stored)
    for form_field in page.fields():
        # A field on this page may depend on one above it: use what was just typed.
        if not is_visible(form_field.show_if, context):
            context.pop(form_field.key, None)
            continue
        if form_field.type == FieldType.GROUP:
            value, errors = _clean_group(
                form_field, data, stored.get(form_field.key), validate, postal_lookup, open_slots
            )
        elif form_field.type == FieldType.FILE:
            value, errors, upload = _clean_file(
                form_field, files.get(form_field.key), stored.get(form_field.key), validate
            )
            if upload is not None:
                result.uploads[form_field.key] = upload
        else:
            value, errors = clean_field(
                form_field, data, (form_field.key,), validate, postal_lookup, open_slots
            )
        context[form_field.key] = value
        if _is_filled(value) or form_field.type == FieldType.FILE:
            result.answers[form_field.key] = value
        result.errors.extend(errors)
    return result


def _read(data: Data, prefix: tuple[str | int, ...], part: str | None = None) -> str:
    name = "__".join(str(p) for p in (*prefix, *([part] if part else [])))
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def clean_field(
    form_field: FormField,
    data: Data,
    prefix: tuple[str | int, ...],
    validate: bool,
    postal_lookup: Callable[[str], list[str]],
    open_slots: Callable[[], dict[str, str]],
) -> tuple[Any, list[FieldError]]:
    label = str(form_field.label)
    errors: list[FieldError] = []

    def error(message: str, part: str | None = None) -> None:
        errors.append(FieldError(input_id(*prefix, *([part] if part else [])), label, message))

    kind = form_field.type
    if kind == FieldType.NAME:
        value = {part: _read(data, prefix, part).strip()[:100] for part in NAME_PARTS}
        if not validate:
            return value, []
        if form_field.required or _is_filled(value):
            for part, message in (
                ("family", _("Enter the family name (姓).")),
                ("given", _("Enter the given name (名).")),
            ):
                if not value[part]:
                    error(message, part)
            for part in ("family_kana", "given_kana"):
                if not value[part] and form_field.required:
                    error(_("Enter the reading in katakana."), part)
                elif value[part]:
                    try:
                        value[part] = japanese.clean_furigana(value[part])
                    except japanese.InputError as problem:
                        error(str(problem), part)
        return value, errors

    if kind == FieldType.ADDRESS:
        value = {part: _read(data, prefix, part).strip()[:200] for part in ADDRESS_PARTS}
        if not validate:
            return value, []
        if value["postal_code"]:
            try:
                value["postal_code"] = japanese.clean_postal_code(value["postal_code"])
            except japanese.InputError as problem:
                error(str(problem), "postal_code")
            else:
                if not value["address"]:
                    found = postal_lookup(value["postal_code"])
                    if len(found) == 1:
                        value["address"] = found[0]
        if form_field.required:
            if not value["postal_code"]:
                error(_("Enter the postal code."), "postal_code")
            if not value["address"]:
                error(_("Enter the address (prefecture, city and town)."), "address")
            if not value["detail"]:
                error(_("Enter the rest of the address (番地, building, room)."), "detail")
        return value, errors

    if kind == FieldType.MULTI_CHOICE:
        allowed = {option.value for option in form_field.options}
        name = "__".join(str(p) for p in prefix)
        chosen = [v for v in data.getlist(name) if v in allowed]
        if validate and form_field.required and not chosen:
            error(_("Choose at least one."))
        return chosen, errors

    if kind == FieldType.CONSENT:
        ticked = _read(data, prefix) == "yes"
        if validate and form_field.required and not ticked:
            error(_("Tick this box to continue."))
        return ("yes" if ticked else ""), errors

    raw = _read(data, prefix)
    text = raw.strip()
    if not validate:
        return text[: form_field.max_length], []
    if not text:
        if form_field.required:
            error(_("This field is required."))
        return "", errors
    if len(text) > form_field.max_length:
        error(_("Enter at most %(count)d characters.") % {"count": form_field.max_length})
        return text[: form_field.max_length], errors
    try:
        return _clean_simple(form_field, text, open_slots), errors
    except japanese.InputError as problem:
        error(str(problem))
        return text, errors


def _clean_simple(
    form_field: FormField, text: str, open_slots: Callable[[], dict[str, str]]
) -> Any:
    kind = form_field.type
    if kind in {FieldType.CHOICE, FieldType.SELECT}:
        if text not in {option.value for option in form_field.options}:
            raise japanese.InputError(_("Choose one of the options."))
        return text
    if kind == FieldType.APPOINTMENT:
        if text not in open_slots():
            raise japanese.InputError(_("This time is no longer available; choose another."))
        return text
    if kind == FieldType.EMAIL:
        address = parseaddr(japanese.nfkc(text))[1]
        try:
            validate_email(address)
        except ValidationError:
            raise japanese.InputError(
                _("Enter an e-mail address such as name@example.jp.")
            ) from None
        return address
    if kind == FieldType.NUMBER:
        digits = re.sub(r"[,\s円]", "", japanese.nfkc(text))
        if not re.fullmatch(r"-?\d{1,15}", digits):
            raise japanese.InputError(_("Enter a whole number (e.g. 1200)."))
        number = int(digits)
        if form_field.min_value is not None and number < form_field.min_value:
            raise japanese.InputError(_("Enter %(min)d or more.") % {"min": form_field.min_value})
        if form_field.max_value is not None and number > form_field.max_value:
            raise japanese.InputError(_("Enter %(max)d or less.") % {"max": form_field.max_value})
        return number
    if kind == FieldType.DATE:
        return japanese.clean_date(text).isoformat()
    if kind == FieldType.PHONE:
        return japanese.clean_phone(text)
    if kind == FieldType.CORPORATE_NUMBER:
        return japanese.clean_corporate_number(text)
    return text


def _clean_group(
    group: FormField,
    data: Data,
    stored: Any,
    validate: bool,
    postal_lookup: Callable[[str], list[str]],
    open_slots: Callable[[], dict[str, str]],
) -> tuple[list[dict[str, Any]], list[FieldError]]:
    count = group_count(data, group, stored)
    items: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for index in range(count):
        item: dict[str, Any] = {}
        for child in group.fields:
            value, child_errors = clean_field(
                child, data, (group.key, index, child.key), validate, postal_lookup, open_slots
            )
            item[child.key] = value
            errors.extend(
                FieldError(e.input_id, f"{group.label} {index + 1}: {e.label}", e.message)
                for e in child_errors
            )
        items.append(item)
    if validate and len(items) < group.min_items:
        errors.append(
            FieldError(
                input_id(group.key, "add"),
                str(group.label),
                _("Add at least %(count)d.") % {"count": group.min_items},
            )
        )
    return items, errors


MAGIC = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


def sniff(head: bytes) -> str | None:
    """The file kind from its first bytes, never from its name or the browser's claim."""
    for kind, signatures in MAGIC.items():
        if any(head.startswith(signature) for signature in signatures):
            return kind
    return None


def _clean_file(
    form_field: FormField, upload: Any, stored: Any, validate: bool
) -> tuple[Any, list[FieldError], Any]:
    label = str(form_field.label)
    if upload is None:
        if validate and form_field.required and not stored:
            return stored, [FieldError(input_id(form_field.key), label, _("Choose a file."))], None
        return stored, [], None
    if upload.size > form_field.max_bytes:
        limit = form_field.max_bytes // (1024 * 1024) or 1
        return (
            stored,
            [
                FieldError(
                    input_id(form_field.key),
                    label,
                    _("The file is too large (at most %(mb)d MB).") % {"mb": limit},
                )
            ],
            None,
        )
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None or kind not in form_field.accept:
        allowed = ", ".join(k.upper() for k in form_field.accept)
        return (
            stored,
            [
                FieldError(
                    input_id(form_field.key),
                    label,
                    _("This file type is not accepted; upload %(types)s.") % {"types": allowed},
                )
            ],
            None,
        )
    if kind in {"jpeg", "png"} and not _image_is_sound(upload):
        return (
            stored,
            [
                FieldError(
                    input_id(form_field.key),
                    label,
                    _("The image could not be read; upload it again."),
                )
            ],
            None,
        )
    upload.kurashi_kind = kind
    return stored, [], upload


def _image_is_sound(upload: Any) -> bool:
    from PIL import Image

    try:
        with Image.open(upload) as image:
            image.verify()
            ok = bool(image.width * image.height <= 60_000_000)
    except Exception:
        ok = False
    upload.seek(0)
    return ok
