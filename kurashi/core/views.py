"""Accounts (login with username or e-mail, optional TOTP second step) and organisation members."""

import base64
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from kurashi.core import passkeys, services, throttle
from kurashi.core.audit import record_audit
from kurashi.core.auth import authenticated_user
from kurashi.core.forms import AddMemberForm, LoginForm, TokenForm
from kurashi.core.models import Membership, Organisation, Passkey, User
from kurashi.core.otp import SealedTOTPDevice as TOTPDevice
from kurashi.core.permissions import has_permission, require_permission

PENDING_USER_KEY = "kurashi_pending_otp_user"
PENDING_NEXT_KEY = "kurashi_pending_next"
BACKEND = "kurashi.core.auth.UsernameOrEmailBackend"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("portal:home")


def _throttled(form: Any, wait: int) -> None:
    form.add_error(
        None,
        ngettext(
            "Too many failed attempts from this device or network. Wait %(seconds)d second and "
            "try again. Signing in with a passkey is never delayed.",
            "Too many failed attempts from this device or network. Wait %(seconds)d seconds and "
            "try again. Signing in with a passkey is never delayed.",
            wait,
        )
        % {"seconds": wait},
    )


def _with_retry_after(response: HttpResponse, wait: int) -> HttpResponse:
    if wait:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    return response


def _signed_in(
    request: HttpRequest, user: User, next_url: str, *, detail: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponseRedirect(next_url)
    throttle.remember_device(request, response, user)
    record_audit(actor=user, action="core.login", obj=user, request=request, detail=detail or {})
    return response


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = LoginForm(request.POST or None)
    wait = 0
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        client = throttle.login_client(request, username)
        wait = throttle.wait_seconds(client)
        if wait:
            _throttled(form, wait)  # not checked, not counted: waiting is the only way on
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                throttle.record_failure(client)
                record_audit(
                    actor=None,
                    action="core.login.failed",
                    request=request,
                    detail={"username": username[:150]},
                )
                form.add_error(
                    None, _("The username/e-mail address or the password is not correct.")
                )
            else:
                throttle.record_success(client)
                if user_has_device(user, confirmed=True):
                    request.session[PENDING_USER_KEY] = user.pk
                    request.session[PENDING_NEXT_KEY] = next_url
                    return redirect("core:login-verify")
                login(request, user, backend=BACKEND)
                return _signed_in(request, user, next_url)
    response = render(request, "core/login.html", {"form": form, "next": next_url})
    return _with_retry_after(response, wait)


@csrf_protect
@never_cache
def login_verify_view(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING_USER_KEY)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("core:login")
    form = TokenForm(request.POST or None)
    wait = 0
    if request.method == "POST" and form.is_valid():
        client = throttle.login_client(request, user.get_username())
        wait = throttle.wait_seconds(client)
        if wait:
            _throttled(form, wait)
        else:
            device = next(
                (
                    d
                    for d in TOTPDevice.objects.filter(user=user, confirmed=True)
                    if d.verify_token(form.cleaned_data["token"])
                ),
                None,
            )
            if device is None:
                throttle.record_failure(client)
                record_audit(actor=None, action="core.login.otp_failed", obj=user, request=request)
                form.add_error(
                    "token", _("The code is not correct or has expired. Enter the current code.")
                )
            else:
                next_url = request.session.pop(PENDING_NEXT_KEY, None) or reverse("portal:home")
                request.session.pop(PENDING_USER_KEY, None)
                login(request, user, backend=BACKEND)
                otp_login(request, device)
                return _signed_in(request, user, next_url, detail={"second_factor": "totp"})
    response = render(
        request,
        "core/login_verify.html",
        {
            "form": form,
            "has_totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "has_passkey": Passkey.objects.filter(user=user, confirmed=True).exists(),
        },
    )
    return _with_retry_after(response, wait)


# --- passkeys ------------------------------------------------------------------------------------


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@csrf_protect
@require_POST
def passkey_login_options_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_USER_KEY)
    user = User.objects.filter(pk=pending, is_active=True).first() if pending else None
    options = passkeys.authentication_options(request, user)
    return HttpResponse(options, content_type="application/json")


@csrf_protect
@require_POST
def passkey_login_view(request: HttpRequest) -> HttpResponse:
    """The browser's answer to the challenge: signs in (or completes the second step)."""
    try:
        data = passkeys.parse_json(request.body)
        passkey = passkeys.authenticate(request, dict(data.get("credential") or {}))
    except passkeys.PasskeyError:
        record_audit(actor=None, action="core.login.passkey_failed", request=request)
        return _json_error(
            _("The passkey was not accepted. Try again, or sign in with your password.")
        )
    user = passkey.user
    pending = request.session.get(PENDING_USER_KEY)
    if pending and pending != user.pk:
        return _json_error(
            _("The passkey was not accepted. Try again, or sign in with your password.")
        )
    next_url = request.session.pop(PENDING_NEXT_KEY, None) or _safe_next(
        request, str(data.get("next") or "")
    )
    request.session.pop(PENDING_USER_KEY, None)
    login(request, user, backend=BACKEND)
    otp_login(request, passkey)
    response = JsonResponse({"ok": True, "next": next_url})
    throttle.remember_device(request, response, user)
    step = "second_factor" if pending else "method"
    record_audit(
        actor=user, action="core.login", obj=user, request=request, detail={step: "passkey"}
    )
    return response


@login_required
@never_cache
def passkeys_view(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    return render(
        request,
        "core/passkeys.html",
        {"passkeys": Passkey.objects.filter(user=user).order_by("created_at")},
    )


@login_required
@require_POST
def passkey_register_options_view(request: HttpRequest) -> HttpResponse:
    options = passkeys.registration_options(request, authenticated_user(request))
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def passkey_register_view(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    try:
        data = passkeys.parse_json(request.body)
        passkey = passkeys.register(
            request, user, dict(data.get("credential") or {}), str(data.get("name") or "")
        )
    except passkeys.PasskeyError:
        return _json_error(_("The passkey could not be added. Try again."))
    messages.success(request, _("The passkey %(name)s was added.") % {"name": passkey.name})
    return JsonResponse({"ok": True})


@login_required
@require_POST
def passkey_delete_view(request: HttpRequest, passkey_id: int) -> HttpResponse:
    user = authenticated_user(request)
    passkey = get_object_or_404(Passkey, pk=passkey_id, user=user)
    with transaction.atomic():
        record_audit(
            actor=user,
            action="core.passkey.remove",
            obj=user,
            request=request,
            detail={"passkey": passkey.name},
        )
        passkey.delete()
    messages.success(request, _("The passkey %(name)s was removed.") % {"name": passkey.name})
    return redirect("core:passkeys")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record_audit(actor=request.user, action="core.logout", obj=request.user, request=request)
    logout(request)
    return redirect("portal:home")


@login_required
def account_view(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=authenticated_user(request))
        .select_related("organisation", "role")
        .order_by("organisation__name_ja")
    )
    manageable = [
        m.organisation
        for m in memberships
        if has_permission(request.user, "core.manage_members", organisation_id=m.organisation_id)
    ]
    return render(
        request,
        "core/account.html",
        {
            "memberships": memberships,
            "manageable": list(dict.fromkeys(manageable)),
            "has_two_factor": TOTPDevice.objects.filter(
                user=authenticated_user(request), confirmed=True
            ).exists(),
            "passkey_count": Passkey.objects.filter(user=authenticated_user(request)).count(),
        },
    )


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@never_cache
def two_factor_view(request: HttpRequest) -> HttpResponse:
    """Enable TOTP: show a QR code for a new (unconfirmed) device, confirm it with a first code."""
    user = authenticated_user(request)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return render(request, "core/two_factor_enabled.html", {"form": TokenForm()})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record_audit(actor=user, action="core.two_factor.enable", obj=user, request=request)
            otp_login(request, device)
            messages.success(
                request,
                _("Two-factor authentication is on. You will be asked for a code at every login."),
            )
            return redirect("core:account")
        form.add_error(
            "token", _("The code is not correct or has expired. Enter the current code.")
        )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "core/two_factor_setup.html",
        {
            "form": form,
            "qr_data_uri": _qr_svg(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@login_required
@require_POST
def two_factor_disable_view(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    form = TokenForm(request.POST)
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if form.is_valid() and any(d.verify_token(form.cleaned_data["token"]) for d in devices):
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            record_audit(
                actor=user,
                action="core.two_factor.disable",
                obj=user,
                request=request,
            )
        messages.success(request, _("Two-factor authentication is off."))
        return redirect("core:account")
    return render(
        request, "core/two_factor_enabled.html", {"form": form, "error": True}, status=400
    )


def _members_context(organisation: Organisation, form: AddMemberForm) -> dict[str, object]:
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "role")
        .order_by("user__username")
    )
    return {"organisation": organisation, "members": members, "form": form}


@login_required
def organisation_members_view(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug, is_active=True)
    require_permission(request.user, "core.manage_members", organisation_id=organisation.pk)
    roles = services.grantable_roles(actor=authenticated_user(request), organisation=organisation)
    form = AddMemberForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        services.add_membership(
            actor=authenticated_user(request),
            user=form.cleaned_data["user"],
            organisation=organisation,
            role=form.cleaned_data["role"],
            request=request,
        )
        messages.success(request, _("%(user)s was added.") % {"user": form.cleaned_data["user"]})
        return redirect("core:organisation-members", slug=organisation.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "core/organisation_members.html",
        _members_context(organisation, form),
        status=status,
    )


@login_required
@require_POST
def organisation_member_remove_view(
    request: HttpRequest, slug: str, membership_id: int
) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug, is_active=True)
    require_permission(request.user, "core.manage_members", organisation_id=organisation.pk)
    membership = get_object_or_404(Membership, pk=membership_id, organisation=organisation)
    services.remove_membership(
        actor=authenticated_user(request), membership=membership, request=request
    )
    messages.success(request, _("%(user)s was removed.") % {"user": membership.user})
    return redirect("core:organisation-members", slug=organisation.slug)


def favicon_view(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on their own: the site icon (static, hashed name)."""
    return redirect(static("portal/favicon.svg"))
