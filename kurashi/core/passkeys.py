"""Passkeys (WebAuthn) for staff, beside TOTP, with py_webauthn (Duo Labs' library) doing the
verification: challenges, origin and RP ID, signatures, sign counters, user verification.

The relying party is this site: WEBAUTHN_RP_ID when set (the production host name), else the
host of the request — already checked against ALLOWED_HOSTS — so that a test server on
http://localhost works (an IP address is never a valid RP ID). The expected origin is the
request's own scheme and host. User verification (PIN or biometrics) is required, so a passkey
is a complete sign-in on its own, and a second factor after a password.
"""

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from kurashi.core.audit import record_audit
from kurashi.core.models import Passkey, User

CHALLENGE_KEY = "kurashi_webauthn_challenge"
MAX_PASSKEYS = 10


class PasskeyError(ValueError):
    """The browser's answer was not accepted; the message is for the person."""


def rp_id(request: HttpRequest) -> str:
    return str(getattr(settings, "WEBAUTHN_RP_ID", "") or request.get_host().rsplit(":", 1)[0])


def origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def user_handle(user: User) -> bytes:
    return f"kurashi:{user.pk}".encode()


def registration_options(request: HttpRequest, user: User) -> str:
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name="Kurashi",
        user_id=user_handle(user),
        user_name=user.get_username(),
        user_display_name=str(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
            for key in Passkey.objects.filter(user=user)
        ],
    )
    request.session[CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def authentication_options(request: HttpRequest, user: User | None = None) -> str:
    """For a sign-in with any passkey of this site (user None), or with one of `user`'s (the
    second step after a password)."""
    allowed = (
        [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
            for key in Passkey.objects.filter(user=user, confirmed=True)
        ]
        if user is not None
        else None
    )
    options = generate_authentication_options(
        rp_id=rp_id(request),
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    request.session[CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def _challenge(request: HttpRequest) -> bytes:
    stored = request.session.pop(CHALLENGE_KEY, None)  # one use only
    if not stored:
        raise PasskeyError("no challenge")
    return base64url_to_bytes(str(stored))


def register(request: HttpRequest, user: User, credential: dict[str, Any], name: str) -> Passkey:
    if Passkey.objects.filter(user=user).count() >= MAX_PASSKEYS:
        raise PasskeyError("too many")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_challenge(request),
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
            require_user_verification=True,
        )
    except InvalidRegistrationResponse as error:
        raise PasskeyError(str(error)) from error
    with transaction.atomic():
        passkey: Passkey = Passkey.objects.create(
            user=user,
            name=(name.strip() or "passkey")[:64],
            confirmed=True,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=list(credential.get("response", {}).get("transports", []))[:8],
            backed_up=bool(verified.credential_backed_up),
        )
        record_audit(
            actor=user,
            action="core.passkey.add",
            obj=user,
            request=request,
            detail={"passkey": passkey.name},
        )
    return passkey


def authenticate(request: HttpRequest, credential: dict[str, Any]) -> Passkey:
    """The passkey that answered the challenge (its counter updated); PasskeyError otherwise."""
    raw_id = str(credential.get("id", ""))
    passkey: Passkey | None = (
        Passkey.objects.select_related("user")
        .filter(credential_id=raw_id, confirmed=True, user__is_active=True)
        .first()
    )
    challenge = _challenge(request)
    if passkey is None:
        raise PasskeyError("unknown passkey")
    handle = credential.get("response", {}).get("userHandle")
    if handle and base64url_to_bytes(str(handle)) != user_handle(passkey.user):
        raise PasskeyError("user handle does not match")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except InvalidAuthenticationResponse as error:
        raise PasskeyError(str(error)) from error
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return passkey


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError as error:
        raise PasskeyError("not JSON") from error
    if not isinstance(value, dict):
        raise PasskeyError("not an object")
    return value
