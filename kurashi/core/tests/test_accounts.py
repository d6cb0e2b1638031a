"""Login with username or e-mail, lockout, safe redirects, TOTP second factor, logout."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django_otp.oath import totp

from kurashi.core.models import AuditEvent, LoginFailure, User
from kurashi.core.otp import SealedTOTPDevice as TOTPDevice
from kurashi.testing import PASSWORD, make_user

WRONG_CREDENTIALS = "The username/e-mail address or the password is not correct."
WRONG_CODE = "The code is not correct or has expired. Enter the current code."


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice", email="Alice@Example.test")


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def current_token(device: TOTPDevice) -> str:
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{token:0{device.digits}d}"


def wrong_token(device: TOTPDevice) -> str:
    """A 6-digit code that is none of the codes the device accepts right now (±tolerance)."""
    accepted = {
        totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
        for drift in range(-device.tolerance - 1, device.tolerance + 2)
    }
    return next(f"{n:06d}" for n in range(1_000_000) if n not in accepted)


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def login(
    client: Client,
    username: str,
    password: str = PASSWORD,
    *,
    next_url: str | None = None,
    **meta: str,
) -> HttpResponse:
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/accounts/login/", data, **meta)  # type: ignore[return-value]


# --- username / e-mail and password -------------------------------------------------------------


def test_logs_in_with_username_and_password(alice: User, client: Client) -> None:
    response = login(client, "alice", REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(alice.pk)
    event = AuditEvent.objects.get(action="core.login")
    assert (event.actor_id, event.object_id, event.ip_address) == (
        alice.pk,
        str(alice.pk),
        "198.51.100.4",
    )


@pytest.mark.parametrize(
    "identifier", ["Alice@Example.test", "alice@example.test", " ALICE@EXAMPLE.TEST "]
)
def test_logs_in_with_email_in_any_case(alice: User, client: Client, identifier: str) -> None:
    response = login(client, identifier)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


def test_rejects_wrong_password_with_an_error_and_an_audit_event(
    alice: User, client: Client
) -> None:
    response = login(client, "alice", "not the password", REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert response.context["form"].non_field_errors() == [in_language("ja", WRONG_CREDENTIALS)]
    assert in_language("ja", WRONG_CREDENTIALS) in response.content.decode()
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.actor_label, event.ip_address, event.detail) == (
        "core.login.failed",
        None,
        "anonymous",
        "198.51.100.4",
        {"username": "alice"},
    )
    assert list(LoginFailure.objects.values_list("username", "ip_address", "client")) == [
        ("alice", "198.51.100.4", "ip:198.51.100.4")
    ]


def test_shows_the_wrong_password_error_in_english_on_english_pages(
    alice: User, client: Client
) -> None:
    response = client.post(
        "/en/accounts/login/", {"username": "alice", "password": "not the password"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [WRONG_CREDENTIALS]
    assert '<html lang="en">' in response.content.decode()


def test_answers_unknown_account_exactly_like_a_wrong_password(db: None, client: Client) -> None:
    response = login(client, "nobody@example.test")

    assert response.context["form"].non_field_errors() == [in_language("ja", WRONG_CREDENTIALS)]
    assert AuditEvent.objects.get().detail == {"username": "nobody@example.test"}


def test_refuses_inactive_account(db: None, client: Client) -> None:
    make_user("former", is_active=False)

    response = login(client, "former")

    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_successful_login_clears_earlier_failures(alice: User, client: Client) -> None:
    login(client, "alice", "wrong")
    login(client, "alice", "wrong")

    login(client, "alice")

    assert LoginFailure.objects.filter(username="alice").count() == 0


# --- throttling: growing delays per account and client, never a lock -------------------------


def wait_message(seconds: int) -> str:
    with translation.override("ja"):
        return ngettext(
            "Too many failed attempts from this device or network. Wait %(seconds)d second and "
            "try again. Signing in with a passkey is never delayed.",
            "Too many failed attempts from this device or network. Wait %(seconds)d seconds and "
            "try again. Signing in with a passkey is never delayed.",
            seconds,
        ) % {"seconds": seconds}


ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OFFICE = {"REMOTE_ADDR": "198.51.100.4"}


def test_anonymous_failures_never_lock_the_owner_out(alice: User, client: Client) -> None:
    """Issue 15: ten wrong passwords from anywhere locked an evacuation-order approver out for
    15 minutes. The attacker's failures only slow the attacker down."""
    attacker = Client()
    for _ in range(10):
        login(attacker, "alice", "wrong", **ATTACKER)

    response = login(client, "alice", **OFFICE)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


@override_settings(LOGIN_FREE_FAILURES=3)
def test_failures_from_one_client_bring_growing_delays(
    alice: User, client: Client, time_machine: Any
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(3):
        assert login(client, "alice", "wrong", **ATTACKER).status_code == 200

    early = login(client, "alice", **ATTACKER)  # even the right password is not checked now
    assert early.status_code == 429
    assert early["Retry-After"] == "1"
    assert early.context["form"].non_field_errors() == [wait_message(1)]
    assert logged_in_user_id(client) is None
    assert LoginFailure.objects.count() == 3  # a refused attempt is not counted

    time_machine.shift(timedelta(seconds=1))
    assert login(client, "alice", "wrong", **ATTACKER).status_code == 200
    assert login(client, "alice", **ATTACKER)["Retry-After"] == "2"
    time_machine.shift(timedelta(seconds=2))
    assert login(client, "alice", "wrong", **ATTACKER).status_code == 200
    assert login(client, "alice", **ATTACKER)["Retry-After"] == "4"
    time_machine.shift(timedelta(seconds=4))

    assert login(client, "alice", **ATTACKER).status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


@override_settings(LOGIN_FREE_FAILURES=3, LOGIN_MAX_DELAY_SECONDS=60)
def test_delays_stop_growing_at_the_maximum(alice: User, client: Client, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(20):
        login(client, "alice", "wrong", **ATTACKER)
        time_machine.shift(timedelta(seconds=61))
    login(client, "alice", "wrong", **ATTACKER)
    assert login(client, "alice", **ATTACKER)["Retry-After"] == "60"


@override_settings(LOGIN_FREE_FAILURES=3)
def test_failures_count_by_email_in_any_case(alice: User, client: Client) -> None:
    for identifier in ("ALICE@example.test", "alice@EXAMPLE.test", "Alice@Example.test"):
        login(client, identifier, "wrong", **ATTACKER)

    assert login(client, "alice", **ATTACKER).status_code == 429
    assert logged_in_user_id(client) is None


@override_settings(LOGIN_UNTRUSTED_FREE_FAILURES=5, LOGIN_UNTRUSTED_MAX_DELAY_SECONDS=60)
def test_a_distributed_guess_slows_new_clients_but_not_the_owners_trusted_device(
    alice: User, client: Client
) -> None:
    assert login(client, "alice", **OFFICE).status_code == 302  # the owner's browser
    client.post("/accounts/logout/")
    for number in range(6):
        login(Client(), "alice", "wrong", REMOTE_ADDR=f"203.0.113.{number + 1}")

    stranger = login(Client(), "alice", REMOTE_ADDR="192.0.2.200")
    owner = login(client, "alice", REMOTE_ADDR="192.0.2.201")  # a new network, her own browser

    assert stranger.status_code == 429
    assert int(stranger["Retry-After"]) <= 60
    assert owner.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


@override_settings(LOGIN_ADDRESS_FREE_FAILURES=10)
def test_an_address_that_sprays_many_accounts_is_slowed_down(alice: User, client: Client) -> None:
    for number in range(10):
        login(client, f"guess-{number}", "wrong", **ATTACKER)

    slowed = login(client, "alice", **ATTACKER)
    elsewhere = Client()
    allowed = login(elsewhere, "alice", **OFFICE)

    assert slowed.status_code == 429
    assert logged_in_user_id(client) is None
    assert allowed.status_code == 302
    assert logged_in_user_id(elsewhere) == str(alice.pk)


def test_a_forged_trusted_device_cookie_counts_as_none(alice: User, client: Client) -> None:
    client.cookies["kurashi_device"] = "forged"
    with override_settings(LOGIN_FREE_FAILURES=1):
        login(client, "alice", "wrong", **ATTACKER)
        assert login(client, "alice", **ATTACKER).status_code == 429


# --- next ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/plan/", "/plan/"),
        ("/en/map/?layer=municipalities", "/en/map/?layer=municipalities"),
        ("http://testserver/plan/", "http://testserver/plan/"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("http:///evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_honours_next_only_for_urls_on_this_site(
    alice: User, client: Client, next_url: str, expected: str
) -> None:
    response = client.post(
        f"/accounts/login/?next={next_url}",
        {"username": "alice", "password": PASSWORD, "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == expected


def test_login_page_keeps_only_a_safe_next(db: None, client: Client) -> None:
    safe = client.get("/accounts/login/", {"next": "/plan/"})
    unsafe = client.get("/accounts/login/", {"next": "https://evil.example/"})

    assert (safe.status_code, unsafe.status_code) == (200, 200)
    assert (safe.context["next"], unsafe.context["next"]) == ("/plan/", "/")
    assert '<input type="hidden" name="next" value="/">' in unsafe.content.decode()


# --- two-factor authentication ------------------------------------------------------------------


def test_two_factor_page_needs_login(db: None, client: Client) -> None:
    response = client.get("/accounts/two-factor/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/two-factor/"
    assert TOTPDevice.objects.count() == 0


def test_opening_two_factor_setup_creates_one_unconfirmed_device(
    alice: User, client: Client
) -> None:
    client.force_login(alice)

    first = client.get("/accounts/two-factor/")
    second = client.get("/accounts/two-factor/")

    assert (first.status_code, second.status_code) == (200, 200)
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed is False
    assert first.context["qr_data_uri"].startswith("data:image/svg+xml;base64,")
    assert first.context["secret"] == second.context["secret"]


def test_correct_code_confirms_the_device(alice: User, client: Client) -> None:
    client.force_login(alice)
    client.get("/accounts/two-factor/")
    device = TOTPDevice.objects.get(user=alice)

    response = client.post("/accounts/two-factor/", {"token": current_token(device)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    device.refresh_from_db()
    assert device.confirmed is True
    event = AuditEvent.objects.get(action="core.two_factor.enable")
    assert (event.actor_id, event.object_id) == (alice.pk, str(alice.pk))


def test_wrong_code_does_not_confirm_the_device(alice: User, client: Client) -> None:
    client.force_login(alice)
    client.get("/accounts/two-factor/")
    device = TOTPDevice.objects.get(user=alice)

    response = client.post("/accounts/two-factor/", {"token": wrong_token(device)})

    assert response.status_code == 200
    assert response.context["form"].errors == {"token": [in_language("ja", WRONG_CODE)]}
    device.refresh_from_db()
    assert device.confirmed is False
    assert AuditEvent.objects.filter(action="core.two_factor.enable").exists() is False


@pytest.fixture
def alice_device(alice: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=alice, name="authenticator", confirmed=True)


def test_password_alone_does_not_log_in_a_user_with_two_factor(
    alice_device: TOTPDevice, client: Client
) -> None:
    response = login(client, "alice", next_url="/plan/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/verify/"
    assert logged_in_user_id(client) is None
    assert AuditEvent.objects.filter(action="core.login").exists() is False


def test_correct_code_completes_the_login(
    alice: User, alice_device: TOTPDevice, client: Client
) -> None:
    login(client, "alice", next_url="/plan/")

    response = client.post("/accounts/login/verify/", {"token": current_token(alice_device)})

    assert response.status_code == 302
    assert response["Location"] == "/plan/"
    assert logged_in_user_id(client) == str(alice.pk)
    assert client.session["otp_device_id"] == alice_device.persistent_id
    event = AuditEvent.objects.get(action="core.login")
    assert (event.actor_id, event.detail) == (alice.pk, {"second_factor": "totp"})


def test_wrong_code_does_not_log_in(alice: User, alice_device: TOTPDevice, client: Client) -> None:
    login(client, "alice")

    response = client.post("/accounts/login/verify/", {"token": wrong_token(alice_device)})

    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert response.context["form"].errors == {"token": [in_language("ja", WRONG_CODE)]}
    assert AuditEvent.objects.filter(action="core.login").exists() is False
    assert AuditEvent.objects.get(action="core.login.otp_failed").object_id == str(alice.pk)
    assert LoginFailure.objects.filter(username="alice").count() == 1


@override_settings(LOGIN_FREE_FAILURES=2, OTP_TOTP_THROTTLE_FACTOR=0)
def test_wrong_codes_delay_the_second_step(alice_device: TOTPDevice, client: Client) -> None:
    login(client, "alice")
    for _ in range(2):
        client.post("/accounts/login/verify/", {"token": wrong_token(alice_device)})

    response = client.post("/accounts/login/verify/", {"token": current_token(alice_device)})

    assert response.status_code == 429
    assert logged_in_user_id(client) is None
    assert response.context["form"].non_field_errors() == [wait_message(1)]


def test_second_step_without_a_password_sends_back_to_login(
    alice_device: TOTPDevice, client: Client
) -> None:
    response = client.post("/accounts/login/verify/", {"token": current_token(alice_device)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert logged_in_user_id(client) is None


def test_disabling_two_factor_requires_a_valid_code(
    alice: User, alice_device: TOTPDevice, client: Client
) -> None:
    client.force_login(alice)

    response = client.post("/accounts/two-factor/disable/", {"token": wrong_token(alice_device)})

    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(action="core.two_factor.disable").exists() is False


def test_disabling_two_factor_with_a_valid_code_removes_every_device(
    alice: User, alice_device: TOTPDevice, client: Client
) -> None:
    TOTPDevice.objects.create(user=alice, name="spare", confirmed=False)
    client.force_login(alice)

    response = client.post("/accounts/two-factor/disable/", {"token": current_token(alice_device)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert TOTPDevice.objects.filter(user=alice).count() == 0
    assert AuditEvent.objects.get(action="core.two_factor.disable").actor_id == alice.pk


def test_disabling_two_factor_is_post_only(
    alice: User, alice_device: TOTPDevice, client: Client
) -> None:
    client.force_login(alice)

    assert client.get("/accounts/two-factor/disable/").status_code == 405
    assert TOTPDevice.objects.filter(user=alice).count() == 1


# --- logout --------------------------------------------------------------------------------------


def test_logout_is_post_only(alice: User, client: Client) -> None:
    client.force_login(alice)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(alice.pk)


def test_logout_ends_the_session_and_is_audited(alice: User, client: Client) -> None:
    client.force_login(alice)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) is None
    assert AuditEvent.objects.get(action="core.logout").actor_id == alice.pk


def test_account_page_needs_login(db: None, client: Client) -> None:
    response = client.get("/accounts/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"


def test_totp_secret_is_sealed_at_rest_and_bound_to_its_user(alice: User) -> None:
    """The database holds "sv1:…" (core's sealing service), never the hex secret; a sealed secret
    copied onto another user's device does not open there."""
    from django.db import connection

    from kurashi.core.sealing import SealError

    device = TOTPDevice.objects.create(user=alice, name="authenticator", confirmed=True)
    raw = device.bin_key
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("sv1:k1:")
    assert raw.hex() not in stored
    assert len(stored) <= 80
    assert device.verify_token(current_token(device))

    stolen = TOTPDevice.objects.create(user=make_user("bob"), name="copy", confirmed=True)
    TOTPDevice.objects.filter(pk=stolen.pk).update(key=stored)
    with pytest.raises(SealError):
        TOTPDevice.objects.get(pk=stolen.pk).bin_key  # noqa: B018


def test_totp_secrets_survive_a_new_secret_key(alice: User, settings: object) -> None:
    device = TOTPDevice.objects.create(user=alice, name="authenticator", confirmed=True)
    raw = device.bin_key
    settings.SECRET_KEY = "a completely different secret key for this installation"  # type: ignore[attr-defined]
    assert TOTPDevice.objects.get(pk=device.pk).bin_key == raw


def test_migration_reseals_hex_and_old_own_key_secrets(
    alice: User, settings: object, tmp_path: Path
) -> None:
    """Rows from before 0003 (hex) and from 0003's own scheme ("s1:", AES-GCM under the
    OTP_SEAL_KEY file) end up under the sealing service, opening to the same secret."""
    import base64
    import hashlib
    import importlib
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.apps import apps
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

    migration = importlib.import_module("kurashi.core.migrations.0005_reseal_totp_secrets")
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    settings.OTP_SEAL_KEY = ""  # type: ignore[attr-defined]
    (tmp_path / "otp_seal_key").write_text("the old installation key")
    old_key = hashlib.sha256(b"the old installation key").digest()
    hex_device = PlainTOTPDevice.objects.create(user=alice, name="hex", confirmed=True)
    own_raw = secrets.token_bytes(20)
    nonce = secrets.token_bytes(12)
    own_sealed = (
        "s1:"
        + base64.b64encode(
            nonce + AESGCM(old_key).encrypt(nonce, own_raw, b"kurashi.totp")
        ).decode()
    )
    own_device = PlainTOTPDevice.objects.create(user=alice, name="s1", confirmed=True)
    PlainTOTPDevice.objects.filter(pk=own_device.pk).update(key=own_sealed)

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.reseal(apps, editor)

    assert TOTPDevice.objects.get(pk=hex_device.pk).bin_key.hex() == hex_device.key
    assert TOTPDevice.objects.get(pk=own_device.pk).bin_key == own_raw
    stored = set(PlainTOTPDevice.objects.values_list("key", flat=True))
    assert all(key.startswith("sv1:") for key in stored)
    migration.unseal(apps, editor)
    assert PlainTOTPDevice.objects.get(pk=own_device.pk).key == own_raw.hex()
