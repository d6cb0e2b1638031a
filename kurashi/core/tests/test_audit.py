"""The audit log: who, what, which object, when and from where; append-only down to the database."""

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client, RequestFactory, override_settings

from kurashi.core.audit import client_address, record_audit
from kurashi.core.models import AuditEvent, Organisation, User
from kurashi.testing import make_user


@pytest.fixture
def event(db: None) -> AuditEvent:
    return record_audit(actor=make_user("clerk"), action="core.test", object_label="before")


def test_records_who_what_which_object_when_and_where(
    saga_city: Organisation, rf: RequestFactory, time_machine
) -> None:
    time_machine.move_to(datetime(2025, 4, 1, 9, 30, tzinfo=UTC), tick=False)
    clerk = make_user("clerk")
    request = rf.post("/", REMOTE_ADDR="198.51.100.7")

    event = record_audit(
        actor=clerk,
        action="core.organisation.rename",
        obj=saga_city,
        organisation_id=saga_city.pk,
        municipality_code="412015",
        request=request,
        detail={"from": "佐賀市役所"},
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (
        stored.at,
        stored.actor_id,
        stored.actor_label,
        stored.action,
        stored.object_type,
        stored.object_id,
        stored.object_label,
        stored.organisation_id,
        stored.municipality_code,
        stored.ip_address,
        stored.detail,
    ) == (
        datetime(2025, 4, 1, 9, 30, tzinfo=UTC),
        clerk.pk,
        "clerk",
        "core.organisation.rename",
        "core.organisation",
        str(saga_city.pk),
        "佐賀市",
        saga_city.pk,
        "412015",
        "198.51.100.7",
        {"from": "佐賀市役所"},
    )


def test_records_anonymous_actor_without_request(db: None) -> None:
    event = record_audit(actor=None, action="core.login.failed", detail={"username": "x"})

    assert (event.actor_id, event.actor_label, event.ip_address, event.object_type) == (
        None,
        "anonymous",
        None,
        "",
    )


def test_truncates_long_object_label(db: None) -> None:
    event = record_audit(actor=None, action="core.test", object_label="長" * 300)

    assert AuditEvent.objects.get(pk=event.pk).object_label == "長" * 200


def test_ignores_forwarded_for_header_from_an_untrusted_client(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="192.0.2.66")

    assert client_address(request) == "203.0.113.1"
    assert client_address(None) is None


def failed_login(client: Client, **headers: str) -> AuditEvent:
    client.post("/accounts/login/", {"username": "nobody", "password": "x"}, **headers)
    return AuditEvent.objects.get(action="core.login.failed")


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_records_remote_address_when_no_proxy_is_trusted(db: None, client: Client) -> None:
    event = failed_login(
        client, REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.23"
    )

    assert event.ip_address == "203.0.113.1"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_records_address_seen_by_the_trusted_proxy(db: None, client: Client) -> None:
    # 192.0.2.66 was written by the client itself (forgeable); our proxy appended 198.51.100.23.
    event = failed_login(
        client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.23"
    )

    assert event.ip_address == "198.51.100.23"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_records_address_seen_by_the_outermost_of_two_trusted_proxies(
    db: None, client: Client
) -> None:
    event = failed_login(
        client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.23, 10.0.0.1"
    )

    assert event.ip_address == "198.51.100.23"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_falls_back_to_remote_address_when_forwarded_for_has_too_few_hops(
    db: None, client: Client
) -> None:
    event = failed_login(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.23")

    assert event.ip_address == "10.0.0.2"


def test_refuses_to_save_an_existing_event(event: AuditEvent) -> None:
    event.object_label = "after"

    with pytest.raises(PermissionError, match="append-only"):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).object_label == "before"


def test_refuses_to_delete_an_event(event: AuditEvent) -> None:
    with pytest.raises(PermissionError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists() is True


def test_database_refuses_raw_update(event: AuditEvent) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditevent SET object_label = %s WHERE id = %s", ["after", event.pk]
        )

    assert AuditEvent.objects.get(pk=event.pk).object_label == "before"


def test_database_refuses_raw_delete(event: AuditEvent) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists() is True


def test_database_refuses_queryset_update_and_delete(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="core.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.filter(pk=event.pk, action="core.test").count() == 1


def test_deleting_a_user_keeps_their_audit_trail(db: None) -> None:
    leaver = make_user("leaver")
    events = [
        record_audit(actor=leaver, action="core.login", obj=leaver),
        record_audit(actor=leaver, action="core.logout", obj=leaver),
    ]
    leaver_id = leaver.pk
    before = list(AuditEvent.objects.order_by("pk").values())

    leaver.delete()

    assert User.objects.filter(pk=leaver_id).exists() is False
    assert list(AuditEvent.objects.order_by("pk").values()) == before
    assert [e["actor_id"] for e in before] == [leaver_id, leaver_id]
    assert [e["actor_label"] for e in before] == ["leaver", "leaver"]
    assert [e["id"] for e in before] == [e.pk for e in events]
