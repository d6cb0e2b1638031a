"""What the access module contributes to the portal: plan measure 1.4, navigation, an
indicator, the demo loader, and its sealed values (for key rotation)."""

from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    from kurashi.modules.access import crypto
    from kurashi.modules.access.demo import load_demo
    from kurashi.modules.access.selectors import count_requests_this_month

    hooks.plan_deliveries.register(
        hooks.MeasureDelivery(
            measure_id="1.4",
            module="access",
            url_name="access:home",
            label=_("Hearing-impaired support centre"),
        )
    )
    hooks.nav_items.register(
        hooks.NavItem(key="access", label=_("Hearing support"), url_name="access:home", order=25)
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="access-requests-month",
            measure_id="1.4",
            label=_("Interpreter and captioner requests this month"),
            compute=lambda: hooks.IndicatorValue(count_requests_this_month(), unit=_("requests")),
            order=10,
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="access",
            label=_("Hearing-impaired support centre: roles, interpreters, a resident (demo)"),
            load=load_demo,
            order=96,
        )
    )
    hooks.sealed_values.register(
        hooks.SealedValues(
            key="access.medical-notes",
            label=_("Medical notes of text-119 registrations"),
            count_by_key=crypto.count_by_key,
            reseal=crypto.reseal_all,
            order=20,
        )
    )
