"""Plan 3.1 SME ICT-adoption support on the forms engine: company records keyed by a validated
法人番号 with their IT-readiness checklist, the local IT-vendor directory, the support catalogue
(own programmes and the jGrants list filtered to 佐賀県 / 全国) with acceptance windows, and the
reminder seven days before a window closes."""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kurashi.core.audit import record_audit
from kurashi.core.models import User
from kurashi.modules.forms.japanese import InputError, clean_corporate_number
from kurashi.modules.forms.models import Company, ItVendor, ProgrammeReminder, SupportProgramme
from kurashi.modules.forms.services import messages

REMINDER_DAYS = 7
REMINDER_BODY = gettext_noop(
    "Applications for “%(title)s” close on %(end)s (Japan time).\n\n%(url)s\n"
)
JGRANTS_AREAS = ("佐賀県", "全国")


def _corporate_number(value: str) -> str:
    try:
        return clean_corporate_number(value)
    except InputError as error:
        raise ValidationError({"corporate_number": str(error)}) from None


@transaction.atomic
def put_company(
    *,
    tenant_code: str,
    corporate_number: str,
    name: str,
    actor: User | None = None,
    **fields: Any,
) -> Company:
    """Create or update the company with this 法人番号 (one record per number and tenant)."""
    number = _corporate_number(corporate_number)
    company, _created = Company.objects.get_or_create(
        tenant_code=tenant_code, corporate_number=number, defaults={"name": name}
    )
    company.name = name
    for key, value in fields.items():
        if key in {
            "name_kana",
            "postal_code",
            "address",
            "has_gbizid_prime",
            "security_action",
            "miradigi_checked",
        }:
            setattr(company, key, value)
    company.full_clean()
    company.save()
    record_audit(
        actor=actor, action="forms.put_company", obj=company, municipality_code=tenant_code
    )
    return company


def readiness(company: Company) -> list[tuple[str, bool]]:
    """The IT導入補助金 prerequisites (GビズIDプライム, SECURITY ACTION, みらデジ経営チェック)."""
    return [
        (_("GビズID プライム account"), company.has_gbizid_prime),
        (
            _("SECURITY ACTION declared (★ or ★★)"),
            company.security_action != Company.SecurityAction.NONE,
        ),
        (_("みらデジ経営チェック done"), company.miradigi_checked),
    ]


@transaction.atomic
def enrich_company(*, company: Company, payload: dict[str, Any], source: str) -> Company:
    """Keep a gBizINFO record as retrieved, with its source and date (no live call here: the
    caller fetched it through an adapter)."""
    if str(payload.get("corporate_number", company.corporate_number)) != company.corporate_number:
        raise ValidationError(_("The record is about another corporate number."))
    company.enrichment = payload
    company.enrichment_source = source[:100]
    company.enriched_at = timezone.now()
    company.save(update_fields=["enrichment", "enrichment_source", "enriched_at", "updated_at"])
    return company


@transaction.atomic
def put_vendor(*, tenant_code: str, corporate_number: str, name: str, **fields: Any) -> ItVendor:
    number = _corporate_number(corporate_number)
    vendor = ItVendor.objects.filter(
        tenant_code=tenant_code, corporate_number=number
    ).first() or ItVendor(tenant_code=tenant_code, corporate_number=number)
    vendor.name = name
    for key, value in fields.items():
        setattr(vendor, key, value)
    vendor.full_clean()
    vendor.save()
    return vendor


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_fixed_timezone(9 * 60))
    return parsed


@transaction.atomic
def import_jgrants(*, tenant_code: str, payload: dict[str, Any]) -> int:
    """Upsert the subsidies of a jGrants list response (`result`: id, title, target_area_search,
    subsidy_max_limit, acceptance_start_datetime, acceptance_end_datetime, subsidy_rate) whose
    target area is 佐賀県 or 全国. Returns how many were kept."""
    kept = 0
    for item in payload.get("result", []):
        areas = str(item.get("target_area_search", ""))
        if not any(area in areas for area in JGRANTS_AREAS):
            continue
        SupportProgramme.objects.update_or_create(
            tenant_code=tenant_code,
            source=SupportProgramme.Source.JGRANTS,
            external_id=str(item["id"])[:60],
            defaults={
                "title_ja": str(item.get("title", ""))[:300],
                "target_area": areas[:100],
                "max_amount_yen": int(item["subsidy_max_limit"])
                if item.get("subsidy_max_limit")
                else None,
                "subsidy_rate": str(item.get("subsidy_rate") or "")[:60],
                "acceptance_start": _datetime(item.get("acceptance_start_datetime")),
                "acceptance_end": _datetime(item.get("acceptance_end_datetime")),
                "url": f"https://www.jgrants-portal.go.jp/subsidy/{item['id']}",
            },
        )
        kept += 1
    return kept


@transaction.atomic
def ask_reminder(*, programme: SupportProgramme, email: str, language: str) -> ProgrammeReminder:
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise ValidationError(_("Enter an e-mail address such as name@example.jp."))
    if programme.acceptance_end is None or programme.acceptance_end < timezone.now():
        raise ValidationError(_("This programme has no closing date ahead."))
    reminder, _created = ProgrammeReminder.objects.get_or_create(
        tenant_code=programme.tenant_code,
        programme=programme,
        email=email,
        defaults={"language": language[:8], "token": secrets.token_urlsafe(20)},
    )
    return reminder


def send_reminders(*, now: Any = None) -> int:
    """E-mail every reminder whose programme closes within REMINDER_DAYS (once each)."""
    now = now or timezone.now()
    due = ProgrammeReminder.objects.filter(
        reminded_at__isnull=True,
        programme__acceptance_end__gt=now,
        programme__acceptance_end__lte=now + timedelta(days=REMINDER_DAYS),
    ).select_related("programme")
    sent = 0
    for reminder in due:
        if (
            ProgrammeReminder.objects.filter(pk=reminder.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            != 1
        ):
            continue
        programme = reminder.programme
        assert programme.acceptance_end is not None  # noqa: S101 (filtered above)
        with translation.override(reminder.language):
            messages.send(
                key=f"forms:reminder:{reminder.pk}",
                to=reminder.email,
                subject=_("Closing soon: %(title)s") % {"title": programme.title_ja},
                body=_(REMINDER_BODY)
                % {
                    "title": programme.title_ja,
                    "end": f"{timezone.localtime(programme.acceptance_end):%Y-%m-%d %H:%M}",
                    "url": programme.url or django_settings.SITE_URL.rstrip("/") + "/forms/sme/",
                },
                language=reminder.language,
            )
        sent += 1
    return sent
