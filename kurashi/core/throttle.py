"""Slowing down password guessing without ever locking an account out from anonymous traffic.

Issue 15: ten wrong passwords from anywhere locked an evacuation-order approver out for 15
minutes, during a disaster. Now failures only ever make *the client that failed* wait, with
growing delays, never refuse the account to everyone:

- per account and client — the client is the browser's trusted-device cookie for that account
  when it has one, else its address: LOGIN_FREE_FAILURES free failures, then 1 s, 2 s, 4 s …
  up to LOGIN_MAX_DELAY_SECONDS between attempts;
- per account, over every client *without* its trusted-device cookie (a distributed guess):
  LOGIN_UNTRUSTED_FREE_FAILURES free, then growing up to LOGIN_UNTRUSTED_MAX_DELAY_SECONDS;
- per address, over every account it tried without a trusted-device cookie (password spraying):
  LOGIN_ADDRESS_FREE_FAILURES free, then growing up to LOGIN_MAX_DELAY_SECONDS.

A browser where the account has signed in successfully holds a signed trusted-device cookie and
is slowed only by its own failures; a passkey sign-in is never slowed (nothing to guess). While a
client has to wait, its attempts are refused without checking the password (so waiting is the
only way on) and are not counted. Failures are forgotten after LOGIN_FAILURE_WINDOW_SECONDS.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from kurashi.core.models import LoginFailure, User

DEVICE_COOKIE = "kurashi_device"
DEVICE_SALT = "kurashi.core.trusted-device"
MAX_REMEMBERED_ACCOUNTS = 5  # a shared office terminal


@dataclass(frozen=True)
class LoginClient:
    account: str  # normalised account key (username, lower case)
    address: str | None
    device: str  # the trusted-device id for this account, "" without one

    @property
    def key(self) -> str:
        return f"device:{self.device}" if self.device else f"ip:{self.address or '-'}"


def account_key(identifier: str) -> str:
    """One bucket per account whichever identifier was typed (username or e-mail address)."""
    identifier = identifier.strip()
    lookup = {"email__iexact": identifier} if "@" in identifier else {"username": identifier}
    username = User.objects.filter(**lookup).values_list("username", flat=True).first()
    return (username or identifier).lower()[:254]


def _devices(request: HttpRequest) -> dict[str, str]:
    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    if not raw:
        return {}
    try:
        value = signing.loads(
            raw, salt=DEVICE_SALT, max_age=timedelta(days=settings.LOGIN_DEVICE_COOKIE_DAYS)
        )
    except signing.BadSignature:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def login_client(request: HttpRequest, identifier: str) -> LoginClient:
    account = account_key(identifier)
    address = getattr(request, "client_address", None) or request.META.get("REMOTE_ADDR")
    return LoginClient(account=account, address=address, device=_devices(request).get(account, ""))


def _bucket_wait(failures: "QuerySet[LoginFailure]", free: int, cap: int) -> float:
    summary = failures.aggregate(count=Count("pk"), last=Max("at"))
    count = int(summary["count"])
    if count < free or summary["last"] is None:
        return 0.0
    delay = min(cap, 2 ** min(count - free, 30))
    until = summary["last"] + timedelta(seconds=delay)
    return float((until - timezone.now()).total_seconds())


def wait_seconds(client: LoginClient) -> int:
    """Seconds this client must wait before its next attempt is checked (0: check it now)."""
    recent = LoginFailure.objects.filter(
        at__gte=timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    )
    waits = [
        _bucket_wait(
            recent.filter(username=client.account, client=client.key),
            settings.LOGIN_FREE_FAILURES,
            settings.LOGIN_MAX_DELAY_SECONDS,
        )
    ]
    if not client.device:
        waits.append(
            _bucket_wait(
                recent.filter(username=client.account, trusted=False),
                settings.LOGIN_UNTRUSTED_FREE_FAILURES,
                settings.LOGIN_UNTRUSTED_MAX_DELAY_SECONDS,
            )
        )
        if client.address:
            waits.append(
                _bucket_wait(
                    recent.filter(ip_address=client.address, trusted=False),
                    settings.LOGIN_ADDRESS_FREE_FAILURES,
                    settings.LOGIN_MAX_DELAY_SECONDS,
                )
            )
    return max(0, int(-(-max(waits) // 1)))  # whole seconds, rounded up


def record_failure(client: LoginClient) -> None:
    LoginFailure.objects.create(
        username=client.account,
        ip_address=client.address or None,
        client=client.key,
        trusted=bool(client.device),
    )
    cutoff = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    LoginFailure.objects.filter(at__lt=cutoff).delete()


def record_success(client: LoginClient) -> None:
    """The client proved it knows the account: its own failures are forgiven (other clients'
    are not: an attacker's delays do not end because the owner signed in)."""
    LoginFailure.objects.filter(username=client.account, client=client.key).delete()


def remember_device(request: HttpRequest, response: HttpResponseBase, user: User) -> None:
    """After a complete sign-in: this browser is a trusted device of the account from now on."""
    devices = _devices(request)
    account = user.get_username().lower()
    devices.pop(account, None)
    devices[account] = secrets.token_urlsafe(12)
    kept: dict[str, Any] = dict(list(devices.items())[-MAX_REMEMBERED_ACCOUNTS:])
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(kept, salt=DEVICE_SALT, compress=True),
        max_age=settings.LOGIN_DEVICE_COOKIE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
        path="/",
    )
