"""What the disaster module contributes to the portal (kurashi.core.hooks). Each area keeps its
registrations in its own function below."""

from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    _register_portal()
    _register_jma()
    _register_evacuation()
    _register_shelters()
    _register_reports()


def _register_portal() -> None:
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


def _register_jma() -> None:
    """JMA intake: health check of the feed poller."""


def _register_evacuation() -> None:
    """Evacuation information: demo roles."""


def _register_shelters() -> None:
    """Shelters: map layer, indicator (open shelters), demo loader."""


def _register_reports() -> None:
    """Field reports: map layer."""
