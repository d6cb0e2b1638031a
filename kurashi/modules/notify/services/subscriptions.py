"""Subscribing, confirming (double opt-in for e-mail-only subscribers), changing and
unsubscribing. Links carry a signed token, so none of them needs a login."""

import re
import secrets
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from shapely import STRtree

from kurashi.core.geo import boundary_index
from kurashi.core.models import Municipality, User
from kurashi.core.services import queue_email
from kurashi.modules.notify.geometry import circle
from kurashi.modules.notify.messages import absolute_url
from kurashi.modules.notify.models import (
    CHANNEL_BITS,
    HAZARD_BITS,
    LANGUAGES,
    Subscription,
    SubscriptionArea,
)

LINK_SALT = "kurashi.notify.subscription"
LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")
MAX_POINTS = 5
MAX_RADIUS_M = 20_000


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    radius_m: int
    label: str = ""


@dataclass(frozen=True)
class Choices:
    """What a subscriber chooses; validated by validate_choices()."""

    language: str
    municipality_codes: tuple[str, ...]
    points: tuple[Point, ...]
    hazards: tuple[str, ...]
    min_level: int
    channels: tuple[str, ...]
    quiet_start: time | None = None
    quiet_end: time | None = None


def signed_link(subscription: Subscription, purpose: str) -> str:
    """A signed token for `purpose` ("confirm", "manage", "unsubscribe") of this subscription."""
    return signing.dumps([subscription.pk, subscription.token, purpose], salt=LINK_SALT)


def subscription_from_link(signed: str, purpose: str) -> Subscription:
    """The subscription behind a signed link, or ValidationError (tampered, other purpose, or
    a token that was rotated)."""
    try:
        pk, token, link_purpose = signing.loads(signed, salt=LINK_SALT)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise ValidationError(_("This link is not valid.")) from error
    subscription = Subscription.objects.filter(pk=pk, token=token).first()
    if subscription is None or link_purpose != purpose:
        raise ValidationError(_("This link is not valid."))
    return subscription


def normalise_phone(value: str) -> str:
    """A mobile number in E.164 (+81…), from "090-1234-5678", "09012345678" or "+81 90 …";
    "" when it is not one (Japanese mobile numbers: 070/080/090 + 8 digits)."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if re.fullmatch(r"0[789]0\d{8}", digits):
        return "+81" + digits[1:]
    if re.fullmatch(r"\+[1-9]\d{7,14}", digits):
        return digits
    return ""


LINK_NAMES = {
    "confirm": "notify:confirm",
    "manage": "notify:manage",
    "unsubscribe": "notify:unsubscribe",
}
_PLACEHOLDER = "__kurashi_signed__"


def link_url(subscription: Subscription, purpose: str) -> str:
    return LinkMaker().url(subscription.pk, subscription.token, subscription.language, purpose)


class LinkMaker:
    """Signed links for many subscriptions (the fan-out's hot path): one signer, and one
    reverse() per URL language and purpose, instead of one of each per message. The links are
    exactly those of signed_link() (signing.dumps is a TimestampSigner's sign_object)."""

    def __init__(self) -> None:
        self._signer = signing.TimestampSigner(salt=LINK_SALT)
        self._templates: dict[tuple[str, str], tuple[str, str]] = {}

    def url(self, pk: int, token: str, language: str, purpose: str) -> str:
        url_language = "en" if language == "en" else "ja"
        template = self._templates.get((url_language, purpose))
        if template is None:
            with translation.override(url_language):
                path = reverse(LINK_NAMES[purpose], kwargs={"signed": _PLACEHOLDER})
            before, _sep, after = absolute_url(path).rpartition(_PLACEHOLDER)
            template = self._templates[(url_language, purpose)] = (before, after)
        # Signed values are URL-safe base64 and ":" — characters reverse() leaves as they are.
        return template[0] + self._signer.sign_object([pk, token, purpose]) + template[1]


def validate_choices(choices: Choices) -> None:
    errors: dict[str, list[str]] = {}
    if choices.language not in dict(LANGUAGES):
        errors.setdefault("language", []).append(_("Choose one of the offered languages."))
    known = set(
        Municipality.objects.filter(code__in=choices.municipality_codes).values_list(
            "code", flat=True
        )
    )
    unknown = sorted(set(choices.municipality_codes) - known)
    if unknown:
        errors.setdefault("municipalities", []).append(
            _("Unknown municipality codes: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    if not choices.municipality_codes and not choices.points:
        errors.setdefault("municipalities", []).append(
            _("Choose at least one municipality or a point with a radius.")
        )
    if len(choices.points) > MAX_POINTS:
        errors.setdefault("points", []).append(
            _("At most %(count)d points.") % {"count": MAX_POINTS}
        )
    for point in choices.points:
        if not (-90 <= point.lat <= 90 and -180 <= point.lon <= 180):
            errors.setdefault("points", []).append(_("A point has invalid coordinates."))
        elif not 100 <= point.radius_m <= MAX_RADIUS_M:
            errors.setdefault("points", []).append(
                _("The radius must be between 100 m and %(max)d m.") % {"max": MAX_RADIUS_M}
            )
    if not choices.hazards or set(choices.hazards) - set(HAZARD_BITS):
        errors.setdefault("hazards", []).append(_("Choose at least one hazard."))
    if not 1 <= choices.min_level <= 5:
        errors.setdefault("min_level", []).append(_("The level must be between 1 and 5."))
    if not choices.channels or set(choices.channels) - set(CHANNEL_BITS):
        errors.setdefault("channels", []).append(_("Choose at least one channel."))
    if (choices.quiet_start is None) != (choices.quiet_end is None):
        errors.setdefault("quiet_start", []).append(
            _("Give both the start and the end of the quiet hours, or neither.")
        )
    if errors:
        raise ValidationError(errors)


def _point_codes(points: tuple[Point, ...]) -> set[str]:
    """Municipalities whose boundary a point's circle touches (resolved once, at subscribe time,
    so that selecting recipients is an indexed lookup by code)."""
    index = boundary_index()
    codes: set[str] = set()
    tree: STRtree = index.tree
    for point in points:
        area = circle(lat=point.lat, lon=point.lon, radius_m=point.radius_m)
        for position in tree.query(area, predicate="intersects"):
            codes.add(index.refs[int(position)].code)
    return codes


def _apply(subscription: Subscription, choices: Choices) -> None:
    validate_choices(choices)
    subscription.language = choices.language
    subscription.hazard_mask = sum(HAZARD_BITS[hazard] for hazard in set(choices.hazards))
    subscription.min_level = choices.min_level
    subscription.channel_mask = sum(CHANNEL_BITS[channel] for channel in set(choices.channels))
    subscription.points = [
        {"lat": p.lat, "lon": p.lon, "radius_m": p.radius_m, "label": p.label}
        for p in choices.points
    ]
    subscription.quiet_start = choices.quiet_start
    subscription.quiet_end = choices.quiet_end
    subscription.full_clean(exclude=["user"])
    subscription.save()
    chosen = set(choices.municipality_codes)
    from_points = _point_codes(choices.points) - chosen
    SubscriptionArea.objects.filter(subscription=subscription).delete()
    SubscriptionArea.objects.bulk_create(
        [SubscriptionArea(subscription=subscription, municipality_code=code) for code in chosen]
        + [
            SubscriptionArea(subscription=subscription, municipality_code=code, from_point=True)
            for code in from_points
        ]
    )


@transaction.atomic
def subscribe(
    *,
    choices: Choices,
    user: User | None = None,
    email: str = "",
    push: dict[str, str] | None = None,
    webhook_url: str = "",
    line_user_id: str = "",
    phone: str = "",
) -> Subscription:
    """Create a subscription. With an account it is active at once (the account's address);
    e-mail without an account waits for the confirmation link (sent by the task worker);
    a browser push subscription needs neither."""
    errors: dict[str, list[str]] = {}
    email = (user.email if user is not None and not email else email).strip()
    if "email" in choices.channels:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if "webpush" in choices.channels and not (
        push and push.get("endpoint") and push.get("p256dh") and push.get("auth")
    ):
        errors["channels"] = [_("This browser did not give a push subscription.")]
    if "webhook" in choices.channels and not webhook_url:
        errors["webhook_url"] = [_("Enter the webhook address.")]
    line_user_id = line_user_id.strip()
    if "line" in choices.channels and not LINE_USER_ID.fullmatch(line_user_id):
        errors["line_user_id"] = [_("Link your LINE account first (no valid LINE user ID).")]
    phone = normalise_phone(phone)
    if "sms" in choices.channels and not phone:
        errors["phone"] = [_("Enter a mobile phone number, e.g. 090-1234-5678 or +819012345678.")]
    if errors:
        raise ValidationError(errors)
    needs_confirmation = "email" in choices.channels and (user is None or user.email != email)
    subscription = Subscription(
        user=user,
        email=email,
        is_confirmed=not needs_confirmation,
        token=secrets.token_urlsafe(24),
        push_endpoint=(push or {}).get("endpoint", ""),
        push_p256dh=(push or {}).get("p256dh", ""),
        push_auth=(push or {}).get("auth", ""),
        webhook_url=webhook_url,
        webhook_secret=secrets.token_urlsafe(24) if webhook_url else "",
        line_user_id=line_user_id if "line" in choices.channels else "",
        phone=phone if "sms" in choices.channels else "",
    )
    _apply(subscription, choices)
    if needs_confirmation:
        _send_confirmation(subscription)
    return subscription


def _send_confirmation(subscription: Subscription) -> None:
    with translation.override("en" if subscription.language == "en" else "ja"):
        body = _(
            "Please confirm that you want disaster alerts from Kurashi at this address:\n%(url)s\n\n"
            "If you did not ask for them, ignore this message: nothing will be sent."
        ) % {"url": link_url(subscription, "confirm")}
        subject = _("Confirm your disaster alert subscription")
    queue_email(subject=subject, body=body, to=[subscription.email])


@transaction.atomic
def confirm_subscription(*, signed: str) -> Subscription:
    subscription = subscription_from_link(signed, "confirm")
    Subscription.objects.filter(pk=subscription.pk).update(is_confirmed=True, is_active=True)
    subscription.refresh_from_db()
    return subscription


@transaction.atomic
def update_subscription(*, signed: str, choices: Choices) -> Subscription:
    subscription = subscription_from_link(signed, "manage")
    if "email" in choices.channels and not subscription.email:
        raise ValidationError({"channels": [_("This subscription has no e-mail address.")]})
    if "webpush" in choices.channels and not subscription.push_endpoint:
        raise ValidationError({"channels": [_("This browser did not give a push subscription.")]})
    if "line" in choices.channels and not subscription.line_user_id:
        raise ValidationError(
            {"line_user_id": [_("Link your LINE account first (no valid LINE user ID).")]}
        )
    if "sms" in choices.channels and not subscription.phone:
        raise ValidationError(
            {"phone": [_("Enter a mobile phone number, e.g. 090-1234-5678 or +819012345678.")]}
        )
    _apply(subscription, choices)
    return subscription


@transaction.atomic
def unsubscribe(*, signed: str) -> Subscription:
    """One click: switch the subscription off. Idempotent."""
    subscription = subscription_from_link(signed, "unsubscribe")
    Subscription.objects.filter(pk=subscription.pk).update(is_active=False)
    subscription.refresh_from_db()
    return subscription


def remove_channel(*, subscription_id: int, channel: str) -> None:
    """A channel reported the address gone (Web Push 404/410): stop using it for this subscriber,
    and switch the subscription off when no channel is left."""
    bit = CHANNEL_BITS[channel]
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            return
        fields: dict[str, Any] = {"channel_mask": subscription.channel_mask & ~bit}
        if channel == "webpush":
            fields.update(push_endpoint="", push_p256dh="", push_auth="")
        elif channel == "line":
            fields["line_user_id"] = ""
        elif channel == "sms":
            fields["phone"] = ""
        if not fields["channel_mask"]:
            fields["is_active"] = False
        Subscription.objects.filter(pk=subscription_id).update(**fields)
