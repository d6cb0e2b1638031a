"""Machine outputs: CAP 1.2 documents and Atom feeds (public; 訓練/試験 for staff only) and
L-Alert EDXL-DE downloads (staff with disaster.export_lalert)."""

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import condition

from kurashi.core.permissions import require_permission
from kurashi.modules.disaster.models import Alert, EvacuationOrder
from kurashi.modules.disaster.outputs import atom, cap, lalert
from kurashi.modules.disaster.selectors import evacuation as evacuation_selectors
from kurashi.modules.disaster.selectors import outputs as selectors

XML_TYPE = "application/xml; charset=utf-8"


def _feed_last_modified(request: HttpRequest) -> datetime | None:
    value = selectors.latest_change()
    return value if isinstance(value, datetime) else None


def cap_alert_view(request: HttpRequest, identifier: str) -> HttpResponse:
    try:
        alert = selectors.get_alert(identifier)
    except Alert.DoesNotExist:
        raise Http404(_("No alert with this identifier.")) from None
    response = HttpResponse(cap.alert_to_cap(alert), content_type=cap.CAP_MIME_TYPE)
    if alert.is_public:
        response["Cache-Control"] = "public, max-age=30"
    elif selectors.is_staff_member(request.user):
        response["Cache-Control"] = "private, no-store"
    else:
        # 訓練/試験 alerts never reach residents; their existence is not revealed either.
        raise Http404(_("No alert with this identifier."))
    return response


@cache_control(public=True, max_age=30)
@condition(last_modified_func=_feed_last_modified)
def cap_feed_view(request: HttpRequest) -> HttpResponse:
    feed_url = cap.site_url("disaster:cap-feed")
    body = atom.alerts_to_atom(
        selectors.list_feed_alerts(),
        feed_url=feed_url,
        title="佐賀県 災害情報（CAP）— Kurashi",
    )
    return HttpResponse(body, content_type=f"{atom.ATOM_MIME_TYPE}; charset=utf-8")


@never_cache
@login_required
def cap_exercise_feed_view(request: HttpRequest) -> HttpResponse:
    if not selectors.is_staff_member(request.user):
        raise PermissionDenied(_("Exercise alerts are for staff only."))
    feed_url = cap.site_url("disaster:cap-exercise-feed")
    body = atom.alerts_to_atom(
        selectors.list_feed_alerts(exercise=True),
        feed_url=feed_url,
        title="佐賀県 災害情報（訓練・試験）— Kurashi",
    )
    return HttpResponse(body, content_type=f"{atom.ATOM_MIME_TYPE}; charset=utf-8")


def _download(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XML_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def lalert_evacuation_view(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        order = evacuation_selectors.get_order(order_id)
    except EvacuationOrder.DoesNotExist:
        raise Http404(_("No such evacuation information.")) from None
    require_permission(
        request.user,
        evacuation_selectors.EXPORT_PERMISSION,
        municipality_code=order.municipality_code,
    )
    try:
        body = lalert.evacuation_order_to_edxl(order)
    except lalert.LAlertExportError:
        raise Http404(_("Only published evacuation information can be exported.")) from None
    return _download(body, f"lalert-evacuation-{order.municipality_code}-{order.pk}.xml")


@login_required
def lalert_shelters_view(request: HttpRequest, municipality_code: str) -> HttpResponse:
    require_permission(
        request.user, evacuation_selectors.EXPORT_PERMISSION, municipality_code=municipality_code
    )
    try:
        body = lalert.shelters_to_edxl(municipality_code=municipality_code)
    except lalert.LAlertExportError:
        raise Http404(_("No such municipality.")) from None
    return _download(body, f"lalert-shelters-{municipality_code}.xml")
