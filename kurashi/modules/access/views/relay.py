"""Text relay chat: the resident, the hearing party (secret link) and an optional operator."""

from uuid import UUID

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kurashi.core.models import User
from kurashi.modules.access import selectors, services
from kurashi.modules.access.forms import MessageForm, RelayForm
from kurashi.modules.access.models import RelayConversation
from kurashi.modules.access.views.common import (
    channel_sse,
    labels_json,
    posted,
    rejected,
    run_and_release,
)


@login_required
def relay_home_view(request: HttpRequest) -> HttpResponse:
    form = RelayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        conversation = services.start_relay(resident=_user(request), **form.cleaned_data)
        return redirect("access:relay-chat", public_id=conversation.public_id)
    return render(
        request,
        "access/relay/home.html",
        {
            "form": form,
            "conversations": selectors.resident_conversations(request.user)[:20],
            "operator_queue": selectors.operator_queue()[:20]
            if selectors.is_relay_operator(request.user)
            else None,
        },
    )


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied("relay")
    return request.user


def _conversation_and_role(request: HttpRequest, public_id: UUID) -> tuple[RelayConversation, str]:
    """Who is asking decides the role: the resident, the operator, or the holder of the link."""
    conversation = (
        RelayConversation.objects.filter(public_id=public_id).select_related("channel").first()
    )
    if conversation is None:
        raise Http404
    token = request.GET.get("token") or request.POST.get("token") or ""
    user = request.user
    if user.is_authenticated and user.pk == conversation.resident_id:
        return conversation, "resident"
    if user.is_authenticated and selectors.is_relay_operator(user):
        return conversation, "operator"
    if token and token == conversation.counterpart_token:
        return conversation, "counterpart"
    raise PermissionDenied("relay")


def chat_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation, role = _conversation_and_role(request, public_id)
    if role == "operator" and conversation.operator_id is None and request.method == "POST":
        services.join_relay_as_operator(
            actor=_user(request), conversation=conversation, request=request
        )
        return redirect("access:relay-chat", public_id=conversation.public_id)
    counterpart_url = request.build_absolute_uri(
        reverse("access:relay-chat", kwargs={"public_id": conversation.public_id})
        + f"?token={conversation.counterpart_token}"
    )
    return render(
        request,
        "access/relay/chat.html",
        {
            "conversation": conversation,
            "role": role,
            "token": request.GET.get("token", "") if role == "counterpart" else "",
            "counterpart_url": counterpart_url if role == "resident" else "",
            "messages_list": selectors.list_messages(conversation.channel_id),
            "phrases": selectors.RELAY_PHRASES,
            "labels_json": labels_json(
                resident=_("Resident"),
                operator=_("Relay operator"),
                counterpart=conversation.counterpart_name,
            ),
        },
    )


@require_POST
def message_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation, role = _conversation_and_role(request, public_id)
    back = reverse("access:relay-chat", kwargs={"public_id": conversation.public_id})
    if role == "counterpart":
        back += f"?token={conversation.counterpart_token}"
    form = MessageForm(request.POST)
    if not form.is_valid():
        return rejected(request, back, ValidationError(_("Write a message first.")))
    try:
        message = services.post_relay_message(
            conversation=conversation,
            role=role,
            body=form.cleaned_data["body"],
            author=request.user if isinstance(request.user, User) else None,
            client_key=form.cleaned_data["client_key"],
        )
    except ValidationError as error:
        return rejected(request, back, error)
    return posted(request, back, seq=message.seq)


@login_required
@require_POST
def close_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation, _role = _conversation_and_role(request, public_id)
    services.close_relay(actor=_user(request), conversation=conversation)
    return redirect("access:relay-chat", public_id=conversation.public_id)


def transcript_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation, role = _conversation_and_role(request, public_id)
    if role != "resident" and role != "operator":
        raise PermissionDenied("relay")
    response = HttpResponse(
        selectors.relay_transcript(conversation), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="relay-{conversation.public_id}.txt"'
    return response


async def events_view(request: HttpRequest, public_id: UUID) -> HttpResponseBase:
    def find() -> int | None:
        try:
            conversation, _role = _conversation_and_role(request, public_id)
        except (PermissionDenied, Http404):
            return None
        return conversation.channel_id

    channel_id = await sync_to_async(run_and_release)(find)
    if channel_id is None:
        return HttpResponseForbidden("access")
    return channel_sse(request, channel_id)
