"""The subscription JSON API: same validation and double opt-in as the web pages, nothing stored
on bad input, the signed tokens as the only authorisation."""

import pytest
from django.core import mail
from django.test import Client

from kurashi.modules.notify.models import Subscription
from kurashi.modules.notify.services.subscriptions import link_url, signed_link
from kurashi.modules.notify.tests.factories import make_subscription

pytestmark = pytest.mark.usefixtures("reference_data")

URL = "/api/v1/notify/subscriptions"


def test_subscribe_by_e_mail_waits_for_the_confirmation_link(client: Client) -> None:
    response = client.post(
        URL,
        {
            "email": "api@example.test",
            "language": "en",
            "municipalities": ["412023"],
            "channels": ["email"],
            "min_level": 4,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_confirmed"] is False
    assert body["municipalities"] == ["412023"]
    assert body["min_level"] == 4
    assert "api@example.test" in body["message"]
    (confirmation,) = mail.outbox
    assert confirmation.to == ["api@example.test"]
    assert "/en/notify/confirm/" in confirmation.body
    assert body["manage_url"].endswith(f"/en/notify/manage/{body['manage_token']}/")


def test_webhook_subscriber_gets_its_signing_secret_once(client: Client) -> None:
    response = client.post(
        URL,
        {
            "municipalities": ["412015"],
            "channels": ["webhook"],
            "webhook_url": "https://city.example.test/hook",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    secret = response.json()["webhook_secret"]
    assert secret == Subscription.objects.get().webhook_secret
    token = response.json()["manage_token"]
    assert client.get(f"{URL}/{token}").json()["webhook_secret"] is None


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (
            {"email": "not-an-address", "municipalities": ["412023"], "channels": ["email"]},
            {"email"},
        ),
        (
            {"email": "a@example.test", "municipalities": ["999999"], "channels": ["email"]},
            {"municipalities"},
        ),
        (
            {"email": "a@example.test", "municipalities": [], "channels": ["email"]},
            {"municipalities"},
        ),
        ({"municipalities": ["412023"], "channels": ["sms"], "phone": "03-1234-5678"}, {"phone"}),
        ({"municipalities": ["412023"], "channels": ["line"]}, {"line_user_id"}),
        (
            {
                "email": "a@example.test",
                "municipalities": ["412023"],
                "channels": ["email"],
                "min_level": 9,
                "language": "xx",
            },
            {"min_level", "language"},
        ),
    ],
)
def test_bad_input_is_rejected_with_field_errors_and_nothing_stored(
    client: Client, payload: dict[str, object], fields: set[str]
) -> None:
    response = client.post(URL, payload, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert not Subscription.objects.exists()
    assert not mail.outbox


def test_read_and_change_with_the_manage_token_only(client: Client) -> None:
    subscription = make_subscription(email="keep@example.test", min_level=3)
    token = signed_link(subscription, "manage")
    read = client.get(f"{URL}/{token}")
    assert read.status_code == 200
    assert read.json()["channels"] == ["email"]
    changed = client.put(
        f"{URL}/{token}",
        {
            "language": "vi",
            "municipalities": ["412015", "412023"],
            "channels": ["email"],
            "hazards": ["flood"],
            "min_level": 5,
        },
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    subscription.refresh_from_db()
    assert (subscription.language, subscription.min_level) == ("vi", 5)
    assert subscription.hazard_list == ["flood"]
    assert changed.json()["municipalities"] == ["412015", "412023"]
    # Bad input changes nothing.
    refused = client.put(
        f"{URL}/{token}",
        {"municipalities": ["412015"], "channels": ["webpush"]},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"channels"}
    subscription.refresh_from_db()
    assert subscription.channel_list == ["email"]
    # Other tokens are no key to it.
    for other in ("forged", signed_link(subscription, "unsubscribe")):
        assert client.get(f"{URL}/{other}").status_code == 404
        put = client.put(
            f"{URL}/{other}",
            {"municipalities": ["412015"], "channels": ["email"], "min_level": 1},
            content_type="application/json",
        )
        assert put.status_code == 404
    subscription.refresh_from_db()
    assert subscription.min_level == 5


def test_unsubscribe_with_the_token_of_the_message_link(client: Client) -> None:
    subscription = make_subscription()
    token = link_url(subscription, "unsubscribe").rstrip("/").rsplit("/", 1)[-1]
    assert (
        client.post(f"/api/v1/notify/unsubscribe/{signed_link(subscription, 'manage')}").status_code
        == 404
    )
    assert Subscription.objects.get().is_active
    for _ in range(2):  # idempotent
        response = client.post(f"/api/v1/notify/unsubscribe/{token}")
        assert response.status_code == 200
        assert response.json()["is_active"] is False
    assert not Subscription.objects.get().is_active
