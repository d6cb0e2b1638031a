"""The no-code builder and the case page through the staff views."""

import pytest
from django.urls import reverse

from kurashi.core.tenancy import tenant_scope
from kurashi.modules.forms.models import Form, FormVersion
from kurashi.modules.forms.tests.conftest import KARATSU, client_for

pytestmark = pytest.mark.django_db


def test_staff_build_a_two_page_form_with_a_condition_and_publish_it(karatsu_staff):
    client = client_for(karatsu_staff)
    response = client.post(
        reverse("forms:new"),
        {
            "tenant_code": KARATSU,
            "slug": "dogs",
            "title_ja": "犬の登録",
            "title_en": "Dog registration",
        },
    )
    with tenant_scope(KARATSU):
        form = Form.objects.get(slug="dogs")
    assert response.url == reverse("forms:builder", args=[form.pk])
    field = {
        "field-key": "has_dog",
        "field-type": "choice",
        "field-label_ja": "犬を飼っていますか",
        "field-label_en": "Do you keep a dog?",
        "field-required": "on",
        "field-options": "yes|はい|Yes\nno|いいえ|No",
        "field-max_length": "200",
        "field-page_key": "applicant",
    }
    assert client.post(reverse("forms:field_add", args=[form.pk]), field).status_code == 302
    assert (
        client.post(
            reverse("forms:page_add", args=[form.pk]),
            {"page-key": "dog", "page-title_ja": "犬の情報", "page-title_en": "The dog"},
        ).status_code
        == 302
    )
    client.post(
        reverse("forms:field_add", args=[form.pk]),
        {
            "field-key": "dog_name",
            "field-type": "text",
            "field-label_ja": "犬の名前",
            "field-max_length": "50",
            "field-page_key": "dog",
        },
    )
    response = client.post(
        reverse("forms:page_edit", args=[form.pk, "dog"]),
        {
            "title_ja": "犬の情報",
            "title_en": "The dog",
            "condition_field": "has_dog",
            "condition_operator": "equals",
            "condition_value": "yes",
        },
    )
    assert response.status_code == 302
    assert (
        client.post(reverse("forms:publish", args=[form.pk]), {"action": "publish"}).status_code
        == 302
    )
    with tenant_scope(KARATSU):
        version = FormVersion.objects.get(form=form)
    assert version.is_published
    pages = version.definition["pages"]
    assert [p["key"] for p in pages] == ["applicant", "dog"]
    assert pages[1]["show_if"] == [{"field": "has_dog", "operator": "equals", "value": "yes"}]
    html = client.get(reverse("forms:builder", args=[form.pk])).content.decode()
    assert "犬の名前" in html
    assert "private" in client.get(reverse("forms:builder", args=[form.pk]))["Cache-Control"]


def test_bad_builder_input_gets_a_clear_error_and_changes_nothing(karatsu_staff, published_form):
    form = published_form()
    client = client_for(karatsu_staff)
    response = client.post(
        reverse("forms:field_add", args=[form.pk]),
        {
            "field-key": "Bad Key",
            "field-type": "choice",
            "field-label_ja": "x",
            "field-options": "novalue",
            "field-max_length": "200",
            "field-page_key": "applicant",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    response = client.post(
        reverse("forms:field_add", args=[form.pk]),
        {
            "field-key": "again",
            "field-type": "text",
            "field-label_ja": "x",
            "field-max_length": "200",
            "field-page_key": "applicant",
            "field-condition_field": "note",
            "field-condition_operator": "is_filled",
        },
        follow=True,
    )
    assert "not an earlier field" in response.content.decode()
    with tenant_scope(KARATSU):
        assert FormVersion.objects.filter(form=form).count() == 1


def test_settings_and_restore_through_the_pages(karatsu_staff, published_form):
    form = published_form()
    client = client_for(karatsu_staff)
    response = client.post(
        reverse("forms:settings", args=[form.pk]),
        {
            "title_ja": "新しい名前",
            "identity_level": "email",
            "fee_yen": "300",
            "fee_label_ja": "手数料",
            "unpaid_expiry_days": "5",
            "retention_years": "3",
            "draft_days": "10",
            "retention_method": "anonymise",
            "sla_days": "4",
            "two_person_approval": "on",
            "registration": "csv\nwebhook https://kikan.example/in",
            "resume_days": "3",
        },
    )
    assert response.status_code == 302
    with tenant_scope(KARATSU):
        draft = FormVersion.objects.get(form=form, number=2)
    assert draft.settings["fee"]["amount_yen"] == 300
    assert draft.settings["registration"][1] == {
        "kind": "webhook",
        "url": "https://kikan.example/in",
        "email": "",
        "max_attempts": 5,
    }
    client.post(reverse("forms:publish", args=[form.pk]), {"action": "publish"})
    client.post(reverse("forms:publish", args=[form.pk]), {"action": "restore", "number": "1"})
    with tenant_scope(KARATSU):
        restored = FormVersion.objects.get(form=form, number=3)
        first = FormVersion.objects.get(form=form, number=1)
    assert restored.settings == first.settings


def test_sections_are_added_and_new_questions_go_into_the_last_one(karatsu_staff, published_form):
    form = published_form()
    client = client_for(karatsu_staff)
    client.post(
        reverse("forms:section_add", args=[form.pk, "details"]),
        {"title_ja": "添付書類", "title_en": "Attachments"},
    )
    client.post(
        reverse("forms:field_add", args=[form.pk]),
        {
            "field-key": "photo",
            "field-type": "file",
            "field-label_ja": "写真",
            "field-max_length": "200",
            "field-page_key": "details",
        },
    )
    with tenant_scope(KARATSU):
        version = FormVersion.objects.get(form=form, number=2)
    sections = version.definition["pages"][2]["sections"]
    assert sections[1]["title"] == {"ja": "添付書類", "en": "Attachments"}
    assert [f["key"] for f in sections[1]["fields"]] == ["photo"]
