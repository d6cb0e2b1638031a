"""JSON API of subscriptions, for apps and municipal systems: subscribe, read and change through
the signed manage token, unsubscribe through the signed unsubscribe token. Same services, hence
the same validation and the same double opt-in for e-mail, as the web pages; no session, so no
CSRF token either (the signed token is the authorisation, as in the e-mailed links)."""

from datetime import time

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kurashi.modules.notify.models import HAZARDS, Subscription
from kurashi.modules.notify.services import subscriptions as services

router = Router(tags=["notify"])


class PointIn(Schema):
    lat: float
    lon: float
    radius_m: int
    label: str = Field(default="", max_length=50)


class ChoicesIn(Schema):
    language: str = "ja"
    municipalities: list[str] = Field(default_factory=list, description="6-digit codes")
    points: list[PointIn] = Field(default_factory=list)
    hazards: list[str] = Field(default_factory=lambda: [key for key, _label in HAZARDS])
    min_level: int = 3
    channels: list[str] = Field(description="email, webpush, webhook, line, sms")
    quiet_start: time | None = None
    quiet_end: time | None = None

    def choices(self) -> services.Choices:
        return services.Choices(
            language=self.language,
            municipality_codes=tuple(self.municipalities),
            points=tuple(
                services.Point(lat=p.lat, lon=p.lon, radius_m=p.radius_m, label=p.label)
                for p in self.points
            ),
            hazards=tuple(self.hazards),
            min_level=self.min_level,
            channels=tuple(self.channels),
            quiet_start=self.quiet_start,
            quiet_end=self.quiet_end,
        )


class PushIn(Schema):
    endpoint: str = Field(max_length=1000)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class SubscribeIn(ChoicesIn):
    email: str = Field(default="", max_length=254)
    push: PushIn | None = None
    webhook_url: str = Field(default="", max_length=500)
    line_user_id: str = Field(default="", max_length=33)
    phone: str = Field(default="", max_length=30)


class SubscriptionOut(Schema):
    id: int
    is_active: bool
    is_confirmed: bool
    language: str
    municipalities: list[str]
    points: list[dict[str, object]]
    hazards: list[str]
    min_level: int
    channels: list[str]
    quiet_start: time | None
    quiet_end: time | None
    manage_token: str
    manage_url: str
    unsubscribe_url: str
    webhook_secret: str | None = Field(
        default=None, description="Only in the answer to the subscription: verify signatures"
    )
    message: str = ""


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


def _invalid(error: ValidationError) -> Status[dict[str, object]]:
    return Status(400, {"detail": _("The subscription is not valid."), "errors": _errors(error)})


def _out(subscription: Subscription, *, message: str = "") -> dict[str, object]:
    return {
        "id": subscription.pk,
        "is_active": subscription.is_active,
        "is_confirmed": subscription.is_confirmed,
        "language": subscription.language,
        "municipalities": sorted(
            subscription.areas.filter(from_point=False).values_list("municipality_code", flat=True)
        ),
        "points": list(subscription.points or []),
        "hazards": subscription.hazard_list,
        "min_level": subscription.min_level,
        "channels": subscription.channel_list,
        "quiet_start": subscription.quiet_start,
        "quiet_end": subscription.quiet_end,
        "manage_token": services.signed_link(subscription, "manage"),
        "manage_url": services.link_url(subscription, "manage"),
        "unsubscribe_url": services.link_url(subscription, "unsubscribe"),
        "message": message,
    }


@router.post(
    "/subscriptions",
    response={201: SubscriptionOut, 400: ErrorOut},
    summary="Subscribe (e-mail without an account is confirmed by a link first)",
)
def create_subscription(request: HttpRequest, payload: SubscribeIn) -> Status[dict[str, object]]:
    try:
        subscription = services.subscribe(
            choices=payload.choices(),
            email=payload.email,
            push=payload.push.dict() if payload.push else None,
            webhook_url=payload.webhook_url,
            line_user_id=payload.line_user_id,
            phone=payload.phone,
        )
    except ValidationError as error:
        return _invalid(error)
    message = (
        _("We sent a confirmation link to %(email)s. Nothing is sent until it is opened.")
        % {"email": subscription.email}
        if not subscription.is_confirmed
        else _("Your subscription is active.")
    )
    body = _out(subscription, message=message)
    body["webhook_secret"] = subscription.webhook_secret or None
    return Status(201, body)


@router.get(
    "/subscriptions/{manage_token}",
    response={200: SubscriptionOut, 404: ErrorOut},
    summary="A subscription's choices (manage token)",
)
def read_subscription(request: HttpRequest, manage_token: str) -> Status[dict[str, object]]:
    try:
        subscription = services.subscription_from_link(manage_token, "manage")
    except ValidationError:
        return Status(404, {"detail": _("This link is not valid.")})
    return Status(200, _out(subscription))


@router.put(
    "/subscriptions/{manage_token}",
    response={200: SubscriptionOut, 400: ErrorOut, 404: ErrorOut},
    summary="Change a subscription's choices (manage token)",
)
def change_subscription(
    request: HttpRequest, manage_token: str, payload: ChoicesIn
) -> Status[dict[str, object]]:
    try:
        services.subscription_from_link(manage_token, "manage")
    except ValidationError:
        return Status(404, {"detail": _("This link is not valid.")})
    try:
        subscription = services.update_subscription(signed=manage_token, choices=payload.choices())
    except ValidationError as error:
        return _invalid(error)
    return Status(200, _out(subscription, message=_("Your choices are saved.")))


@router.post(
    "/unsubscribe/{unsubscribe_token}",
    response={200: SubscriptionOut, 404: ErrorOut},
    summary="Unsubscribe (the token of the link in every message); idempotent",
)
def unsubscribe(request: HttpRequest, unsubscribe_token: str) -> Status[dict[str, object]]:
    try:
        subscription = services.unsubscribe(signed=unsubscribe_token)
    except ValidationError:
        return Status(404, {"detail": _("This link is not valid.")})
    return Status(
        200, _out(subscription, message=_("You are unsubscribed: no more alerts are sent."))
    )
