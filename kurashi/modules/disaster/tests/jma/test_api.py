"""The JSON API of the JMA intake, with the four actors on the staff endpoints."""

from collections.abc import Callable

import pytest
from django.test import Client

from kurashi.core.models import AuditEvent, Organisation, User
from kurashi.modules.disaster.models import Alert, AreaWarning, Bulletin
from kurashi.modules.disaster.models.jma import RejectedBulletin
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import fixture, variant
from kurashi.testing import make_organisation

pytestmark = pytest.mark.django_db

URL = "/api/v1/disaster/jma/bulletins"
ROKKAKU = fixture("official_16_02_02_220728_VXKOii.xml")


@pytest.fixture
def prefecture() -> Organisation:
    return make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        slug="saga-kiki",
        name_ja="佐賀県危機管理防災課",
        covers_whole_prefecture=True,
    )


@pytest.fixture
def ingester(prefecture: Organisation, member_factory: Callable[..., User]) -> User:
    return member_factory(prefecture, "disaster.ingest_bulletin", "disaster.view_intake")


@pytest.fixture
def plain_staff(prefecture: Organisation, member_factory: Callable[..., User]) -> User:
    return member_factory(prefecture)


def post(client: Client, data: bytes, **headers: str) -> object:
    return client.post(URL, data=data, content_type="application/xml", headers=headers)


def nothing_stored() -> bool:
    return not (
        Bulletin.objects.exists()
        or AreaWarning.objects.exists()
        or Alert.objects.exists()
        or RejectedBulletin.objects.exists()
    )


def test_anonymous_cannot_ingest(client: Client) -> None:
    response = post(client, ROKKAKU)

    assert response.status_code == 401
    assert nothing_stored()


def test_a_resident_cannot_ingest(client: Client, resident: User) -> None:
    client.force_login(resident)

    response = post(client, ROKKAKU)

    assert response.status_code == 403
    assert nothing_stored()


def test_staff_without_the_permission_cannot_ingest(client: Client, plain_staff: User) -> None:
    client.force_login(plain_staff)

    response = post(client, ROKKAKU)

    assert response.status_code == 403
    assert nothing_stored()


def test_municipal_staff_with_the_permission_cannot_ingest_for_the_whole_prefecture(
    client: Client, karatsu: Organisation, member_factory: Callable[..., User]
) -> None:
    client.force_login(member_factory(karatsu, "disaster.ingest_bulletin"))

    response = post(client, ROKKAKU)

    assert response.status_code == 403
    assert nothing_stored()


def test_staff_with_the_permission_ingest_and_get_what_changed(
    client: Client, ingester: User
) -> None:
    client.force_login(ingester)

    response = post(client, ROKKAKU, **{"X-Filename": "rokkaku.xml"})

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["type_code"], body["outcome"]) == ("created", "VXKO", "applied")
    assert body["changes"]["levels"] == dict.fromkeys(
        ["412066", "412091", "414239", "414247", "414255"], 3
    )
    assert len(body["alerts"]) == 1
    bulletin = Bulletin.objects.get()
    assert (bulletin.source, bulletin.source_name) == ("upload", "rokkaku.xml")
    event = AuditEvent.objects.get(action="disaster.jma.ingest")
    assert event.actor == ingester


def test_a_duplicate_answers_200_and_changes_nothing(client: Client, ingester: User) -> None:
    client.force_login(ingester)
    post(client, ROKKAKU)

    response = post(client, ROKKAKU)

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert Bulletin.objects.count() == 1
    assert Alert.objects.count() == 1


@pytest.mark.parametrize(
    ("_case", "data", "reason"),
    [
        ("truncated", ROKKAKU[:500], "malformed"),
        ("not_xml", b"hello", "not_xml"),
        ("doctype", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', "doctype"),
    ],
)
def test_rejected_input_answers_400_with_the_reason(
    client: Client, ingester: User, _case: str, data: bytes, reason: str
) -> None:
    client.force_login(ingester)

    response = post(client, data)

    assert response.status_code == 400
    assert response.json()["reason"] == reason
    assert response.json()["message"]
    assert RejectedBulletin.objects.get().submitted_by == ingester
    assert not Bulletin.objects.exists()


def test_a_body_over_the_limit_is_refused_without_reading_it_all(
    client: Client, ingester: User, settings: object
) -> None:
    settings.JMA_MAX_DOCUMENT_BYTES = 10_000  # type: ignore[attr-defined]
    client.force_login(ingester)

    response = post(client, ROKKAKU)

    assert response.status_code == 400
    assert response.json()["reason"] == "too_large"
    assert RejectedBulletin.objects.get().size_bytes == len(ROKKAKU)


def test_the_intake_log_needs_the_view_permission(
    client: Client, ingester: User, plain_staff: User, resident: User
) -> None:
    ingest_document(data=ROKKAKU, source="cli")
    assert client.get(URL).status_code == 401
    for user in (resident, plain_staff):
        client.force_login(user)
        assert client.get(URL).status_code == 403

    client.force_login(ingester)
    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["head_title"] == "六角川氾濫警戒情報"
    assert body["items"][0]["outcome"] == "applied"


def test_warnings_in_force_are_public_and_paginated(client: Client) -> None:
    ingest_document(data=ROKKAKU, source="cli")
    ingest_document(data=fixture("official_32-39_12_07_250206_VTSE41.xml"), source="cli")  # 訓練

    response = client.get("/api/v1/disaster/jma/warnings")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert {item["municipality_code"] for item in body["items"]} == {
        "412066",
        "412091",
        "414239",
        "414247",
        "414255",
    }
    assert body["items"][0]["kind_name"] == "六角川氾濫警戒情報"
    assert body["items"][0]["level"] == 3
    saga = client.get("/api/v1/disaster/jma/warnings?municipality_code=412066").json()
    assert saga["count"] == 1


def test_the_exercise_state_on_the_api_needs_the_view_permission(
    client: Client, ingester: User, resident: User
) -> None:
    ingest_document(data=fixture("official_32-39_12_07_250206_VTSE41.xml"), source="cli")
    assert client.get("/api/v1/disaster/jma/warnings?exercise=true").status_code == 403
    client.force_login(resident)
    assert client.get("/api/v1/disaster/jma/warnings?exercise=true").status_code == 403

    client.force_login(ingester)
    response = client.get("/api/v1/disaster/jma/warnings?exercise=true")

    assert response.status_code == 200
    assert response.json()["count"] == 8
    assert all(item["is_exercise"] for item in response.json()["items"])


def test_the_bulletin_filters(client: Client, ingester: User) -> None:
    ingest_document(data=ROKKAKU, source="cli")
    ingest_document(data=variant(ROKKAKU, status="訓練", info_type="訂正"), source="cli")
    client.force_login(ingester)

    actual = client.get(URL + "?exercise=false").json()
    exercise = client.get(URL + "?exercise=true").json()

    assert [item["control_status"] for item in actual["items"]] == ["通常"]
    assert [item["control_status"] for item in exercise["items"]] == ["訓練"]
