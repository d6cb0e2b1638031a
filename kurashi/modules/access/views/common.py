"""Shared view helpers: live streams (SSE) and fetch-or-form posting."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _

from kurashi.modules.access import selectors
from kurashi.modules.access.live import channel_stream


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get(
        "X-Requested-With"
    ) == "fetch" or "application/json" in request.headers.get("Accept", "")


def error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def posted(request: HttpRequest, redirect_to: str, **data: Any) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": True, **data})
    return HttpResponseRedirect(redirect_to)


def rejected(request: HttpRequest, redirect_to: str, error: ValidationError) -> HttpResponse:
    """A clear message; nothing already stored is lost (the form posts again)."""
    if wants_json(request):
        return JsonResponse({"ok": False, "error": error_text(error)}, status=400)
    messages.error(request, error_text(error))
    return HttpResponseRedirect(redirect_to)


def resume_point(request: HttpRequest) -> int:
    """Where a (re)connecting stream starts: Last-Event-ID, else ?after=, else 0."""
    for raw in (request.headers.get("Last-Event-ID", ""), request.GET.get("after", "")):
        if raw.strip().isdigit():
            return int(raw.strip())
    return 0


def _release_connection() -> None:
    # A stream lives for minutes: give its database connection back between reads (inside a
    # transaction, as in the unit tests, the connection stays).
    if not connection.in_atomic_block:
        connection.close()


def _frames_after(channel_id: int, after: int) -> list[tuple[int, bytes]]:
    try:
        return selectors.frames_after(channel_id, after)
    finally:
        _release_connection()


read_frames_after = sync_to_async(_frames_after)


def run_and_release[T](function: Callable[[], T]) -> T:
    try:
        return function()
    finally:
        _release_connection()


def sse_response(body: AsyncIterator[bytes]) -> HttpResponseBase:
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response


def channel_sse(request: HttpRequest, channel_id: int) -> HttpResponseBase:
    return sse_response(
        channel_stream(
            channel_id=channel_id, after=resume_point(request), read_after=read_frames_after
        )
    )


def labels_json(**extra: str) -> str:
    """The texts the live script needs (who said it, connection state, system notices)."""
    labels = {
        "online": _("Live"),
        "offline": _("Reconnecting… messages are kept"),
        "ended": _("The session has ended."),
        "system:created": _("Call sent"),
        "system:received": _("The fire headquarters received the call"),
        "system:dispatched": _("Help has been dispatched"),
        "system:closed": _("The conversation has ended"),
        "system:opened": _("Conversation opened"),
        "system:operator": _("A relay operator joined"),
        "system:turn": _("Captioner changed"),
        "system:transferred": _("Transferred to %s, which covers where you are"),
        **extra,
    }
    return json.dumps(labels, ensure_ascii=False)
