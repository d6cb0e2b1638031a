"""What the templates need to draw a page of a form: each field with its inputs' names, ids,
current values, error messages and options, in the active language."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kurashi.modules.forms.answers import ADDRESS_PARTS, NAME_PARTS, FieldError, input_id
from kurashi.modules.forms.definition import FieldType, FormField


def _part_labels() -> dict[str, tuple[str, str]]:
    return {
        "family": (_("Family name (姓)"), "family-name"),
        "given": (_("Given name (名)"), "given-name"),
        "family_kana": (_("Family name reading (セイ)"), "off"),
        "given_kana": (_("Given name reading (メイ)"), "off"),
    }


@dataclass
class Widget:
    field: FormField
    name: str
    id: str
    value: Any
    errors: list[str]
    part_errors: dict[str, list[str]]
    options: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    items: list[list["Widget"]] = dataclasses.field(default_factory=list)  # a group's items
    conditions: str = ""  # data-show-if for the script (same-page conditions)

    @property
    def type(self) -> str:
        return str(self.field.type)

    @property
    def label(self) -> str:
        return str(self.field.label)

    @property
    def help(self) -> str:
        return str(self.field.help) if self.field.help else ""

    @property
    def required(self) -> bool:
        return self.field.required

    @property
    def has_errors(self) -> bool:
        return (
            bool(self.errors)
            or any(self.part_errors.values())
            or any(w.has_errors for item in self.items for w in item)
        )

    def part(self, name: str) -> dict[str, Any]:
        value = self.value.get(name, "") if isinstance(self.value, dict) else ""
        label, autocomplete = _part_labels().get(name, ("", "off"))
        return {
            "label": label,
            "autocomplete": autocomplete,
            "name": f"{self.name}__{name}",
            "id": f"{self.id}__{name}",
            "value": value,
            "errors": self.part_errors.get(name, []),
        }

    @property
    def name_parts(self) -> list[dict[str, Any]]:
        return [self.part(name) for name in NAME_PARTS]

    @property
    def address_parts(self) -> list[dict[str, Any]]:
        return [self.part(name) for name in ADDRESS_PARTS]

    @property
    def selected(self) -> list[str]:
        if isinstance(self.value, list):
            return [str(v) for v in self.value]
        return [str(self.value)] if self.value not in (None, "") else []


def build(
    form_field: FormField,
    value: Any,
    errors: list[FieldError],
    *,
    prefix: tuple[str | int, ...] = (),
    slots: dict[str, str] | None = None,
) -> Widget:
    path = (*prefix, form_field.key)
    name = "__".join(str(p) for p in path)
    own_id = input_id(*path)
    own = [e.message for e in errors if e.input_id == own_id]
    parts: dict[str, list[str]] = {}
    for error in errors:
        if error.input_id.startswith(own_id + "__"):
            parts.setdefault(error.input_id[len(own_id) + 2 :], []).append(error.message)
    options = [(o.value, str(o.label)) for o in form_field.options]
    if form_field.type == FieldType.APPOINTMENT:
        options = list((slots or {}).items())
    widget = Widget(
        field=form_field,
        name=name,
        id=own_id,
        value=value,
        errors=own,
        part_errors=parts,
        options=options,
        conditions=";".join(f"{c.field}|{c.operator}|{c.value}" for c in form_field.show_if),
    )
    if form_field.type == FieldType.GROUP:
        items = value if isinstance(value, list) else []
        count = max(len(items), form_field.min_items)
        for index in range(count):
            item = items[index] if index < len(items) and isinstance(items[index], dict) else {}
            widget.items.append(
                [
                    build(child, item.get(child.key), errors, prefix=(*path, index), slots=slots)
                    for child in form_field.fields
                ]
            )
    return widget
