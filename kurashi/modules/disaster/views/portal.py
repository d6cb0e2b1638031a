"""The public disaster portal."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from kurashi.core.models import Municipality
from kurashi.modules.disaster.selectors.alerts import current_alerts, municipality_levels


@cache_control(public=True, max_age=30)
def portal_view(request: HttpRequest) -> HttpResponse:
    levels = municipality_levels()
    municipalities = [(m, levels.get(m.code, 0)) for m in Municipality.objects.order_by("code")]
    return render(
        request,
        "disaster/portal.html",
        {"alerts": current_alerts()[:50], "municipalities": municipalities},
    )
