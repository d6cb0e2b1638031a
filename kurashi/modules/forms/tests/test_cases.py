"""Case workflow (requirement 32) and issued documents (requirement 33): statuses and allowed
transitions, assignment, SLA, two-person approval, audited events, applicant notices, tagged PDF
with labels beside values, 「未記入」, the reference and a verification URL."""

import io
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from kurashi.core.models import AuditEvent
from kurashi.core.tenancy import tenant_scope
from kurashi.modules.forms.models import Case, IssuedDocument
from kurashi.modules.forms.services import cases, documents, filling
from kurashi.modules.forms.tests.conftest import KARATSU, SETTINGS, client_for

pytestmark = pytest.mark.django_db

SIMPLE = {
    "pages": [
        {
            "key": "main",
            "title": {"ja": "申請内容", "en": "Application"},
            "sections": [
                {
                    "fields": [
                        {"key": "name", "type": "name", "label": {"ja": "氏名"}, "required": True},
                        {
                            "key": "email",
                            "type": "email",
                            "label": {"ja": "メールアドレス"},
                            "required": True,
                        },
                        {"key": "note", "type": "textarea", "label": {"ja": "備考"}},
                        {"key": "birthday", "type": "date", "label": {"ja": "生年月日"}},
                    ]
                }
            ],
        }
    ]
}
ANSWERS = {
    "name__family": "唐津",
    "name__given": "太郎",
    "name__family_kana": "カラツ",
    "name__given_kana": "タロウ",
    "email": "taro@example.jp",
    "note": '<script>alert(1)</script> =cmd|"/c calc"!A1',
    "birthday": "",
}


def submitted(published_form, *, two_person=False, answers=None):
    settings = {
        **SETTINGS,
        "case": {
            "sla_days": 10,
            "two_person_approval": two_person,
            "issue_decision_document": True,
        },
    }
    form = published_form(definition=SIMPLE, settings=settings)
    with tenant_scope(KARATSU):
        submission = filling.start_submission(form=form, language="ja")
        from django.http import QueryDict

        data = QueryDict(mutable=True)
        data.update(answers or ANSWERS)
        result = filling.save_page(
            submission=submission, page_key="main", data=data, files={}, validate=True
        )
        assert result.errors == []
        filling.submit(submission=submission, site_url="http://testserver")
        return Case.objects.select_related("submission__version").get(submission=submission)


def test_a_case_opens_received_with_its_sla(published_form):
    case = submitted(published_form)
    assert case.status == "received"
    assert (case.due_at - case.opened_at).days == 10
    with tenant_scope(KARATSU):
        assert [e.action for e in case.events.all()] == ["received"]


def test_the_workflow_moves_through_review_correction_and_decision(
    published_form, karatsu_staff, django_capture_on_commit_callbacks
):
    case = submitted(published_form)
    with tenant_scope(KARATSU), django_capture_on_commit_callbacks(execute=True):
        cases.transition(case=case, to="reviewing", actor=karatsu_staff)
        cases.transition(
            case=case,
            to="correction_requested",
            actor=karatsu_staff,
            message="住所の番地を補ってください。",
        )
        submission = case.submission
        assert filling.is_editable(submission)
        filling.submit(submission=submission, site_url="http://testserver")
        case.refresh_from_db()
        assert case.status == "reviewing"
        cases.transition(case=case, to="approved", actor=karatsu_staff, message="承認します。")
        cases.transition(case=case, to="closed", actor=karatsu_staff)
        assert [e.to_status for e in case.events.all()] == [
            "received",
            "reviewing",
            "correction_requested",
            "reviewing",
            "approved",
            "closed",
        ]
    audited = list(
        AuditEvent.objects.filter(object_type="forms.case", object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    assert audited.count("forms.case.reviewing") == 2
    assert {
        "forms.case.received",
        "forms.case.approved",
        "forms.case.closed",
        "forms.case.correction_requested",
    } <= set(audited)
    subjects = [m.subject for m in mail.outbox if m.to == ["taro@example.jp"]]
    assert any(s.startswith("Correction requested") or "補正" in s for s in subjects), subjects
    correction = next(m for m in mail.outbox if "住所の番地" in m.body)
    assert "/forms/status/" in correction.body


def test_impossible_transitions_are_refused(published_form, karatsu_staff):
    case = submitted(published_form)
    with tenant_scope(KARATSU):
        with pytest.raises(ValidationError):
            cases.transition(case=case, to="approved", actor=karatsu_staff, message="x")
        cases.transition(case=case, to="reviewing", actor=karatsu_staff)
        with pytest.raises(ValidationError, match="連絡事項"):
            cases.transition(case=case, to="rejected", actor=karatsu_staff, message=" ")
        case.refresh_from_db()
        assert case.status == "reviewing"


def test_staff_without_the_permission_or_of_another_tenant_cannot_move_a_case(
    published_form, karatsu_plain, saga_staff
):
    case = submitted(published_form)
    with tenant_scope(KARATSU):
        for actor in (karatsu_plain, saga_staff):
            with pytest.raises(PermissionDenied):
                cases.transition(case=case, to="reviewing", actor=actor)
        case.refresh_from_db()
        assert case.status == "received"


def test_two_person_approval_needs_another_person(published_form, karatsu_staff, karatsu_approver):
    case = submitted(published_form, two_person=True)
    with tenant_scope(KARATSU):
        cases.transition(case=case, to="reviewing", actor=karatsu_staff)
        cases.transition(case=case, to="approved", actor=karatsu_approver, message="承認")
        case.refresh_from_db()
        assert case.status == "reviewing"
        assert case.proposed_decision == "approved"
        with pytest.raises(ValidationError, match="別の職員"):
            cases.confirm_decision(case=case, actor=karatsu_approver, approve=True)
        with pytest.raises(PermissionDenied):
            cases.confirm_decision(case=case, actor=karatsu_staff, approve=True)  # not an approver
    second = karatsu_staff
    from kurashi.testing.builders import make_member

    make_member(second.memberships.first().organisation, "forms.approve_cases", user=second)
    from kurashi.core.permissions import forget_grants

    forget_grants(second)
    with tenant_scope(KARATSU):
        cases.confirm_decision(case=case, actor=second, approve=True)
        case.refresh_from_db()
        assert case.status == "approved"
        assert case.decision_note == "承認"
        assert IssuedDocument.objects.filter(submission=case.submission, kind="decision").exists()


def test_overdue_cases_are_found(published_form, karatsu_staff):
    case = submitted(published_form)
    assert not cases.is_overdue(case)
    assert cases.is_overdue(case, now=case.due_at + (case.due_at - case.opened_at))


def _pdf_text(document: IssuedDocument) -> tuple[PdfReader, str]:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_the_receipt_is_a_tagged_pdf_with_labels_values_and_a_verification_url(published_form):
    case = submitted(published_form)
    with tenant_scope(KARATSU):
        document = documents.issue(submission=case.submission, kind="receipt")
        again = documents.issue(submission=case.submission, kind="receipt")
    assert again.pk == document.pk
    reader, text = _pdf_text(document)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])  # tagged
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).startswith("ja")
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    compact = re.sub(r"\s+", "", text)
    assert case.submission.reference in compact
    assert "氏名" in compact
    assert "唐津太郎（カラツタロウ）" in compact
    assert "生年月日未記入" in compact  # the empty answer is written, never left blank
    assert "<script>alert(1)</script>" in text  # as text: the template engine escaped it
    assert re.sub(r"\s+", "", documents.verification_url(document.verification_code)) in compact


def test_the_verification_page_confirms_a_document(published_form):
    case = submitted(published_form)
    with tenant_scope(KARATSU):
        document = documents.issue(submission=case.submission, kind="receipt")
    client = client_for(None)
    response = client.get(reverse("forms:verify", args=[document.verification_code]))
    assert response.status_code == 200
    assert document.sha256 in response.content.decode()
    assert client.get(reverse("forms:verify", args=["nothing"])).status_code == 404


def test_the_applicant_downloads_the_receipt_by_the_status_link(published_form):
    case = submitted(published_form)
    submission = case.submission
    token = filling.status_token(submission)
    client = client_for(None)
    response = client.get(reverse("forms:document", args=[submission.public_id, token, "receipt"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert (
        client.get(
            reverse("forms:document", args=[submission.public_id, "wrong", "receipt"])
        ).status_code
        == 404
    )
