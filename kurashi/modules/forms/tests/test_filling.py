"""Filling in through the real views (requirements 28–31, 40 server side): pages with conditions,
the error summary linking to fields, save and resume by e-mailed link, the language switch that
keeps answers, identity levels, fees with reference first, tampered version ids, hostile input."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from kurashi.core.tenancy import cross_tenant, tenant_scope
from kurashi.modules.forms.adapters import FakePaymentProvider, Settlement
from kurashi.modules.forms.models import Case, Payment, Submission, SubmissionFile
from kurashi.modules.forms.selectors import reconcile
from kurashi.modules.forms.services import filling
from kurashi.modules.forms.tests.conftest import KARATSU, SAGA, SETTINGS, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postal_table")]

PAGE1 = {
    "name__family": "佐賀",
    "name__given": "花子",
    "name__family_kana": "さが",
    "name__given_kana": "ハナコ",
    "email": "hanako@example.jp",
    "kind": "company",
}
COMPANY = {"corporate_number": "7000012050002", "note": ""}
DETAILS = {
    "address__postal_code": "840-0041",
    "address__address": "",
    "address__detail": "1-1-59",
    "birthday": "昭和60年4月1日",
    "phone": "0955-72-9111",
    "items__count": "1",
    "items__0__item": "ソファ",
    "items__0__count": "1",
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def start(client, form):
    response = client.post(reverse("forms:start", args=[form.tenant_code, form.slug]))
    assert response.status_code == 302
    public_id = response.url.split("/")[-3]
    with cross_tenant(reason="test"):
        return Submission.objects.get(public_id=public_id)


def post_page(client, submission, page, data, action="next", files=None):
    payload = {
        "version": str(submission.version_id),
        "action": action,
        "language": "en",
        **data,
        **(files or {}),
    }
    return client.post(reverse("forms:fill", args=[submission.public_id, page]), payload)


def reload(submission):
    with cross_tenant(reason="test"):
        return Submission.objects.select_related("version").get(pk=submission.pk)


def fill_all(client, submission, *, kind="company"):
    assert post_page(client, submission, "applicant", {**PAGE1, "kind": kind}).status_code == 302
    if kind == "company":
        assert post_page(client, submission, "company", COMPANY).status_code == 302
    response = post_page(
        client,
        submission,
        "details",
        DETAILS,
        files={"attachment": SimpleUploadedFile("見積.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_a_resident_fills_in_submits_and_sees_the_status_by_the_secret_link(
    published_form, django_capture_on_commit_callbacks
):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    fill_all(client, submission)
    response = client.get(reverse("forms:review", args=[submission.public_id]))
    assert "7000012050002" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("forms:review", args=[submission.public_id]),
            {"version": str(submission.version_id)},
        )
    assert response.status_code == 302
    submission = reload(submission)
    assert submission.status == Submission.Status.SUBMITTED
    assert re.fullmatch(rf"{KARATSU}-\d{{4}}-000001", submission.reference)
    answers = submission.answers
    assert answers["name"]["family_kana"] == "サガ"  # hiragana became katakana
    assert answers["address"]["address"] == "佐賀県佐賀市城内"  # from the postal table
    assert answers["birthday"] == "1985-04-01"
    assert answers["items"] == [{"item": "ソファ", "count": 1}]
    assert answers["attachment"]["name"] == "見積.pdf"
    with tenant_scope(KARATSU):
        assert Case.objects.get(submission=submission).status == "received"
        stored = SubmissionFile.objects.get(submission=submission)
    assert stored.content_type == "application/pdf"
    assert stored.original_name not in stored.file.name  # never the applicant's file name on disk
    receipt = next(m for m in mail.outbox if submission.reference in m.subject)
    link = re.search(r"http://testserver(/forms/status/\S+)", receipt.body).group(1)
    stranger = client_for(None)
    page = stranger.get(link)
    assert page.status_code == 200
    assert submission.reference in page.content.decode()
    assert stranger.get(link[:-5] + "xxxx/").status_code == 404
    assert stranger.get(reverse("forms:my_status", args=[submission.public_id])).status_code == 404


def test_the_owner_sees_the_status_without_the_link(published_form, resident):
    form = published_form()
    client = client_for(resident)
    submission = start(client, form)
    fill_all(client, submission)
    client.post(
        reverse("forms:review", args=[submission.public_id]),
        {"version": str(submission.version_id)},
    )
    assert client.get(reverse("forms:my_status", args=[submission.public_id])).status_code == 200
    assert reload(submission).reference in client.get(reverse("forms:my")).content.decode()


def test_errors_are_summarised_with_links_to_each_field(published_form):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    response = post_page(
        client,
        submission,
        "applicant",
        {**PAGE1, "name__family_kana": "佐賀", "email": "not-an-address", "kind": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html
    for target in ("id_name__family_kana", "id_email", "id_kind"):
        assert f'href="#{target}"' in html
        assert f'id="{target}"' in html  # the link lands on the input
    assert 'aria-invalid="true"' in html
    assert reload(submission).validated_pages == []


def test_a_skipped_branch_is_not_asked_and_not_kept(published_form):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    post_page(client, submission, "applicant", PAGE1)
    post_page(
        client, submission, "company", {"corporate_number": "7000012050002", "note": "法人メモ"}
    )
    response = post_page(client, submission, "applicant", {**PAGE1, "kind": "person"})
    assert response.url.endswith("/details/")  # the company page is skipped
    submission = reload(submission)
    assert "corporate_number" not in submission.answers
    assert "note" not in submission.answers


def test_save_and_resume_by_the_e_mailed_link_keeps_every_answer(
    published_form, django_capture_on_commit_callbacks
):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    post_page(client, submission, "applicant", {**PAGE1, "email": ""}, action="save")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("forms:save", args=[submission.public_id]), {"email": "hanako@example.jp"}
        )
    assert response.status_code == 200
    message = mail.outbox[-1]
    assert message.to == ["hanako@example.jp"]
    link = re.search(r"http://testserver(/forms/resume/\S+)", message.body).group(1)
    other_device = client_for(None)
    assert (
        other_device.get(
            reverse("forms:fill", args=[submission.public_id, "applicant"])
        ).status_code
        == 404
    )
    response = other_device.get(link, follow=True)
    html = response.content.decode()
    assert 'value="佐賀"' in html
    assert 'value="ハナコ"' in html
    assert reload(submission).identity_level == "email"  # opening the link proved the address


def test_an_expired_or_wrong_resume_link_opens_nothing(
    published_form, django_capture_on_commit_callbacks
):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("forms:save", args=[submission.public_id]), {"email": "hanako@example.jp"}
        )
    link = re.search(r"http://testserver(/forms/resume/\S+)", mail.outbox[-1].body).group(1)
    assert client_for(None).get(link[:-3] + "abc/").status_code == 410
    with cross_tenant(reason="test", write=True):
        Submission.objects.filter(pk=submission.pk).update(
            resume_expires_at=timezone.now() - timezone.timedelta(seconds=1)
        )
    assert client_for(None).get(link).status_code == 410


def test_switching_language_keeps_unsaved_answers(published_form):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    response = post_page(
        client, submission, "applicant", {**PAGE1, "email": "half-typed"}, action="switch_language"
    )
    assert response.status_code == 302
    assert response.url.startswith("/en/forms/fill/")
    html = client.get(response.url).content.decode()
    assert 'value="half-typed"' in html
    assert 'value="佐賀"' in html
    assert 'lang="en"' in html
    assert reload(submission).language == "en"


def test_a_tampered_version_id_is_refused_and_nothing_changes(published_form):
    form = published_form()
    other = published_form(SAGA, "other")
    client = client_for(None)
    submission = start(client, form)
    post_page(client, submission, "applicant", PAGE1)
    before = reload(submission).answers
    with cross_tenant(reason="test"):
        foreign = other.published_version_id
    for version in (str(foreign), "999999", "1 OR 1=1", ""):
        response = client.post(
            reverse("forms:fill", args=[submission.public_id, "applicant"]),
            {**PAGE1, "name__family": "改ざん", "version": version, "action": "next"},
        )
        assert response.status_code == 400
        response = client.post(
            reverse("forms:review", args=[submission.public_id]), {"version": version}
        )
        assert response.status_code == 400
    assert reload(submission).answers == before
    assert reload(submission).status == Submission.Status.DRAFT


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1), "too large"),
        ("virus.pdf", b"MZ\x90\x00 this is an exe", "not accepted"),
        ("photo.jpg", b"\xff\xd8\xff\xe0 jpeg but not accepted here", "not accepted"),
        ("fake.png", b"\x89PNG\r\n\x1a\n garbage after the signature", "could not be read"),
    ],
)
def test_hostile_files_are_refused_with_a_clear_error(published_form, name, content, message):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    post_page(client, submission, "applicant", {**PAGE1, "kind": "person"})
    with translation.override("en"):
        response = client.post(
            reverse("forms:fill", args=[submission.public_id, "details"]),
            {
                "version": str(submission.version_id),
                "action": "next",
                **DETAILS,
                "attachment": SimpleUploadedFile(name, content, "application/pdf"),
            },
        )
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_scope(KARATSU):
        assert not SubmissionFile.objects.exists()


def test_scripts_in_answers_are_escaped(published_form):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    post_page(client, submission, "applicant", {**PAGE1, "kind": "company"})
    post_page(
        client,
        submission,
        "company",
        {**COMPANY, "note": '<script>alert("x")</script><img src=x onerror=alert(1)>'},
    )
    html = client.get(reverse("forms:review", args=[submission.public_id])).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_a_form_needing_gbizid_cannot_be_submitted_without_it(published_form):
    form = published_form(settings={**SETTINGS, "identity_level": "gbizid"})
    client = client_for(None)
    submission = start(client, form)
    fill_all(client, submission, kind="person")
    response = client.post(
        reverse("forms:review", args=[submission.public_id]),
        {"version": str(submission.version_id)},
    )
    assert response.status_code == 400
    assert reload(submission).status == Submission.Status.DRAFT
    response = client.post(reverse("forms:identity", args=[submission.public_id]))
    assert response.url.startswith(reverse("forms:fake_identity", args=["gbizid"]))
    state = client.session["forms_identity"]["state"]
    assert (
        client.post(response.url.split("?")[0], {"state": "forged", "subject": "x"}).status_code
        == 400
    )
    client.post(
        response.url.split("?")[0],
        {
            "state": state,
            "subject": "gbiz-123",
            "corporate_number": "7000012050002",
            "account_type": "prime",
        },
    )
    response = client.post(
        reverse("forms:review", args=[submission.public_id]),
        {"version": str(submission.version_id)},
    )
    assert response.status_code == 302
    submission = reload(submission)
    assert submission.status == Submission.Status.SUBMITTED
    assert submission.identity_level == "gbizid"
    assert submission.identity_attributes == {
        "corporate_number": "7000012050002",
        "account_type": "prime",
    }


def test_a_fee_gets_its_reference_before_payment_and_the_case_opens_when_paid(
    published_form, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    form = published_form(
        settings={**SETTINGS, "fee": {"amount_yen": 500, "label": {"ja": "手数料"}}}
    )
    client = client_for(None)
    submission = start(client, form)
    fill_all(client, submission, kind="person")
    response = client.post(
        reverse("forms:review", args=[submission.public_id]),
        {"version": str(submission.version_id)},
    )
    assert response.url == reverse("forms:pay", args=[submission.public_id])
    submission = reload(submission)
    assert submission.status == Submission.Status.AWAITING_PAYMENT
    assert submission.reference
    with tenant_scope(KARATSU):
        payment = Payment.objects.get(submission=submission)
        assert not Case.objects.filter(submission=submission).exists()
    assert payment.reference == f"{submission.reference}-P1"
    response = client.post(reverse("forms:pay", args=[submission.public_id]))
    assert response.url == reverse("forms:fake_pay", args=[payment.reference])
    client.post(response.url)
    submission = reload(submission)
    assert submission.status == Submission.Status.SUBMITTED
    with tenant_scope(KARATSU):
        payment.refresh_from_db()
        assert payment.status == Payment.Status.PAID
        assert Case.objects.filter(submission=submission).exists()
        lines = reconcile(
            payments=list(Payment.objects.all()), settlements=FakePaymentProvider().settlements()
        )
    assert [(line.reference, line.status) for line in lines] == [(payment.reference, "matched")]


def test_reconciliation_reports_every_kind_of_difference(published_form):
    form = published_form(
        settings={**SETTINGS, "fee": {"amount_yen": 500, "label": {"ja": "手数料"}}}
    )
    now = timezone.now()
    with tenant_scope(KARATSU):
        rows = []
        for index, status in enumerate(["paid", "paid", "pending", "paid"]):
            submission = Submission.objects.create(
                tenant_code=KARATSU,
                form=form,
                version=form.published_version,
                reference=f"{KARATSU}-2026-00000{index}",
            )
            rows.append(
                Payment.objects.create(
                    tenant_code=KARATSU,
                    submission=submission,
                    reference=f"R{index}",
                    amount_yen=500,
                    provider="fake",
                    status=status,
                )
            )
        settlements = [
            Settlement("R0", 500, "p0", now),  # matched
            Settlement("R1", 300, "p1", now),  # amount mismatch
            Settlement("R2", 500, "p2", now),  # settled, not recorded as paid
            Settlement("RX", 500, "px", now),  # unknown reference
        ]  # R3 paid but never settled
        lines = {
            line.reference: line.status
            for line in reconcile(payments=rows, settlements=settlements)
        }
    assert lines == {
        "R0": "matched",
        "R1": "amount_mismatch",
        "R2": "settled_not_recorded",
        "R3": "not_settled",
        "RX": "unknown_reference",
    }


def test_postal_lookup_json(client):
    response = client.get(reverse("forms:postal", args=["８４０－００４１"]))
    assert response.json() == {"postal_code": "8400041", "addresses": ["佐賀県佐賀市城内"]}
    assert client.get(reverse("forms:postal", args=["12"])).status_code == 400


def test_group_items_are_added_and_removed_without_losing_the_others(published_form):
    form = published_form()
    client = client_for(None)
    submission = start(client, form)
    post_page(client, submission, "applicant", {**PAGE1, "kind": "person"})
    data = {**DETAILS, "items__count": "2", "items__1__item": "机", "items__1__count": "2"}
    post_page(client, submission, "details", data, action="add:items")
    assert len(reload(submission).answers["items"]) == 3
    data = {
        **DETAILS,
        "items__count": "3",
        "items__1__item": "机",
        "items__1__count": "2",
        "items__2__item": "椅子",
        "items__2__count": "4",
    }
    post_page(client, submission, "details", data, action="remove:items:0")
    items = reload(submission).answers["items"]
    assert [i["item"] for i in items] == ["机", "椅子"]


def test_drafts_of_another_browser_are_not_reachable(published_form):
    form = published_form()
    owner = client_for(None)
    submission = start(owner, form)
    intruder = client_for(None)
    for url in (
        reverse("forms:fill", args=[submission.public_id, "applicant"]),
        reverse("forms:review", args=[submission.public_id]),
        reverse("forms:save", args=[submission.public_id]),
        reverse("forms:done", args=[submission.public_id]),
    ):
        assert intruder.get(url).status_code == 404


def test_a_closed_form_takes_no_new_applications(published_form, karatsu_staff):
    from kurashi.modules.forms.services import builder

    form = published_form()
    with tenant_scope(KARATSU):
        builder.unpublish_form(form=form, actor=karatsu_staff)
    response = client_for(None).post(reverse("forms:start", args=[KARATSU, form.slug]))
    assert response.status_code == 404


def test_a_gbizid_member_acts_only_for_its_own_corporate_number(published_form):
    form = published_form(settings={**SETTINGS, "identity_level": "gbizid"})
    client = client_for(None)
    submission = start(client, form)
    fill_all(client, submission, kind="company")  # answers 7000012050002
    response = client.post(reverse("forms:identity", args=[submission.public_id]))
    fake = response.url.split("?")[0]
    client.post(
        fake,
        {
            "state": client.session["forms_identity"]["state"],
            "subject": "member-1",
            "corporate_number": "1000011000005",
            "account_type": "member",
        },
    )
    response = client.post(
        reverse("forms:review", args=[submission.public_id]),
        {"version": str(submission.version_id)},
    )
    assert response.status_code == 400
    assert "1000011000005" in response.content.decode()
    assert reload(submission).status == Submission.Status.DRAFT


def test_unpaid_submissions_expire_after_the_forms_days(published_form):
    import time_machine

    form = published_form(
        settings={
            **SETTINGS,
            "fee": {"amount_yen": 500, "label": {"ja": "手数料"}, "unpaid_expiry_days": 3},
        }
    )
    client = client_for(None)
    submission = start(client, form)
    fill_all(client, submission, kind="person")
    client.post(
        reverse("forms:review", args=[submission.public_id]),
        {"version": str(submission.version_id)},
    )
    with tenant_scope(KARATSU):
        with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
            assert filling.expire_unpaid() == 0
        with time_machine.travel(timezone.now() + timezone.timedelta(days=4)):
            assert filling.expire_unpaid() == 1
        assert Payment.objects.get(submission=submission).status == Payment.Status.EXPIRED
    assert reload(submission).status == Submission.Status.EXPIRED
    response = client_for(None).post(
        reverse("forms:fake_pay", args=[f"{reload(submission).reference}-P1"])
    )
    assert response.status_code == 400  # an expired payment cannot be paid any more
    assert reload(submission).status == Submission.Status.EXPIRED


def test_the_catalogue_finds_a_word_in_the_middle_of_a_title(published_form):
    published_form(settings={"title": {"ja": "粗大ごみ収集の申込", "en": "Bulky waste"}})
    html = client_for(None).get(reverse("forms:catalogue"), {"q": "ごみ"}).content.decode()
    assert "粗大ごみ収集の申込" in html
    html = client_for(None).get(reverse("forms:catalogue"), {"q": "犬"}).content.decode()
    assert "粗大ごみ収集の申込" not in html
