"""Issued documents: a receipt (受付票) and a decision notice (決定通知書), as tagged, accessible
PDF (PDF/UA-1 via WeasyPrint: structure tree, document language, title) with every question's
label beside its answer (「未記入」 when empty), the reference number and a verification URL with
its QR code. Answers are escaped by the template engine: a script in an answer is text."""

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from kurashi.core.tenancy import tenant_names
from kurashi.modules.forms import answers as answer_rules
from kurashi.modules.forms.definition import FieldType, FormField
from kurashi.modules.forms.japanese import format_postal_code, to_wareki
from kurashi.modules.forms.models import IssuedDocument, Submission
from kurashi.modules.forms.services.builder import parse

EMPTY = "未記入"


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Block:
    title: str
    rows: list[Row]


def display_value(form_field: FormField, value: Any) -> str:
    """An answer as a person reads it (Japanese conventions), or 「未記入」."""
    if value in (None, "", [], {}):
        return EMPTY
    kind = form_field.type
    if kind == FieldType.NAME and isinstance(value, dict):
        name = f"{value.get('family', '')} {value.get('given', '')}".strip()
        kana = f"{value.get('family_kana', '')} {value.get('given_kana', '')}".strip()
        return f"{name}（{kana}）" if kana else (name or EMPTY)
    if kind == FieldType.ADDRESS and isinstance(value, dict):
        postal = format_postal_code(value.get("postal_code", ""))
        text = f"〒{postal} " if postal else ""
        return (text + f"{value.get('address', '')}{value.get('detail', '')}").strip() or EMPTY
    if kind in {FieldType.CHOICE, FieldType.SELECT}:
        return next((str(o.label) for o in form_field.options if o.value == value), str(value))
    if kind == FieldType.MULTI_CHOICE and isinstance(value, list):
        labels = [str(o.label) for o in form_field.options if o.value in value]
        return "、".join(labels) or EMPTY
    if kind == FieldType.DATE:
        from datetime import date

        try:
            parsed = date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return f"{to_wareki(parsed)}（{parsed.isoformat()}）"
    if kind == FieldType.CONSENT:
        return "同意する" if value == "yes" else EMPTY
    if kind == FieldType.FILE and isinstance(value, dict):
        return f"{value.get('name', '')}（{value.get('size', 0):,} bytes）"
    if kind == FieldType.NUMBER:
        return f"{value:,}" if isinstance(value, int) else str(value)
    return str(value)


def answer_blocks(submission: Submission) -> list[Block]:
    """Every visible page's questions with their answers; a repeating group's items numbered."""
    definition, _settings = parse(submission.version)
    blocks = []
    for page in answer_rules.visible_pages(definition, submission.answers):
        rows: list[Row] = []
        for form_field in page.fields():
            if not answer_rules.is_visible(form_field.show_if, submission.answers):
                continue
            value = submission.answers.get(form_field.key)
            if form_field.type == FieldType.GROUP:
                items = value if isinstance(value, list) else []
                if not items:
                    rows.append(Row(str(form_field.label), EMPTY))
                for index, item in enumerate(items, start=1):
                    for child in form_field.fields:
                        rows.append(
                            Row(
                                f"{form_field.label} {index}: {child.label}",
                                display_value(child, item.get(child.key)),
                            )
                        )
                continue
            rows.append(Row(str(form_field.label), display_value(form_field, value)))
        blocks.append(Block(str(page.title), rows))
    return blocks


def qr_svg_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def verification_url(code: str) -> str:
    return django_settings.SITE_URL.rstrip("/") + reverse("forms:verify", args=[code])


def render_pdf(*, submission: Submission, kind: str, code: str, issued_at: Any) -> bytes:
    from weasyprint import HTML

    _definition, settings = parse(submission.version)
    case = getattr(submission, "case", None)
    tenant = tenant_names().get(submission.tenant_code)
    url = verification_url(code)
    with translation.override("ja"):
        html = render_to_string(
            "forms/pdf/document.html",
            {
                "kind": kind,
                "title": settings.title.ja,
                "department": settings.theme.department.ja if settings.theme.department else "",
                "tenant_name": tenant.name_ja if tenant else submission.tenant_code,
                "submission": submission,
                "case": case,
                "blocks": answer_blocks(submission),
                "issued_at": timezone.localtime(issued_at),
                "submitted_at": timezone.localtime(submission.submitted_at)
                if submission.submitted_at
                else None,
                "verification_code": code,
                "verification_url": url,
                "qr": qr_svg_data_uri(url),
            },
        )
    return bytes(
        HTML(string=html, base_url=str(django_settings.BASE_DIR)).write_pdf(pdf_variant="pdf/ua-1")
    )


@transaction.atomic
def issue(*, submission: Submission, kind: str) -> IssuedDocument:
    """Issue the document of this kind (again, for a decision that changed; a receipt once)."""
    if kind == IssuedDocument.Kind.RECEIPT:
        existing = IssuedDocument.objects.filter(submission=submission, kind=kind).first()
        if existing is not None:
            return existing
    code = secrets.token_hex(10)
    issued_at = timezone.now()
    pdf = render_pdf(submission=submission, kind=kind, code=code, issued_at=issued_at)
    document = IssuedDocument(
        tenant_code=submission.tenant_code,
        submission=submission,
        kind=kind,
        verification_code=code,
        sha256=hashlib.sha256(pdf).hexdigest(),
        language="ja",
        issued_at=issued_at,
    )
    document.file.save(f"{submission.tenant_code}-{code}.pdf", ContentFile(pdf), save=False)
    document.save()
    return document
