"""Demo data of the online services: roles and staff of 佐賀市, 唐津市 and the prefecture, the
postal table of Saga, published forms made from the shipped templates (the prefecture's SME
subsidy and consultation booking, 唐津市's bulky-waste collection with a fee), consultation
slots, ぴったりサービス catalogue links, demo IT vendors and support programmes. Idempotent."""

import csv
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum.jp import cn

from kurashi.core.demo import ensure_demo_account
from kurashi.core.models import Organisation
from kurashi.core.services import RoleSpec, add_membership, ensure_organisation, ensure_role
from kurashi.core.tenancy import PREFECTURE_TENANT, cross_tenant
from kurashi.modules.forms.models import (
    CatalogueEntry,
    ConsultationSlot,
    Form,
    FormTemplate,
    PostalCode,
    SupportProgramme,
)
from kurashi.modules.forms.services import builder, sme

Progress = Callable[[int, int], None]
DATA = Path(__file__).resolve().parent / "data"
SAGA, KARATSU = "412015", "412023"
PITTARI_URL = "https://app.oss.myna.go.jp/Application/search"

ROLES = (
    RoleSpec(
        "forms-builder",
        "電子申請 様式作成者",
        "Form builder",
        ("forms.manage_forms", "forms.process_cases"),
    ),
    RoleSpec("forms-caseworker", "電子申請 審査担当", "Caseworker", ("forms.process_cases",)),
    RoleSpec(
        "forms-approver",
        "電子申請 決裁者",
        "Approver",
        ("forms.process_cases", "forms.approve_cases"),
    ),
    RoleSpec(
        "forms-sme-officer",
        "中小企業支援 担当",
        "SME support officer",
        ("forms.manage_forms", "forms.process_cases", "forms.manage_programmes"),
    ),
)
STAFF = (
    ("forms-saga", "佐賀市 電子申請担当", f"municipality-{SAGA}", "forms-builder"),
    ("forms-karatsu", "唐津市 電子申請担当", f"municipality-{KARATSU}", "forms-builder"),
    ("forms-karatsu-approver", "唐津市 決裁者", f"municipality-{KARATSU}", "forms-approver"),
    ("forms-pref", "県 中小企業支援担当", "pref-forms-office", "forms-sme-officer"),
)
# ぴったりサービス procedures (子育て・介護) that municipalities link to instead of building.
PITTARI = (
    (
        "児童手当等の受給資格及び児童手当の額についての認定請求",
        "Child allowance: application for recognition",
        "子育て",
    ),
    ("妊娠の届出", "Notification of pregnancy", "子育て"),
    ("要介護・要支援認定の申請", "Long-term care: application for certification", "介護"),
)


def corporate_number(base: str) -> str:
    """A 法人番号 with its check digit (the demo vendors are fictional)."""
    return cn.calc_check_digit(base) + base


VENDORS: tuple[tuple[str, str, str, bool, list[str], str], ...] = (
    (
        "（デモ）さがデジタル工房株式会社",
        "Saga Digital Works (demo)",
        "201201001234",
        True,
        [SAGA],
        "業務アプリ、クラウド会計の導入支援",
    ),
    (
        "（デモ）唐津ITサポート合同会社",
        "Karatsu IT Support (demo)",
        "301201005678",
        True,
        [KARATSU, "412082"],
        "ネットワーク、セキュリティ、POSレジ",
    ),
    (
        "（デモ）有明ウェブ制作",
        "Ariake Web (demo)",
        "401201009012",
        False,
        [],
        "ホームページ、ネットショップ制作",
    ),
)


def load_postal_codes(path: Path = DATA / "postal_saga.csv") -> int:
    """The postal table (日本郵便 郵便番号データ) — Saga's by default; a KEN_ALL-derived CSV of
    the same columns for the whole country with `kurashi forms_postal_import`."""
    with path.open(encoding="utf-8") as handle:
        rows = [
            PostalCode(
                code=row["postal_code"],
                local_government_code=row["local_government_code"][:6],
                prefecture=row["prefecture"],
                city=row["city"],
                town=row["town"],
                town_kana=row["town_kana"],
            )
            for row in csv.DictReader(handle)
        ]
    with transaction.atomic():
        PostalCode.objects.filter(code__in={row.code for row in rows}).delete()
        PostalCode.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _template(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (DATA / "templates" / f"{name}.json").read_text(encoding="utf-8")
    )
    return data


def _published_form(tenant_code: str, slug: str, template: str) -> Form:
    form = Form.objects.filter(tenant_code=tenant_code, slug=slug).first()
    if form is not None:
        return form
    data = _template(template)
    form = builder.create_form(
        tenant_code=tenant_code,
        slug=slug,
        title_ja=data["settings"]["title"]["ja"],
        definition=data["definition"],
        settings=data["settings"],
    )
    builder.publish_form(form=form, actor=None)
    form.refresh_from_db()
    return form


@transaction.atomic
def load_demo(progress: Progress) -> int:
    steps = 8
    roles = {spec.code: ensure_role(spec) for spec in ROLES}
    ensure_organisation(
        slug="pref-forms-office",
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        name_ja="佐賀県 電子申請・中小企業支援（デモ）",
        name_en="Saga Prefecture online services and SME support (demo)",
        covers_whole_prefecture=True,
    )
    for username, display_name, slug, role in STAFF:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            continue
        user = ensure_demo_account(username=username, display_name=display_name)
        add_membership(actor=None, user=user, organisation=organisation, role=roles[role])
    progress(1, steps)
    load_postal_codes()
    progress(2, steps)
    # Demo data of several tenants, written once by the loader: a system job.
    with cross_tenant(reason="demo loader", write=True):
        subsidy = _published_form(PREFECTURE_TENANT, "sme-ict-subsidy", "sme_ict_subsidy")
        consultation = _published_form(PREFECTURE_TENANT, "ict-consultation", "ict_consultation")
        waste = _published_form(KARATSU, "bulky-waste", "bulky_waste")
        progress(3, steps)
        for form in (subsidy, consultation):
            if not FormTemplate.objects.filter(
                tenant_code=PREFECTURE_TENANT, provenance__form_slug=form.slug
            ).exists():
                builder.publish_template(
                    form=form, actor=None, description="佐賀県が共有するテンプレート（デモ）"
                )
        progress(4, steps)
        start = timezone.localtime().replace(
            hour=10, minute=0, second=0, microsecond=0
        ) + timedelta(days=7)
        if not ConsultationSlot.objects.filter(form=consultation).exists():
            for day in range(10):
                for hour in (10, 14):
                    begins = start.replace(hour=hour) + timedelta(days=day)
                    ConsultationSlot.objects.create(
                        tenant_code=PREFECTURE_TENANT,
                        form=consultation,
                        starts_at=begins,
                        ends_at=begins + timedelta(hours=1),
                        capacity=2,
                        place="佐賀県庁 新館 / オンライン",
                    )
        progress(5, steps)
        for tenant_code in (SAGA, KARATSU):
            for title_ja, title_en, category in PITTARI:
                if not CatalogueEntry.objects.filter(
                    tenant_code=tenant_code, title_ja=title_ja
                ).exists():
                    builder.put_catalogue_entry(
                        tenant_code=tenant_code,
                        title_ja=title_ja,
                        title_en=title_en,
                        category=category,
                        channel=CatalogueEntry.Channel.PITTARI,
                        external_url=PITTARI_URL,
                    )
        for form, category in ((waste, "くらし"), (subsidy, "事業者"), (consultation, "事業者")):
            if not CatalogueEntry.objects.filter(form=form).exists():
                builder.put_catalogue_entry(
                    tenant_code=form.tenant_code,
                    title_ja=builder.parse(form.published_version)[1].title.ja,  # type: ignore[arg-type]
                    title_en=builder.parse(form.published_version)[1].title.en,  # type: ignore[arg-type]
                    category=category,
                    channel=CatalogueEntry.Channel.KURASHI,
                    form=form,
                )
        progress(6, steps)
        for name, name_en, base, it_support, areas, services in VENDORS:
            sme.put_vendor(
                tenant_code=PREFECTURE_TENANT,
                corporate_number=corporate_number(base),
                name=name,
                name_en=name_en,
                is_it_support_provider=it_support,
                municipality_codes=areas,
                services=services,
            )
        progress(7, steps)
        now = timezone.now()
        SupportProgramme.objects.update_or_create(
            tenant_code=PREFECTURE_TENANT,
            source=SupportProgramme.Source.OWN,
            title_ja="中小企業ICT導入支援補助金（デモ）",
            defaults={
                "title_en": "SME ICT adoption subsidy (demo)",
                "summary": "ICT導入経費の1/2、上限50万円（デモ用の架空の制度）",
                "target_area": "佐賀県",
                "acceptance_start": now - timedelta(days=10),
                "acceptance_end": now + timedelta(days=20),
                "max_amount_yen": 500_000,
                "subsidy_rate": "1/2",
                "form": subsidy,
            },
        )
        SupportProgramme.objects.update_or_create(
            tenant_code=PREFECTURE_TENANT,
            source=SupportProgramme.Source.OWN,
            title_ja="ICT活用相談（無料）",
            defaults={
                "title_en": "ICT consultations (free)",
                "target_area": "佐賀県",
                "form": consultation,
            },
        )
        sme.import_jgrants(
            tenant_code=PREFECTURE_TENANT,
            payload=json.loads((DATA / "jgrants_sample.json").read_text(encoding="utf-8")),
        )
    progress(8, steps)
    return steps
