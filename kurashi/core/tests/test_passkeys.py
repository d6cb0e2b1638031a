"""Passkeys (WebAuthn) around the ceremony itself, which runs in Chromium with a virtual
authenticator (e2e/test_passkeys.py): the options, who may use which endpoint, refusals, and that
a passkey does not pass for a TOTP setup."""

import base64
import json

from django.test import Client

from kurashi.core.models import AuditEvent, Passkey, User
from kurashi.core.otp import SealedTOTPDevice
from kurashi.testing import make_user


def make_passkey(user: User, name: str = "office PC") -> Passkey:
    return Passkey.objects.create(
        user=user,
        name=name,
        credential_id=base64.urlsafe_b64encode(f"cred-{user.pk}-{name}".encode())
        .decode()
        .rstrip("="),  # base64url without padding, as browsers send it
        public_key=b"cose",
    )


def test_sign_in_options_ask_for_user_verification_on_this_host(db: None, client: Client) -> None:
    response = client.post("/accounts/login/passkey/options/")
    options = json.loads(response.content)
    assert response.status_code == 200
    assert (options["rpId"], options["userVerification"]) == ("testserver", "required")
    assert options["challenge"]
    assert "allowCredentials" not in options or options["allowCredentials"] == []


def test_adding_a_passkey_needs_a_signed_in_user(db: None, client: Client) -> None:
    assert client.post("/accounts/passkeys/register/options/").status_code == 302
    assert client.get("/accounts/passkeys/").status_code == 302
    user = make_user("adder")
    make_passkey(user)
    client.force_login(user)
    options = json.loads(client.post("/accounts/passkeys/register/options/").content)
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert len(options["excludeCredentials"]) == 1  # not the same authenticator twice


def test_an_unknown_or_forged_passkey_signs_nobody_in(db: None, client: Client) -> None:
    client.post("/accounts/login/passkey/options/")
    forged = {"credential": {"id": "bm9ib2R5", "rawId": "bm9ib2R5", "type": "public-key"}}
    response = client.post(
        "/accounts/login/passkey/", json.dumps(forged), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="core.login.passkey_failed").count() == 1


def test_a_passkey_answer_without_a_challenge_is_refused(db: None, client: Client) -> None:
    user = make_user("nochallenge")
    key = make_passkey(user)
    answer = {"credential": {"id": key.credential_id, "type": "public-key", "response": {}}}
    response = client.post(
        "/accounts/login/passkey/", json.dumps(answer), content_type="application/json"
    )
    assert response.status_code == 400


def test_only_the_owner_removes_a_passkey(db: None, client: Client) -> None:
    owner, other = make_user("owner"), make_user("other")
    key = make_passkey(owner)
    client.force_login(other)
    assert client.post(f"/accounts/passkeys/{key.pk}/delete/").status_code == 404
    client.force_login(owner)
    assert client.post(f"/accounts/passkeys/{key.pk}/delete/").status_code == 302
    assert not Passkey.objects.exists()
    assert AuditEvent.objects.filter(action="core.passkey.remove").count() == 1


def test_a_passkey_is_a_second_step_after_a_password_and_not_a_totp(
    db: None, client: Client
) -> None:
    from kurashi.testing import PASSWORD

    user = make_user("withkey")
    make_passkey(user)
    response = client.post("/accounts/login/", {"username": "withkey", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/verify/"
    page = client.get("/accounts/login/verify/").content.decode()
    assert "passkey-sign-in" in page
    assert 'name="token"' not in page  # no TOTP device: no code to type
    options = json.loads(client.post("/accounts/login/passkey/options/").content)
    assert [c["id"] for c in options["allowCredentials"]] == [Passkey.objects.get().credential_id]
    client.force_login(user)
    setup = client.get("/accounts/two-factor/")  # a passkey is not an authenticator app
    assert SealedTOTPDevice.objects.filter(user=user, confirmed=False).count() == 1
    assert "qr" in setup.content.decode().lower()


def test_a_passkey_sign_in_counts_as_a_verified_session(db: None, client: Client) -> None:
    """django-otp's middleware finds the device of the session by its persistent id: a passkey
    sign-in (otp_login) makes request.user.is_verified() true, as records asks for."""
    from django.contrib.auth import get_user
    from django.test import RequestFactory
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.middleware import OTPMiddleware

    user = make_user("verified")
    key = make_passkey(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = key.persistent_id
    session.save()
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = get_user(request)
    OTPMiddleware(lambda request: None)(request)  # type: ignore[arg-type,return-value]
    assert request.user.is_verified() is True  # type: ignore[union-attr]
    assert request.user.otp_device == key  # type: ignore[union-attr]
