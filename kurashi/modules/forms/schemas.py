"""Schemas of the forms JSON API (/api/v1/forms/)."""

from datetime import datetime

from ninja import Schema


class TextOut(Schema):
    ja: str
    en: str


class PublishedFormOut(Schema):
    tenant_code: str
    tenant_name: TextOut
    slug: str
    title: TextOut
    description: TextOut
    version: int
    identity_level: str
    fee_yen: int | None
    published_at: datetime | None
    url: str


class TenantFormsOut(Schema):
    tenant_code: str
    tenant_name: TextOut
    forms: list[PublishedFormOut]


class FormDefinitionOut(Schema):
    tenant_code: str
    slug: str
    version: int
    checksum: str
    definition: dict[str, object]
    settings: dict[str, object]


class SubmissionOut(Schema):
    reference: str
    tenant_code: str
    form: str
    version: int
    status: str
    case_status: str
    submitted_at: datetime | None


class ErrorOut(Schema):
    detail: str
