"""The hospital screen in the field (issue 18): the request card's labels, the sticky alert that
waits for an acknowledgement, and the devices that receive Web Push."""

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from kurashi.core.models import AuditEvent
from kurashi.modules.ems import services
from kurashi.modules.ems.models import HospitalDevice
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_inquiry
from kurashi.testing.push import PushReceiver, vapid_keys

SCRIPT = {"HTTP_X_EMS_CLIENT": "1"}


def _screen(world: World) -> str:
    client = Client()
    client.force_login(world.near_staff)
    return client.get(reverse("ems:hospital", args=["near"])).content.decode()


def test_request_card_says_who_asks_not_a_start_date(world: World) -> None:
    """ "From" on the card is the sender (依頼元); the KPI filter's "From" is a date (開始日)."""
    make_inquiry(make_case(world.hq), world.near)
    page = _screen(world)
    card = page[page.index('class="request-card"') :]
    assert "<dt>依頼元</dt><dd>佐賀広域消防局" in card
    assert "開始日" not in card


# --- the sticky alert and its acknowledgement ---------------------------------------------------


def test_a_new_request_raises_a_sticky_banner_until_someone_acknowledges_it(
    world: World,
) -> None:
    case = make_case(world.hq)
    inquiry = make_inquiry(case, world.near)
    page = _screen(world)
    assert 'data-unacknowledged="1"' in page
    assert 'class="request-alert__banner" role="alert"' in page
    assert "未確認" in page

    client = Client()
    client.force_login(world.near_staff)
    response = client.post(reverse("ems:hospital-acknowledge", args=["near"]), **SCRIPT)
    assert response.json()["acknowledged"] == 1
    inquiry.refresh_from_db()
    assert inquiry.acknowledged_by == world.near_staff
    assert inquiry.acknowledged_at is not None
    first = inquiry.acknowledged_at
    page = _screen(world)
    assert 'data-unacknowledged="0"' in page
    assert "request-alert__banner" not in page
    assert f"{timezone.localtime(first):%H:%M:%S} に確認" in page
    # A second press changes nothing: the first acknowledgement is the one recorded.
    client.post(reverse("ems:hospital-acknowledge", args=["near"]), **SCRIPT)
    inquiry.refresh_from_db()
    assert inquiry.acknowledged_at == first
    assert AuditEvent.objects.filter(action="ems.request.acknowledge").count() == 1


@pytest.mark.parametrize("name", ["anonymous", "resident", "crew", "far_staff"])
def test_only_the_hospital_asked_acknowledges(world: World, name: str) -> None:
    inquiry = make_inquiry(make_case(world.hq), world.near)
    client = Client()
    if name != "anonymous":
        client.force_login(getattr(world, name))
    response = client.post(reverse("ems:hospital-acknowledge", args=["near"]))
    assert response.status_code in {302, 403}
    inquiry.refresh_from_db()
    assert inquiry.acknowledged_at is None


def test_answering_a_request_acknowledges_it(world: World) -> None:
    case = make_case(world.hq)
    (inquiry,) = services.send_parallel_request(
        actor=world.crew, case=case, client_key="ack-1", targets=[(world.near, "14")]
    )
    services.answer_request(actor=world.near_staff, inquiry=inquiry, accept=True)
    inquiry.refresh_from_db()
    assert inquiry.acknowledged_by == world.near_staff


# --- Web Push to the hospital's registered devices ---------------------------------------------


def test_registered_device_receives_a_web_push_for_a_new_request(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """Through notify's Web Push (VAPID, aes128gcm), decrypted by a real receiver as the
    browser would; the hospital that was not asked gets nothing."""
    client = Client()
    client.force_login(world.near_staff)
    other = Client()
    other.force_login(world.far_staff)
    with PushReceiver() as receiver, override_settings(**vapid_keys()):
        response = client.post(
            reverse("ems:hospital-devices", args=["near"]),
            {"endpoint": receiver.endpoint("er-pc"), "label": "救急外来PC", **receiver.keys},
            **SCRIPT,
        )
        assert response.json()["ok"] is True
        other.post(
            reverse("ems:hospital-devices", args=["far"]),
            {"endpoint": receiver.endpoint("far-pc"), "label": "遠い病院PC", **receiver.keys},
            **SCRIPT,
        )
        case = make_case(world.hq, category="stroke", urgency="red")
        with django_capture_on_commit_callbacks(execute=True):
            (inquiry,) = services.send_parallel_request(
                actor=world.crew, case=case, client_key="push-1", targets=[(world.near, "14")]
            )
        push = receiver.wait_for(lambda payload: payload.get("inquiry") == inquiry.pk)
    assert push.path == "/push/er-pc"
    assert push.headers["urgency"] == "high"
    assert push.headers["authorization"].startswith("vapid t=")
    assert push.payload["title"] == "新しい搬送依頼"
    assert push.payload["body"] == "脳卒中疑い · 赤：緊急 · 佐賀広域消防局"
    assert push.payload["url"] == reverse("ems:hospital", args=["near"])
    assert [r.path for r in receiver.received] == ["/push/er-pc"]
    device = HospitalDevice.objects.get(label="救急外来PC")
    assert device.last_sent_at is not None


def test_a_gone_subscription_is_switched_off_and_registration_needs_vapid(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(world.near_staff)
    with PushReceiver() as receiver:
        response = client.post(
            reverse("ems:hospital-devices", args=["near"]),
            {"endpoint": receiver.endpoint("gone"), **receiver.keys},
            **SCRIPT,
        )
        assert response.status_code == 400  # no VAPID keys: clear message, nothing stored
        assert "設定されていません" in response.json()["errors"][0]
        assert not HospitalDevice.objects.exists()
        with override_settings(**vapid_keys()):
            client.post(
                reverse("ems:hospital-devices", args=["near"]),
                {"endpoint": receiver.endpoint("gone"), **receiver.keys},
                **SCRIPT,
            )
            with django_capture_on_commit_callbacks(execute=True):
                services.send_parallel_request(
                    actor=world.crew,
                    case=make_case(world.hq),
                    client_key="push-2",
                    targets=[(world.near, "")],
                )
    device = HospitalDevice.objects.get()
    assert device.is_active is False
