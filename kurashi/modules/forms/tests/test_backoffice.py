"""Out to the back office (requirements 34–36): webhook to a real HTTP receiver on loopback with
retries, backoff and the dead-letter list, e-mail through a real SMTP server, CSV batches for the
基幹 import and exports with every question column and no formula injection, retention with
legal hold and the deletion log under a frozen clock."""

import csv
import hashlib
import hmac
import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.http import QueryDict
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from kurashi.core.tenancy import cross_tenant, tenant_scope
from kurashi.modules.forms.models import (
    Case,
    DeletionRecord,
    Dispatch,
    FormVersion,
    Submission,
    SubmissionFile,
)
from kurashi.modules.forms.services import backoffice, cases, filling
from kurashi.modules.forms.tests.conftest import KARATSU, SETTINGS, client_for
from kurashi.testing.server import free_port
from kurashi.testing.smtp import smtp_server

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook receiver on loopback that fails the first `failures` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[dict[str, object]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = 503 if len(receiver.requests) <= receiver.failures else 201
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.port = free_port()
        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/intake"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def submit(form, answers, kind="person"):
    with tenant_scope(form.tenant_code):
        submission = filling.start_submission(form=form, language="ja")
        for page, data in answers:
            query = QueryDict(mutable=True)
            for key, value in data.items():
                if isinstance(value, list):
                    query.setlist(key, value)
                else:
                    query[key] = value
            result = filling.save_page(
                submission=submission, page_key=page, data=query, files={}, validate=True
            )
            assert result.errors == [], result.errors
        filling.submit(submission=submission, site_url="http://testserver")
        return submission


PERSON = [
    (
        "applicant",
        {
            "name__family": "佐賀",
            "name__given": "花子",
            "name__family_kana": "サガ",
            "name__given_kana": "ハナコ",
            "email": "h@example.jp",
            "kind": "person",
        },
    ),
    (
        "details",
        {
            "address__postal_code": "8470011",
            "address__address": "佐賀県唐津市栄町",
            "address__detail": "2588-3",
            "items__count": "1",
            "items__0__item": '=HYPERLINK("http://evil")',
            "items__0__count": "1",
            "phone": "+819012345678",
        },
    ),
]
COMPANY = [
    ("applicant", {**PERSON[0][1], "kind": "company", "name__family": "@SUM(A1)"}),
    ("company", {"corporate_number": "7000012050002", "note": "-2+3"}),
    PERSON[1],
]


@pytest.fixture
def webhook_form(published_form):
    def make(url, attempts=3):
        return published_form(
            settings={
                **SETTINGS,
                "registration": [{"kind": "webhook", "url": url, "max_attempts": attempts}],
            }
        )

    return make


def test_webhook_delivers_signed_json(webhook_form, settings):
    settings.FORMS_WEBHOOK_SECRET = "s3cret"
    with Receiver() as receiver:
        form = webhook_form(receiver.url)
        submission = submit(form, PERSON)
        with tenant_scope(KARATSU):
            assert backoffice.process_dispatches() == {"sent": 1, "retry": 0, "dead": 0}
            dispatch = Dispatch.objects.get(submission=submission)
    assert dispatch.status == Dispatch.Status.SENT
    request = receiver.requests[0]
    body = request["body"]
    payload = json.loads(body)
    assert payload["reference"] == submission.reference
    assert payload["answers"]["name"]["family"] == "佐賀"
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert request["headers"]["X-Kurashi-Signature"] == f"sha256={expected}"
    assert request["headers"]["Idempotency-Key"] == f"forms-{dispatch.pk}"


def test_failures_back_off_then_land_in_the_dead_letter_list_and_can_be_sent_again(
    webhook_form, karatsu_staff
):
    with Receiver(failures=3) as receiver:
        form = webhook_form(receiver.url, attempts=3)
        submission = submit(form, PERSON)
        now = timezone.now()
        with tenant_scope(KARATSU):
            assert backoffice.process_dispatches(now=now)["retry"] == 1
            dispatch = Dispatch.objects.get(submission=submission)
            assert dispatch.next_attempt_at == now + timedelta(minutes=1)
            assert backoffice.process_dispatches(now=now) == {
                "sent": 0,
                "retry": 0,
                "dead": 0,
            }  # not due yet
            backoffice.process_dispatches(now=now + timedelta(minutes=1))
            dispatch.refresh_from_db()
            assert dispatch.next_attempt_at == now + timedelta(minutes=3)
            assert backoffice.process_dispatches(now=now + timedelta(minutes=3))["dead"] == 1
            dispatch.refresh_from_db()
            assert dispatch.status == Dispatch.Status.DEAD
            assert "503" in dispatch.last_error
            # The applicant still has the receipt and the case.
            assert Case.objects.filter(submission=submission).exists()
        staff = client_for(karatsu_staff)
        page = staff.get(reverse("forms:dead_letters"))
        assert submission.reference in page.content.decode()
        staff.post(reverse("forms:dead_letters"), {"dispatch": dispatch.pk})
        with tenant_scope(KARATSU):
            assert backoffice.process_dispatches()["sent"] == 1
    assert len(receiver.requests) == 4


def test_the_email_adapter_sends_through_smtp(published_form, django_capture_on_commit_callbacks):
    form = published_form(
        settings={
            **SETTINGS,
            "registration": [{"kind": "email", "email": "office@city.karatsu.example"}],
        }
    )
    with smtp_server() as sink, override_settings(MAILERS=sink.mailers):
        submission = submit(form, PERSON)
        with tenant_scope(KARATSU), django_capture_on_commit_callbacks(execute=True):
            assert backoffice.process_dispatches()["sent"] == 1
        message = sink.wait_for("office@city.karatsu.example")
    assert submission.reference in str(message["Subject"])
    assert json.loads(message.get_content())["reference"] == submission.reference


def _rows(content: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding))))


def test_csv_export_has_every_question_column_even_for_skipped_branches_and_no_formulas(
    published_form, karatsu_staff
):
    form = published_form()
    person = submit(form, PERSON)
    company = submit(form, COMPANY)
    with tenant_scope(KARATSU):
        content = backoffice.export_csv(form=form, submissions=[person, company])
    header, first, second = _rows(content)
    assert header[:4] == ["受付番号", "申請日時", "状態", "様式の版"]
    for column in ("法人番号", "備考", "氏名（姓）", "住所（郵便番号）", "品目：品名", "添付書類"):
        assert column in header
    number = header.index("法人番号")
    assert first[number] == ""  # the person skipped the company page: an empty cell
    assert second[number] == "7000012050002"
    assert first[header.index("品目：品名")] == '\'=HYPERLINK("http://evil")'
    assert second[header.index("氏名（姓）")] == "'@SUM(A1)"
    assert second[header.index("備考")] == "'-2+3"
    assert first[header.index("電話番号")] == "09012345678"
    with tenant_scope(KARATSU):
        cp932 = backoffice.export_csv(form=form, submissions=[person], encoding="cp932")
    assert _rows(cp932, "cp932")[1][0] == person.reference


def test_csv_export_spans_every_version_of_the_form(published_form, karatsu_staff):
    form = published_form()
    old = submit(form, PERSON)
    from kurashi.modules.forms.services import builder

    with tenant_scope(KARATSU):
        builder.put_field(
            form=form,
            actor=karatsu_staff,
            page_key="details",
            field={"key": "extra", "type": "text", "label": {"ja": "追加項目"}},
        )
        builder.publish_form(form=form, actor=karatsu_staff)
        assert FormVersion.objects.filter(form=form).count() == 2
        header, row = _rows(backoffice.export_csv(form=form, submissions=[old]))
    assert "追加項目" in header
    assert row[header.index("様式の版")] == "1"


def test_csv_batches_collect_new_submissions_once(published_form, karatsu_staff):
    form = published_form(settings={**SETTINGS, "registration": [{"kind": "csv"}]})
    first = submit(form, PERSON)
    with tenant_scope(KARATSU):
        batch = backoffice.build_csv_batch(form=form, actor=karatsu_staff)
        assert batch.row_count == 1
        assert backoffice.build_csv_batch(form=form, actor=karatsu_staff) is None
        second = submit(form, PERSON)
        later = backoffice.build_csv_batch(form=form, actor=karatsu_staff)
        with later.file.open("rb") as handle:
            rows = _rows(handle.read())
        assert [row[0] for row in rows[1:]] == [second.reference]
        assert Dispatch.objects.get(submission=first).batch_id == batch.pk
    response = client_for(karatsu_staff).get(reverse("forms:batch", args=[later.pk]))
    assert response.status_code == 200


def test_retention_deletes_drafts_and_anonymises_old_cases_except_under_legal_hold(
    published_form, karatsu_staff
):
    settings = {**SETTINGS, "retention": {"years": 1, "draft_days": 7, "method": "anonymise"}}
    form = published_form(settings=settings)
    with tenant_scope(KARATSU):
        draft = filling.start_submission(form=form, language="ja")
    done = submit(form, PERSON)
    held = submit(form, PERSON)
    with tenant_scope(KARATSU):
        for submission in (done, held):
            case = Case.objects.get(submission=submission)
            cases.transition(case=case, to="reviewing", actor=karatsu_staff)
            cases.transition(case=case, to="rejected", actor=karatsu_staff, message="却下")
            cases.transition(case=case, to="closed", actor=karatsu_staff)
        backoffice.set_legal_hold(
            submission=held, hold=True, actor=karatsu_staff, reason="訴訟対応"
        )
    with (
        time_machine.travel(timezone.now() + timedelta(days=8)),
        cross_tenant(reason="test sweep", write=True),
    ):
        assert backoffice.apply_retention() == {"deleted": 1, "anonymised": 0, "held": 0}
        assert not Submission.objects.filter(pk=draft.pk).exists()
    with (
        time_machine.travel(timezone.now() + timedelta(days=367)),
        cross_tenant(reason="test sweep", write=True),
    ):
        assert backoffice.apply_retention() == {"deleted": 0, "anonymised": 1, "held": 1}
        done.refresh_from_db()
        assert done.answers == {}
        assert done.email == ""
        assert done.anonymised_at is not None
        assert Case.objects.get(submission=done).decision_note == backoffice.ANONYMISED
        assert Submission.objects.get(pk=held.pk).answers != {}
        records = list(DeletionRecord.objects.order_by("at").values_list("reference", "method"))
    assert records[0][1] == "delete"
    assert records[1] == (done.reference, "anonymise")
    assert all("花子" not in str(record) for record in records)


def test_retention_removes_stored_files(published_form, karatsu_staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = published_form(
        settings={**SETTINGS, "retention": {"years": 1, "draft_days": 1, "method": "delete"}}
    )
    with tenant_scope(KARATSU):
        draft = filling.start_submission(form=form, language="ja")
        query = QueryDict(mutable=True)
        upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", "application/pdf")
        filling.save_page(
            submission=draft,
            page_key="details",
            data=query,
            files={"attachment": upload},
            validate=False,
        )
        stored = SubmissionFile.objects.get(submission=draft)
        path = stored.file.path
    with (
        time_machine.travel(timezone.now() + timedelta(days=2)),
        cross_tenant(reason="test sweep", write=True),
    ):
        backoffice.apply_retention()
    import os

    assert not os.path.exists(path)
