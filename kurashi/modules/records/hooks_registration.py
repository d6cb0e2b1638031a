"""What the records module contributes to the portal: plan measure 1.3, navigation, indicators,
the overdue break-glass watcher's health, and the demo loaders."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    from kurashi.modules.records.demo import load_demo_members, load_demo_records
    from kurashi.modules.records.selectors import count_linked_persons, overdue_health

    def visible(request: HttpRequest) -> bool:
        return bool(request.user.is_authenticated)

    hooks.plan_deliveries.register(
        hooks.MeasureDelivery(
            measure_id="1.3",
            module="records",
            url_name="records:index",
            label=_("Regional clinical record sharing"),
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="records",
            label=_("My medical record sharing"),
            url_name="records:index",
            order=25,
            visible=visible,
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="records-linked-persons",
            measure_id="1.3",
            label=_("Residents whose records are linked across facilities"),
            compute=lambda: hooks.IndicatorValue(count_linked_persons(), unit=_("residents")),
            order=10,
        )
    )
    hooks.health_checks.register(
        hooks.HealthCheck(key="records-break-glass", check=overdue_health, order=70)
    )
    # Embedded installs: `kurashi run` keeps flagging overdue break-glass accesses.
    hooks.background_processes.register(
        hooks.BackgroundProcess(
            key="records-break-glass",
            argv=("records_break_glass_overdue", "--loop"),
            enabled=lambda: bool(getattr(settings, "RECORDS_BREAK_GLASS_WATCHER_ENABLED", True)),
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="records-members",
            label=_("Regional record network: roles and staff with 2FA (demo)"),
            load=load_demo_members,
            order=96,
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="records-data",
            label=_("Regional record network: SS-MIX2 storage, FHIR data, consent (demo)"),
            load=load_demo_records,
            order=97,
        )
    )
