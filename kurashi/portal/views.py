from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache

from kurashi.core import hooks
from kurashi.core.health import may_see_health_details
from kurashi.core.models import Municipality
from kurashi.modules.plan.public import get_plan, list_measure_states


@cache_control(public=True, max_age=30)
def home_view(request: HttpRequest) -> HttpResponse:
    plan = get_plan()
    states = {state.measure.id: state for state in list_measure_states()}
    pillars = [
        {"pillar": pillar, "states": [states[measure.id] for measure in pillar.measures]}
        for pillar in plan.pillars
    ]
    cards = [
        {"card": card, "context": card.context(request)} for card in hooks.dashboard_cards.items()
    ]
    delivered = sum(1 for state in states.values() if state.is_delivered)
    return render(
        request,
        "portal/home.html",
        {
            "plan": plan,
            "pillars": pillars,
            "cards": cards,
            "delivered_count": delivered,
            "measure_count": len(states),
        },
    )


def map_view(request: HttpRequest) -> HttpResponse:
    layers = []
    for layer in hooks.map_layers.items():
        try:
            url = reverse(layer.geojson_url_name)
        except NoReverseMatch:
            continue
        layers.append(
            {
                "key": layer.key,
                "title": str(layer.title),
                "url": url,
                "kind": layer.kind,
                "enabled": layer.enabled_by_default,
                "attribution": layer.attribution,
            }
        )
    return render(
        request,
        "portal/map.html",
        {
            "layers": layers,
            "municipalities": Municipality.objects.order_by("code"),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@never_cache
def healthz_view(request: HttpRequest) -> JsonResponse:
    """Machine-readable health: 200 when every component is healthy, 503 otherwise. The
    components' details only for staff or HEALTHZ_TOKEN (kurashi.core.health)."""
    components = {}
    for check in hooks.health_checks.items():
        try:
            ok, detail = check.check()
        except Exception as error:
            ok, detail = False, {"error": str(error)[:200]}
        # "status" last: a check's detail must not be able to overwrite its own result.
        components[check.key] = {**detail, "status": "ok" if ok else "fail"}
    healthy = all(component["status"] == "ok" for component in components.values())
    body: dict[str, object] = {"status": "ok" if healthy else "fail"}
    if may_see_health_details(request):
        body |= {"time": timezone.now().isoformat(), "components": components}
    return JsonResponse(
        body, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False}
    )
