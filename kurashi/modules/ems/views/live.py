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

from kurashi.modules.ems import selectors
from kurashi.modules.ems.broadcast import broadcaster

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


async def events_view(request: HttpRequest) -> HttpResponseBase:
    """One SSE connection: the events of the channels the user may hear, a heartbeat comment
    every 15 s, and an end after EMS_SSE_MAX_SECONDS so connections are recycled (EventSource
    reconnects by itself after `retry`)."""
    if request.method != "GET":
        return HttpResponse(status=405)
    user = await request.auser()
    channels = await sync_to_async(selectors.channels_for)(user)
    if not channels:
        return HttpResponseForbidden("ems")
    lifetime = float(getattr(settings, "EMS_SSE_MAX_SECONDS", 300))
    subscription = broadcaster.subscribe(channels)

    async def stream() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lifetime
        try:
            yield b"retry: 3000\n: connected\n\n"
            while (remaining := deadline - loop.time()) > 0:
                try:
                    event = await asyncio.wait_for(
                        subscription.queue.get(), timeout=min(HEARTBEAT_SECONDS, remaining)
                    )
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if event is None:  # fell too far behind: the client reconnects and refetches
                    break
                yield event.encode()
        finally:
            broadcaster.unsubscribe(subscription)

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
