"""Building forms without code: drafts, the structural edits of the builder, publishing (which
freezes a version), restoring a version with every setting, shared templates and the catalogue.

Every service runs inside the caller's tenant scope (kurashi.core.tenancy); the write guard
refuses a form of a tenant the scope may not write.
"""

import copy
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as SchemaError

from kurashi.core.audit import record_audit
from kurashi.core.models import User
from kurashi.core.tenancy import cross_tenant
from kurashi.modules.forms.definition import (
    FieldType,
    FormDefinition,
    FormSettings,
    parse_definition,
    parse_settings,
)
from kurashi.modules.forms.models import CatalogueEntry, Form, FormTemplate, FormVersion
from kurashi.modules.forms.services._common import checksum, schema_error

Definition = dict[str, Any]
Settings = dict[str, Any]


def _validated(definition: Definition, settings: Settings) -> tuple[Definition, Settings]:
    try:
        parsed_definition = parse_definition(definition)
        parsed_settings = parse_settings(settings)
    except SchemaError as error:
        raise schema_error(error) from None
    return (
        parsed_definition.model_dump(mode="json", exclude_defaults=False),
        parsed_settings.model_dump(mode="json", exclude_defaults=False),
    )


def _audit(actor: User | None, action: str, form: Form, **detail: Any) -> None:
    record_audit(
        actor=actor,
        action=action,
        obj=form,
        municipality_code=form.tenant_code,
        detail=detail,
    )


def starter_definition(title_ja: str) -> Definition:
    """A new form's first page: the applicant's name and e-mail."""
    return {
        "pages": [
            {
                "key": "applicant",
                "title": {"ja": "申請者", "en": "Applicant"},
                "sections": [
                    {
                        "fields": [
                            {
                                "key": "name",
                                "type": "name",
                                "label": {"ja": "氏名", "en": "Name"},
                                "required": True,
                            },
                            {
                                "key": "email",
                                "type": "email",
                                "label": {"ja": "メールアドレス", "en": "E-mail address"},
                                "required": True,
                            },
                        ]
                    }
                ],
            }
        ]
    }


@transaction.atomic
def create_form(
    *,
    tenant_code: str,
    slug: str,
    title_ja: str,
    title_en: str = "",
    definition: Definition | None = None,
    settings: Settings | None = None,
    actor: User | None = None,
    provenance: dict[str, Any] | None = None,
) -> Form:
    """A new form with a first draft version (a starter page unless a definition is given)."""
    settings = settings or {"title": {"ja": title_ja, "en": title_en}}
    definition, settings = _validated(definition or starter_definition(title_ja), settings)
    form = Form(tenant_code=tenant_code, slug=slug, provenance=provenance or {})
    form.full_clean(exclude=["published_version"])
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        raise ValidationError(
            {"slug": _("A form with this identifier already exists here.")}
        ) from None
    FormVersion.objects.create(
        tenant_code=tenant_code,
        form=form,
        number=1,
        definition=definition,
        settings=settings,
        checksum=checksum(definition, settings),
    )
    _audit(actor, "forms.create_form", form, slug=slug)
    return form


def latest_version(form: Form) -> FormVersion:
    version = FormVersion.objects.filter(form=form).order_by("-number").first()
    if version is None:  # pragma: no cover - every form is created with a version
        raise FormVersion.DoesNotExist(form.pk)
    return version


def draft_version(form: Form) -> FormVersion:
    """The version being edited: the latest if unpublished, else a new draft copied from it."""
    latest = latest_version(form)
    if not latest.is_published:
        return latest
    return FormVersion.objects.create(
        tenant_code=form.tenant_code,
        form=form,
        number=latest.number + 1,
        definition=copy.deepcopy(latest.definition),
        settings=copy.deepcopy(latest.settings),
        checksum=latest.checksum,
    )


@transaction.atomic
def edit_draft(
    *,
    form: Form,
    actor: User | None,
    change: Callable[[Definition, Settings], None],
    action: str = "forms.edit_draft",
) -> FormVersion:
    """Apply `change` to copies of the draft's definition and settings; save only if the result
    is a valid form (nothing is stored otherwise, and the ValidationError says why)."""
    draft = draft_version(form)
    definition = copy.deepcopy(draft.definition)
    settings = copy.deepcopy(draft.settings)
    try:
        change(definition, settings)
    except (KeyError, IndexError, ValueError) as error:
        raise ValidationError(
            _("This change does not fit the form: %(error)s") % {"error": error}
        ) from None
    definition, settings = _validated(definition, settings)
    draft.definition = definition
    draft.settings = settings
    draft.checksum = checksum(definition, settings)
    draft.save()
    _audit(actor, action, form, version=draft.number)
    return draft


def replace_draft(
    *, form: Form, actor: User | None, definition: Definition, settings: Settings
) -> FormVersion:
    def change(d: Definition, s: Settings) -> None:
        d.clear()
        d.update(definition)
        s.clear()
        s.update(settings)

    return edit_draft(form=form, actor=actor, change=change)


@transaction.atomic
def publish_form(*, form: Form, actor: User | None) -> FormVersion:
    """Freeze the draft: it becomes the published version; later edits make a new draft."""
    latest = latest_version(form)
    if latest.is_published:
        raise ValidationError(_("There is no unpublished change to publish."))
    if (
        hasattr(form, "catalogue_entry")
        and form.catalogue_entry.channel != CatalogueEntry.Channel.KURASHI
    ):  # pragma: no cover - prevented by the constraint
        raise ValidationError(_("A national procedure cannot get an internal form."))
    latest.published_at = timezone.now()
    latest.published_by = actor if actor and actor.is_authenticated else None
    latest.save()
    form.published_version = latest
    form.status = Form.Status.PUBLISHED
    form.save(update_fields=["published_version", "status", "updated_at"])
    _audit(actor, "forms.publish", form, version=latest.number, checksum=latest.checksum)
    return latest


@transaction.atomic
def unpublish_form(*, form: Form, actor: User | None) -> None:
    form.status = Form.Status.ARCHIVED
    form.save(update_fields=["status", "updated_at"])
    _audit(actor, "forms.archive", form)


@transaction.atomic
def restore_version(*, form: Form, number: int, actor: User | None) -> FormVersion:
    """A new draft that is an exact copy of version `number`: definition and every setting
    (identity level, fee, retention, case rules, registration, theme). Publish it to go live."""
    source = FormVersion.objects.filter(form=form, number=number).first()
    if source is None:
        raise ValidationError(_("Version %(number)s does not exist.") % {"number": number})
    latest = latest_version(form)
    if latest.is_published:
        target = FormVersion(tenant_code=form.tenant_code, form=form, number=latest.number + 1)
    else:
        target = latest
    target.definition = copy.deepcopy(source.definition)
    target.settings = copy.deepcopy(source.settings)
    target.checksum = checksum(target.definition, target.settings)
    target.restored_from = source.number
    target.save()
    _audit(actor, "forms.restore_version", form, restored=number, into=target.number)
    return target


# --- structural edits of the builder ----------------------------------------------------------


def _page(definition: Definition, page_key: str) -> dict[str, Any]:
    for page in definition["pages"]:
        if page["key"] == page_key:
            return page  # type: ignore[no-any-return]
    raise KeyError(page_key)


def _locate(definition: Definition, field_key: str) -> tuple[list[dict[str, Any]], int]:
    for page in definition["pages"]:
        for section in page["sections"]:
            for index, field in enumerate(section["fields"]):
                if field["key"] == field_key:
                    return section["fields"], index
    raise KeyError(field_key)


def add_page(
    *, form: Form, actor: User | None, key: str, title_ja: str, title_en: str = ""
) -> FormVersion:
    def change(definition: Definition, settings: Settings) -> None:
        definition["pages"].append(
            {"key": key, "title": {"ja": title_ja, "en": title_en}, "sections": [{"fields": []}]}
        )

    return edit_draft(form=form, actor=actor, change=change, action="forms.add_page")


def update_page(
    *,
    form: Form,
    actor: User | None,
    page_key: str,
    title_ja: str,
    title_en: str = "",
    show_if: list[dict[str, str]] | None = None,
) -> FormVersion:
    def change(definition: Definition, settings: Settings) -> None:
        page = _page(definition, page_key)
        page["title"] = {"ja": title_ja, "en": title_en}
        page["show_if"] = show_if or []

    return edit_draft(form=form, actor=actor, change=change, action="forms.update_page")


def remove_page(*, form: Form, actor: User | None, page_key: str) -> FormVersion:
    def change(definition: Definition, settings: Settings) -> None:
        definition["pages"].remove(_page(definition, page_key))

    return edit_draft(form=form, actor=actor, change=change, action="forms.remove_page")


def add_section(
    *, form: Form, actor: User | None, page_key: str, title_ja: str = "", title_en: str = ""
) -> FormVersion:
    def change(definition: Definition, settings: Settings) -> None:
        section: dict[str, Any] = {"fields": []}
        if title_ja:
            section["title"] = {"ja": title_ja, "en": title_en}
        _page(definition, page_key)["sections"].append(section)

    return edit_draft(form=form, actor=actor, change=change, action="forms.add_section")


def put_field(
    *,
    form: Form,
    actor: User | None,
    field: dict[str, Any],
    page_key: str | None = None,
    section_index: int = -1,
    group_key: str | None = None,
) -> FormVersion:
    """Add a field (to a page's section, or to a repeating group) or replace the field with the
    same key where it is."""

    def change(definition: Definition, settings: Settings) -> None:
        if group_key:
            fields, index = _locate(definition, group_key)
            children = fields[index]["fields"]
            for position, child in enumerate(children):
                if child["key"] == field["key"]:
                    children[position] = field
                    return
            children.append(field)
            return
        try:
            fields, index = _locate(definition, field["key"])
        except KeyError:
            pass
        else:
            existing = fields[index]
            if existing["type"] == FieldType.GROUP and field["type"] == FieldType.GROUP:
                field["fields"] = existing.get("fields", [])
            fields[index] = field
            return
        if page_key is None:
            raise ValueError(_("choose a page"))
        _page(definition, page_key)["sections"][section_index]["fields"].append(field)

    if field.get("type") == FieldType.GROUP and not field.get("fields"):
        # A new group starts with one child, so that it is a valid form at once.
        field = {
            **field,
            "fields": [{"key": "item", "type": "text", "label": {"ja": "項目", "en": "Item"}}],
        }
    return edit_draft(form=form, actor=actor, change=change, action="forms.put_field")


def remove_field(
    *, form: Form, actor: User | None, field_key: str, group_key: str | None = None
) -> FormVersion:
    def change(definition: Definition, settings: Settings) -> None:
        if group_key:
            fields, index = _locate(definition, group_key)
            children = fields[index]["fields"]
            fields[index]["fields"] = [c for c in children if c["key"] != field_key]
            return
        fields, index = _locate(definition, field_key)
        del fields[index]

    return edit_draft(form=form, actor=actor, change=change, action="forms.remove_field")


def move_field(*, form: Form, actor: User | None, field_key: str, offset: int) -> FormVersion:
    def change(definition: Definition, settings: Settings) -> None:
        fields, index = _locate(definition, field_key)
        target = index + offset
        if not 0 <= target < len(fields):
            return
        fields[index], fields[target] = fields[target], fields[index]

    return edit_draft(form=form, actor=actor, change=change, action="forms.move_field")


def update_settings(*, form: Form, actor: User | None, settings: Settings) -> FormVersion:
    def change(definition: Definition, current: Settings) -> None:
        current.clear()
        current.update(settings)

    return edit_draft(form=form, actor=actor, change=change, action="forms.update_settings")


# --- templates --------------------------------------------------------------------------------


@transaction.atomic
def publish_template(*, form: Form, actor: User | None, description: str = "") -> FormTemplate:
    """Share the form's published version as a template other tenants may copy."""
    version = form.published_version
    if version is None:
        raise ValidationError(_("Publish the form before sharing it as a template."))
    settings = FormSettings.model_validate(version.settings)
    template = FormTemplate.objects.create(
        tenant_code=form.tenant_code,
        title_ja=settings.title.ja,
        title_en=settings.title.en,
        description=description,
        definition=copy.deepcopy(version.definition),
        settings=copy.deepcopy(version.settings),
        provenance={
            "tenant_code": form.tenant_code,
            "form_slug": form.slug,
            "version": version.number,
            "checksum": version.checksum,
            **({"copied_from": form.provenance} if form.provenance else {}),
        },
    )
    _audit(actor, "forms.publish_template", form, template=template.pk)
    return template


def copy_template(*, template_id: int, tenant_code: str, slug: str, actor: User | None) -> Form:
    """A new draft form in `tenant_code` made from a shared template of any tenant; the copy
    records where it came from (tenant, template, source form and version)."""
    with cross_tenant(reason="copy a shared form template"):
        template = FormTemplate.objects.filter(pk=template_id, is_shared=True).first()
        if template is None:
            raise ValidationError(_("This template does not exist or is not shared."))
        source = {
            "template_id": template.pk,
            "tenant_code": template.tenant_code,
            "title": template.title_ja,
            "source": template.provenance,
            "copied_at": timezone.now().isoformat(),
        }
        definition = copy.deepcopy(template.definition)
        settings = copy.deepcopy(template.settings)
    # Registration targets are the source tenant's back office: never copied.
    settings["registration"] = []
    return create_form(
        tenant_code=tenant_code,
        slug=slug,
        title_ja=settings["title"]["ja"],
        definition=definition,
        settings=settings,
        actor=actor,
        provenance=source,
    )


# --- catalogue --------------------------------------------------------------------------------


@transaction.atomic
def put_catalogue_entry(
    *,
    tenant_code: str,
    title_ja: str,
    title_en: str = "",
    category: str = "",
    channel: str,
    external_url: str = "",
    form: Form | None = None,
    entry: CatalogueEntry | None = None,
    actor: User | None = None,
) -> CatalogueEntry:
    """Add or change a catalogue entry. A ぴったりサービス / e-Gov procedure links out and can
    never be given an internal form (the model's check constraint says the same)."""
    if channel != CatalogueEntry.Channel.KURASHI and form is not None:
        raise ValidationError(
            _(
                "This procedure is offered by a national service (ぴったりサービス, e-Gov); link to it instead of building a form."
            )
        )
    if channel == CatalogueEntry.Channel.KURASHI and form is None:
        raise ValidationError(_("Choose the form of this procedure."))
    entry = entry or CatalogueEntry(tenant_code=tenant_code)
    entry.title_ja, entry.title_en, entry.category = title_ja, title_en, category
    entry.channel, entry.external_url, entry.form = (
        channel,
        external_url if form is None else "",
        form,
    )
    entry.full_clean()
    entry.save()
    record_audit(
        actor=actor, action="forms.put_catalogue_entry", obj=entry, municipality_code=tenant_code
    )
    return entry


def next_version_number(form: Form) -> int:
    return int(FormVersion.objects.filter(form=form).aggregate(n=Max("number"))["n"] or 0) + 1


# Published versions never change, so their parsed (frozen) models are kept per process.
_PARSED: dict[tuple[int, str], tuple[FormDefinition, FormSettings]] = {}
_PARSED_MAX = 512


def parse(version: FormVersion) -> tuple[FormDefinition, FormSettings]:
    """The version's definition and settings as validated, immutable models."""
    key = (version.pk, version.checksum) if version.pk and version.is_published else None
    if key is not None and (cached := _PARSED.get(key)) is not None:
        return cached
    parsed = (parse_definition(version.definition), parse_settings(version.settings))
    if key is not None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = parsed
    return parsed
