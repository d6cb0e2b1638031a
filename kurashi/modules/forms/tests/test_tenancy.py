"""Tenancy of the forms module (requirement 38): every model is tenant-owned; unscoped queries
raise; and a leak test over every staff page and API — staff of 唐津市 never see 佐賀市's forms,
submissions, files or documents; prefecture staff read across tenants but cannot change them."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from kurashi.core.tenancy import (
    CrossTenantWriteError,
    TenantScopeError,
    tenancy_problems,
    tenant_scope,
)
from kurashi.modules.forms.models import (
    TENANT_EXEMPT,
    Case,
    Dispatch,
    Form,
    FormVersion,
    IssuedDocument,
    Submission,
    SubmissionFile,
)
from kurashi.modules.forms.services import builder, documents, filling
from kurashi.modules.forms.tests.conftest import KARATSU, SAGA, SETTINGS, client_for

pytestmark = pytest.mark.django_db


def test_every_model_has_a_tenant_key_and_a_scoped_default_manager():
    assert tenancy_problems("forms", exempt=TENANT_EXEMPT) == []


def test_unscoped_queries_raise():
    for model in (Form, Submission, Case, SubmissionFile, IssuedDocument):
        with pytest.raises(TenantScopeError):
            model.objects.all()


SIMPLE = {
    "pages": [
        {
            "key": "main",
            "title": {"ja": "内容"},
            "sections": [
                {
                    "fields": [
                        {
                            "key": "email",
                            "type": "email",
                            "label": {"ja": "メール"},
                            "required": True,
                        },
                        {"key": "secret", "type": "text", "label": {"ja": "秘密"}},
                        {"key": "file", "type": "file", "label": {"ja": "添付"}},
                    ]
                }
            ],
        }
    ]
}


def _submitted(form, secret: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with tenant_scope(form.tenant_code):
        submission = filling.start_submission(form=form, language="ja")
        data = QueryDict(mutable=True)
        data.update({"email": "a@example.jp", "secret": secret})
        filling.save_page(
            submission=submission,
            page_key="main",
            data=data,
            files={
                "file": SimpleUploadedFile(
                    "f.pdf", b"%PDF-1.4 " + secret.encode(), "application/pdf"
                )
            },
            validate=True,
        )
        filling.submit(submission=submission, site_url="http://testserver")
        document = documents.issue(submission=submission, kind="receipt")
        stored = SubmissionFile.objects.get(submission=submission)
        case = Case.objects.get(submission=submission)
    return submission, case, stored, document


@pytest.fixture
def two_tenants(published_form):
    settings = {
        **SETTINGS,
        "registration": [{"kind": "webhook", "url": "http://127.0.0.1:9/none", "max_attempts": 1}],
    }
    saga_form = published_form(
        SAGA,
        "saga-only",
        definition=SIMPLE,
        settings={**settings, "title": {"ja": "佐賀市だけの申請"}},
    )
    karatsu_form = published_form(
        KARATSU,
        "karatsu-only",
        definition=SIMPLE,
        settings={**settings, "title": {"ja": "唐津市だけの申請"}},
    )
    saga = _submitted(saga_form, "SAGA-SECRET-314")
    karatsu = _submitted(karatsu_form, "KARATSU-OWN-271")
    with tenant_scope(SAGA):
        from kurashi.modules.forms.services import backoffice

        backoffice.process_dispatches()  # the unreachable receiver: a dead letter of 佐賀市
        assert Dispatch.objects.get(submission=saga[0]).status == Dispatch.Status.DEAD
        batch_form = saga_form
        from django.core.files.base import ContentFile

        from kurashi.modules.forms.models import CsvBatch

        batch = CsvBatch(tenant_code=SAGA, form=batch_form, row_count=1)
        batch.file.save("saga.csv", ContentFile(b"SAGA-SECRET-314"), save=False)
        batch.save()
    return {
        "saga_form": saga_form,
        "karatsu_form": karatsu_form,
        "saga": saga,
        "karatsu": karatsu,
        "batch": batch,
    }


def _staff_urls(data):
    saga_form = data["saga_form"]
    _submission, case, stored, _document = data["saga"]
    return {
        "list": [
            reverse("forms:staff"),
            reverse("forms:queue"),
            reverse("forms:dead_letters"),
            reverse("forms:reconciliation"),
            reverse("forms:deletions"),
            reverse("api-v1:staff_submissions"),
        ],
        "object": [
            reverse("forms:builder", args=[saga_form.pk]),
            reverse("forms:settings", args=[saga_form.pk]),
            reverse("forms:field_add", args=[saga_form.pk]),
            reverse("forms:page_edit", args=[saga_form.pk, "main"]),
            reverse("forms:field_edit", args=[saga_form.pk, "secret"]),
            reverse("forms:export", args=[saga_form.pk]),
            reverse("forms:batches", args=[saga_form.pk]),
            reverse("forms:batch", args=[data["batch"].pk]),
            reverse("forms:case", args=[case.pk]),
            reverse("forms:file", args=[stored.pk]),
        ],
    }


def test_karatsu_staff_never_see_saga_forms_submissions_files_or_documents(
    two_tenants, karatsu_staff
):
    client = client_for(karatsu_staff)
    urls = _staff_urls(two_tenants)
    for url in urls["list"]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = (
            response.content
            if not hasattr(response, "streaming_content")
            else b"".join(response.streaming_content)
        )
        text = body.decode("utf-8", errors="replace")
        for leak in (
            "SAGA-SECRET-314",
            "saga-only",
            "佐賀市だけの申請",
            two_tenants["saga"][0].reference,
        ):
            assert leak not in text, (url, leak)
    for url in urls["object"]:
        assert client.get(url).status_code == 404, url
    # Their own are there.
    assert "karatsu-only" in client.get(reverse("forms:staff")).content.decode()
    assert (
        two_tenants["karatsu"][0].reference in client.get(reverse("forms:queue")).content.decode()
    )


def test_karatsu_staff_cannot_change_saga_objects(two_tenants, karatsu_staff):
    client = client_for(karatsu_staff)
    saga_form = two_tenants["saga_form"]
    case = two_tenants["saga"][1]
    dead = two_tenants["saga"][0]
    posts = [
        (reverse("forms:publish", args=[saga_form.pk]), {"action": "archive"}),
        (reverse("forms:page_add", args=[saga_form.pk]), {"page-key": "x", "page-title_ja": "x"}),
        (reverse("forms:case", args=[case.pk]), {"action": "transition", "t-to": "reviewing"}),
        (
            reverse("forms:dead_letters"),
            {"dispatch": Dispatch.objects.model._base_manager.get(submission=dead).pk},
        ),
        (reverse("forms:templates"), {"template": "0", "tenant_code": SAGA, "slug": "stolen"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code < 500, (url, response.status_code)
    with tenant_scope(SAGA):
        assert Form.objects.get(pk=saga_form.pk).status == Form.Status.PUBLISHED
        assert Case.objects.get(pk=case.pk).status == "received"
        assert not Form.objects.filter(slug="stolen").exists()


def test_staff_without_the_permission_get_403(two_tenants, karatsu_plain):
    client = client_for(karatsu_plain)
    for url in (reverse("forms:staff"), reverse("forms:queue"), reverse("forms:templates")):
        assert client.get(url).status_code == 403
    assert client.get(reverse("api-v1:staff_submissions")).status_code == 403


def test_anonymous_staff_pages_redirect_to_login(two_tenants):
    client = client_for(None)
    response = client.get(reverse("forms:staff"))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url
    assert client.get(reverse("api-v1:staff_submissions")).status_code == 401


def test_prefecture_staff_read_across_tenants_but_cannot_write(two_tenants, prefecture_staff):
    client = client_for(prefecture_staff)
    saga_form = two_tenants["saga_form"]
    case = two_tenants["saga"][1]
    assert "saga-only" in client.get(reverse("forms:staff")).content.decode()
    assert "karatsu-only" in client.get(reverse("forms:staff")).content.decode()
    assert client.get(reverse("forms:case", args=[case.pk])).status_code == 200
    assert client.get(reverse("forms:builder", args=[saga_form.pk])).status_code == 200
    assert client.get(reverse("forms:settings", args=[saga_form.pk])).status_code == 403
    assert (
        client.post(
            reverse("forms:publish", args=[saga_form.pk]), {"action": "archive"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("forms:case", args=[case.pk]), {"action": "transition", "t-to": "reviewing"}
        ).status_code
        == 403
    )
    references = [
        row["reference"] for row in client.get(reverse("api-v1:staff_submissions")).json()
    ]
    assert two_tenants["saga"][0].reference in references
    assert two_tenants["karatsu"][0].reference in references
    with tenant_scope(SAGA):
        assert Case.objects.get(pk=case.pk).status == "received"


def test_a_service_in_one_tenants_scope_cannot_touch_another_tenant(two_tenants, karatsu_staff):
    saga_form = two_tenants["saga_form"]
    with tenant_scope(KARATSU):
        with pytest.raises(CrossTenantWriteError):
            saga_form.save()
        with pytest.raises(FormVersion.DoesNotExist):  # it cannot even see the versions
            builder.publish_form(form=saga_form, actor=karatsu_staff)
        assert not Submission.objects.filter(pk=two_tenants["saga"][0].pk).exists()


def test_applicant_links_do_not_cross_submissions(two_tenants):
    saga_submission = two_tenants["saga"][0]
    karatsu_submission = two_tenants["karatsu"][0]
    client = client_for(None)
    karatsu_token = filling.status_token(karatsu_submission)
    assert (
        client.get(
            reverse("forms:status", args=[saga_submission.public_id, karatsu_token])
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("forms:document", args=[saga_submission.public_id, karatsu_token, "receipt"])
        ).status_code
        == 404
    )
