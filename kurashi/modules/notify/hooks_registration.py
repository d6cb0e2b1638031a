"""What notify contributes to the portal: plan delivery (1.1), navigation, an indicator."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def _active_subscriptions() -> hooks.IndicatorValue:
    from kurashi.modules.notify.models import Subscription

    return hooks.IndicatorValue(
        value=Subscription.objects.filter(is_active=True).count(), unit=_("subscriptions")
    )


def register() -> None:
    from kurashi.modules.notify.selectors import can_view_deliveries, watch_health

    hooks.plan_deliveries.register(
        hooks.MeasureDelivery(
            measure_id="1.1",
            module="notify",
            url_name="notify:subscribe",
            label=_("Disaster alerts by e-mail and notification"),
            order=110,
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="notify", label=_("Alert subscription"), url_name="notify:subscribe", order=12
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="notify-staff",
            label=_("Alert deliveries"),
            url_name="notify:staff-notices",
            order=13,
            visible=lambda request: can_view_deliveries(request.user),
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="notify-subscriptions",
            measure_id="1.1",
            label=_("Alert subscriptions"),
            compute=_active_subscriptions,
        )
    )
    hooks.health_checks.register(
        hooks.HealthCheck(key="notify-watch", check=watch_health, order=55)
    )
    # Embedded installs: `kurashi run` keeps crash recovery running beside the workers.
    hooks.background_processes.register(
        hooks.BackgroundProcess(
            key="notify-watch",
            argv=("notify", "watch"),
            enabled=lambda: bool(getattr(settings, "NOTIFY_WATCH_ENABLED", False)),
        )
    )
