"""Checks shared by the records pages and the FHIR endpoint: 2FA for staff, idle timeout."""

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest

from kurashi.core.permissions import has_permission_anywhere
from kurashi.modules.records import selectors

SEEN_KEY = "records_last_seen"
STAFF_PERMISSIONS = (
    selectors.VIEW_CLINICAL,
    selectors.VIEW_MEDICATION,
    selectors.BREAK_GLASS,
    selectors.MANAGE_INDEX,
    selectors.VIEW_AUDIT,
    selectors.ADMINISTER,
)


def idle_limit() -> int:
    return int(getattr(settings, "RECORDS_IDLE_TIMEOUT_SECONDS", 15 * 60))


def is_network_staff(user: Any) -> bool:
    return any(has_permission_anywhere(user, name) for name in STAFF_PERMISSIONS)


def needs_second_factor(request: HttpRequest, user: Any) -> bool:
    """Staff of the network (clinicians, liaison, auditors) must sign in with 2FA (MHLW 6.0)."""
    verified = getattr(user, "is_verified", None)
    return is_network_staff(user) and not (callable(verified) and verified())


def session_expired(request: HttpRequest) -> bool:
    """Clinical pages time out after RECORDS_IDLE_TIMEOUT_SECONDS without a request (default
    15 min); the user is signed out. Returns True when that just happened."""
    if not request.user.is_authenticated:
        return False
    now = int(time.time())
    last = request.session.get(SEEN_KEY)
    if isinstance(last, int) and now - last > idle_limit():
        logout(request)
        return True
    request.session[SEEN_KEY] = now
    return False
