"""What the disaster module contributes to the portal (kurashi.core.hooks), one function per area."""

from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    hooks.plan_deliveries.register(
        hooks.MeasureDelivery(measure_id="1.1", module="disaster", url_name="disaster:portal", label=_("Disaster information"))
    )
    hooks.nav_items.register(hooks.NavItem(key="disaster", label=_("Disaster information"), url_name="disaster:portal", order=10))
