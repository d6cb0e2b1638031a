"""What the ems module contributes to the portal: plan measure 1.2, navigation for EMS users,
indicators, the escalation watcher's health check, and the demo loaders."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    from kurashi.modules.ems.demo import load_demo_facilities, load_demo_members
    from kurashi.modules.ems.selectors import (
        count_difficult_cases_this_month,
        count_fresh_statuses,
        escalation_watcher_health,
        is_ems_user,
    )

    def visible(request: HttpRequest) -> bool:
        return is_ems_user(request.user)

    def fresh_share() -> hooks.IndicatorValue:
        fresh, total = count_fresh_statuses()
        if not total:
            return hooks.IndicatorValue("–", note=_("no status reported yet"))
        return hooks.IndicatorValue(round(100 * fresh / total), unit="%")

    hooks.plan_deliveries.register(
        hooks.MeasureDelivery(
            measure_id="1.2",
            module="ems",
            url_name="ems:index",
            label=_("Emergency medical information sharing"),
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="ems", label=_("Emergency medical"), url_name="ems:index", order=20, visible=visible
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="ems-fresh-statuses",
            measure_id="1.2",
            label=_("Hospital acceptance statuses up to date"),
            compute=fresh_share,
            order=10,
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="ems-difficult-cases",
            measure_id="1.2",
            label=_("Difficult transports this month (搬送困難事案)"),
            compute=lambda: hooks.IndicatorValue(
                count_difficult_cases_this_month(), unit=_("cases")
            ),
            order=20,
        )
    )
    hooks.health_checks.register(
        hooks.HealthCheck(key="ems-escalation", check=escalation_watcher_health, order=60)
    )
    # Embedded installs: `kurashi run` keeps the 30-minute on-scene escalation running.
    hooks.background_processes.register(
        hooks.BackgroundProcess(
            key="ems-escalation",
            argv=("ems_escalate", "--loop"),
            enabled=lambda: bool(getattr(settings, "EMS_ESCALATION_WATCHER_ENABLED", False)),
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="ems-facilities",
            label=_("Emergency hospitals, departments and ambulances (demo)"),
            load=load_demo_facilities,
            order=40,
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="ems-members",
            label=_("EMS roles: hospital staff, crews, coordinator (demo)"),
            load=load_demo_members,
            order=95,
        )
    )
