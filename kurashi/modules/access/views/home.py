"""The centre's entry page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kurashi.modules.access import selectors
from kurashi.modules.disaster import public as disaster_public


def home_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "access/home.html",
        {
            "is_dispatcher": selectors.is_dispatcher(user),
            "is_coordinator": selectors.can_coordinate(user),
            "can_caption": selectors.can_caption(user),
            "is_operator": selectors.is_relay_operator(user),
            "live_sessions": selectors.list_caption_sessions(live_only=True)[:5],
            "videos": selectors.published_videos()[:3],
            "alert_levels": _alert_levels(),
        },
    )


def _alert_levels() -> list[tuple[str, int]]:
    """The 警戒レベル in force per municipality, as text (the disaster module's figures)."""
    names = selectors.municipality_names()
    levels = disaster_public.municipality_levels()
    return [(names.get(code, code), level) for code, level in sorted(levels.items())]
