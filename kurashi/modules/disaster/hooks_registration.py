"""What the disaster module contributes to the portal (kurashi.core.hooks). Each area keeps its
registrations in its own function below."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    _register_portal()
    _register_jma()
    _register_evacuation()
    _register_shelters()
    _register_reports()


def _register_portal() -> None:
    """The portal: plan delivery, navigation, and the home-page card with the highest levels now
    (a prominent emergency banner while any 警戒レベル 4+ state is in force; the home page itself
    does not switch). No map layer: /map/ draws every polygon alike, and the coloured levels
    live on /disaster/."""
    from kurashi.modules.disaster.views.portal import home_card_context

    hooks.plan_deliveries.register(
        hooks.MeasureDelivery(
            measure_id="1.1",
            module="disaster",
            url_name="disaster:portal",
            label=_("Disaster information"),
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="disaster", label=_("Disaster information"), url_name="disaster:portal", order=10
        )
    )
    hooks.dashboard_cards.register(
        hooks.DashboardCard(
            key="disaster-now",
            title=_("Disaster information now"),
            template_name="disaster/portal/_home_card.html",
            context=home_card_context,
            order=0,
        )
    )


def _register_jma() -> None:
    """JMA intake: health check of the feed poller (fails only when JMA_POLLING_ENABLED)."""
    from kurashi.modules.disaster.selectors.jma import poller_health

    hooks.health_checks.register(hooks.HealthCheck(key="jma-poller", check=poller_health, order=50))
    # Embedded installs: `kurashi run` starts the poller when polling is switched on.
    hooks.background_processes.register(
        hooks.BackgroundProcess(
            key="jma-poller",
            argv=("jma", "poll"),
            enabled=lambda: bool(getattr(settings, "JMA_POLLING_ENABLED", False)),
        )
    )


def _register_evacuation() -> None:
    """Evacuation information: demo roles and memberships (after the demo staff, order 90), and
    the staff pages in the navigation for those who draft or approve."""
    from kurashi.modules.disaster.selectors.evacuation import can_see_orders
    from kurashi.modules.disaster.services.evacuation import load_evacuation_demo

    hooks.nav_items.register(
        hooks.NavItem(
            key="disaster-evacuation",
            label=_("Evacuation information"),
            url_name="disaster:evacuation-list",
            order=11,
            visible=lambda request: can_see_orders(request.user),
        )
    )

    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="disaster-evacuation",
            label=_("Evacuation information: roles of drafters and approvers"),
            load=load_evacuation_demo,
            order=95,
        )
    )


def _register_shelters() -> None:
    """Shelters: map layer, indicator (open shelters), demo loaders (GSI data; shelter staff)."""
    # Imported here so that each area's registrations stay inside its own function.
    from kurashi.core.permissions import has_permission_anywhere
    from kurashi.modules.disaster.selectors.shelters import (
        GSI_CREDIT,
        UPDATE_STATUS,
        count_open_shelters,
    )
    from kurashi.modules.disaster.services.shelters import (
        load_demo_shelter_staff,
        load_demo_shelters,
    )

    hooks.map_layers.register(
        hooks.MapLayer(
            key="shelters",
            title=_("Shelters"),
            geojson_url_name="disaster:shelters-geojson",
            kind="points",
            order=30,
            # Off by default on the overview map (1,136 points); the disaster portal shows them
            # filtered by hazard and status. The layer is listed and can be switched on.
            enabled_by_default=False,
            attribution=GSI_CREDIT,
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="shelter-staff",
            label=_("Shelter status"),
            url_name="disaster:shelter-staff",
            order=14,
            visible=lambda request: has_permission_anywhere(request.user, UPDATE_STATUS),
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="open-shelters",
            measure_id="1.1",
            label=_("Open shelters"),
            compute=lambda: hooks.IndicatorValue(count_open_shelters(), unit=_("shelters")),
            order=30,
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="shelters",
            label=_("Shelters and evacuation sites (GSI)"),
            load=load_demo_shelters,
            order=30,
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="shelter-staff",
            label=_("Shelter staff role for the demo staff"),
            load=load_demo_shelter_staff,
            order=95,
        )
    )


def _register_reports() -> None:
    """Field reports: map layer, navigation, demo moderators (after the demo staff, order 90) and
    demo reports."""
    from kurashi.core.permissions import has_permission_anywhere
    from kurashi.modules.disaster.services import reports as report_services

    hooks.map_layers.register(
        hooks.MapLayer(
            key="reports",
            title=_("Field reports"),
            geojson_url_name="disaster:reports-geojson",
            kind="points",
            order=40,
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="disaster-reports",
            label=_("Field reports"),
            url_name="disaster:reports",
            order=12,
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="disaster-report-moderation",
            label=_("Report moderation"),
            url_name="disaster:report-moderation",
            order=13,
            visible=lambda request: has_permission_anywhere(request.user, report_services.MODERATE),
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="disaster-report-moderators",
            label=_("Field report moderators"),
            load=report_services.load_demo_moderators,
            order=95,
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="disaster-reports",
            label=_("Demo field reports"),
            load=report_services.load_demo_reports,
            order=96,
        )
    )
