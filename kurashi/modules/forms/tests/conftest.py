"""Actors and builders of the forms tests: staff of 唐津市 and 佐賀市, a second approver, prefecture
staff (read across tenants), a resident, and published forms built through the services."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from kurashi.core.models import Organisation, User
from kurashi.core.tenancy import PREFECTURE_TENANT, tenant_scope
from kurashi.modules.forms.demo import load_postal_codes
from kurashi.modules.forms.models import Form
from kurashi.modules.forms.services import builder
from kurashi.testing.builders import make_member, make_organisation, make_user

SAGA, KARATSU = "412015", "412023"
BUILDER = ("forms.manage_forms", "forms.process_cases")
CASEWORKER = ("forms.process_cases",)
APPROVER = ("forms.process_cases", "forms.approve_cases")

TWO_PAGES: dict[str, Any] = {
    "pages": [
        {
            "key": "applicant",
            "title": {"ja": "申請者", "en": "Applicant"},
            "sections": [
                {
                    "fields": [
                        {
                            "key": "name",
                            "type": "name",
                            "label": {"ja": "氏名", "en": "Name"},
                            "required": True,
                        },
                        {
                            "key": "email",
                            "type": "email",
                            "label": {"ja": "メールアドレス", "en": "E-mail"},
                            "required": True,
                        },
                        {
                            "key": "kind",
                            "type": "choice",
                            "label": {"ja": "申請者の種別", "en": "Applicant type"},
                            "required": True,
                            "options": [
                                {"value": "person", "label": {"ja": "個人", "en": "Person"}},
                                {"value": "company", "label": {"ja": "法人", "en": "Company"}},
                            ],
                        },
                    ]
                }
            ],
        },
        {
            "key": "company",
            "title": {"ja": "法人の情報", "en": "Company"},
            "show_if": [{"field": "kind", "operator": "equals", "value": "company"}],
            "sections": [
                {
                    "fields": [
                        {
                            "key": "corporate_number",
                            "type": "corporate_number",
                            "label": {"ja": "法人番号", "en": "Corporate number"},
                            "required": True,
                        },
                        {"key": "note", "type": "textarea", "label": {"ja": "備考", "en": "Note"}},
                    ]
                }
            ],
        },
        {
            "key": "details",
            "title": {"ja": "内容", "en": "Details"},
            "sections": [
                {
                    "fields": [
                        {
                            "key": "address",
                            "type": "address",
                            "label": {"ja": "住所", "en": "Address"},
                            "required": True,
                        },
                        {
                            "key": "birthday",
                            "type": "date",
                            "label": {"ja": "生年月日", "en": "Date of birth"},
                        },
                        {
                            "key": "phone",
                            "type": "phone",
                            "label": {"ja": "電話番号", "en": "Telephone"},
                        },
                        {
                            "key": "items",
                            "type": "group",
                            "label": {"ja": "品目", "en": "Items"},
                            "min_items": 1,
                            "max_items": 3,
                            "fields": [
                                {
                                    "key": "item",
                                    "type": "text",
                                    "label": {"ja": "品名", "en": "Item"},
                                    "required": True,
                                },
                                {
                                    "key": "count",
                                    "type": "number",
                                    "label": {"ja": "個数", "en": "Count"},
                                    "required": True,
                                    "min_value": 1,
                                },
                            ],
                        },
                        {
                            "key": "attachment",
                            "type": "file",
                            "label": {"ja": "添付書類", "en": "Attachment"},
                            "accept": ["pdf", "png"],
                            "max_bytes": 1048576,
                        },
                    ]
                }
            ],
        },
    ]
}
SETTINGS: dict[str, Any] = {"title": {"ja": "テスト申請", "en": "Test application"}}


@pytest.fixture
def postal_table(db: None) -> None:
    """The Saga postal table, inside the test's transaction: it is rolled back with it, so no
    other module's test ever finds it in the database (the records module dumps the raw file)."""
    load_postal_codes()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    settings.SITE_URL = "http://testserver"
    return


@pytest.fixture
def karatsu_org(db: None) -> Organisation:
    return make_organisation(
        municipality_code=KARATSU, slug="municipality-412023", name_ja="唐津市"
    )


@pytest.fixture
def saga_org(db: None) -> Organisation:
    return make_organisation(municipality_code=SAGA, slug="municipality-412015", name_ja="佐賀市")


@pytest.fixture
def karatsu_staff(karatsu_org: Organisation) -> User:
    return make_member(karatsu_org, *BUILDER, user=make_user("karatsu-builder"))


@pytest.fixture
def karatsu_plain(karatsu_org: Organisation) -> User:
    """Staff of 唐津市 without any forms permission."""
    return make_member(karatsu_org, user=make_user("karatsu-plain"))


@pytest.fixture
def karatsu_approver(karatsu_org: Organisation) -> User:
    return make_member(karatsu_org, *APPROVER, user=make_user("karatsu-approver"))


@pytest.fixture
def saga_staff(saga_org: Organisation) -> User:
    return make_member(saga_org, *BUILDER, user=make_user("saga-builder"))


@pytest.fixture
def prefecture_staff(db: None) -> User:
    department = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        covers_whole_prefecture=True,
        slug="pref-forms",
        name_ja="県 電子申請",
    )
    return make_member(
        department, *BUILDER, "forms.manage_programmes", user=make_user("pref-staff")
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def published_form() -> Callable[..., Form]:
    def make(
        tenant_code: str = KARATSU,
        slug: str = "test",
        definition: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Form:
        with tenant_scope(tenant_code):
            form = builder.create_form(
                tenant_code=tenant_code,
                slug=slug,
                title_ja="テスト申請",
                definition=definition or TWO_PAGES,
                settings=settings or SETTINGS,
            )
            builder.publish_form(form=form, actor=None)
            form.refresh_from_db()
        return form

    return make


__all__ = ["PREFECTURE_TENANT"]
