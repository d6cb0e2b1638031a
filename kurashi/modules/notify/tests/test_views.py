from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kurashi.core.models import AuditEvent, Organisation, User
from kurashi.modules.notify.models import Delivery, Notice, Subscription
from kurashi.modules.notify.services.subscriptions import signed_link
from kurashi.modules.notify.tests.factories import make_subscription
from kurashi.testing.builders import make_member, make_organisation

pytestmark = pytest.mark.django_db

FORM = {
    "email": "taro@example.test",
    "language": "en",
    "municipalities": ["412023"],
    "hazards": ["heavy_rain", "flood"],
    "min_level": "3",
    "channels": ["email"],
}


def test_email_only_subscription_waits_for_the_confirmation_link(
    client: Client, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(reverse("notify:subscribe"), FORM)
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.is_confirmed, subscription.language) == (
        "taro@example.test",
        False,
        "en",
    )
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/notify/confirm/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    assert Subscription.objects.get().is_confirmed is False  # GET only shows the button
    assert client.post("/" + path).status_code == 200
    assert Subscription.objects.get().is_confirmed is True


def test_invalid_choices_are_reported_and_nothing_is_stored(client: Client) -> None:
    response = client.post(
        reverse("notify:subscribe"), {**FORM, "email": "not-an-address", "hazards": []}
    )
    assert response.status_code == 400
    assert Subscription.objects.count() == 0
    assert (
        "Enter a valid email address." in response.content.decode()
        or "有効なメールアドレス" in response.content.decode()
    )


def test_unsubscribe_works_without_login_in_one_post() -> None:
    subscription = make_subscription()
    client = Client(enforce_csrf_checks=True)
    url = reverse("notify:unsubscribe", kwargs={"signed": signed_link(subscription, "unsubscribe")})
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200
    subscription.refresh_from_db()
    assert subscription.is_active is False


def test_tampered_or_wrong_purpose_links_are_refused(client: Client) -> None:
    subscription = make_subscription()
    manage = signed_link(subscription, "manage")
    for signed in (manage, manage[:-2] + "xx"):
        url = reverse("notify:unsubscribe", kwargs={"signed": signed})
        assert client.post(url).status_code == 404
    subscription.refresh_from_db()
    assert subscription.is_active is True


def test_manage_link_changes_the_choices(client: Client) -> None:
    subscription = make_subscription()
    url = reverse("notify:manage", kwargs={"signed": signed_link(subscription, "manage")})
    response = client.post(url, {**FORM, "language": "vi", "min_level": "4"})
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert (subscription.language, subscription.min_level) == ("vi", 4)
    assert sorted(subscription.hazard_list) == ["flood", "heavy_rain"]


@pytest.fixture
def notice() -> Notice:
    row = Notice.objects.create(
        key="urn:x",
        event_key="e",
        revision=1,
        hazard="flood",
        level=4,
        area_levels={"412023": 4},
        texts={"ja": {"headline": "洪水警報"}},
        sent="2026-07-25T04:00:00Z",
        fanned_out_at="2026-07-25T04:00:01Z",
    )
    Delivery.objects.create(
        notice=row,
        channel="email",
        lane="emergency",
        idempotency_key="k1",
        status="failed",
        last_error="recipient refused",
        next_attempt_at="2026-07-25T04:00:00Z",
    )
    return row


def test_staff_page_needs_view_deliveries(
    client: Client, resident: User, karatsu: Organisation, notice: Notice
) -> None:
    url = reverse("notify:staff-notice", kwargs={"notice_id": notice.pk})
    assert client.get(url).status_code in (302, 403)
    client.force_login(resident)
    assert client.get(url).status_code == 403
    client.force_login(make_member(karatsu))
    assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="notify.view_deliveries").count() == 0
    prefecture = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        covers_whole_prefecture=True,
    )
    client.force_login(make_member(prefecture, "notify.view_deliveries"))
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "recipient refused" in body
    assert '<progress id="delivery-progress" max="100" value="100">' in body
    assert AuditEvent.objects.filter(action="notify.view_deliveries").count() == 1
    assert client.get(reverse("notify:staff-notices")).status_code == 200


def test_municipal_staff_see_only_alerts_of_their_area(client: Client, notice: Notice) -> None:
    imari = make_organisation(municipality_code="412058", slug="imari")
    client.force_login(make_member(imari, "notify.view_deliveries"))
    url = reverse("notify:staff-notice", kwargs={"notice_id": notice.pk})
    assert client.get(url).status_code == 403
