"""Plan 3.1 (requirements 18–21): companies keyed by a validated 法人番号 with gBizINFO data kept
with source and date, the jGrants import filtered to 佐賀県/全国 with acceptance windows, the
reminder 7 days before a window closes, the readiness checklist and the vendor directory; the
shipped templates (subsidy application, consultation booking) run on the forms engine."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from kurashi.core.tenancy import PREFECTURE_TENANT, cross_tenant, tenant_scope
from kurashi.modules.forms.demo import corporate_number, load_demo
from kurashi.modules.forms.models import Company, ConsultationSlot, Form, SupportProgramme
from kurashi.modules.forms.services import filling, sme
from kurashi.modules.forms.tests.conftest import client_for

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data"


def test_companies_are_keyed_by_a_valid_corporate_number():
    with tenant_scope(PREFECTURE_TENANT):
        company = sme.put_company(
            tenant_code=PREFECTURE_TENANT,
            corporate_number="７０００－０１２０５－０００２".replace("－", ""),
            name="国税庁",
        )
        again = sme.put_company(
            tenant_code=PREFECTURE_TENANT,
            corporate_number="7000012050002",
            name="国税庁（更新）",
            has_gbizid_prime=True,
        )
        assert again.pk == company.pk
        assert Company.objects.count() == 1
        with pytest.raises(ValidationError):
            sme.put_company(
                tenant_code=PREFECTURE_TENANT, corporate_number="2835678256246", name="x"
            )
        assert [done for _label, done in sme.readiness(again)] == [True, False, False]
        sme.enrich_company(
            company=again,
            payload={"corporate_number": "7000012050002", "name": "国税庁"},
            source="gBizINFO REST v2",
        )
        again.refresh_from_db()
        assert again.enrichment_source == "gBizINFO REST v2"
        assert again.enriched_at is not None
        with pytest.raises(ValidationError):
            sme.enrich_company(
                company=again, payload={"corporate_number": "1000011000005"}, source="gBizINFO"
            )


def test_jgrants_import_keeps_saga_and_nationwide_subsidies_only():
    payload = json.loads((DATA / "jgrants_sample.json").read_text(encoding="utf-8"))
    with tenant_scope(PREFECTURE_TENANT):
        assert sme.import_jgrants(tenant_code=PREFECTURE_TENANT, payload=payload) == 2
        assert sme.import_jgrants(tenant_code=PREFECTURE_TENANT, payload=payload) == 2  # idempotent
        rows = list(SupportProgramme.objects.order_by("external_id"))
    assert [r.target_area for r in rows] == ["佐賀県", "全国"]
    assert timezone.localtime(rows[0].acceptance_end).isoformat() == "2027-01-31T17:00:00+09:00"


def test_a_reminder_is_sent_once_seven_days_before_the_window_closes(
    django_capture_on_commit_callbacks,
):
    end = timezone.now() + timedelta(days=20)
    with tenant_scope(PREFECTURE_TENANT):
        programme = SupportProgramme.objects.create(
            tenant_code=PREFECTURE_TENANT, title_ja="補助金", acceptance_end=end
        )
        sme.ask_reminder(programme=programme, email="owner@example.jp", language="ja")
        with django_capture_on_commit_callbacks(execute=True):
            assert sme.send_reminders(now=end - timedelta(days=8)) == 0
            assert sme.send_reminders(now=end - timedelta(days=7)) == 1
            assert sme.send_reminders(now=end - timedelta(days=6)) == 0
    assert [m.to for m in mail.outbox] == [["owner@example.jp"]]
    assert "補助金" in mail.outbox[0].subject


def test_demo_ships_the_subsidy_and_consultation_as_forms_on_the_engine(
    django_capture_on_commit_callbacks,
):
    load_demo(lambda done, total: None)
    load_demo(lambda done, total: None)  # idempotent
    with cross_tenant(reason="test"):
        slugs = set(Form.objects.filter(status="published").values_list("tenant_code", "slug"))
    assert {
        (PREFECTURE_TENANT, "sme-ict-subsidy"),
        (PREFECTURE_TENANT, "ict-consultation"),
        ("412023", "bulky-waste"),
    } <= slugs
    page = client_for(None).get(reverse("forms:sme"))
    html = page.content.decode()
    assert "中小企業ICT導入支援補助金" in html
    assert "（サンプル）東京都" not in html
    assert "さがデジタル工房" in html
    with cross_tenant(reason="test"):
        form = Form.objects.get(slug="ict-consultation")
        slot = ConsultationSlot.objects.filter(form=form).first()
    # Book the consultation: the slot is reserved when the booking is submitted.
    with tenant_scope(PREFECTURE_TENANT):
        submission = filling.start_submission(form=form, language="ja")
        for page_key, values in (
            ("booking", {"slot": str(slot.pk), "topic": "security"}),
            (
                "contact",
                {
                    "name__family": "佐賀",
                    "name__given": "一郎",
                    "name__family_kana": "サガ",
                    "name__given_kana": "イチロウ",
                    "email": "ichiro@example.jp",
                },
            ),
        ):
            data = QueryDict(mutable=True)
            data.update(values)
            assert (
                filling.save_page(
                    submission=submission, page_key=page_key, data=data, files={}, validate=True
                ).errors
                == []
            )
        filling.submit(submission=submission, site_url="http://testserver")
        slot.refresh_from_db()
        assert slot.booked == 1


def test_vendor_directory_filters_by_area_and_it_support_flag():
    load_demo(lambda done, total: None)
    html = (
        client_for(None)
        .get(reverse("forms:sme"), {"it_support": "1", "municipality": "412023"})
        .content.decode()
    )
    assert "唐津ITサポート" in html
    assert "有明ウェブ" not in html
    assert "さがデジタル工房" not in html  # serves 佐賀市 only


def test_demo_corporate_numbers_have_valid_check_digits():
    assert re.fullmatch(r"\d{13}", corporate_number("201201001234"))
    from kurashi.modules.forms.japanese import clean_corporate_number

    assert clean_corporate_number(corporate_number("201201001234"))


def test_postal_import_command_checks_the_header(tmp_path):
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.csv"
    bad.write_text("code,address\n8400041,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="header"):
        call_command("forms_postal_import", str(bad))
    good = tmp_path / "good.csv"
    good.write_text(
        "postal_code,local_government_code,prefecture,city,town,prefecture_kana,city_kana,town_kana\n"
        "1000001,13101,東京都,千代田区,千代田,トウキョウト,チヨダク,チヨダ\n",
        encoding="utf-8",
    )
    call_command("forms_postal_import", str(good))
    from kurashi.modules.forms.services.filling import postal_lookup

    assert postal_lookup("1000001") == ["東京都千代田区千代田"]
