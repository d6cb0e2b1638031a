"""Text 119 (Net119 style): the caller's light pages and the fire headquarters' console."""

from typing import Any
from uuid import UUID

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kurashi.core.geo import municipality_at
from kurashi.core.models import User
from kurashi.modules.access import selectors, services
from kurashi.modules.access.crypto import decrypt_text
from kurashi.modules.access.forms import CallForm, EmsCaseForm, MessageForm, ProfileForm
from kurashi.modules.access.live import signal_stream
from kurashi.modules.access.models import Text119Call
from kurashi.modules.access.views.common import (
    channel_sse,
    labels_json,
    posted,
    rejected,
    run_and_release,
    sse_response,
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (login_required ran)
    return user


# --- caller ---------------------------------------------------------------------------------


@login_required
def caller_home_view(request: HttpRequest) -> HttpResponse:
    profile = selectors.get_profile(request.user)
    if profile is None:
        return redirect("access:text119-register")
    # A key per page load: a double tap or a re-sent form (weak connection) makes one call.
    form = CallForm(
        initial={
            "municipality_code": profile.municipality_code,
            "client_key": get_random_string(32),
        }
    )
    open_calls = [c for c in selectors.caller_calls(request.user)[:5] if c.is_open]
    return render(
        request,
        "access/text119/caller_home.html",
        {"form": form, "profile": profile, "open_calls": open_calls},
    )


@login_required
def register_view(request: HttpRequest) -> HttpResponse:
    profile = selectors.get_profile(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.save_text119_profile(
                    user=_user(request), data=services.ProfileInput(**form.cleaned_data)
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your text 119 registration is saved."))
                return redirect("access:text119")
    elif profile is not None:
        form = ProfileForm(
            initial={
                "full_name": profile.full_name,
                "full_name_kana": profile.full_name_kana,
                "municipality_code": profile.municipality_code,
                "address": profile.address,
                "hearing": profile.hearing,
                "medical_notes": decrypt_text(
                    profile.medical_notes_encrypted, user_id=profile.user_id
                ),
                "contacts": profile.contacts,
                "shares_medical_notes": profile.shares_medical_notes,
            }
        )
    else:
        form = ProfileForm()
    return render(request, "access/text119/register.html", {"form": form, "profile": profile})


@login_required
@require_POST
def start_call_view(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The call could not be sent. Check the form and send again."))
        return redirect("access:text119")
    data = form.cleaned_data
    practice = request.POST.get("practice") == "1"
    kind = request.POST.get("kind", "") or ("ambulance" if practice else "")
    try:
        call, _created = services.start_text119_call(
            caller=_user(request),
            kind=kind,
            client_key=data["client_key"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            accuracy_m=data["accuracy"],
            position_corrected=bool(
                data["gps_municipality"]
                and data["municipality_code"]
                and data["gps_municipality"] != data["municipality_code"]
            ),
            municipality_code=""
            if data["gps_municipality"] and data["gps_municipality"] == data["municipality_code"]
            else data["municipality_code"] or "",
            address_note=data["address_note"],
            practice=practice,
            request=request,
        )
    except ValidationError as error:
        return rejected(request, reverse("access:text119"), error)
    return redirect("access:text119-call", public_id=call.public_id)


@require_GET
def where_view(request: HttpRequest) -> JsonResponse:
    """Which municipality is this position in (for the caller page's correction field)."""
    try:
        latitude, longitude = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return JsonResponse({"error": "lat and lon are required"}, status=400)
    found = municipality_at(latitude, longitude)
    return JsonResponse(
        {"code": found.code if found else "", "name": found.name_ja if found else ""}
    )


def _caller_call(request: HttpRequest, public_id: UUID) -> Text119Call:
    call = selectors.get_call_for_caller(request.user, public_id)
    if call is None:
        raise Http404
    return call


@login_required
def caller_call_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    call = _caller_call(request, public_id)
    return render(
        request,
        "access/text119/caller_call.html",
        {
            "call": call,
            "messages_list": selectors.list_messages(call.channel_id),
            "quick_replies": selectors.CALLER_QUICK_REPLIES,
            "labels_json": labels_json(caller=_("You (caller)"), dispatcher=_("Fire HQ")),
            "municipality_name": selectors.municipality_names().get(call.municipality_code, ""),
            "headquarters": ", ".join(selectors.covering_fire_hqs(call.municipality_code)),
        },
    )


@login_required
@require_POST
def caller_message_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    call = _caller_call(request, public_id)
    back = reverse("access:text119-call", kwargs={"public_id": call.public_id})
    form = MessageForm(request.POST)
    if not form.is_valid():
        return rejected(request, back, ValidationError(_("Write a message first.")))
    try:
        message = services.post_call_message(
            actor=_user(request),
            call=call,
            body=form.cleaned_data["body"],
            client_key=form.cleaned_data["client_key"],
            as_dispatcher=False,
        )
    except ValidationError as error:
        return rejected(request, back, error)
    return posted(request, back, seq=message.seq)


async def caller_events_view(request: HttpRequest, public_id: UUID) -> HttpResponseBase:
    def find() -> int | None:
        user = request.user
        call = selectors.get_call_for_caller(user, public_id)
        return call.channel_id if call else None

    channel_id = await sync_to_async(run_and_release)(find)
    if channel_id is None:
        return HttpResponseForbidden("access")
    return channel_sse(request, channel_id)


# --- dispatcher console ---------------------------------------------------------------------


def _require_dispatcher(request: HttpRequest) -> None:
    if not selectors.is_dispatcher(request.user):
        raise PermissionDenied(selectors.RECEIVE_119)


def _console_context(request: HttpRequest) -> dict[str, Any]:
    calls = selectors.console_calls(request.user)
    return {
        "calls": calls,
        "waiting": sum(1 for c in calls if c.state == Text119Call.State.CREATED),
        "municipality_names": selectors.municipality_names(),
    }


@login_required
def console_view(request: HttpRequest) -> HttpResponse:
    _require_dispatcher(request)
    return render(request, "access/text119/console.html", _console_context(request))


@login_required
@require_GET
def console_calls_view(request: HttpRequest) -> HttpResponse:
    _require_dispatcher(request)
    return render(request, "access/text119/_console_calls.html", _console_context(request))


async def console_events_view(request: HttpRequest) -> HttpResponseBase:
    def keys() -> list[str] | None:
        user: User | AnonymousUser = request.user
        return selectors.console_keys(user) if selectors.is_dispatcher(user) else None

    subscribed = await sync_to_async(run_and_release)(keys)
    if subscribed is None:
        return HttpResponseForbidden("access")
    user = request.user

    async def version() -> Any:
        return await sync_to_async(run_and_release)(lambda: selectors.console_version(user))

    return sse_response(signal_stream(keys=subscribed, version=version))


def _dispatcher_call(request: HttpRequest, public_id: UUID) -> Text119Call:
    _require_dispatcher(request)
    call = selectors.get_call_for_dispatcher(request.user, public_id)
    if call is None:
        raise Http404
    return call


@login_required
def console_call_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    call = _dispatcher_call(request, public_id)
    profile = getattr(call.caller, "text119_profile", None)
    services.record_profile_read(actor=_user(request), call=call, request=request)
    try:
        medical_notes = (
            decrypt_text(profile.medical_notes_encrypted, user_id=profile.user_id)
            if profile
            else ""
        )
    except ValueError:
        medical_notes = _("(cannot be decrypted)")
    return render(
        request,
        "access/text119/console_call.html",
        {
            "call": call,
            "profile": profile,
            "medical_notes": medical_notes,
            "messages_list": selectors.list_messages(call.channel_id),
            "questions": selectors.DISPATCHER_QUESTIONS,
            "labels_json": labels_json(caller=_("Caller"), dispatcher=_("Fire HQ")),
            "municipality_name": selectors.municipality_names().get(call.municipality_code, ""),
            "headquarters": ", ".join(selectors.covering_fire_hqs(call.municipality_code)),
            "municipalities": selectors.municipality_choices(),
            "map_tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "ems_form": EmsCaseForm(),
        },
    )


@login_required
@require_POST
def console_transfer_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Route the call to the fire headquarters of where the caller really is."""
    call = _dispatcher_call(request, public_id)
    try:
        name = services.reroute_text119_call(
            actor=_user(request),
            call=call,
            municipality_code=request.POST.get("municipality_code", ""),
            request=request,
        )
    except ValidationError as error:
        return rejected(request, _back_to(call), error)
    messages.success(request, _("The call was transferred to %(name)s.") % {"name": name})
    return redirect("access:console")


def _back_to(call: Text119Call) -> str:
    return reverse("access:console-call", kwargs={"public_id": call.public_id})


@login_required
@require_POST
def console_receive_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    call = _dispatcher_call(request, public_id)
    services.receive_text119_call(actor=_user(request), call=call, request=request)
    return posted(request, _back_to(call))


@login_required
@require_POST
def console_message_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    call = _dispatcher_call(request, public_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return rejected(request, _back_to(call), ValidationError(_("Write a message first.")))
    try:
        message = services.post_call_message(
            actor=_user(request),
            call=call,
            body=form.cleaned_data["body"],
            client_key=form.cleaned_data["client_key"],
            as_dispatcher=True,
            request=request,
        )
    except ValidationError as error:
        return rejected(request, _back_to(call), error)
    return posted(request, _back_to(call), seq=message.seq)


@login_required
@require_POST
def console_close_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    call = _dispatcher_call(request, public_id)
    try:
        services.close_text119_call(
            actor=_user(request),
            call=call,
            dispatched=request.POST.get("outcome") == "dispatched",
            request=request,
        )
    except ValidationError as error:
        return rejected(request, _back_to(call), error)
    return posted(request, _back_to(call))


@login_required
@require_POST
def console_ems_case_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    call = _dispatcher_call(request, public_id)
    form = EmsCaseForm(request.POST)
    if not form.is_valid():
        return rejected(request, _back_to(call), ValidationError(_("Choose the case details.")))
    try:
        case_id = services.open_ems_case_for_call(
            actor=_user(request), call=call, request=request, **form.cleaned_data
        )
    except ValidationError as error:
        return rejected(request, _back_to(call), error)
    messages.success(request, _("EMS case opened: %(id)s") % {"id": case_id})
    return posted(request, _back_to(call), case=case_id)


async def console_call_events_view(request: HttpRequest, public_id: UUID) -> HttpResponseBase:
    def find() -> int | None:
        user = request.user
        if not selectors.is_dispatcher(user):
            return None
        call = selectors.get_call_for_dispatcher(user, public_id)
        return call.channel_id if call else None

    channel_id = await sync_to_async(run_and_release)(find)
    if channel_id is None:
        return HttpResponseForbidden("access")
    return channel_sse(request, channel_id)
