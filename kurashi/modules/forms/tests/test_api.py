"""The JSON API: GET /api/v1/forms/ lists published forms per tenant; one form's definition."""

import pytest
from django.urls import reverse

from kurashi.core.tenancy import tenant_scope
from kurashi.modules.forms.services import builder
from kurashi.modules.forms.tests.conftest import KARATSU, SAGA, SETTINGS, client_for

pytestmark = pytest.mark.django_db


def test_lists_published_forms_per_tenant(published_form, karatsu_staff):
    published_form(KARATSU, "waste")
    published_form(SAGA, "dogs")
    with tenant_scope(KARATSU):
        builder.create_form(tenant_code=KARATSU, slug="draft-only", title_ja="下書き")
    response = client_for(None).get("/api/v1/forms/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    data = response.json()
    assert [(t["tenant_code"], [f["slug"] for f in t["forms"]]) for t in data] == [
        (SAGA, ["dogs"]),
        (KARATSU, ["waste"]),
    ]
    assert data[1]["tenant_name"] == {"ja": "唐津市", "en": "Karatsu City"}
    assert data[1]["forms"][0]["title"] == {
        "ja": SETTINGS["title"]["ja"],
        "en": SETTINGS["title"]["en"],
    }
    assert data[1]["forms"][0]["url"] == f"/forms/{KARATSU}/waste/"
    only = client_for(None).get("/api/v1/forms/", {"tenant": KARATSU}).json()
    assert [t["tenant_code"] for t in only] == [KARATSU]


def test_one_forms_definition_without_the_back_office_addresses(published_form):
    published_form(
        KARATSU,
        "waste",
        settings={**SETTINGS, "registration": [{"kind": "email", "email": "office@example.jp"}]},
    )
    response = client_for(None).get("/api/v1/forms/412023/waste")
    data = response.json()
    assert data["version"] == 1
    assert data["definition"]["pages"][0]["key"] == "applicant"
    assert "registration" not in data["settings"]
    assert client_for(None).get("/api/v1/forms/412023/nothing").status_code == 404


def test_staff_api_is_never_cacheable(published_form, karatsu_staff):
    response = client_for(karatsu_staff).get(reverse("api-v1:staff_submissions"))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
