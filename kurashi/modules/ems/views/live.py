"""The live stream (Server-Sent Events from an async view), the module's entry page, and the
PWA files served from /ems/ so the service worker's scope covers the tablet pages."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from kurashi.core.events import FellBehindError
from kurashi.modules.ems import broadcast, selectors

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "ems"
HEARTBEAT_SECONDS = 15.0
ICON_SIZES = (192, 512)


@require_GET
def index_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "ems/index.html",
        {
            "is_crew": bool(selectors.crew_hq_ids(user)) or getattr(user, "is_superuser", False),
            "hospitals": list(selectors.manageable_hospitals(user))
            if user.is_authenticated
            else [],
            "is_coordinator": selectors.is_coordinator(user),
        },
    )


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID", "").strip()
    return int(raw) if raw.isdigit() else None


async def events_view(request: HttpRequest) -> HttpResponseBase:
    """One SSE connection: the events of the channels the user may hear (from every process, by
    the live-event bus), a heartbeat comment every 15 s, and an end after EMS_SSE_MAX_SECONDS so
    connections are recycled (EventSource reconnects by itself after `retry`, with Last-Event-ID,
    and gets what it missed)."""
    if request.method != "GET":
        return HttpResponse(status=405)
    user = await request.auser()
    channels = await sync_to_async(selectors.channels_for)(user)
    if not channels:
        return HttpResponseForbidden("ems")
    lifetime = float(getattr(settings, "EMS_SSE_MAX_SECONDS", 300))
    after = _last_event_id(request)

    async def stream() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lifetime
        async with broadcast.subscribe(channels, after=after) as subscription:
            yield b"retry: 3000\n: connected\n\n"
            while (remaining := deadline - loop.time()) > 0:
                try:
                    event = await subscription.next(timeout=min(HEARTBEAT_SECONDS, remaining))
                except FellBehindError:
                    break  # the client reconnects and resumes after its last event
                if event is None:
                    yield b": ping\n\n"
                    continue
                yield event.encode()

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response


@require_GET
def service_worker_view(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /ems/ (its scope is the folder it is served from)."""
    body = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    shell = [
        reverse("ems:tablet"),
        static("ems/ems.js"),
        static("ems/ems.css"),
        static("portal/portal.css"),
        static("ems/icon.svg"),
        static("ems/icon-192.png"),
    ]
    body = body.replace("__SHELL__", repr(shell).replace("'", '"'))
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest_view(request: HttpRequest) -> HttpResponse:
    manifest = {
        "name": "Kurashi 救急医療情報",
        "short_name": "救急",
        "start_url": reverse("ems:tablet"),
        "scope": reverse("ems:index"),
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": "#b00020",
        "lang": "ja",
        # PNGs first: Android/Chrome install only with a 192 and a 512 PNG, iPadOS ignores SVG;
        # the maskable ones keep the cross inside the 80 % safe zone of any mask shape.
        "icons": [
            *(
                {
                    "src": static(f"ems/icon-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any",
                }
                for size in ICON_SIZES
            ),
            *(
                {
                    "src": static(f"ems/icon-maskable-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "maskable",
                }
                for size in ICON_SIZES
            ),
            {"src": static("ems/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return HttpResponse(
        json.dumps(manifest, ensure_ascii=False), content_type="application/manifest+json"
    )
