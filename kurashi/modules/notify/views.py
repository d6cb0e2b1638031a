"""Resident pages (subscribe, confirm, manage, unsubscribe: no login needed for the links) and
the staff page with each alert's delivery progress."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kurashi.core.audit import record_audit
from kurashi.modules.notify.channels.webpush import vapid_settings
from kurashi.modules.notify.forms import SubscriptionForm
from kurashi.modules.notify.models import Notice, Subscription
from kurashi.modules.notify.selectors import (
    can_view_deliveries,
    delivery_progress,
    list_notices_for,
)
from kurashi.modules.notify.services import subscriptions as services


def _english() -> bool:
    return (get_language() or "ja").startswith("en")


def _apply_errors(form: SubscriptionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    form = SubscriptionForm(request.POST or None, english=_english())
    if not request.POST and user is not None:
        form.fields["email"].initial = getattr(user, "email", "")
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.subscribe(
                choices=form.choices(),
                user=user,
                email=form.cleaned_data.get("email") or "",
                push=form.push(),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return render(
                request,
                "notify/subscribed.html",
                {
                    "subscription": subscription,
                    "manage_url": services.link_url(subscription, "manage"),
                },
            )
    status = 400 if request.method == "POST" else 200
    _private, public_key, _subject = vapid_settings()
    return render(
        request,
        "notify/subscribe.html",
        {"form": form, "vapid_public_key": public_key},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        subscription = services.subscription_from_link(signed, "confirm")
    except ValidationError:
        return render(request, "notify/invalid_link.html", status=404)
    if request.method == "POST":
        subscription = services.confirm_subscription(signed=signed)
        return render(
            request,
            "notify/confirmed.html",
            {"subscription": subscription, "manage_url": services.link_url(subscription, "manage")},
        )
    return render(request, "notify/confirm.html", {"subscription": subscription})


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        subscription = services.subscription_from_link(signed, "manage")
    except ValidationError:
        return render(request, "notify/invalid_link.html", status=404)
    initial = _initial(subscription)
    form = SubscriptionForm(request.POST or None, initial=initial, english=_english())
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.update_subscription(signed=signed, choices=form.choices())
            saved = True
        except ValidationError as error:
            _apply_errors(form, error)
    status = 400 if request.method == "POST" and not saved else 200
    return render(
        request,
        "notify/manage.html",
        {
            "form": form,
            "subscription": subscription,
            "saved": saved,
            "unsubscribe_url": services.link_url(subscription, "unsubscribe"),
        },
        status=status,
    )


def _initial(subscription: Subscription) -> dict[str, Any]:
    point = (subscription.points or [{}])[0]
    return {
        "email": subscription.email,
        "language": subscription.language,
        "municipalities": list(
            subscription.areas.filter(from_point=False).values_list("municipality_code", flat=True)
        ),
        "point_lat": point.get("lat"),
        "point_lon": point.get("lon"),
        "point_radius": point.get("radius_m"),
        "hazards": subscription.hazard_list,
        "min_level": subscription.min_level,
        "channels": subscription.channel_list,
        "quiet_start": subscription.quiet_start,
        "quiet_end": subscription.quiet_end,
    }


# One-click unsubscribe (RFC 8058): mail clients POST without a session or CSRF token; the
# signed token in the URL is the authorisation.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        subscription = services.subscription_from_link(signed, "unsubscribe")
    except ValidationError:
        return render(request, "notify/invalid_link.html", status=404)
    if request.method == "POST":
        subscription = services.unsubscribe(signed=signed)
        return render(request, "notify/unsubscribed.html", {"subscription": subscription})
    return render(request, "notify/unsubscribe.html", {"subscription": subscription})


def staff_notices(request: HttpRequest) -> HttpResponse:
    if not can_view_deliveries(request.user):
        raise PermissionDenied
    page = Paginator(list_notices_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "notify/staff_notices.html", {"page": page})


def staff_notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = Notice.objects.filter(pk=notice_id).first()
    if not can_view_deliveries(request.user, notice):
        raise PermissionDenied
    if notice is None:
        raise Http404
    progress = delivery_progress(notice)
    record_audit(actor=request.user, action="notify.view_deliveries", obj=notice, request=request)
    return render(
        request,
        "notify/staff_notice.html",
        {"notice": notice, "progress": progress, "headline": _headline(notice)},
    )


def _headline(notice: Notice) -> str:
    texts = notice.texts or {}
    language = "en" if _english() else "ja"
    own = texts.get(language) or texts.get("ja") or {}
    return str(own.get("headline") or own.get("event") or notice.event_key)
