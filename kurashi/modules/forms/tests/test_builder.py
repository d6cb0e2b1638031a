"""The form builder's rules (requirements 27, 29, 37, 39): validated definitions, immutable
published versions, every submission on its own version, restoring a version restores every
setting, templates copied between tenants with provenance, link-out catalogue entries."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import translation

from kurashi.core.models import AuditEvent
from kurashi.core.tenancy import cross_tenant, tenant_scope
from kurashi.modules.forms.models import CatalogueEntry, Form, FormVersion, ImmutableVersionError
from kurashi.modules.forms.services import builder, filling
from kurashi.modules.forms.tests.conftest import KARATSU, SAGA, SETTINGS, TWO_PAGES

pytestmark = pytest.mark.django_db

FULL_SETTINGS = {
    "title": {"ja": "粗大ごみ", "en": "Bulky waste"},
    "description": {"ja": "説明", "en": "About"},
    "identity_level": "gbizid",
    "fee": {
        "amount_yen": 500,
        "label": {"ja": "手数料", "en": "Fee"},
        "provider": "fake",
        "unpaid_expiry_days": 3,
    },
    "retention": {"years": 10, "draft_days": 14, "method": "anonymise"},
    "case": {"sla_days": 5, "two_person_approval": True, "issue_decision_document": False},
    "registration": [
        {"kind": "webhook", "url": "https://kikan.example/in", "email": "", "max_attempts": 7}
    ],
    "theme": {
        "department": {"ja": "環境課", "en": "Environment"},
        "contact": {"ja": "0955-72-9111", "en": ""},
    },
    "confirmation": {"ja": "受け付けました", "en": "Received"},
    "resume_days": 9,
}


def test_definition_rules_are_checked_and_nothing_is_stored_on_error(karatsu_staff, published_form):
    form = published_form()
    bad = copy.deepcopy(TWO_PAGES)
    bad["pages"][0]["sections"][0]["fields"][2]["show_if"] = [
        {"field": "note", "operator": "is_filled"}
    ]
    with tenant_scope(KARATSU), pytest.raises(ValidationError, match="not an earlier field"):
        builder.replace_draft(form=form, actor=karatsu_staff, definition=bad, settings=SETTINGS)
    with tenant_scope(KARATSU):
        assert FormVersion.objects.filter(form=form).count() == 1


def test_my_number_fields_are_refused_until_the_mynumber_module_exists(
    karatsu_staff, published_form
):
    form = published_form()
    with tenant_scope(KARATSU), pytest.raises(ValidationError, match="mynumber module"):
        builder.put_field(
            form=form,
            actor=karatsu_staff,
            page_key="applicant",
            field={"key": "my_number", "type": "my_number", "label": {"ja": "個人番号"}},
        )


def test_published_version_never_changes(published_form):
    form = published_form()
    with tenant_scope(KARATSU):
        version = FormVersion.objects.get(form=form)
        version.settings = {**version.settings, "identity_level": "none"}
        with pytest.raises(ImmutableVersionError):
            version.save()
        with pytest.raises(ImmutableVersionError):
            version.delete()


def test_editing_after_publishing_makes_a_new_draft_and_applicants_keep_their_version(
    karatsu_staff, published_form
):
    form = published_form()
    with tenant_scope(KARATSU):
        first = filling.start_submission(form=form, language="ja")
        builder.add_page(form=form, actor=karatsu_staff, key="extra", title_ja="追加")
        builder.publish_form(form=form, actor=karatsu_staff)
        form.refresh_from_db()
        second = filling.start_submission(form=form, language="ja")
        first.refresh_from_db()
        assert first.version.number == 1
        assert second.version.number == 2
        assert [p["key"] for p in first.version.definition["pages"]] == [
            "applicant",
            "company",
            "details",
        ]


def test_restoring_a_version_restores_every_setting(karatsu_staff, published_form):
    form = published_form(settings=FULL_SETTINGS)
    with tenant_scope(KARATSU):
        original = FormVersion.objects.get(form=form, number=1)
        builder.update_settings(
            form=form, actor=karatsu_staff, settings={"title": {"ja": "別の名前", "en": ""}}
        )
        builder.remove_page(form=form, actor=karatsu_staff, page_key="company")
        builder.publish_form(form=form, actor=karatsu_staff)
        restored = builder.restore_version(form=form, number=1, actor=karatsu_staff)
        assert restored.number == 3
        assert restored.restored_from == 1
        assert restored.settings == original.settings  # the full configuration
        assert restored.definition == original.definition
        assert restored.checksum == original.checksum
        assert AuditEvent.objects.filter(
            action="forms.restore_version", object_id=str(form.pk)
        ).exists()


def test_slugs_are_unique_per_tenant_only(published_form):
    published_form(KARATSU, "same")
    published_form(SAGA, "same")
    with (
        translation.override("en"),
        tenant_scope(KARATSU),
        pytest.raises(ValidationError, match="already exists"),
    ):
        builder.create_form(tenant_code=KARATSU, slug="same", title_ja="x")


def test_a_template_shared_by_one_tenant_is_copied_by_another_with_provenance(
    karatsu_staff, saga_staff, published_form
):
    form = published_form(KARATSU, "waste", settings=FULL_SETTINGS)
    with tenant_scope(KARATSU):
        template = builder.publish_template(form=form, actor=karatsu_staff)
    with tenant_scope(SAGA):
        copy_ = builder.copy_template(
            template_id=template.pk, tenant_code=SAGA, slug="waste", actor=saga_staff
        )
        version = copy_.versions.get()
    assert copy_.tenant_code == SAGA
    assert copy_.provenance["tenant_code"] == KARATSU
    assert copy_.provenance["template_id"] == template.pk
    assert copy_.provenance["source"]["form_slug"] == "waste"
    assert version.definition == template.definition
    assert version.settings["registration"] == []  # the source tenant's back office stays theirs
    assert version.settings["fee"] == FULL_SETTINGS["fee"]


def test_copying_into_a_tenant_the_scope_cannot_write_is_refused(
    saga_staff, karatsu_staff, published_form
):
    form = published_form(KARATSU, "waste")
    with tenant_scope(KARATSU):
        template = builder.publish_template(form=form, actor=karatsu_staff)
    with tenant_scope(SAGA), pytest.raises(Exception, match="may not write"):
        builder.copy_template(
            template_id=template.pk, tenant_code=KARATSU, slug="again", actor=saga_staff
        )


def test_pittari_procedures_link_out_and_cannot_get_an_internal_form(published_form):
    form = published_form()
    with tenant_scope(KARATSU):
        with pytest.raises(ValidationError, match="国のサービス"):
            builder.put_catalogue_entry(
                tenant_code=KARATSU,
                title_ja="妊娠の届出",
                channel="pittari",
                external_url="https://app.oss.myna.go.jp/Application/search",
                form=form,
            )
        entry = builder.put_catalogue_entry(
            tenant_code=KARATSU,
            title_ja="妊娠の届出",
            channel="pittari",
            external_url="https://app.oss.myna.go.jp/Application/search",
        )
        # The database refuses it too, whatever code path tries.
        entry.form = form
        with pytest.raises(IntegrityError):
            CatalogueEntry.objects.filter(pk=entry.pk).update(form=form)


def test_builder_edits_fields_groups_and_conditions(karatsu_staff, published_form):
    form = published_form()
    with tenant_scope(KARATSU):
        builder.put_field(
            form=form,
            actor=karatsu_staff,
            page_key="company",
            field={"key": "staff", "type": "group", "label": {"ja": "担当者"}},
        )
        builder.put_field(
            form=form,
            actor=karatsu_staff,
            group_key="staff",
            field={"key": "phone", "type": "phone", "label": {"ja": "電話"}},
        )
        version = builder.put_field(
            form=form,
            actor=karatsu_staff,
            page_key="company",
            field={
                "key": "reason",
                "type": "text",
                "label": {"ja": "理由"},
                "show_if": [{"field": "kind", "operator": "equals", "value": "company"}],
            },
        )
        definition, _settings = builder.parse(version)
        group = definition.field("staff")
        assert [c.key for c in group.fields] == ["item", "phone"]
        assert definition.field("reason").show_if[0].value == "company"
        version = builder.move_field(form=form, actor=karatsu_staff, field_key="reason", offset=-1)
        keys = [f["key"] for f in version.definition["pages"][1]["sections"][0]["fields"]]
        assert keys.index("reason") < keys.index("staff")


def test_forms_are_invisible_outside_their_tenant(published_form):
    published_form(KARATSU, "k")
    published_form(SAGA, "s")
    with tenant_scope(SAGA):
        assert list(Form.objects.values_list("slug", flat=True)) == ["s"]
    with cross_tenant(reason="test"):
        assert Form.objects.count() == 2
